#!/usr/bin/env bash
# Pods on one machine: each meshnode runs in its own network namespace with its own address on a bridge
# (veth pairs, like pods on a Kubernetes node), with cluster certificates issued by `meshnode ca create` /
# `meshnode cert issue` (one per node name, as deploy/make-keys.sh issues them), and seeds by a DNS name that
# resolves to every node (a per-namespace hosts file, like a headless Service). Checks, with meshprobe asking
# each node's view over the sealed admin RPC:
#   1. convergence: every node sees every other alive at its address;
#   2. a node killed with SIGKILL restarts in a new namespace with a NEW address under the same name and key:
#      the others follow it to the new address;
#   3. graceful leave: SIGTERM makes a node exit 0 and the others see it `left` promptly; it then rejoins under
#      the same name with a re-issued certificate (a new key: node-certificate rotation);
#   4. a partition (traffic dropped between the namespaces of two halves) is seen on both sides, and heals.
# Addresses are 10.203.0.0/24 on a bridge this script makes; nothing is sent outside those namespaces.
# Everything it creates is named meshns-*, removed on exit (and left-overs of a crashed earlier run at start).
# The nodes and meshprobe run as uid 10001 with no capabilities, like the pods.
# Without root or `ip`, it prints SKIPPED and exits 0. Uses .build/debug/{meshnode,meshprobe} (built if missing).
#   tools/netns-test.sh [--install-deps]
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

skip() {
    echo "netns-test: SKIPPED: $*"
    exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root to create network namespaces (running as uid $(id -u))"
# --install-deps (CI): install iproute2 and iptables when missing, rather than skipping without them.
if [ "${1:-}" = "--install-deps" ]; then
    missing=()
    command -v ip >/dev/null 2>&1 || missing+=(iproute2)
    command -v iptables >/dev/null 2>&1 || missing+=(iptables)
    if [ ${#missing[@]} -gt 0 ]; then
        echo "netns-test: installing ${missing[*]}" >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
fi
command -v ip >/dev/null 2>&1 || skip "no 'ip' command (apt-get install iproute2)"

PREFIX=meshns
BRIDGE=$PREFIX-br0
SUBNET=10.203.0
PORT=7400
PIDFILE=/run/$PREFIX-test.pids
ETC_NETNS=/etc/netns

# --- left-overs of an earlier run of this script: its processes (recorded pids that are still a meshnode in one
# of our namespaces), namespaces, links and hosts files.
cleanup_stale() {
    if [ -f "$PIDFILE" ]; then
        while read -r pid; do
            [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || continue
            if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q meshnode &&
                ip netns identify "$pid" 2>/dev/null | grep -q "^$PREFIX-"; then
                kill -KILL "$pid" 2>/dev/null || true
            fi
        done <"$PIDFILE"
        rm -f "$PIDFILE"
    fi
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$PREFIX-" || true); do
        ip netns delete "$ns" 2>/dev/null || true
    done
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep "^$PREFIX-" || true); do
        ip link delete "$link" 2>/dev/null || true
    done
    rm -rf "${ETC_NETNS:?}/$PREFIX-"* /tmp/"$PREFIX"-test.*
    while iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null; do :; done
}
cleanup_stale
if ! ip netns add "$PREFIX-probe" 2>/tmp/$PREFIX-probe.err; then
    skip "cannot create a network namespace: $(cat /tmp/$PREFIX-probe.err)"
fi
ip netns delete "$PREFIX-probe"
rm -f /tmp/$PREFIX-probe.err

if command -v iptables >/dev/null 2>&1; then partition_tool=iptables
elif command -v nft >/dev/null 2>&1; then partition_tool=nft
else partition_tool=""; fi

# MESH_NETNS_BIN_DIR: another directory holding meshnode and meshprobe (e.g. a release build).
if [ -n "${MESH_NETNS_BIN_DIR:-}" ]; then
    MESHNODE=$MESH_NETNS_BIN_DIR/meshnode
    MESHPROBE=$MESH_NETNS_BIN_DIR/meshprobe
else
    [ -x .build/debug/meshnode ] || swift build --product meshnode
    [ -x .build/debug/meshprobe ] || swift build --product meshprobe
    MESHNODE=$PWD/.build/debug/meshnode
    MESHPROBE=$PWD/.build/debug/meshprobe
fi

work=$(mktemp -d /tmp/$PREFIX-test.XXXXXX)
# The nodes run as the pods do (deploy/base/meshnode-pod.yaml): uid 10001, no capabilities, no privilege gain.
POD_UID=10001
AS_POD_USER="setpriv --reuid=$POD_UID --regid=$POD_UID --clear-groups --inh-caps=-all --bounding-set=-all --no-new-privs"
if [ "${MESH_NETNS_AS_ROOT:-0}" = 1 ]; then
    # For diagnosis only; CI never sets it.
    echo "netns-test: MESH_NETNS_AS_ROOT=1: nodes run as root; the pods' unprivileged setting is NOT exercised"
    POD_UID=0
    AS_POD_USER=""
fi
declare -A pid_of ns_of ip_of
started_pids=()
passed=0
forward_rule=0

cleanup() {
    local rc=$?
    for pid in "${started_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${started_pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    for ns in "${ns_of[@]}" "${retired_ns[@]}"; do ip netns delete "$ns" 2>/dev/null || true; done
    ip link delete "$BRIDGE" 2>/dev/null || true
    rm -rf "${ETC_NETNS:?}/$PREFIX-"*
    [ "$forward_rule" = 1 ] && iptables -D FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT 2>/dev/null
    rm -f "$PIDFILE"
    if [ "$passed" = 1 ]; then rm -rf "$work"; else echo "netns-test: logs kept in $work" >&2; fi
    exit $rc
}
retired_ns=()
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "netns-test: FAILED: $*" >&2
    for f in "$work"/*.log; do
        [ -f "$f" ] || continue
        echo "--- $f (last 10 lines, cut at 300 columns)" >&2
        tail -10 "$f" | cut -c1-300 >&2
    done
    if grep -q 'setsockopt.*Permission denied' "$work"/*.log 2>/dev/null; then
        echo "netns-test: hint: an unprivileged node cannot open connections: MeshTransport sets" \
            ".socketOption(.tcp_nodelay), which is setsockopt(SOL_SOCKET, SO_DEBUG) and needs CAP_NET_ADMIN;" \
            "TCP_NODELAY is .tcpOption(.tcp_nodelay) (and NIO's bootstraps set it by default)" >&2
    fi
    exit 1
}

# --- the network: one bridge, and per node a namespace with eth0 (a veth whose other end is on the bridge).
ip link add "$BRIDGE" type bridge
ip link set "$BRIDGE" up
# With br_netfilter, bridged frames go through the host's FORWARD chain; let ours through if it would drop them.
if [ "$(cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null || echo 0)" = 1 ] &&
    command -v iptables >/dev/null 2>&1 && ! iptables -S FORWARD | grep -q -- '-P FORWARD ACCEPT'; then
    iptables -I FORWARD -i "$BRIDGE" -o "$BRIDGE" -j ACCEPT
    forward_rule=1
fi

netns_seq=0
# make_namespace NS IP: a namespace whose eth0 has IP/24 on the bridge.
make_namespace() {
    local ns=$1 address=$2
    netns_seq=$((netns_seq + 1))
    local host_end=$PREFIX-h$netns_seq pod_end=$PREFIX-c$netns_seq
    ip netns add "$ns"
    ip link add "$host_end" type veth peer name "$pod_end"
    ip link set "$pod_end" netns "$ns"
    ip -n "$ns" link set "$pod_end" name eth0
    ip -n "$ns" addr add "$address/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip link set "$host_end" master "$BRIDGE" up
    mkdir -p "$ETC_NETNS/$ns"
    : >"$ETC_NETNS/$ns/hosts"
}

# The cluster's DNS: every namespace's hosts file (bind-mounted over /etc/hosts by `ip netns exec`) maps
# `mesh-seeds` to every node's current address and each node name to its address. Rewritten in place
# (same inode), so running nodes see the change, as pods see a headless Service's records change.
write_hosts() {
    local text="127.0.0.1 localhost"$'\n'
    for name in "${!ip_of[@]}"; do text+="${ip_of[$name]} mesh-seeds"$'\n'; done
    for name in "${!ip_of[@]}"; do text+="${ip_of[$name]} $name"$'\n'; done
    for ns in "${ns_of[@]}"; do printf '%s' "$text" >"$ETC_NETNS/$ns/hosts"; done
}

# --- keys: a cluster CA, one certificate per node name, an operator certificate for meshprobe.
keys=$work/keys
"$MESHNODE" ca create --cluster meshns-test --out "$keys" >/dev/null
issue() { "$MESHNODE" cert issue --ca "$keys/ca.key" --name "$1" --roles "$2" --days 1 --out "$keys" >/dev/null; }
issue meshprobe operator
NODES=(node-1 node-2 node-3 node-4)
for name in "${NODES[@]}"; do issue "$name" inventory; done
mkdir -p "$work/data"
chown -R "$POD_UID:$POD_UID" "$work"

# start_node NAME: runs meshnode in its namespace, seeded by the DNS name, listening on its own address.
start_node() {
    local name=$1 ns=${ns_of[$1]} address=${ip_of[$1]}
    ip netns exec "$ns" $AS_POD_USER "$MESHNODE" run --name "$name" --listen "$address:$PORT" --seed "mesh-seeds:$PORT" \
        --data-dir "$work/data/$name" --trust "$keys/cluster.trust" --cert "$keys/$name.cert" \
        --key "$keys/$name.key" --probe-interval-ms 200 --log-level info \
        >>"$work/$name.out" 2>>"$work/$name.log" &
    pid_of[$name]=$!
    started_pids+=("$!")
    echo "$!" >>"$PIDFILE"
}

# view NAME: the members table as node NAME sees it ("name address status" lines), asked from its namespace.
view() {
    local name=$1
    ip netns exec "${ns_of[$name]}" $AS_POD_USER "$MESHPROBE" members "${ip_of[$name]}:$PORT" --trust "$keys/cluster.trust" \
        --cert "$keys/meshprobe.cert" --key "$keys/meshprobe.key" --timeout 2 2>/dev/null |
        awk 'NR > 1 {print $1, $2, $3}' | sort
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }
seconds_since() { local d=$(($(now_ms) - $1)); printf '%d.%d' $((d / 1000)) $((d % 1000 / 100)); }

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s; prints how long it took.
wait_until() {
    local limit_ms=$(($1 * 1000)) what=$2 t0
    shift 2
    t0=$(now_ms)
    until "$@"; do
        if [ $(($(now_ms) - t0)) -gt "$limit_ms" ]; then
            echo "  $what: not within $((limit_ms / 1000)) s" >&2
            return 1
        fi
        sleep 0.2
    done
    printf '  %-66s %5s s\n' "$what" "$(seconds_since "$t0")"
}

# sees OBSERVER NAME STATUS [ADDRESS]: OBSERVER's view lists NAME with STATUS (and ADDRESS).
sees() {
    local line
    line=$(view "$1" | awk -v n="$2" '$1 == n')
    [ -n "$line" ] || return 1
    set -- "$line" "$3" "${4:-}"
    local status address
    address=$(echo "$1" | awk '{print $2}')
    status=$(echo "$1" | awk '{print $3}')
    [ "$status" = "$2" ] && { [ -z "$3" ] || [ "$address" = "$3" ]; }
}
# sees_not_alive OBSERVER NAME: NAME is suspect, dead or gone in OBSERVER's view.
sees_not_alive() { ! sees "$1" "$2" alive; }
# all_see_alive NAMES...: every listed node sees every listed node alive at its current address.
all_see_alive() {
    local observer member
    for observer in "$@"; do
        for member in "$@"; do sees "$observer" "$member" alive "${ip_of[$member]}:$PORT" || return 1; done
    done
}
is_running() { kill -0 "${pid_of[$1]}" 2>/dev/null; }

echo "netns-test: 4 nodes, each in its own network namespace on $BRIDGE ($SUBNET.0/24), seeds: mesh-seeds:$PORT"
i=0
for name in "${NODES[@]}"; do
    i=$((i + 1))
    ns_of[$name]=$PREFIX-n$i
    ip_of[$name]=$SUBNET.$i
    make_namespace "${ns_of[$name]}" "${ip_of[$name]}"
done
write_hosts
for name in "${NODES[@]}"; do start_node "$name"; done

echo "1. convergence"
wait_until 60 "every node sees all 4 alive at their addresses" all_see_alive "${NODES[@]}" ||
    fail "the nodes did not converge: $(for n in "${NODES[@]}"; do echo; echo "[$n sees]"; view "$n"; done)"

# (checked once they answer: until setpriv has run, the pid is still root)
for name in "${NODES[@]}"; do
    uid=$(awk '/^Uid:/ {print $2}' "/proc/${pid_of[$name]}/status" 2>/dev/null || echo gone)
    [ "$uid" = "$POD_UID" ] || fail "$name runs as uid $uid, not $POD_UID"
done
echo "2. node-4 killed (SIGKILL) and restarted in a new namespace with a new address, same name and key"
kill -KILL "${pid_of[node-4]}"
wait "${pid_of[node-4]}" 2>/dev/null || true
old_ns=${ns_of[node-4]}
retired_ns+=("$old_ns")
ns_of[node-4]=$PREFIX-n4b
ip_of[node-4]=$SUBNET.14
make_namespace "${ns_of[node-4]}" "${ip_of[node-4]}"
ip netns delete "$old_ns"   # the old pod is gone: its address answers nothing any more
write_hosts
start_node node-4
wait_until 60 "every node sees node-4 alive at its new address $SUBNET.14" all_see_alive "${NODES[@]}" ||
    fail "the others did not follow node-4 to its new address: $(for n in node-1 node-2 node-3; do echo; echo "[$n sees]"; view "$n"; done)"

echo "3. node-3 leaves gracefully (SIGTERM), then rejoins with a re-issued certificate (new key)"
node3_left() { sees node-1 node-3 left && sees node-2 node-3 left && sees node-4 node-3 left; }
t0=$(now_ms)
kill -TERM "${pid_of[node-3]}"
wait_until 30 "node-1, node-2 and node-4 see node-3 left" node3_left || fail "the others did not see node-3 leave"
rc=0
wait "${pid_of[node-3]}" || rc=$?
printf '  %-66s %5s s\n' "node-3 exited with status $rc after SIGTERM" "$(seconds_since "$t0")"
[ "$rc" = 0 ] || fail "node-3 exited $rc after SIGTERM"
mkdir -p "$keys/retired" && mv "$keys/node-3.cert" "$keys/node-3.key" "$keys/retired/"
issue node-3 inventory
chown "$POD_UID:$POD_UID" "$keys/node-3.cert" "$keys/node-3.key"
start_node node-3
wait_until 60 "node-3 rejoined with its new key; all 4 alive" all_see_alive "${NODES[@]}" ||
    fail "node-3 did not rejoin with a re-issued certificate: $(for n in "${NODES[@]}"; do echo; echo "[$n sees]"; view "$n"; done)"

if [ -z "$partition_tool" ]; then
    echo "4. partition: SKIPPED (neither iptables nor nft is installed; apt-get install iptables)"
else
    echo "4. partition {node-1, node-2} | {node-3, node-4} (dropping traffic between their namespaces, $partition_tool), then heal"
    # partition add|delete: drop (or stop dropping) everything between the two halves, in both directions.
    partition() {
        local action=$1 a b
        for a in node-1 node-2; do
            for b in node-3 node-4; do
                for pair in "$a ${ip_of[$b]}" "$b ${ip_of[$a]}"; do
                    set -- $pair
                    if [ "$partition_tool" = iptables ]; then
                        local flag=-A
                        [ "$action" = delete ] && flag=-D
                        ip netns exec "${ns_of[$1]}" iptables "$flag" INPUT -s "$2" -j DROP
                        ip netns exec "${ns_of[$1]}" iptables "$flag" OUTPUT -d "$2" -j DROP
                    fi
                done
            done
        done
        if [ "$partition_tool" = nft ]; then
            for a in node-1 node-2 node-3 node-4; do
                if [ "$action" = add ]; then
                    local others
                    case $a in node-1 | node-2) others="${ip_of[node-3]}, ${ip_of[node-4]}" ;;
                    *) others="${ip_of[node-1]}, ${ip_of[node-2]}" ;; esac
                    ip netns exec "${ns_of[$a]}" nft -f - <<EOF
table inet meshns_partition {
    chain input { type filter hook input priority 0; ip saddr { $others } drop; }
    chain output { type filter hook output priority 0; ip daddr { $others } drop; }
}
EOF
                else
                    ip netns exec "${ns_of[$a]}" nft delete table inet meshns_partition
                fi
            done
        fi
    }
    partition add
    halves_apart() {
        sees_not_alive node-1 node-3 && sees_not_alive node-1 node-4 && sees_not_alive node-2 node-3 &&
            sees_not_alive node-2 node-4 && sees_not_alive node-3 node-1 && sees_not_alive node-3 node-2 &&
            sees_not_alive node-4 node-1 && sees_not_alive node-4 node-2 &&
            all_see_alive node-1 node-2 && all_see_alive node-3 node-4
    }
    wait_until 60 "each half sees the other not alive, its own half alive" halves_apart ||
        fail "the partition was not detected: $(for n in "${NODES[@]}"; do echo; echo "[$n sees]"; view "$n"; done)"
    echo "  during the partition, node-1 sees: $(view node-1 | awk '{printf "%s=%s ", $1, $3}')"
    partition delete
    wait_until 90 "healed: every node sees all 4 alive again" all_see_alive "${NODES[@]}" ||
        fail "the partition did not heal: $(for n in "${NODES[@]}"; do echo; echo "[$n sees]"; view "$n"; done)"
fi

for name in "${NODES[@]}"; do is_running "$name" || fail "$name is not running at the end"; done
passed=1
echo "netns-test: PASSED in $(($(date +%s) - start)) s"
