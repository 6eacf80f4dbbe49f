#!/usr/bin/env bash
# End to end on real guests: a guest that dies while its range comes up is
# reported by name with where to look, and the same `up` run again starts it
# and completes the range.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2edie
victim=enshu-$name-t01-web
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT

"$ENSHU" up "$HERE/three-nodes.yaml" --teams 1 --name $name --timeout 4m >"$ENSHU_STATE_DIR/up.out" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ "$(virsh -c qemu:///system domstate $victim 2>/dev/null)" = running ] && break
  sleep 0.1
done
virsh -c qemu:///system destroy $victim >/dev/null || fail "could not kill $victim"
if wait $pid; then fail "up succeeded although $victim died"; fi
grep -q "guest $victim stopped while starting; see /var/log/libvirt/qemu/$victim.log" "$ENSHU_STATE_DIR/up.out" ||
  fail "up did not name the dead guest: $(cat "$ENSHU_STATE_DIR/up.out")"
grep -q "Run the same 'enshu up' again to resume" "$ENSHU_STATE_DIR/up.out" || fail "up did not say how to go on"
pass "a guest dying during up is reported by name"

"$ENSHU" up "$HERE/three-nodes.yaml" --teams 1 --name $name --timeout 4m >/dev/null
[ "$(virsh -c qemu:///system domstate $victim)" = running ] || fail "$victim was not started again"
"$ENSHU" exec --name $name 1 web true || fail "$victim does not answer after the resumed up"
pass "up again restarts it and completes the range"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing"
