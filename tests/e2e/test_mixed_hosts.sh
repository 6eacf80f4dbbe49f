#!/usr/bin/env bash
# Placement over the real local host plus simulated ones, one team each by
# capacity: whole teams land on hosts with room (the least-loaded order is
# tested on simulated hosts alone, where loads are known), and the team on
# the real host boots real guests that answer their agent.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2emix
sims="$HERE/../integration/hosts"
hosts=$ENSHU_STATE_DIR/hosts.yaml
cat > "$hosts" <<YAML
hosts:
  - {uri: 'qemu:///system', teams: 1}
  - {uri: 'test://$sims/sim1.xml', teams: 1}
  - {uri: 'test://$sims/sim2.xml', teams: 1}
YAML
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
"$ENSHU" up "$HERE/three-nodes.yaml" --teams 3 --hosts "$hosts" --name $name --timeout 4m
status=$("$ENSHU" status --name $name --json --offline)
placed=$(jq -r '[.[0].teams[].host] | sort | join(" ")' <<<"$status")
[ "$placed" = "qemu:///system test://$sims/sim1.xml test://$sims/sim2.xml" ] ||
  fail "teams are not one per host: $placed"
[ "$(jq '[.[0].teams[] | .nodes | length] | unique' -c <<<"$status")" = "[3]" ] ||
  fail "a team was split across hosts"
pass "whole teams, one per host as the capacities demand"
real=$(jq -r '.[0].teams[] | select(.host=="qemu:///system") | .team' <<<"$status")
"$ENSHU" exec --name $name "$real" web "wget -q -O - http://127.0.0.1/" | grep -qi '<html' ||
  fail "the real team's web server does not serve"
pass "the team on the real host runs real guests"
"$ENSHU" down --name $name
trap - EXIT
assert_range_gone $name
pass "down removes the real team and forgets the simulated ones"
