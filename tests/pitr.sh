#!/usr/bin/env bash
# PostgreSQL backup and point-in-time restore, as docs/operations.md describes it, tried on an
# embedded cluster: WAL archived by archive_command, a base backup with pg_basebackup, the schema
# and demo bank by `quanyi migrate` and `quanyi seed`; audit rows written before a chosen time and
# after it, each batch sealed by `quanyi audit verify`; then the cluster is thrown away and
# restored from the base backup and the archive to the chosen time. On the restored database:
# every row written before the time is there, none written after it, `quanyi audit verify` is
# clean, and the application's data (users, orgs) is whole. Prints the restore's duration (RTO
# of this size) and what the archive held (the RPO is what archive_timeout lets wait).
#
# Needs target/debug/quanyi (QUANYI_BIN_DIR or CARGO_TARGET_DIR to take it elsewhere) and the
# PostgreSQL 15 binaries. PITR_PORT=N uses ports N and N+1 instead of free ones.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bin=${QUANYI_BIN_DIR:-${CARGO_TARGET_DIR:-target}/debug}/quanyi
[[ -x $bin ]] || { echo "pitr: build first: cargo build -p quanyi --bin quanyi" >&2; exit 1; }
if ! command -v initdb >/dev/null; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -n $pgbin ]] && export PATH="$pgbin:$PATH"
fi
started=$SECONDS
say() { printf 'pitr (%3ss): %s\n' "$((SECONDS - started))" "$*"; }
work=$(mktemp -d /tmp/quanyi-pitr.XXXXXX)
chmod 755 "$work"
as_pg() {
  if [[ $(id -u) == 0 ]]; then setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"; else "$@"; fi
}
cleanup() {
  for d in "$work/pg" "$work/backup/restored"; do
    [[ -f $d/postmaster.pid ]] && as_pg pg_ctl -D "$d" -m immediate stop >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "pitr: FAIL: $*" >&2
  for f in "$work"/*.log; do [[ -s $f ]] && { echo "--- $f:" >&2; tail -15 "$f" >&2; }; done
  exit 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [[ -n ${PITR_PORT:-} ]]; then port=$PITR_PORT port2=$((PITR_PORT + 1)); else port=$(free_port) port2=$(free_port); fi

say "a cluster with WAL archiving (archive_mode on, archive_command copying to the archive)"
mkdir -p "$work/pg" "$work/archive" "$work/run" "$work/backup"
chmod 700 "$work/pg"
password=$(openssl rand -hex 16)
printf '%s' "$password" >"$work/run/pw"
touch "$work/postgres.log" "$work/restored.log"
[[ $(id -u) == 0 ]] && chown postgres:postgres "$work/pg" "$work/archive" "$work/run" "$work/backup" "$work/run/pw" "$work"/*.log
as_pg initdb -D "$work/pg" -A scram-sha-256 -E UTF8 --locale=C.UTF-8 -U quanyi --pwfile="$work/run/pw" >"$work/initdb.log" 2>&1 \
  || fail "initdb"
# what docs/operations.md gives for production, with the archive on local disk
cat >>"$work/pg/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$work/run'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $work/archive/%f && cp %p $work/archive/%f'
archive_timeout = 60
EOF
as_pg pg_ctl -D "$work/pg" -l "$work/postgres.log" -w start >/dev/null || fail "PostgreSQL did not start"
export PGPASSWORD=$password
createdb -h 127.0.0.1 -p "$port" -U quanyi quanyi || fail "createdb"
url() { echo "postgres://quanyi:$password@127.0.0.1:$1/quanyi"; }
q() { psql -X -v ON_ERROR_STOP=1 "$(url "${2:-$port}")" -Atc "$1"; }

export QUANYI_CONFIG=$root/deploy/quanyi.toml
export QUANYI_DATABASE__URL=$(url "$port")
export QUANYI_API__DATA_KEY=$(openssl rand -base64 32)
"$bin" migrate >"$work/migrate.log" 2>&1 || fail "quanyi migrate"
"$bin" seed >"$work/seed.log" 2>&1 || fail "quanyi seed"

say "base backup (pg_basebackup, WAL streamed into it)"
as_pg pg_basebackup -h 127.0.0.1 -p "$port" -U quanyi -D "$work/backup/base" -X stream -c fast >"$work/basebackup.log" 2>&1 \
  || fail "pg_basebackup"

# Audit rows as the application writes them (activities/src/audit.rs: the row and its place in
# the sealer's queue, in one transaction), one transaction each, then sealed by the verifier.
write_rows() { # phase, count
  for i in $(seq 1 "$2"); do
    echo "WITH row AS (INSERT INTO audit_log (at, username, action, target, result)
            VALUES (now(), 'pitr', 'auth.session.login', 'pitr-$1-$i', 'ok') RETURNING id)
          INSERT INTO audit_unsealed (audit_id) SELECT id FROM row;"
  done | psql -X -q -v ON_ERROR_STOP=1 "$(url "$port")" || fail "writing the $1 rows"
  "$bin" audit verify >"$work/verify-$1.out" 2>&1 || { cat "$work/verify-$1.out" >&2; fail "quanyi audit verify after the $1 rows"; }
}
say "200 rows before the chosen time, sealed"
write_rows before 200
users=$(q "SELECT count(*) FROM users")
orgs=$(q "SELECT count(*) FROM orgs")
seals_before=$(q "SELECT count(*) FROM audit_seals")
sleep 1.1
target=$(q "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'")
sleep 1.1
say "the chosen time: $target; 200 rows after it, sealed"
write_rows after 200
[[ $(q "SELECT count(*) FROM audit_log WHERE target LIKE 'pitr-%'") == 400 ]] || fail "the 400 rows are not all there"
# the last WAL segment goes to the archive now rather than after archive_timeout
segment=$(q "SELECT pg_walfile_name(pg_switch_wal())")
for _ in $(seq 1 100); do [[ -f $work/archive/$segment ]] && break; sleep 0.1; done
[[ -f $work/archive/$segment ]] || fail "the last WAL segment $segment did not reach the archive"
[[ $(q "SELECT failed_count FROM pg_stat_archiver") == 0 ]] || fail "archive_command failed"
say "archive: $(ls "$work/archive" | wc -l) files, $(du -sh "$work/archive" | cut -f1); base backup $(du -sh "$work/backup/base" | cut -f1)"

say "the cluster is lost (stopped, its folder deleted)"
as_pg pg_ctl -D "$work/pg" -m immediate stop >/dev/null
rm -rf "$work/pg"

say "restore: the base backup, restore_command from the archive, recovery_target_time, promote"
restore_started=$SECONDS
as_pg cp -a "$work/backup/base" "$work/backup/restored"
as_pg tee -a "$work/backup/restored/postgresql.conf" >/dev/null <<EOF
port = $port2
archive_mode = off
restore_command = 'cp $work/archive/%f %p'
recovery_target_time = '$target'
recovery_target_action = 'promote'
EOF
as_pg touch "$work/backup/restored/recovery.signal"
as_pg pg_ctl -D "$work/backup/restored" -l "$work/restored.log" -w -t 120 start >/dev/null || fail "the restored cluster did not start"
for _ in $(seq 1 600); do
  [[ $(q "SELECT pg_is_in_recovery()" "$port2" 2>/dev/null) == f ]] && break
  sleep 0.1
done
[[ $(q "SELECT pg_is_in_recovery()" "$port2") == f ]] || fail "the restored cluster was not promoted"
rto=$((SECONDS - restore_started))
grep -q "recovery stopping before commit\|recovery stopping after commit\|recovery stopping before" "$work/restored.log" \
  || fail "the restore did not stop at the target time"
say "restored and promoted in ${rto} s: $(grep -o 'recovery stopping [^,]*, time [^"]*' "$work/restored.log" | head -1)"

export QUANYI_DATABASE__URL=$(url "$port2")
before=$(q "SELECT count(*) FROM audit_log WHERE target LIKE 'pitr-before-%'" "$port2")
after=$(q "SELECT count(*) FROM audit_log WHERE target LIKE 'pitr-after-%'" "$port2")
[[ $before == 200 ]] || fail "$before of the 200 rows written before the chosen time are there"
[[ $after == 0 ]] || fail "$after rows written after the chosen time are there"
[[ $(q "SELECT count(DISTINCT target) FROM audit_log WHERE target LIKE 'pitr-before-%'" "$port2") == 200 ]] \
  || fail "the rows before are not 200 distinct rows"
[[ $(q "SELECT count(*) FROM users" "$port2") == "$users" ]] || fail "users differ after the restore"
[[ $(q "SELECT count(*) FROM orgs" "$port2") == "$orgs" ]] || fail "orgs differ after the restore"
[[ $(q "SELECT count(*) FROM audit_seals" "$port2") == "$seals_before" ]] || fail "the seals are not those of the chosen time"
"$bin" audit verify >"$work/verify-restored.out" 2>&1 || { cat "$work/verify-restored.out" >&2; fail "quanyi audit verify on the restored database"; }
grep -q "audit log intact" "$work/verify-restored.out" || fail "quanyi audit verify said: $(cat "$work/verify-restored.out")"
say "200 rows before there, 0 after; users and orgs whole; $(head -1 "$work/verify-restored.out")"
# the restored database takes writes on a new timeline
q "SELECT 1" "$port2" >/dev/null
"$bin" migrate >"$work/migrate-restored.log" 2>&1 || fail "quanyi migrate on the restored database"
say "passed"
