#!/usr/bin/env bash
# End to end on a real guest: the serial console bridge (serial_probe, built
# from serial_probe.c) types into a guest's ttyS0 and reads the output, with
# two viewers, paused under heavy output, one of two viewers paused while the
# other reads (the guest goes on, the paused one is closed past its bound),
# closed from another thread, taken over by another client, and ended by the
# guest dying (virsh destroy).
source "$(dirname "$0")/lib.sh"
: "${SERIAL_PROBE:?set SERIAL_PROBE to the serial_probe binary}"
require_platform
name=e2econ
victim=enshu-$name-t01-ws
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT

"$ENSHU" up "$HERE/one-node.yaml" --teams 1 --name $name --timeout 4m >/dev/null
pass "a one-node range is up"

out=$ENSHU_STATE_DIR/probe.out
"$SERIAL_PROBE" $name 1 ws >"$out" 2>&1 &
probe=$!
destroyed=0
while kill -0 $probe 2>/dev/null; do
  if [ $destroyed = 0 ] && grep -q "^probe: waiting for the guest to stop" "$out"; then
    virsh -c qemu:///system destroy $victim >/dev/null || fail "could not destroy $victim"
    destroyed=1
  fi
  sleep 0.2
done
status=0
wait $probe || status=$?
cat "$out"
[ $status = 0 ] || fail "serial_probe failed (exit $status)"
[ $destroyed = 1 ] || fail "serial_probe never asked for the guest to be destroyed"
pass "serial console bridge on a real guest"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing"
