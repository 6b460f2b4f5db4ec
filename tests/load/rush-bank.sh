#!/usr/bin/env bash
# staff-rush against a bank of realistic size (issue 22): seeds tests/load/bank.sql into a running
# `quanyi dev` (PROCESSES, default 100,000; COUPONS, default 10,000,000), logs every statement
# slower than SLOW_MS (default 200) while the rush runs, then lists them by how often and how slow,
# for EXPLAIN. A benchmark, never a CI test: the seeded coupons bypass the stock ledger.
#
#   tests/load/rush-bank.sh VAR PG_PORT BASE_URL [quanyi-load staff-rush options]
#   tests/load/rush-bank.sh /tmp/bank 18381 http://127.0.0.1:18380 --sessions 1000 --ramp 5m
set -euo pipefail
cd "$(dirname "$0")/../.."
var=$1 port=$2 base=$3
shift 3
url="postgres://quanyi:$(cat "$var/secrets/pg-password")@127.0.0.1:$port/quanyi"
if [[ -z ${SKIP_SEED:-} ]]; then
  psql -X "$url" -v processes="${PROCESSES:-100000}" -v coupons="${COUPONS:-10000000}" -f tests/load/bank.sql
fi
log="$var/log/postgres.log"
from=$(wc -l <"$log")
psql -X "$url" -qc "ALTER SYSTEM SET log_min_duration_statement = '${SLOW_MS:-200}ms'" -c "SELECT pg_reload_conf()" >/dev/null
status=0
target/release/quanyi-load --scenario staff-rush --base-url "$base" --var "$var" --pg-port "$port" "$@" || status=$?
psql -X "$url" -qc "ALTER SYSTEM RESET log_min_duration_statement" -c "SELECT pg_reload_conf()" >/dev/null
echo "statements slower than ${SLOW_MS:-200} ms during the run, by count (the first 120 characters):"
tail -n +"$((from + 1))" "$log" | grep -o 'duration: [0-9.]* ms  \(statement\|execute [^:]*\): .*' \
  | sed -E 's/duration: ([0-9.]+) ms  (statement|execute [^:]*): (.{0,120}).*/\3/' | sort | uniq -c | sort -rn | head -20 || true
exit "$status"
