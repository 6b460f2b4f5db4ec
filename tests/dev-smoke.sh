#!/usr/bin/env bash
# The embedded stack as a new user meets it: `quanyi dev` on a fresh var/, the admin UI in headless
# Chromium, Ctrl-C with no process left behind, a second start that keeps the data, a `kill -9` of
# its PostgreSQL and of its Temporal server that it survives by itself with nothing lost, the fuzzing
# gate (tests/fuzz-api.sh) against it, a child that keeps dying stopping it all, and the clear
# one-line errors for a port in use and a stale postmaster.pid.
# Needs target/debug/quanyi, ui/dist, ui/node_modules and /usr/bin/chromium (tests/run-all sees to them).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=target/debug/quanyi
work=$(mktemp -d /tmp/quanyi-dev-smoke.XXXXXX)
chmod 755 "$work"
var="$work/var"
log="$work/dev.log"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port) pg_port=$(free_port) t_port=$(free_port) t_ui_port=$(free_port)
args=(dev --no-ui-build --var "$var" --port "$port" --pg-port "$pg_port" --temporal-port "$t_port" --temporal-ui-port "$t_ui_port")
pid=""
cleanup() { [[ -n $pid ]] && kill -INT "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "dev-smoke: FAIL: $*" >&2; echo "--- dev log:" >&2; tail -40 "$log" >&2 || true; exit 1; }

start() {
  local started=$(date +%s.%N)
  "$bin" "${args[@]}" >"$log" 2>&1 &
  pid=$!
  for _ in $(seq 1 600); do
    if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then
      echo "dev-smoke: ready in $(python3 -c "print(round($(date +%s.%N) - $started, 1))") s"
      return
    fi
    kill -0 "$pid" 2>/dev/null || fail "quanyi dev exited before it was ready"
    sleep 0.2
  done
  fail "not ready within 120 s"
}

db_url() { echo "postgres://quanyi:$(cat "$var/secrets/pg-password")@127.0.0.1:$pg_port/quanyi"; }

# Signs in over HTTP with a captcha whose answer is read where only the server keeps it.
sign_in() {
  local captcha id answer
  captcha=$(curl -sf "http://127.0.0.1:$port/api/v1/auth/captcha") || return 1
  id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["captcha_id"])' <<<"$captcha")
  answer=$(psql "$(db_url)" -Atc "SELECT answer FROM captchas WHERE id = '$id'")
  curl -sf -c "$work/cookies" -H 'content-type: application/json' -H 'x-requested-with: quanyi' \
    -d "{\"username\":\"$1\",\"password\":\"Quanyi@2026\",\"captcha_id\":\"$id\",\"captcha_answer\":\"$answer\"}" \
    "http://127.0.0.1:$port/api/v1/auth/login" >/dev/null
}

# RFC 6238 (SHA-1, 6 digits, 30 s) in Python's standard library: an implementation apart from the
# server's, so the two must agree. $1 = base32 secret, $2 = steps after the current one.
totp() {
  python3 - "$1" "$2" <<'PY'
import base64, hashlib, hmac, struct, sys, time
secret = sys.argv[1]
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
counter = int(time.time()) // 30 + int(sys.argv[2])
mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
offset = mac[-1] & 15
print("%06d" % ((struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1000000))
PY
}

api() { # method path [json body] — with the session cookie and the anti-forgery header
  curl -sf -b "$work/cookies" -c "$work/cookies" -X "$1" -H 'content-type: application/json' \
    -H 'x-requested-with: quanyi' ${3:+-d "$3"} "http://127.0.0.1:$port$2"
}

# Waits up to $2 s until the dev log holds the line $1.
wait_for_log() {
  for _ in $(seq 1 $(($2 * 10))); do
    grep -qaF -- "$1" "$log" && return
    sleep 0.1
  done
  fail "within $2 s the dev log did not say: $1"
}

# Waits up to $1 s until /readyz answers 200 again, and says how long after $2 (date +%s.%N) it did.
wait_ready_again() {
  for _ in $(seq 1 $(($1 * 10))); do
    if curl -sf "http://127.0.0.1:$port/readyz" >/dev/null; then
      echo "dev-smoke: ready again $(python3 -c "print(round($(date +%s.%N) - $2, 1))") s after the kill of $3"
      return
    fi
    kill -0 "$pid" 2>/dev/null || fail "quanyi dev exited after the kill of $3"
    sleep 0.1
  done
  fail "not ready again within $1 s after the kill of $3"
}

campaign_state() {
  api GET "/api/v1/campaigns/$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("state") or d["summary"]["state"])'
}

stop_and_check_orphans() {
  kill -INT "$pid"
  wait "$pid" || fail "quanyi dev did not exit cleanly at SIGINT"
  pid=""
  sleep 0.5
  if pgrep -f -- "$var" >/dev/null; then
    pgrep -af -- "$var" >&2
    fail "processes left behind after Ctrl-C"
  fi
  echo "dev-smoke: stopped, nothing left behind"
}

echo "dev-smoke: first start (initdb, migrations, demo bank)"
start
grep -q "Demo bank seeded" "$log" || fail "the first start did not seed the demo bank"
grep -q "admin" "$log" || fail "the demo logins were not printed"
curl -sf "http://127.0.0.1:$t_ui_port/" >/dev/null || fail "the Temporal UI does not answer on $t_ui_port"
(cd ui && QUANYI_URL="http://127.0.0.1:$port" QUANYI_USER=admin QUANYI_PASSWORD='Quanyi@2026' \
  QUANYI_DATABASE_URL="$(db_url)" npm run --silent smoke) \
  || fail "the browser smoke test failed"
# issue 15 (business numbers, returned work, 已办's order, the auditor's words) on the same server
(cd ui && QUANYI_URL="http://127.0.0.1:$port" QUANYI_PASSWORD='Quanyi@2026' \
  QUANYI_DATABASE_URL="$(db_url)" npm run --silent staff-work) \
  || fail "the staff-work browser test failed"
# what bank staff stumbled on (issue 15): imports, 核销记录, phones, the state diagram, merchants
(cd ui && QUANYI_URL="http://127.0.0.1:$port" QUANYI_PASSWORD='Quanyi@2026' \
  QUANYI_DATABASE_URL="$(db_url)" npm run --silent staff-ux) \
  || fail "the staff UX browser test failed"
# 客户管理 (issue 17): the import's report, a lookup by phone, the masked page, 显示 audited
(cd ui && QUANYI_URL="http://127.0.0.1:$port" QUANYI_PASSWORD='Quanyi@2026' \
  QUANYI_DATABASE_URL="$(db_url)" npm run --silent customers) \
  || fail "the customers browser test failed"
# 商户线上入驻 (issue 16): an applicant on a phone applies, reviewers approve from the inbox, 已开通
(cd ui && QUANYI_URL="http://127.0.0.1:$port" QUANYI_PASSWORD='Quanyi@2026' \
  QUANYI_DATABASE_URL="$(db_url)" QUANYI_DATA_KEY_FILE="$var/secrets/data-key" npm run --silent onboarding) \
  || fail "the onboarding browser test failed"
# 商品上架审批 (issue 18): a supplier lists a product from 我的商品, two reviewers approve from the inbox
(cd ui && QUANYI_URL="http://127.0.0.1:$port" QUANYI_PASSWORD='Quanyi@2026' \
  QUANYI_DATABASE_URL="$(db_url)" npm run --silent listing) \
  || fail "the listing browser test failed"
# 巡查任务 (issue 16): an inspector on a phone fills the checklist, uploads a photo, submits
(cd ui && QUANYI_URL="http://127.0.0.1:$port" QUANYI_PASSWORD='Quanyi@2026' \
  QUANYI_DATABASE_URL="$(db_url)" npm run --silent inspection) \
  || fail "the inspection browser test failed"
stop_and_check_orphans

echo "dev-smoke: second start over a stale postmaster.pid (data kept, not seeded again)"
printf '999999\n%s\n' "$var/pg" > "$var/pg/postmaster.pid"
chown --reference="$var/pg" "$var/pg/postmaster.pid" 2>/dev/null || true
start
grep -q "stale postmaster.pid" "$log" || fail "the stale postmaster.pid was not reported"
grep -q "Demo bank seeded" "$log" && fail "the second start seeded again"
sign_in "monitor" || fail "a demo user cannot sign in after a restart"
curl -sf -b "$work/cookies" "http://127.0.0.1:$port/api/v1/auth/me" >/dev/null || fail "the session does not work"
token=$(awk '$6 == "quanyi_session" { print $7 }' "$work/cookies")
[[ ${#token} -ge 40 ]] || fail "no session cookie after sign-in"
grep -qF -- "$token" "$log" && fail "the session id reached the log"
grep -q "demo campaigns seeded" "$log" && fail "the second start seeded the demo campaigns again"
# the demo campaigns' processes came through the restart: the monitor still lists them, each state
api GET "/api/v1/processes?process_type=campaign&page_size=100" > "$work/processes.json" \
  || fail "the monitor does not answer after a restart"
python3 - "$work/processes.json" <<'PY' || fail "the demo campaign processes did not survive the restart"
import json, sys
states = sorted({p["state"] for p in json.load(open(sys.argv[1]))["items"]})
want = {"Cancelled", "Draft", "Evaluated", "FirstReview", "Paused", "Rejected", "Running", "Scheduled", "SecondReview"}
assert want <= set(states), states
PY

echo "dev-smoke: a planner enrols a second factor over HTTP; codes from an independent TOTP agree"
sign_in "planner" || fail "the demo planner cannot sign in"
api GET /api/v1/auth/me | grep -q '"second_factor":"done"' || fail "the planner's role should not require a second factor"
secret=$(api POST /api/v1/auth/totp/enrolment '{}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])') \
  || fail "no enrolment"
api POST /api/v1/auth/totp/enrolment/confirm "{\"code\":\"$(totp "$secret" 0)\"}" | grep -q recovery_codes \
  || fail "the server refused a code computed apart from it"
psql "$(db_url)" -Atc "SELECT encode(totp_secret, 'escape') FROM users WHERE username = 'planner'" | grep -qF "$secret" \
  && fail "the TOTP secret is stored in clear"
sign_in "planner" || fail "the planner cannot sign in again"
api GET /api/v1/system/orgs >/dev/null && fail "the second factor was not asked for"
api POST /api/v1/auth/totp/verify "{\"code\":\"$(totp "$secret" 1)\"}" || fail "the next step's code was refused"
api GET /api/v1/system/orgs >/dev/null || fail "signed in with both factors, the planner cannot list orgs"
# kept for the fuzzing gate below: a planner session with nothing owed
planner_session=$(awk '$6 == "quanyi_session" { print $7 }' "$work/cookies")

echo "dev-smoke: kill -9 of PostgreSQL: reported in one line, restarted over its data, nothing lost"
campaign=$(api GET "/api/v1/campaigns?page_size=100" \
  | python3 -c 'import json,sys; print(next(c["id"] for c in json.load(sys.stdin)["items"] if c["state"] == "Paused"))') \
  || fail "the planner sees no paused demo campaign"
# written just before the kill: a decision on a process (its audit row and read model) and the session
api POST "/api/v1/campaigns/$campaign/actions" '{"action":"resume"}' | grep -q '"state":"Running"' \
  || fail "the planner cannot resume the paused campaign"
audit_rows=$(psql "$(db_url)" -Atc "SELECT count(*) || ':' || max(id) FROM audit_log")
killed=$(date +%s.%N)
kill -9 "$(head -1 "$var/pg/postmaster.pid")"
wait_for_log "PostgreSQL stopped unexpectedly (killed by signal 9, SIGKILL); restarting it over $var/pg (try 1 of 3)" 10
wait_ready_again 60 "$killed" PostgreSQL
# /readyz can answer before the supervisor has seen its restarted child answer too
wait_for_log "PostgreSQL is back" 10
api GET /api/v1/auth/me >/dev/null || fail "the session written before the kill is lost"
[[ $(psql "$(db_url)" -Atc "SELECT count(*) || ':' || max(id) FROM audit_log WHERE id <= ${audit_rows#*:}") == "$audit_rows" ]] \
  || fail "audit rows written before the kill are lost"
[[ $(campaign_state "$campaign") == Running ]] || fail "the resume committed before the kill is lost"

echo "dev-smoke: kill -9 of the Temporal server: reported in one line, restarted over its data, processes go on"
temporal_pid=$(pgrep -P "$pid" -x temporal) || fail "quanyi dev has no Temporal child"
killed=$(date +%s.%N)
kill -9 "$temporal_pid"
wait_for_log "Temporal dev server stopped unexpectedly (killed by signal 9, SIGKILL); restarting it over $var/temporal.db (try 1 of 3)" 10
wait_ready_again 60 "$killed" "the Temporal server"
wait_for_log "Temporal dev server is back" 10
# the worker polls the new server, which replays the campaign from the history it kept: a decision
# goes through the whole process
api POST "/api/v1/campaigns/$campaign/actions" '{"action":"pause","comment":"smoke: after a Temporal restart"}' \
  | grep -q '"state":"Paused"' || fail "a decision on a process does not go through after the Temporal restart"
[[ $(campaign_state "$campaign") == Paused ]] || fail "the campaign's read model did not follow the decision"
[[ $(grep -ac "stopped unexpectedly" "$log") == 2 ]] || fail "expected exactly two reports of a stopped child"

echo "dev-smoke: the production commands over the same database, configured by file and environment"
api_port=$(free_port)
cat >"$work/quanyi.toml" <<TOML
[temporal]
url = "http://127.0.0.1:$t_port"
task_queue = "smoke-prod"
[api]
listen = "127.0.0.1:$api_port"
ui_dir = "ui/dist"
TOML
export QUANYI_DATABASE__URL="$(db_url)"
if "$bin" --config "$work/quanyi.toml" api >"$work/nokey.out" 2>&1; then fail "quanyi api started without a data key"; fi
grep -q "api.data_key is not set" "$work/nokey.out" || { cat "$work/nokey.out" >&2; fail "unclear message without a data key"; }
export QUANYI_API__DATA_KEY="$(cat "$var/secrets/data-key")"
"$bin" --config "$work/quanyi.toml" migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; fail "quanyi migrate"; }
"$bin" --config "$work/quanyi.toml" --log-format json api >"$work/api.log" 2>&1 &
api_pid=$!
"$bin" --config "$work/quanyi.toml" --log-format json worker >"$work/worker.log" 2>&1 &
worker_pid=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$api_port/readyz" >/dev/null && break; sleep 0.2; done
curl -sf -H 'x-request-id: smoke-prod-1' "http://127.0.0.1:$api_port/readyz" >/dev/null || fail "quanyi api is not ready"
kill -TERM "$api_pid" "$worker_pid"
wait "$api_pid" || fail "quanyi api did not stop cleanly at SIGTERM"
wait "$worker_pid" || fail "quanyi worker did not stop cleanly at SIGTERM"
unset QUANYI_DATABASE__URL QUANYI_API__DATA_KEY
python3 - "$work/api.log" <<'PY' || fail "quanyi api's log is not JSON lines with the request id"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert any(l.get("span", {}).get("request_id") == "smoke-prod-1" for l in lines), lines[-3:]
PY
grep -q "$(cat "$var/secrets/pg-password")" "$work/api.log" "$work/worker.log" && fail "the database password reached a log"
grep -qF "$(cat "$var/secrets/data-key")" "$work/api.log" "$work/worker.log" "$log" && fail "the data key reached a log"
QUANYI_DATABASE__URL="$(db_url)" "$bin" audit verify >"$work/verify.out" 2>&1 || { cat "$work/verify.out" >&2; fail "quanyi audit verify on an intact log"; }
grep -q "audit log intact" "$work/verify.out" || fail "quanyi audit verify said: $(cat "$work/verify.out")"
# with nothing configured, the audit commands find the dev stack's database in its var/ by themselves
(unset QUANYI_DATABASE__URL QUANYI_CONFIG; "$bin" audit --var "$var" verify) >"$work/verify.out" 2>&1 \
  || { cat "$work/verify.out" >&2; fail "quanyi audit --var did not find the dev stack"; }
grep -q "audit log intact" "$work/verify.out" || fail "quanyi audit --var verify said: $(cat "$work/verify.out")"
psql "$(db_url)" -qc "ALTER TABLE audit_log DISABLE TRIGGER USER; UPDATE audit_log SET ip = '10.6.6.6' WHERE id = (SELECT min(id) FROM audit_log); ALTER TABLE audit_log ENABLE TRIGGER USER;"
if QUANYI_DATABASE__URL="$(db_url)" "$bin" audit verify >"$work/verify.out" 2>&1; then fail "quanyi audit verify missed a row changed by hand"; fi
grep -q "content changed" "$work/verify.out" || fail "quanyi audit verify did not name the changed row"
QUANYI_DATABASE__URL="$(db_url)" "$bin" audit stock >"$work/stock.out" 2>&1 || { cat "$work/stock.out" >&2; fail "quanyi audit stock on the demo coupons"; }
grep -q "stock balances" "$work/stock.out" || fail "quanyi audit stock said: $(cat "$work/stock.out")"
psql "$(db_url)" -qc "UPDATE stock_shards SET remaining = remaining + 1 WHERE shard = 0 AND template_id = (SELECT id FROM coupon_templates WHERE code = 'DEMO-MJ20')"
if QUANYI_DATABASE__URL="$(db_url)" "$bin" audit stock >"$work/stock.out" 2>&1; then fail "quanyi audit stock missed a stock changed by hand"; fi
grep -q "DEMO-MJ20" "$work/stock.out" || fail "quanyi audit stock did not name the template: $(cat "$work/stock.out")"

echo "dev-smoke: the fuzzing gate: Schemathesis against this stack, as the planner, the monitor and anonymously"
sign_in "monitor" || fail "the monitor cannot sign in for the fuzzing gate"
monitor_session=$(awk '$6 == "quanyi_session" { print $7 }' "$work/cookies")
tests/fuzz-api.sh "http://127.0.0.1:$port" "planner=$planner_session" "monitor=$monitor_session" \
  || fail "the fuzzing gate found 5xx answers or answers the OpenAPI document does not describe"
curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || fail "the stack is not ready after the fuzzing gate"

echo "dev-smoke: a port in use is one clear line"
if "$bin" "${args[@]}" >"$work/busy.out" 2>"$work/busy.err"; then fail "a second stack started on busy ports"; fi
[[ $(wc -l <"$work/busy.err") == 1 ]] || { cat "$work/busy.err" >&2; fail "expected exactly one line"; }
grep -q "port $port (API) is already in use" "$work/busy.err" || { cat "$work/busy.err" >&2; fail "unclear port message"; }
stop_and_check_orphans

echo "dev-smoke: a child that keeps dying stops the whole stack, with one clear line and nothing left behind"
start
for try in 1 2 3; do
  killed=$(date +%s.%N)
  kill -9 "$(head -1 "$var/pg/postmaster.pid")"
  wait_for_log "restarting it over $var/pg (try $try of 3)" 10
  wait_ready_again 60 "$killed" "PostgreSQL (try $try of 3)"
done
kill -9 "$(head -1 "$var/pg/postmaster.pid")"
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "quanyi dev did not stop within 30 s of a fourth death"
if wait "$pid"; then fail "quanyi dev gave up with exit status 0"; fi
pid=""
grep -qaF "quanyi: PostgreSQL stopped unexpectedly (killed by signal 9, SIGKILL) after 3 restarts within 5 min: stopping the whole stack" "$log" \
  || fail "no clear last line when giving up"
sleep 0.5
if pgrep -f -- "$var" >/dev/null; then
  pgrep -af -- "$var" >&2
  fail "processes left behind after giving up"
fi

echo "dev-smoke: without initdb on PATH, a fresh start says so in one line"
no_pg_path=$(tr ':' '\n' <<<"$PATH" | while read -r d; do [[ -x $d/initdb ]] || printf '%s:' "$d"; done)
if PATH="$no_pg_path" "$bin" "${args[@]/$var/$work/fresh}" >"$work/noinitdb.out" 2>"$work/noinitdb.err"; then fail "started without initdb"; fi
[[ $(wc -l <"$work/noinitdb.err") == 1 ]] && grep -q "initdb" "$work/noinitdb.err" \
  || { cat "$work/noinitdb.err" >&2; fail "unclear message without initdb"; }

echo "dev-smoke: --reset --yes wipes var/"
"$bin" dev --reset --yes --var "$var" >/dev/null
[[ ! -e $var ]] || fail "var/ survived --reset"
echo "dev-smoke: passed"
