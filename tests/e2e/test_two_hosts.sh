#!/usr/bin/env bash
# Two real hosts: the local libvirtd and a second one in namespace enshu2,
# reached over libvirt's remote protocol (qemu+tls, scripts/remote-host).
# Teams are placed on both; the serial console and the agent reach a guest
# on each; a host that stops answering is reported for its team while the
# other team goes on, and that team answers again once its host is back;
# `down` removes everything from both.
source "$(dirname "$0")/lib.sh"
: "${SERIAL_PROBE:?set SERIAL_PROBE to the serial_probe binary}"
require_platform
remote_host=$HERE/../../scripts/remote-host
remote=$("$remote_host" uri)
virsh -c "$remote" version >/dev/null 2>&1 ||
  fail "the second host does not answer on $remote; run scripts/setup (or scripts/remote-host)"
name=e2e2h
hosts=$ENSHU_STATE_DIR/hosts.yaml
cat > "$hosts" <<YAML
hosts:
  - {uri: 'qemu:///system', teams: 1}
  - {uri: '$remote', teams: 1}
YAML
# Whatever happens, the second host answers again and the range goes.
trap '"$remote_host" start >/dev/null 2>&1 || true; "$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT

"$ENSHU" up "$HERE/one-node.yaml" --teams 2 --hosts "$hosts" --name $name --timeout 4m >/dev/null
status=$("$ENSHU" status --name $name --json)
placed=$(jq -r '[.[0].teams[].host] | sort | join(" ")' <<<"$status")
[ "$placed" = "$(printf '%s\n' 'qemu:///system' "$remote" | sort | paste -sd ' ')" ] ||
  fail "the teams are not one on each host: $placed"
here=$(jq -r '.[0].teams[] | select(.host == "qemu:///system") | .team' <<<"$status")
there=$(jq -r --arg u "$remote" '.[0].teams[] | select(.host == $u) | .team' <<<"$status")
there_dom=$(jq -r --arg u "$remote" '.[0].teams[] | select(.host == $u) | .nodes[0].domain' <<<"$status")
[ "$(virsh -c "$remote" domstate "$there_dom" 2>/dev/null)" = running ] ||
  fail "guest $there_dom does not run on the second host"
! virsh -c qemu:///system dominfo "$there_dom" >/dev/null 2>&1 ||
  fail "guest $there_dom is on the local host too"
pgrep -f "guest=$there_dom" >/dev/null || fail "no QEMU runs guest $there_dom"
[ "$(readlink /proc/"$(pgrep -f "guest=$there_dom" | head -n 1)"/ns/net)" = \
  "$(ip netns exec enshu2 readlink /proc/self/ns/net)" ] ||
  fail "the QEMU of guest $there_dom is not in namespace enshu2"
pass "team $here on the local host, team $there on the second host (its guest in namespace enshu2)"

for t in "$here" "$there"; do
  "$SERIAL_PROBE" --reach $name "$t" ws || fail "the serial console of team $t does not reach its guest"
  [ "$("$ENSHU" exec --name $name "$t" ws 'echo $((6*7))')" = 42 ] ||
    fail "the agent of team $t's guest does not answer"
done
pass "the serial console and the agent reach the guests on both hosts"

# The second host stops answering: its team is reported, the other goes on.
"$remote_host" stop
status=$("$ENSHU" status --name $name --json)
[ "$(jq -r --argjson t "$there" '.[0].teams[] | select(.team == $t) | .nodes[0].live' <<<"$status")" = unknown ] ||
  fail "team $there's guest is not reported unknown while its host is down: $status"
[ "$(jq -r --argjson t "$here" '.[0].teams[] | select(.team == $t) | .nodes[0].live' <<<"$status")" = running ] ||
  fail "team $here's guest is not running while the other host is down: $status"
if out=$("$ENSHU" exec --name $name "$there" ws true 2>&1); then
  fail "exec on team $there succeeded although its host is down"
fi
grep -qF "$remote" <<<"$out" || fail "exec on team $there does not name its host: $out"
"$SERIAL_PROBE" --reach $name "$here" ws >/dev/null || fail "team $here's console stopped with the other host"
[ "$("$ENSHU" exec --name $name "$here" ws 'echo $((6*7))')" = 42 ] || fail "team $here stopped with the other host"
pass "a host that stops answering is reported for its team; the other team goes on"

"$remote_host" start >/dev/null
[ "$(virsh -c "$remote" domstate "$there_dom")" = running ] || fail "guest $there_dom did not survive its libvirtd"
[ "$("$ENSHU" exec --name $name "$there" ws 'echo $((6*7))')" = 42 ] ||
  fail "team $there does not answer after its host came back"
"$SERIAL_PROBE" --reach $name "$there" ws >/dev/null || fail "team $there's console does not reach its guest again"
pass "the team on the host that came back answers again"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
for kind in list net-list nwfilter-list; do
  left=$(virsh -c "$remote" $kind --all 2>/dev/null || virsh -c "$remote" $kind)
  ! grep -q "enshu-$name-" <<<"$left" || fail "the second host keeps ($kind): $left"
done
! virsh -c "$remote" vol-list enshu 2>/dev/null | grep -q "enshu-$name-" || fail "the second host keeps overlays of $name"
pass "down removes everything from both hosts"
