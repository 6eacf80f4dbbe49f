#!/usr/bin/env bash
# Two real hosts: the local libvirtd and a second one in namespace enshu2,
# reached over libvirt's remote protocol (qemu+tls, scripts/remote-host).
# An exercise runs with one team on each; the serial console and the agent
# reach a guest on each; the second host stops answering mid-exercise: it
# is reported for its team while the other team's checks go on, and once
# it is back the running exercise sees its team again; `down` removes
# everything from both.
source "$(dirname "$0")/lib.sh"
: "${SERIAL_PROBE:?set SERIAL_PROBE to the serial_probe binary}"
require_platform
remote_host=$HERE/../../scripts/remote-host
remote=$("$remote_host" uri)
virsh -c "$remote" version >/dev/null 2>&1 ||
  fail "the second host does not answer on $remote; run scripts/setup (or scripts/remote-host)"
name=e2e2h
hosts=$ENSHU_STATE_DIR/hosts.yaml
ledger=$ENSHU_STATE_DIR/ranges/$name.events.db
cat > "$hosts" <<YAML
hosts:
  - {uri: 'qemu:///system', teams: 1}
  - {uri: '$remote', teams: 1}
YAML
# Whatever happens, the second host answers again and the range goes.
trap 'kill ${run:-} 2>/dev/null || true; "$remote_host" start >/dev/null 2>&1 || true
      "$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
# How often team $1's marker check was recorded with value $2.
marker_seen() { sql "select count(*) from events where kind='check.result' and subject='marker' and team=$1 and value=$2"; }
# Waits up to $1 seconds until team $2's marker check was recorded $4 times with value $3.
wait_marker() {
  local i
  for i in $(seq 1 $(($1 * 4))); do
    [ "$(marker_seen "$2" "$3")" = "$4" ] && return 0
    kill -0 "$run" 2>/dev/null || fail "the exercise ended early: $(tail -5 "$ENSHU_STATE_DIR/run.out")"
    sleep 0.25
  done
  fail "team $2's check was not recorded as $3 (seen $(marker_seen "$2" "$3") times, want $4)"
}
answer() { "$ENSHU" exec --name $name "$1" ws 'echo $((6*7))' 2>&1; }

"$ENSHU" run "$HERE/two-hosts.yaml" --teams 2 --hosts "$hosts" --name $name --for 1h \
  >"$ENSHU_STATE_DIR/run.out" 2>&1 &
run=$!
wait_marker 240 1 0 1
wait_marker 30 2 0 1
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
qemu=$(pgrep -f "guest=$there_dom" | head -n 1)
[ -n "$qemu" ] && [ "$(ip netns identify "$qemu")" = "${ENSHU_REMOTE_NETNS:-enshu2}" ] ||
  fail "the QEMU of guest $there_dom is not in namespace ${ENSHU_REMOTE_NETNS:-enshu2}"
pass "an exercise runs with team $here on the local host, team $there on the second (namespace enshu2)"

for t in "$here" "$there"; do
  "$SERIAL_PROBE" --reach $name "$t" ws || fail "the serial console of team $t does not reach its guest"
  [ "$(answer "$t")" = 42 ] || fail "the agent of team $t's guest does not answer"
  "$ENSHU" exec --name $name "$t" ws 'echo up > /tmp/marker'
done
wait_marker 30 "$here" 1 1
wait_marker 30 "$there" 1 1
pass "the serial console, the agent and the checks reach the guests on both hosts"

# Mid-exercise, the second host stops answering.
"$remote_host" stop
status=$("$ENSHU" status --name $name --json)
[ "$(jq -r --argjson t "$there" '.[0].teams[] | select(.team == $t) | .nodes[0].live' <<<"$status")" = unknown ] ||
  fail "team $there's guest is not reported unknown while its host is down: $status"
[ "$(jq -r --argjson t "$here" '.[0].teams[] | select(.team == $t) | .nodes[0].live' <<<"$status")" = running ] ||
  fail "team $here's guest is not running while the other host is down: $status"
if out=$(answer "$there"); then fail "exec on team $there succeeded although its host is down"; fi
grep -qF "$remote" <<<"$out" || fail "exec on team $there does not name its host: $out"
"$SERIAL_PROBE" --reach $name "$here" ws >/dev/null || fail "team $here's console stopped with the other host"
"$ENSHU" exec --name $name "$here" ws 'rm /tmp/marker'
wait_marker 30 "$here" 0 2
[ "$(marker_seen "$there" 0)" = 1 ] || fail "team $there's check was recorded failing while its host was down"
pass "a host that stops answering is reported for its team; the other team's exercise goes on"

"$remote_host" start >/dev/null
[ "$(virsh -c "$remote" domstate "$there_dom")" = running ] || fail "guest $there_dom did not outlive its libvirtd"
[ "$(answer "$there")" = 42 ] || fail "team $there does not answer after its host came back"
"$SERIAL_PROBE" --reach $name "$there" ws >/dev/null || fail "team $there's console does not reach its guest again"
"$ENSHU" exec --name $name "$there" ws 'rm /tmp/marker'
wait_marker 30 "$there" 0 2
pass "once its host is back, the running exercise reaches team $there again"

kill -INT $run
wait $run || true
run=
"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
for kind in list net-list nwfilter-list; do
  left=$(virsh -c "$remote" $kind --all 2>/dev/null || virsh -c "$remote" $kind)
  ! grep -q "enshu-$name-" <<<"$left" || fail "the second host keeps ($kind): $left"
done
! virsh -c "$remote" vol-list enshu 2>/dev/null | grep -q "enshu-$name-" || fail "the second host keeps overlays of $name"
pass "down removes everything from both hosts"
