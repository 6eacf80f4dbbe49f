#!/usr/bin/env bash
# End to end on real guests: two teams of three nodes each come up, every
# node has its planned address, answers the guest agent and knows its team's
# nodes by name, team 1 cannot reach team 2 (tested from inside a guest, with
# a positive control inside team 1), and `down` leaves nothing behind.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2e2t
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT

"$ENSHU" up "$HERE/three-nodes.yaml" --teams 2 --name $name --timeout 4m
pass "2 teams up"
bridges=$(range_bridges $name)
[ "$(wc -w <<<"$bridges")" -eq 4 ] || fail "expected 4 bridges, got: $bridges"
assert_bridges_in_netns $bridges
pass "4 bridges, all inside namespace $NETNS"

status=$("$ENSHU" status --name $name --json)
for team in 1 2; do
  for node in ws web gw; do
    st=$(jq -r ".[0].teams[] | select(.team==$team) | .nodes[] | select(.name==\"$node\") | .state" <<<"$status")
    live=$(jq -r ".[0].teams[] | select(.team==$team) | .nodes[] | select(.name==\"$node\") | .live" <<<"$status")
    [ "$st" = ready ] || fail "team $team $node state is '$st', not ready"
    [ "$live" = running ] || fail "team $team $node is '$live', not running"
    for addr in $(jq -r ".[0].teams[] | select(.team==$team) | .nodes[] | select(.name==\"$node\") | .addresses[]" <<<"$status"); do
      out=$("$ENSHU" exec --name $name $team $node "ip -4 -o addr show") || fail "exec on team $team $node"
      grep -q "inet $addr " <<<"$out" || fail "team $team $node lacks $addr: $out"
    done
  done
done
pass "every node answers the agent and has its planned addresses"

addr_of() { jq -r ".[0].teams[] | select(.team==$1) | .nodes[] | select(.name==\"$2\") | .addresses.$3" <<<"$status" | cut -d/ -f1; }
# Positive control: inside team 1 the workstation reaches the DMZ through the router.
"$ENSHU" exec --name $name 1 ws "ping -c 3 -W 2 $(addr_of 1 web dmz)" >/dev/null ||
  fail "team 1 ws cannot reach its own web server through its router"
"$ENSHU" exec --name $name 1 ws "timeout 10 wget -q -O - http://$(addr_of 1 web dmz)/" | grep -qi '<html' ||
  fail "team 1 ws cannot fetch its own web page"
pass "team 1 ws reaches team 1 web (ping and http)"
# Every guest knows its team's nodes by name: the names stand for the team's
# own addresses, per team.
for team in 1 2; do
  hosts=$("$ENSHU" exec --name $name $team ws "cat /etc/hosts") || fail "cannot read team $team ws's hosts"
  grep -qP "^$(addr_of $team web dmz)\tweb$" <<<"$hosts" || fail "team $team ws does not know web: $hosts"
  grep -qP "^$(addr_of $team gw dmz)\tgw-dmz$" <<<"$hosts" || fail "team $team ws does not know gw-dmz: $hosts"
done
"$ENSHU" exec --name $name 1 ws "ping -c 1 -W 2 web" >/dev/null || fail "team 1 ws cannot reach web by its name"
pass "every guest knows its team's nodes by name"
for node_seg in "ws office" "web dmz" "gw office" "gw dmz"; do
  set -- $node_seg
  target=$(addr_of 2 "$1" "$2")
  if "$ENSHU" exec --name $name 1 ws "ping -c 2 -W 1 $target" >/dev/null 2>&1; then
    fail "team 1 ws reaches team 2 $1 at $target"
  fi
  # Even with an explicit route through the host side of its bridge.
  if "$ENSHU" exec --name $name 1 ws "ip route add $target/32 via $(addr_of 1 ws office | sed 's/\.[0-9]*$/.1/') 2>/dev/null; ping -c 2 -W 1 $target" >/dev/null 2>&1; then
    fail "team 1 ws reaches team 2 $1 at $target through the host"
  fi
done
pass "team 1 cannot reach any node of team 2"

"$ENSHU" down --name $name
trap - EXIT
assert_range_gone $name
assert_bridges_gone $bridges
pass "down leaves no domain, network, bridge, overlay or process"
