#!/usr/bin/env bash
# The deployment files hold together, offline: every Kubernetes manifest in deploy/kubernetes/
# validates strictly (unknown fields refused) against the Kubernetes 1.30 and 1.37 schemas that
# the PyPI package kubernetes-validate carries; the kustomization lists them all; the ConfigMap's
# quanyi.toml uses only keys deploy/quanyi.toml documents; every key of temporal-values.yaml is
# one the Temporal Helm chart knows (its values.yaml in deploy/kubernetes/temporal-chart/);
# deploy/nginx/quanyi.conf passes `nginx -t` where nginx is installed. A deliberately broken copy
# of each kind must fail, so the checks are known to bite.
#
# kubernetes-validate (a pinned version, with the dependencies in tests/deploy-requirements.txt)
# is installed into var/tools/kubernetes-validate-<version>/ on first use (pip, PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
version=1.37.0
venv=$root/var/tools/kubernetes-validate-$version
if [[ ! -x $venv/bin/kubernetes-validate ]]; then
  echo "deploy: installing kubernetes-validate $version into ${venv#"$root"/}"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps -r tests/deploy-requirements.txt
fi
kv=$venv/bin/kubernetes-validate
work=$(mktemp -d /tmp/quanyi-deploy.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "deploy: FAIL: $*" >&2; exit 1; }

dir=deploy/kubernetes
manifests=()
for f in "$dir"/*.yaml; do
  case $(basename "$f") in
    kustomization.yaml | temporal-values.yaml) ;;
    *) manifests+=("$f") ;;
  esac
done
for k in 1.30.0 1.37.0; do
  "$kv" --strict --quiet -k "$k" "${manifests[@]}" || fail "the manifests do not validate against Kubernetes $k"
done
echo "deploy: ${#manifests[@]} manifest files validate strictly against Kubernetes 1.30 and 1.37"
sed 's/readinessProbe:/readinesProbe:/' "$dir/api.yaml" >"$work/broken.yaml"
if "$kv" --strict --quiet "$work/broken.yaml" >/dev/null 2>&1; then fail "kubernetes-validate let a misspelled field through"; fi

"$venv/bin/python" - "$dir" <<'PY' || fail "the kustomization, the ConfigMap or the Helm values (see above)"
import pathlib, re, sys, tomllib, yaml
d = pathlib.Path(sys.argv[1])
ok = True
def bad(msg):
    global ok
    ok = False
    print("  " + msg)

# the kustomization lists every manifest but the example Secret, and names the image the pods run
k = yaml.safe_load((d / "kustomization.yaml").read_text())
listed = set(k["resources"])
present = {p.name for p in d.glob("*.yaml")} - {"kustomization.yaml", "temporal-values.yaml", "secret.example.yaml"}
if listed != present:
    bad(f"kustomization resources {sorted(listed)} != files {sorted(present)}")
image = k["images"][0]["name"]
docs = [doc for p in sorted(present) for doc in yaml.safe_load_all((d / p).read_text()) if doc]
kinds = sorted(doc["kind"] for doc in docs)
for want in ["ConfigMap", "Deployment", "Deployment", "HorizontalPodAutoscaler", "HorizontalPodAutoscaler",
             "Job", "NetworkPolicy", "PodDisruptionBudget", "PodDisruptionBudget"]:
    if want not in kinds:
        bad(f"no {want}")
    else:
        kinds.remove(want)
secret_keys = set(yaml.safe_load((d / "secret.example.yaml").read_text())["stringData"])
for doc in docs:
    spec = doc.get("spec", {})
    pod = spec.get("template", {}).get("spec")
    if not pod:
        continue
    for c in pod["containers"]:
        if c["image"] != image:
            bad(f"{doc['metadata']['name']}: image {c['image']} is not the kustomization's {image}")
        for e in c.get("env", []):
            ref = e.get("valueFrom", {}).get("secretKeyRef")
            if ref and (ref["name"] != "quanyi-secrets" or ref["key"] not in secret_keys):
                bad(f"{doc['metadata']['name']}: secret key {ref} is not in secret.example.yaml")
    if doc["kind"] == "Deployment" and doc["metadata"]["name"] == "quanyi-api":
        probe = pod["containers"][0].get("readinessProbe", {}).get("httpGet", {})
        if probe.get("path") != "/readyz":
            bad("the API's readiness is not /readyz")

# the ConfigMap's quanyi.toml: valid TOML, every key documented in deploy/quanyi.toml (set or commented)
cm = next(doc for doc in docs if doc["kind"] == "ConfigMap")
ours = tomllib.loads(cm["data"]["quanyi.toml"])
documented = {}
section = None
for line in (d.parent / "quanyi.toml").read_text().splitlines():
    m = re.match(r"^#?\s*\[([a-z0-9_.]+)\]\s*$", line)
    if m:
        section = m.group(1)
        continue
    m = re.match(r"^#?\s*([a-z0-9_]+)\s*=", line)
    if m and section:
        documented.setdefault(section, set()).add(m.group(1))
def check_table(section, table):
    for key, value in table.items():
        if isinstance(value, dict):  # a nested table, [files.s3]
            check_table(f"{section}.{key}", value)
        elif key not in documented.get(section, set()):
            bad(f"ConfigMap quanyi.toml: [{section}] {key} is not in deploy/quanyi.toml")
for section, table in ours.items():
    check_table(section, table)
if ours["api"]["listen"].split(":")[-1] != "8080":
    bad("the API does not listen on the port the Deployment and Service name")

# temporal-values.yaml against the chart's own values
def paths(node, prefix=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from paths(value, prefix + (key,))
    elif isinstance(node, list):
        for item in node:
            yield from paths(item, prefix + ("[]",))
chart = d / "temporal-chart"
known = set()
for name in ("values.yaml", "values.postgresql.yaml"):
    known |= set(paths(yaml.safe_load((chart / name).read_text())))
# a datastore's own keys are documented as a commented example in the chart's values.yaml
text = (chart / "values.yaml").read_text()
block = text[text.index("      datastores:"):text.index("    metrics:")]
store_keys = set(re.findall(r"^\s*#\s+([A-Za-z][A-Za-z_-]*):", block, re.M))
def check_values(values):
    problems = []
    for p in paths(values):
        if p in known:
            continue
        if len(p) >= 7 and p[:4] == ("server", "config", "persistence", "datastores") and p[5] == "sql" \
                and all(k in store_keys for k in p[6:]):
            continue
        problems.append(".".join(p))
    return problems
values = yaml.safe_load((d / "temporal-values.yaml").read_text())
for p in check_values(values):
    bad(f"temporal-values.yaml: {p} is not a key of the Temporal chart")
sql = values["server"]["config"]["persistence"]["datastores"]["default"]["sql"]
if sql.get("pluginName") not in ("postgres12", "postgres12_pgx"):
    bad("Temporal's default store is not PostgreSQL")
if "password" in sql:
    bad("a password in temporal-values.yaml: use existingSecret")
# the check bites: a key the chart dropped (schema.setup, before 1.0) and a misspelled one fail
if not check_values({"schema": {"setup": {"enabled": True}}}) or \
        not check_values({"server": {"replicaCont": 2}}):
    bad("the key check let an unknown key through")
sys.exit(0 if ok else 1)
PY
echo "deploy: the kustomization, the ConfigMap's keys and the Temporal Helm values check out"

if command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]]; then
  PATH="/usr/sbin:$PATH" deploy/nginx/check.sh >/dev/null 2>&1 || { PATH="/usr/sbin:$PATH" deploy/nginx/check.sh; fail "nginx -t"; }
  echo "deploy: deploy/nginx/quanyi.conf passes nginx -t"
fi
echo "deploy: passed"
