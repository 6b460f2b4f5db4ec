#!/usr/bin/env bash
# Checks deploy/nginx/quanyi.conf with `nginx -t`, as nginx would load it, with a throwaway
# self-signed certificate in place of the real one (and unprivileged ports), so it runs anywhere
# nginx is installed (Debian: apt-get install nginx-light). Starts no server.
set -euo pipefail
conf="$(cd "$(dirname "$0")" && pwd)/quanyi.conf"
command -v nginx >/dev/null || { echo "nginx is not installed (Debian: apt-get install nginx-light)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=quanyi.bank.example \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
sed -e "s#/etc/nginx/tls/quanyi.bank.example.fullchain.pem#$tmp/cert.pem#" \
    -e "s#/etc/nginx/tls/quanyi.bank.example.key.pem#$tmp/key.pem#" \
    -e 's#listen \(\[::\]:\)\{0,1\}80\b#listen \118080#' \
    -e 's#listen \(\[::\]:\)\{0,1\}443\b#listen \118443#' \
    "$conf" > "$tmp/quanyi.conf"
cat > "$tmp/nginx.conf" <<EOF
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log;
events {}
http {
  access_log off;
  client_body_temp_path $tmp/body;
  proxy_temp_path $tmp/proxy;
  include $tmp/quanyi.conf;
}
EOF
nginx -t -p "$tmp" -c "$tmp/nginx.conf"
