#!/usr/bin/env bash
# Proves the runtime stage of deploy/Dockerfile without a Docker engine: builds a Debian bookworm root with
# `debootstrap --variant=minbase` (what the official debian:bookworm-slim image is built from), installs exactly
# the packages the Dockerfile's runtime stage installs (read from the Dockerfile), creates the same user, copies
# the release binaries in, and runs them as uid 10001 with the root filesystem mounted read-only and only /data
# writable: `meshnode --help`, every shared library resolved, a `meshnode run` that binds and prints
# `listening`, a sealed `meshprobe members` round trip against it, and a SIGTERM that exits 0.
#
# Needs root (chroot, mounts) and Debian's package mirror. Slow the first time (debootstrap: about a minute or
# two, and the static release build); later runs reuse the root in $ROOT unless --fresh. Not part of every CI
# run (see deploy/README.md); run it when the Dockerfile's runtime stage or the link flags change.
#   tools/check-runtime-image.sh [--fresh]
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
ROOT=${MESH_RUNTIME_ROOT:-/var/tmp/mesh-runtime-bookworm}
MIRROR=${MESH_DEBIAN_MIRROR:-http://deb.debian.org/debian}
[ "${1:-}" = "--fresh" ] && fresh=1 || fresh=0

fail() {
    echo "check-runtime-image: FAILED: $*" >&2
    exit 1
}
[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap, chroot and mounts)"
command -v debootstrap >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}

# The runtime stage's package list, from the Dockerfile itself (the stage after `FROM debian:bookworm-slim`).
packages=$(awk '/^FROM debian:bookworm-slim/{rt=1} rt && /apt-get install/{
    for (i = 1; i <= NF; i++) if (seen) { if ($i ~ /^[a-z0-9][a-z0-9.+-]*$/) printf "%s ", $i; else exit } else if ($i == "--no-install-recommends") seen = 1
}' deploy/Dockerfile)
packages=${packages% }
[ -n "$packages" ] || fail "cannot find the runtime stage's apt-get install line in deploy/Dockerfile"
echo "runtime packages (from deploy/Dockerfile): $packages"

# Static Swift runtime, as the Dockerfile builds it.
for product in meshnode meshprobe; do
    swift build -c release --static-swift-stdlib --product "$product" 2>&1 | tail -1
done
bin=$(swift build -c release --show-bin-path)

if [ "$fresh" = 1 ] || [ ! -f "$ROOT/.mesh-runtime-ready" ] || [ "$(cat "$ROOT/.mesh-runtime-ready")" != "$packages" ]; then
    rm -rf "$ROOT"
    echo "debootstrap --variant=minbase bookworm $ROOT"
    debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$ROOT.debootstrap.log" 2>&1 ||
        fail "debootstrap (log: $ROOT.debootstrap.log)"
    cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
    # shellcheck disable=SC2086 # the package list is words
    chroot "$ROOT" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends $packages >/dev/null && rm -rf /var/lib/apt/lists/*" || fail "apt-get install $packages"
    # The Dockerfile's user and data directory.
    chroot "$ROOT" sh -c 'groupadd --gid 10001 mesh && useradd --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin mesh && mkdir -p /data && chown 10001:10001 /data \
        && chmod 0750 /data' || fail "creating the mesh user"
    echo "$packages" >"$ROOT/.mesh-runtime-ready"
fi
install -m 0755 "$bin/meshnode" "$bin/meshprobe" "$ROOT/usr/local/bin/"
echo "installed packages: $(chroot "$ROOT" dpkg-query -W -f '${binary:Package}\n' | wc -l) (minbase + $packages)"

# The container: a private mount namespace, the root read-only, /data a fresh writable directory owned by
# the image's user, /proc and /dev as a container runtime provides them. Loopback is the host's.
data=$(mktemp -d /var/tmp/mesh-runtime-data.XXXXXX)
chown 10001:10001 "$data"
trap 'rm -rf "$data"' EXIT
unshare --mount --propagation private bash -s "$ROOT" "$data" <<'INNER' || fail "the runtime checks (output above)"
set -euo pipefail
root=$1 data=$2
mount --bind "$root" "$root"
mount -o remount,bind,ro "$root"
mount --bind "$data" "$root/data"
mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
as_mesh() { chroot --userspec=10001:10001 "$root" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/nonexistent "$@"; }

echo "--- ldd /usr/local/bin/meshnode (inside the image)"
libs=$(chroot "$root" ldd /usr/local/bin/meshnode)
echo "$libs"
if echo "$libs" | grep -q 'not found'; then echo "missing shared libraries" >&2; exit 1; fi
chroot "$root" ldd /usr/local/bin/meshprobe | grep -q 'not found' && { echo "meshprobe: missing libraries" >&2; exit 1; }

echo "--- the root filesystem is read-only for the image's user"
if as_mesh sh -c 'echo x > /usr/local/bin/probe-write' 2>/dev/null; then echo "root is writable" >&2; exit 1; fi
as_mesh sh -c 'echo x > /data/probe-write && rm /data/probe-write' || { echo "/data is not writable" >&2; exit 1; }

echo "--- meshnode --help"
as_mesh meshnode --help | head -5

echo "--- meshnode run (uid 10001, read-only root, --data-dir /data)"
out=$(mktemp)
# Started directly (not through the as_mesh function) so that $! is meshnode itself: chroot, env and sh exec.
chroot --userspec=10001:10001 "$root" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/nonexistent \
    sh -c 'cd /data && exec meshnode run --name runtime-check --listen 127.0.0.1:0 --data-dir /data' \
    >"$out" 2>"$out.err" &
pid=$!
for _ in $(seq 1 100); do
    grep -q '^listening ' "$out" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if ! grep -q '^listening ' "$out"; then
    cat "$out" "$out.err" >&2
    kill -KILL "$pid" 2>/dev/null || true
    echo "meshnode did not print listening" >&2
    exit 1
fi
address=$(awk '/^listening /{print $2; exit}' "$out")
echo "$(head -1 "$out")"
echo "--- meshprobe members $address (handshake and sealed frames through libsodium in the image)"
as_mesh meshprobe members "$address" || { kill -KILL "$pid"; echo "meshprobe failed" >&2; exit 1; }
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
echo "--- SIGTERM: exit status $rc"
grep -E 'warning|error' "$out.err" | grep -v 'development CA' || true
[ "$rc" -eq 0 ] || { cat "$out.err" >&2; echo "meshnode exited $rc after SIGTERM" >&2; exit 1; }
echo "--- what the node wrote (all under /data)"
written=$(cd "$data" && find . -mindepth 1 | head -20)
echo "${written:-(nothing: a node hosting no service keeps no log yet)}"
rm -f "$out" "$out.err"
INNER
echo "check-runtime-image: ok in $(($(date +%s) - start)) s"
