#!/usr/bin/env bash
# Placement over the real local host plus simulated ones: whole teams go to
# the least loaded host that has room; the team on the real host boots real
# guests that answer their agent.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2emix
sims="$HERE/../integration/hosts"
hosts=$ENSHU_STATE_DIR/hosts.yaml
cat > "$hosts" <<YAML
hosts:
  - {uri: 'qemu:///system', teams: 1}
  - {uri: 'test://$sims/sim1.xml'}
  - {uri: 'test://$sims/sim2.xml'}
YAML
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
"$ENSHU" up "$HERE/three-nodes.yaml" --teams 3 --hosts "$hosts" --name $name --timeout 4m
status=$("$ENSHU" status --name $name --json --offline)
host_of() { jq -r ".[0].teams[] | select(.team==$1) | .host" <<<"$status"; }
[ "$(host_of 1)" = "qemu:///system" ] || fail "team 1 is on $(host_of 1)"
[ "$(host_of 2)" = "test://$sims/sim1.xml" ] || fail "team 2 is on $(host_of 2)"
[ "$(host_of 3)" = "test://$sims/sim2.xml" ] || fail "team 3 is on $(host_of 3)"
pass "teams placed least loaded first: local, sim1, sim2"
"$ENSHU" exec --name $name 1 web "wget -q -O - http://127.0.0.1/" | grep -qi '<html' ||
  fail "the real team's web server does not serve"
pass "the team on the real host runs real guests"
"$ENSHU" down --name $name
trap - EXIT
assert_range_gone $name
pass "down removes the real team and forgets the simulated ones"
