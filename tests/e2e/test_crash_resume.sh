#!/usr/bin/env bash
# End to end on real guests: `enshu up` killed with SIGKILL part way, then
# `down` removes exactly what exists; killed again, then `up` resumes to a
# ready range; a further `up` changes nothing.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2ecr
scenario="$HERE/three-nodes.yaml"
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT

domains_of() { virsh -c qemu:///system list --all --name | grep "^enshu-$name-" | sort || true; }

# Starts up in the background and kills it once some guest of it exists.
up_and_kill() {
  "$ENSHU" up "$scenario" --teams 2 --name $name >/dev/null 2>&1 &
  local pid=$! i
  for i in $(seq 1 300); do
    [ -n "$(domains_of)" ] && break
    kill -0 $pid 2>/dev/null || fail "up ended before it could be killed"
    sleep 0.1
  done
  kill -9 $pid
  wait $pid 2>/dev/null || true
  [ -n "$(domains_of)" ] || fail "no guest was created before the kill"
}

up_and_kill
pass "up killed with $(domains_of | wc -l) guests created"
"$ENSHU" down --name $name
trap - EXIT
assert_range_gone $name
pass "down after a killed up removes everything"

trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
up_and_kill
"$ENSHU" up "$scenario" --teams 2 --name $name --timeout 4m
[ "$(domains_of | wc -l)" -eq 6 ] || fail "resumed range has $(domains_of | wc -l) guests, not 6"
ready=$("$ENSHU" status --name $name --json | jq '[.[0].teams[].nodes[] | select(.state=="ready" and .live=="running")] | length')
[ "$ready" -eq 6 ] || fail "only $ready of 6 guests are ready after resuming"
pass "up resumes after a kill: 6 guests ready"

before=$(virsh -c qemu:///system list --name | grep "^enshu-$name-" | xargs -n1 virsh -c qemu:///system domid | sort)
"$ENSHU" up "$scenario" --teams 2 --name $name --timeout 1m
after=$(virsh -c qemu:///system list --name | grep "^enshu-$name-" | xargs -n1 virsh -c qemu:///system domid | sort)
[ "$before" = "$after" ] || fail "a repeated up restarted guests"
pass "a repeated up changes nothing"

"$ENSHU" down --name $name
trap - EXIT
assert_range_gone $name
pass "down leaves nothing"
