#!/usr/bin/env bash
# End to end on real guests, accelerated x10, two teams: each team's guest
# gets its own values of the scenario's variables (and the year from
# {{now}}), and only its own value answers the question; the internet segment
# has the same own subnet in both teams; the workstation reaches the web
# server by its DNS name through the gateway, which masquerades it (the
# server logs the gateway's address, not the workstation's); a check of two
# nodes passes, and a power check sees the workstation stopped and costs its
# penalty, as `enshu score` recomputes from the ledger.
source "$(dirname "$0")/lib.sh"
require_platform
"$ENSHU" images list firewall >/dev/null || fail "the Debian firewall image is not built"
name=e2evary
scenario="$HERE/vary-net.yaml"
ledger="$ENSHU_STATE_DIR/ranges/$name.events.db"
trap 'kill ${pid:-} 2>/dev/null || true; "$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
sql() { sqlite3 -readonly "$ledger" "$1" 2>/dev/null || true; }

"$ENSHU" run "$scenario" --teams 2 --name $name --speed 10 --for 10m --timeout 12m >"$ENSHU_STATE_DIR/run.out" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  [ "$(sql "select count(*) from events where kind='inject.fired' and subject='fetch'")" = 2 ] && break
  kill -0 $pid 2>/dev/null || fail "run ended early: $(tail -5 "$ENSHU_STATE_DIR/run.out")"
  sleep 0.5
done
v1=$("$ENSHU" exec --name $name 1 ws "cat /tmp/vary") || fail "team 1 has no /tmp/vary"
v2=$("$ENSHU" exec --name $name 2 ws "cat /tmp/vary") || fail "team 2 has no /tmp/vary"
read -r pz1 secret1 year1 <<<"$v1"
read -r pz2 secret2 _ <<<"$v2"
[ "$pz1" != "$pz2" ] && [ "$secret1" != "$secret2" ] || fail "the teams got the same values: '$v1' and '$v2'"
[ "${#secret1}" = 12 ] || fail "team 1's password is not 12 characters: $secret1"
[ "$year1" = "$(TZ=Asia/Tokyo date +%Y)" ] || fail "{{now %Y}} gave '$year1'"
vars=$(sql "select value from meta where key='team_vars'")
[ "$(jq -r '.teams[0].vars["var pz"]' <<<"$vars")" = "$pz1" ] && [ "$(jq -r '.teams[1].vars["var secret"]' <<<"$vars")" = "$secret2" ] ||
  fail "the ledger's values differ from the guests': $vars"
[ "$(jq -r '.seed | length' <<<"$vars")" = 32 ] || fail "the ledger keeps no seed: $vars"
"$ENSHU" answer --name $name 1 pz "$pz1" | grep -qi right || fail "team 1's own value was not right"
"$ENSHU" answer --name $name 2 pz "$pz1" | grep -qi wrong || fail "team 2 scored with team 1's value"
pass "per-team values differ in the guests (team 1 $pz1, team 2 $pz2), match the ledger, and grade per team"

for t in 1 2; do
  "$ENSHU" exec --name $name $t www "ip -4 -o addr show | grep -q ' 203.0.113.80/24 '" ||
    fail "team $t's www is not 203.0.113.80 on its own subnet"
  log=$("$ENSHU" exec --name $name $t www "cat /var/log/httpd/access.log")
  grep -q "203.0.113.2" <<<"$log" || fail "team $t's www did not see the gateway's address: $log"
  ! grep -q "10\.88\." <<<"$log" || fail "team $t's www saw an office address (no NAT): $log"
done
"$ENSHU" exec --name $name 1 gw "nft list table ip enshu_nat" | grep -q masquerade ||
  fail "the gateway has no enshu_nat masquerade rule"
pass "www.example.test resolves on the workstation and is reached through the gateway, masqueraded"

[ "$(sql "select count(distinct team) from events where kind='check.result' and subject='online' and value=1")" = 2 ] ||
  fail "the check of two nodes did not pass for both teams: $(sql "select team, value, text from events where subject='online'")"
for _ in $(seq 1 240); do
  [ "$(sql "select count(distinct team) from events where kind='check.result' and subject='ws-off' and value=1")" = 2 ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.5
done
[ "$(sql "select count(distinct team) from events where kind='check.result' and subject='ws-off' and value=1")" = 2 ] ||
  fail "the power check did not see the workstations stopped: $(sql "select team, value, text from events where subject='ws-off'")"
wait $pid || fail "run failed: $(tail -20 "$ENSHU_STATE_DIR/run.out")"
score=$("$ENSHU" score --db "$ledger" --json)
[ "$(jq '.teams[0].total' <<<"$score")" = 5 ] && [ "$(jq '.teams[1].total' <<<"$score")" = -5 ] ||
  fail "scores should be 10 - 5 and 0 - 5: $score"
pass "power and two-node checks: stopped workstations seen and penalised; enshu score agrees"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing"
