#!/usr/bin/env bash
# Creates the cluster CA (once) and one node certificate per pod name, with the roles of the pod's service, plus
# an operator certificate for meshprobe, and writes the Kubernetes Secrets the manifests mount:
#   OUT/ca/ca.key            the CA's secret key: keep it offline; it is never written into a Secret
#   OUT/ca/cluster.trust     the public trust anchor        -> Secret mesh-trust (every pod)
#   OUT/nodes/NAME.{cert,key} one per pod name              -> Secret SERVICE-keys (the pods of one StatefulSet)
#   OUT/operator/meshprobe.{cert,key}  role operator, for meshprobe on an operator's machine (not a Secret)
#   OUT/secrets/*.yaml       apply with: kubectl apply -f OUT/secrets/
# Run again with the same OUT to add pods (a larger --replicas) or to rotate: --rotate NAME (repeatable) retires
# NAME's key and certificate to OUT/retired/ and issues new ones; existing files are otherwise kept.
#   deploy/make-keys.sh [--out DIR] [--cluster NAME] [--namespace NS] [--replicas N] [--edge-replicas N]
#                       [--days N] [--rotate NAME]... [--meshnode PATH]
set -euo pipefail

out=./mesh-keys
cluster=mesh-prod
namespace=mesh
replicas=2
edge_replicas=2
days=365
rotate=()
meshnode=""
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --cluster) cluster=$2; shift 2 ;;
        --namespace) namespace=$2; shift 2 ;;
        --replicas) replicas=$2; shift 2 ;;
        --edge-replicas) edge_replicas=$2; shift 2 ;;
        --days) days=$2; shift 2 ;;
        --rotate) rotate+=("$2"); shift 2 ;;
        --meshnode) meshnode=$2; shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) echo "make-keys: unknown argument $1" >&2; usage >&2; exit 2 ;;
    esac
done
if [ -z "$meshnode" ]; then
    here=$(cd "$(dirname "$0")/.." && pwd)
    for candidate in "$here/.build/release/meshnode" "$here/.build/debug/meshnode" "$(command -v meshnode || true)"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ]; then meshnode=$candidate; break; fi
    done
    [ -n "$meshnode" ] || { echo "make-keys: no meshnode binary (swift build -c release --product meshnode, or --meshnode PATH)" >&2; exit 1; }
fi

# The pod names the manifests create (deploy/base: StatefulSets of `replicas` pods each) and their roles.
SERVICES=(reservations inventory payments search edge)
declare -A names_of
for service in "${SERVICES[@]}"; do
    count=$replicas
    [ "$service" = edge ] && count=$edge_replicas
    names_of[$service]=$(seq -f "$service-%g" 0 $((count - 1)) | tr '\n' ' ')
done

umask 077
mkdir -p "$out/ca" "$out/nodes" "$out/operator" "$out/secrets"
if [ ! -f "$out/ca/ca.key" ]; then
    "$meshnode" ca create --cluster "$cluster" --out "$out/ca" >/dev/null
    echo "created cluster CA '$cluster' in $out/ca (ca.key: keep it offline)"
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
for name in "${rotate[@]}"; do
    [ -f "$out/nodes/$name.cert" ] || { echo "make-keys: --rotate $name: no $out/nodes/$name.cert" >&2; exit 1; }
    mkdir -p "$out/retired/$stamp"
    mv "$out/nodes/$name.cert" "$out/nodes/$name.key" "$out/retired/$stamp/"
    echo "retired $name's key and certificate to $out/retired/$stamp/"
done

issue() { # issue NAME ROLES DIR
    [ -f "$3/$1.cert" ] && return 0
    "$meshnode" cert issue --ca "$out/ca/ca.key" --name "$1" --roles "$2" --days "$days" --out "$3" >/dev/null
    echo "issued $1 (roles: $2, $days days)"
}
for service in "${SERVICES[@]}"; do
    for name in ${names_of[$service]}; do issue "$name" "$service" "$out/nodes"; done
done
issue meshprobe operator "$out/operator"

# secret NAME FILE...: a Secret manifest holding the files under their base names.
secret() {
    local name=$1 file
    shift
    {
        echo "# Written by deploy/make-keys.sh; apply with kubectl apply -f. Contains private keys: do not commit."
        echo "apiVersion: v1"
        echo "kind: Secret"
        echo "metadata:"
        echo "  name: $name"
        echo "  namespace: $namespace"
        echo "  labels:"
        echo "    app.kubernetes.io/part-of: mesh"
        echo "type: Opaque"
        echo "data:"
        for file in "$@"; do echo "  $(basename "$file"): $(base64 -w0 <"$file")"; done
    } >"$out/secrets/$name.yaml"
}
secret mesh-trust "$out/ca/cluster.trust"
for service in "${SERVICES[@]}"; do
    files=()
    for name in ${names_of[$service]}; do files+=("$out/nodes/$name.cert" "$out/nodes/$name.key"); done
    secret "$service-keys" "${files[@]}"
done

# ca.key must never reach the cluster: check every Secret written.
ca_b64=$(base64 -w0 <"$out/ca/ca.key")
if grep -q -e "$ca_b64" -e 'ca.key' "$out"/secrets/*.yaml; then
    echo "make-keys: BUG: the CA key ended up in a Secret; deleting $out/secrets" >&2
    rm -rf "$out/secrets"
    exit 1
fi
echo "wrote $(find "$out/secrets" -name '*.yaml' | wc -l) Secrets to $out/secrets/ (namespace $namespace):" \
    "kubectl apply -f $out/secrets/"
