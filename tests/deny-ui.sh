#!/usr/bin/env bash
# SEC-10 for the admin UI: `npm audit` cannot reach its service from these machines, so every
# package installed in ui/node_modules (`npm ls --all`, as sorted name@version lines) is recorded in
# ui/dependencies.lock.txt, and ./tests/run-all fails when that file is not current: every change of
# a front-end dependency, direct or not, shows in the diff for a reviewer (and the bank's CI runs
# `npm audit` on it). Run this after `npm ci` / `npm install` in ui/ and commit the file.
set -euo pipefail
cd "$(dirname "$0")/../ui"
if ! tree=$(npm ls --all --json 2>/dev/null); then
  npm ls --all >/dev/null || true
  echo "npm ls reports problems in ui/node_modules (above): run 'npm ci' in ui/ first"
  exit 1
fi
node -e '
  const seen = new Set();
  const walk = (node) => {
    for (const [name, dep] of Object.entries(node.dependencies || {})) {
      if (dep.version) seen.add(`${name}@${dep.version}`);
      walk(dep);
    }
  };
  walk(JSON.parse(require("fs").readFileSync(0, "utf8")));
  const lines = [...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  process.stdout.write(
    "# Every package in ui/node_modules (npm ls --all), by tests/deny-ui.sh: do not edit by hand\n" +
      lines.join("\n") + "\n",
  );
' <<<"$tree" >dependencies.lock.txt
