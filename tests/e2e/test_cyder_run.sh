#!/usr/bin/env bash
# End to end on real guests, accelerated x30: cyder-beginner for two teams.
# Team 1 responds as a good team would, through 'enshu exec': it reads the
# C2 address and the infection time from the malware file, stops the beacon,
# blackholes the C2 on the workstation, removes the malware, resets the
# stolen account's password, answers the questions ('enshu answer', picked up
# by the running engine) and has its report graded ('enshu grade'). Team 2
# does nothing but give team 1's C2 address, which is not its own. Team 1
# reaches every automatic point and its login is refused when the attacker
# comes; team 2 gets the outside notice, the attacker logs in to its file
# share and takes the confidential files to its C2. Team 2's attack steps
# then reach their bounds: its beacon gives up by itself (the workstation's
# clock is moved past the bound) and its C2's web server stops; team 2 still
# earns no objective and loses only the points of the theft. 'enshu score'
# recomputes the live totals from the ledger alone.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2ecyder
scenario="$HERE/../../scenarios/cyder-beginner.yaml"
ledger="$ENSHU_STATE_DIR/ranges/$name.events.db"
out="$ENSHU_STATE_DIR/run.out"
trap '[ -n "${pid:-}" ] && kill $pid 2>/dev/null; "$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
sql() { sqlite3 -readonly "$ledger" "$1" 2>/dev/null || true; }
x() { "$ENSHU" exec --name $name "$@"; }
# Waits until query $1 gives $2 (at most $3 seconds) while the run is alive.
wait_sql() {
  local i
  for i in $(seq 1 $(( ${3:-300} * 4 ))); do
    [ "$(sql "$1")" = "$2" ] && return 0
    kill -0 $pid 2>/dev/null || fail "run ended early: $(tail -5 "$out")"
    sleep 0.25
  done
  fail "timed out waiting for: $1 = $2"
}

start=$SECONDS
"$ENSHU" run "$scenario" --teams 2 --name $name --speed 30 --for 40m >"$out" 2>&1 &
pid=$!
wait_sql "select count(*) from events where kind='inject.fired' and subject='malware-run' and team=1" 1 400
pass "team 1's workstation is infected, $((SECONDS - start)) s after the start"

# Team 1: the beacon stopped first (the notice and the points wait on it),
# then analysis, containment, eradication and the stolen account.
x 1 ws1 "pkill -f '[i]nvoice-viewer'" || fail "cannot stop the beacon"
c2=$(x 1 ws1 "sed -n 's/^c2=//p' /home/staff/.cache/[i]nvoice-viewer.sh") || fail "cannot read the malware"
dropped=$(x 1 ws1 "stat -c %Y /home/staff/.cache/[i]nvoice-viewer.sh") || fail "cannot stat the malware"
x 1 ws1 "ip route add blackhole $c2" || fail "cannot blackhole the C2"
x 1 ws1 "rm -f /home/staff/.cache/[i]nvoice-viewer.sh" || fail "cannot remove the malware"
x 1 fs "printf 'Kumo-2026-new\nKumo-2026-new\n' | passwd staff" >/dev/null 2>&1 || fail "cannot reset the password"
pass "team 1 stopped the beacon, blocked C2 $c2, removed the malware and reset the password"

answer() { "$ENSHU" answer --name $name "$@" || true; }
when=$(date -u -d "@$dropped" +%H:%M)
[[ $(answer 1 infected-host ws1) == *right* ]] || fail "ws1 is the infected host"
[[ $(answer 1 c2-address "$c2") == *right* ]] || fail "$c2 is team 1's C2"
[[ $(answer 1 first-infection "$when") == *right* ]] || fail "the first infection was at $when"
[[ $(answer 2 c2-address "$c2") == *wrong* ]] || fail "team 1's C2 is not team 2's"
"$ENSHU" answer --name $name 1 nope x 2>/dev/null && fail "an unknown objective was accepted"
for item in 0 1 2; do
  "$ENSHU" grade --name $name 1 incident-report $item 9 >/dev/null || fail "grade of item $item refused"
done
pass "answers and grades went into the ledger of the running exercise"

# Team 2 does nothing; after its notice its beacon passes its 4-hour bound
# and its C2's web server stops, as its 'timeout' would stop it.
wait_sql "select count(*) from events where kind='inject.fired' and subject='outside-notice' and team=2" 1 300
jumped=$(sql "select max(at_ms) from events")
guest_clock_forward $name 2 ws1 $((5 * 3600)) || fail "cannot move team 2's workstation clock"
x 2 c2 "pkill -f '[h]ttpd -f -vv -p 8080'" || fail "cannot stop team 2's C2 web server"
for _ in $(seq 1 120); do
  x 2 ws1 "test -e /tmp/.beacon-gave-up && ! pgrep -f '[i]nvoice-viewer'" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || fail "run ended early: $(tail -5 "$out")"
  sleep 0.5
done
gave_up=$(sql "select max(at_ms) from events")
x 2 ws1 "test -e /tmp/.beacon-gave-up" || fail "team 2's beacon did not give up at its bound"
x 2 c2 "! pgrep -f '[h]ttpd -f -vv -p 8080'" || fail "team 2's C2 web server still runs"
[ "$gave_up" -le $(( (40 - 15) * 60000 )) ] || fail "team 2's beacon gave up at $gave_up ms, too late for the checks to see it"
pass "team 2's beacon gave up and its C2's web server stopped by exercise time $gave_up ms"

wait $pid || fail "the run failed: $(tail -20 "$out")"
pid=
grep -q "exercise ended" "$out" || fail "the exercise did not end"
pass "exercise ended after $((SECONDS - start)) s"

live1=$(sed -n 's/^team 1: \(-\?[0-9]*\) points.*/\1/p' "$out")
live2=$(sed -n 's/^team 2: \(-\?[0-9]*\) points.*/\1/p' "$out")
[ "$live1" = $((90 + 27)) ] || fail "team 1 should have every automatic point and 27 for its report, not $live1: $(sed -n '/^team 1/,/^team 2/p' "$out")"
[ "$live2" = -20 ] || fail "team 2 should have lost the 20 points of the stolen data and earned none, not $live2: $(sed -n '/^team 2/,$p' "$out")"
pass "live scores: team 1 $live1, team 2 $live2"

[ "$(sql "select group_concat(team) from events where kind='inject.fired' and subject='outside-notice'")" = 2 ] ||
  fail "the outside notice should reach team 2 only"
[ "$(sql "select group_concat(team) from events where kind='inject.fired' and subject in ('lateral-move','data-theft') order by team")" = 2,2 ] ||
  fail "the login and the theft should succeed for team 2 only: $(sql "select team, kind, subject, text from events where subject in ('lateral-move','data-theft')")"
[ "$(sql "select count(*) from events where team=1 and kind='inject.failed' and subject='lateral-move' and text like '%401%'")" = 1 ] ||
  fail "the attacker's login to team 1's share should be refused: $(sql "select kind, text from events where team=1 and subject='lateral-move'")"
[ "$(x 2 c2 'ls /tmp/c2/loot | wc -l')" = 3 ] || fail "team 2's confidential files should be on its C2"
x 2 c2 'grep -q CONFIDENTIAL /tmp/c2/loot/customers-2026.csv' || fail "team 2's C2 should hold the customer list"
[ "$(x 1 c2 'ls /tmp/c2/loot | wc -l')" = 0 ] || fail "team 1's files should not be on its C2"
pass "team 2's files went to its C2; team 1's stayed home"

c2_2=$(x 2 ws1 "sed -n 's/^c2=//p' /home/staff/.cache/[i]nvoice-viewer.sh")
[ -n "$c2_2" ] && [ "$c2_2" != "$c2" ] || fail "each team's malware should name its own C2 ($c2, $c2_2)"
x 2 c2 "grep -c 'url:/beacon' /tmp/c2/access.log" | awk '$1 >= 1 {ok=1} END {exit !ok}' ||
  fail "team 2's C2 saw no beacon"
pass "each team's malware beacons to its own C2 ($c2, $c2_2)"
# (a check's result is recorded when it changes, and again after each inject:
# beacon-stopped, failing since the beacon started, stays failing after it
# gave up by itself; a pass recorded after the start would be free points)
started=$(sql "select min(at_ms) from events where team=2 and kind='check.result' and subject='beacon-running' and value=1")
[ "$(sql "select count(*) from events where team=2 and kind='check.result' and subject='beacon-running' and value=0 and at_ms >= $jumped")" -ge 1 ] &&
  [ "$(sql "select count(*) from events where team=2 and kind='check.result' and subject='beacon-stopped' and value=1 and at_ms > $started")" = 0 ] ||
  fail "the checks did not see team 2's beacon give up: $(sql "select at_ms, subject, value, text from events where team=2 and kind='check.result'" | tr '\n' ' ')"
[ "$(sql "select count(*) from events where team=2 and kind='check.result' and subject='c2-blocked' and value=1")" = 0 ] ||
  fail "team 2's C2 should never count as blocked: $(sql "select at_ms, value, text from events where team=2 and subject='c2-blocked'" | tr '\n' ' ')"
pass "the checks saw team 2's beacon end by itself, and its silent C2 still answering"

score=$("$ENSHU" score --db "$ledger" --json)
[ "$(jq '.teams[0].total' <<<"$score")" = "$live1" ] && [ "$(jq '.teams[1].total' <<<"$score")" = "$live2" ] ||
  fail "enshu score disagrees with the live totals ($live1, $live2): $(jq -c '[.teams[].total]' <<<"$score")"
[ "$(jq '[.teams[0].objectives[] | select(.kind != "report" and .achieved)] | length' <<<"$score")" = 7 ] ||
  fail "team 1 should have achieved every automatic objective: $(jq -c '.teams[0].objectives' <<<"$score")"
assert_earned_nothing "$score" 2
[ "$(jq '.teams[1].penalties' <<<"$score")" = 20 ] ||
  fail "team 2 should have lost the theft's 20 points only: $(jq -c '.teams[1]' <<<"$score")"
pass "enshu score recomputes the live totals from the ledger alone"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing ($((SECONDS - start)) s in all)"
