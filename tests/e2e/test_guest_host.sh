#!/usr/bin/env bash
# End to end on real guests: no address of the host answers a guest. One
# team of three nodes comes up; host_listener serves TCP and UDP on every
# address of the host in the namespace. From the workstation and from the
# router (both of its NICs), as root would: ICMP, TCP (the listener's port
# and ports the host does not serve, where a refusal would be an answer)
# and UDP to every non-loopback address of the host, first plainly, then
# with the host's side of the bridge as next hop under a static neighbour
# entry for the bridge's MAC, for a bridge port's MAC and for the broadcast
# MAC. None may answer, and no datagram of a guest may even reach the
# listener. Positive controls: the same probes answer when aimed at another
# guest of the team, the listener answers on every address of the range
# from inside the namespace, and DHCP from a guest still gets its lease.
# `down` leaves nothing, the team's nwfilter and its ebtables rules included.
source "$(dirname "$0")/lib.sh"
require_platform
: "${HOST_LISTENER:?set HOST_LISTENER to the host_listener binary}"
name=e2eguesthost
port=$((40000 + RANDOM % 10000))
log="$ENSHU_STATE_DIR/listener.log"
listener=
cleanup() {
  [ -z "$listener" ] || kill "$listener" 2>/dev/null || true
  "$ENSHU" down --name $name >/dev/null 2>&1 || true
}
trap cleanup EXIT
in_ns() { ip netns exec "$NETNS" "$@"; }

"$ENSHU" up "$HERE/three-nodes.yaml" --teams 1 --name $name --timeout 4m
status=$("$ENSHU" status --name $name --json)
addr_of() { jq -r ".[0].teams[0].nodes[] | select(.name==\"$1\") | .addresses.$2" <<<"$status" | cut -d/ -f1; }
bridges=$(range_bridges $name)
assert_bridges_in_netns $bridges
# Each segment's bridge: its host address, its MAC and the MAC of one port.
declare -A br_of br_addr br_mac tap_mac
for b in $bridges; do
  a=$(in_ns ip -4 -o addr show dev "$b" | awk '{print $4}' | cut -d/ -f1)
  case $a in
  "$(addr_of gw office | sed 's/\.[0-9]*$/.1/')") seg=office ;;
  "$(addr_of gw dmz | sed 's/\.[0-9]*$/.1/')") seg=dmz ;;
  *) fail "bridge $b has address '$a', on no segment of the range" ;;
  esac
  br_of[$seg]=$b
  br_addr[$seg]=$a
  br_mac[$seg]=$(in_ns cat "/sys/class/net/$b/address")
  tap_mac[$seg]=$(in_ns ip -o link show master "$b" | awk '{for (i = 1; i < NF; i++) if ($i == "link/ether") print $(i + 1)}' | head -n 1)
  [ -n "${tap_mac[$seg]}" ] || fail "bridge $b has no port"
done
pass "range up; bridges ${br_of[office]} (office) and ${br_of[dmz]} (dmz) in namespace $NETNS"

# The team's guests are filtered; the filter is recorded for down.
filters=$(virsh -c qemu:///system nwfilter-list)
grep -q " enshu-$name-t01\$" <<<"$filters" || fail "no nwfilter enshu-$name-t01: $filters"
for node in ws web gw; do
  n=$(virsh -c qemu:///system dumpxml "enshu-$name-t01-$node" | grep -c "<filterref filter='enshu-$name-t01'>")
  [ "$n" -ge 1 ] || fail "the NICs of $node do not refer to the filter"
done

# Bounded in time by itself; killed by its own pid once the probes are done.
ip netns exec "$NETNS" "$HOST_LISTENER" "$port" 300 </dev/null >"$log" 2>&1 &
for _ in $(seq 50); do grep -q '^ready ' "$log" && break; sleep 0.1; done
listener=$(awk '$1 == "ready" {print $2}' "$log")
[ -n "$listener" ] || fail "host_listener did not start on port $port: $(cat "$log")"

# Every address of the host in the namespace. Loopback addresses are left
# out: a guest's packet to 127.0.0.0/8 or ::1 stays in the guest.
host_addrs=$(in_ns ip -o addr show | awk '$2 != "lo" && ($3 == "inet" || $3 == "inet6") {print $4}' | cut -d/ -f1 | sort -u)
host_v4=$(grep -v : <<<"$host_addrs" || true)
for a in "${br_addr[office]}" "${br_addr[dmz]}"; do
  grep -qx "$a" <<<"$host_addrs" || fail "host address $a is not in the namespace's list"
done

# Positive control: the listener answers on every address of the range's
# bridges and ports, from inside the namespace.
range_addrs=$(for b in $bridges; do
  in_ns ip -o addr show dev "$b"
  for t in $(in_ns ip -o link show master "$b" | awk -F': ' '{print $2}' | cut -d@ -f1); do in_ns ip -o addr show dev "$t"; done
done | awk '{print $2, $4}')
while read -r dev a; do
  a=${a%/*}
  target=$a
  case $a in fe80:*) target="$a%$dev" ;; esac
  out=$(in_ns busybox nc -w 3 "$target" "$port" </dev/null 2>&1 || true)
  [ "$out" = enshu-listener ] || fail "from the namespace, TCP $target:$port gives '$out'"
  out=$(in_ns busybox timeout 6 busybox tftp -g -r x -l /dev/null "$target" "$port" 2>&1 || true)
  grep -q enshu-listener <<<"$out" || fail "from the namespace, UDP $target:$port gives '$out'"
done <<<"$range_addrs"
pass "the listener answers TCP and UDP on $(wc -l <<<"$range_addrs") addresses of the range, from the namespace"

# The probes a guest runs. probe prints ANSWER lines for whatever answered:
# an echo reply, a TCP connection or refusal, a reply of the listener to a
# UDP datagram, or a traceroute's UDP probe reaching the address (its port
# unreachable); then a DONE line. attack runs probe against every
# address given, with the host side of DEV's bridge (BR) as next hop and a
# static neighbour entry for it, for each MAC given.
probes=$(
  cat <<'EOF'
probe() {
  v=$1 a=$2
  (case $a in *:*) ping6 -c 2 -W 1 "$a" ;; *) ping -c 2 -W 1 "$a" ;; esac >/dev/null 2>&1 &&
    echo "ANSWER $v icmp $a") &
  for p in $PORT 22 80 16509; do
    (out=$(nc -w 3 "$a" "$p" </dev/null 2>&1); rc=$?
     case "$rc $out" in 0*|*enshu-listener*|*efused*) echo "ANSWER $v tcp $a:$p: $out" ;; esac) &
  done
  (out=$(timeout 6 tftp -g -r x -l /dev/null "$a" "$PORT" 2>&1)
   case $out in *enshu-listener*) echo "ANSWER $v udp $a:$PORT: $out" ;; esac) &
  (case $a in *:*) tr=traceroute6 ;; *) tr=traceroute ;; esac
   t=$(echo "$a" | cut -d% -f1)
   $tr -n -q 1 -w 2 -m 3 "$a" 2>&1 | grep -q "^ *[0-9][0-9]*  *$t[% ]" &&
     echo "ANSWER $v udp $a: port unreachable") &
  wait
  echo "DONE $v $a"
}
probe_all() {
  v=$1; shift
  for a in "$@"; do probe "$v" "$a" & done
  wait
}
attack() {
  probe_all plain $V4 $V6
  for mac in $MACS; do
    arp -i "$DEV" -s "$BR" "$mac" || echo "SETUP-FAILED arp $BR $mac"
    for a in $V4; do
      [ "$a" = "$BR" ] || ip route replace "$a/32" via "$BR" dev "$DEV" || echo "SETUP-FAILED route $a"
    done
    probe_all "$mac" $V4
  done
  arp -i "$DEV" -d "$BR" 2>/dev/null
  for a in $V4; do [ "$a" = "$BR" ] || ip route del "$a/32" 2>/dev/null; done
  true
}
EOF
)
v6_for_guest() { grep : <<<"$host_addrs" | sed "s/\$/%$1/" | tr '\n' ' '; }
# guest_attack NODE DEV SEGMENT
guest_attack() {
  local node=$1 dev=$2 seg=$3
  "$ENSHU" exec --name $name --timeout 5m 1 "$node" "PORT=$port DEV=$dev BR=${br_addr[$seg]}
V4='$(tr '\n' ' ' <<<"$host_v4")' V6='$(v6_for_guest "$dev")'
MACS='${br_mac[$seg]} ${tap_mac[$seg]} ff:ff:ff:ff:ff:ff'
$probes
attack" >"$ENSHU_STATE_DIR/attack-$node-$dev.out" 2>&1 || true
}
nv4=$(wc -w <<<"$host_v4")
nv6=$(grep -c : <<<"$host_addrs" || true)
guest_attack ws eth0 office &
ws_attack=$!
guest_attack gw eth1 dmz &
wait $! $ws_attack # not the listener, also a job of this shell
for f in "$ENSHU_STATE_DIR"/attack-*.out; do
  who=$(basename "$f" .out)
  ! grep -q '^SETUP-FAILED' "$f" || fail "$who: $(grep '^SETUP-FAILED' "$f" | head -n 3)"
  done=$(grep -c '^DONE ' "$f" || true)
  [ "$done" -eq $((nv4 + nv6 + 3 * nv4)) ] || fail "$who: $done of $((4 * nv4 + nv6)) probes finished: $(tail -n 20 "$f")"
  ! grep -q '^ANSWER' "$f" || fail "$who: the host answered: $(grep '^ANSWER' "$f" | head -n 10)"
done
pass "no answer to ws or gw from $nv4 IPv4 and $nv6 IPv6 host addresses (ICMP, TCP, UDP; plain, and via bridge, port and broadcast MACs)"

# Nothing of a guest reached the listener, not even one way.
guest_addrs=$(jq -r '.[0].teams[0].nodes[].addresses[]' <<<"$status" | cut -d/ -f1)
while read -r proto src; do
  [ "$proto" != ready ] || continue
  ! grep -qx "$src" <<<"$guest_addrs" || fail "the listener got $proto from guest address $src"
  grep -qx "$src" <<<"$host_addrs" || [ "$src" = 127.0.0.1 ] || [ "$src" = ::1 ] ||
    fail "the listener got $proto from $src, neither a host address nor loopback"
done <"$log"
pass "no TCP connection or UDP datagram of a guest reached the listener"

# Positive controls inside the team: the same probes answer from another
# guest, traffic crosses the router, and DHCP still gives the lease.
out=$("$ENSHU" exec --name $name --timeout 2m 1 ws "PORT=$port
$probes
probe peer $(addr_of gw office)" 2>&1 || true)
for what in "icmp $(addr_of gw office)" "tcp $(addr_of gw office):22" "udp $(addr_of gw office): port unreachable"; do
  grep -q "^ANSWER peer $what" <<<"$out" || fail "the probes see no answer from gw ($what): $out"
done
"$ENSHU" exec --name $name 1 ws "timeout 10 wget -q -O - http://$(addr_of web dmz)/" | grep -qi '<html' ||
  fail "ws cannot fetch the web page through the router"
out=$("$ENSHU" exec --name $name 1 ws "timeout 20 udhcpc -i eth0 -n -q -t 3 -T 2 -s /bin/true 2>&1")
grep -q "lease of $(addr_of ws office) obtained from ${br_addr[office]}" <<<"$out" ||
  fail "DHCP from ws got no lease: $out"
pass "positive controls: probes answered by gw, ws fetches web through gw, DHCP lease for ws"

kill "$listener" 2>/dev/null || true
listener=
macs=$(jq -r '.[0].teams[0].nodes[].addresses[]' <<<"$status" | cut -d/ -f1 |
  awk -F. '{printf "52:54:%02x:%02x:%02x:%02x\n", $1, $2, $3, $4}')
"$ENSHU" down --name $name
trap - EXIT
assert_range_gone $name
assert_bridges_gone $bridges
rules=$(in_ns ebtables -t nat -L 2>/dev/null || true)
for m in $macs; do
  ! grep -qi "$m" <<<"$rules" || fail "an ebtables rule for $m remains: $(grep -i "$m" <<<"$rules")"
done
pass "down leaves no domain, network, filter, ebtables rule, bridge, overlay or process"
