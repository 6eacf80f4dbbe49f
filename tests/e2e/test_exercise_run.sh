#!/usr/bin/env bash
# End to end on real guests, accelerated x30: the introductory exercise for
# two teams. Team 1 stops the beacon as soon as it appears and scores for it;
# team 2 does nothing and gets the outside notice that only a beacon still
# running after 20 minutes triggers. Then its beacon reaches its bound (the
# workstation's clock is moved past it) and gives up by itself: for the 20
# minutes of checks or more left, team 2 earns nothing for it (it once got the 20 points
# of "Stop the beacon" so). The engine is killed with SIGKILL part way and
# restarted: it resumes, no inject runs twice, and `enshu score` recomputes
# from the ledger exactly the totals shown live.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2erun
scenario="$HERE/../../scenarios/intro-office.yaml"
ledger="$ENSHU_STATE_DIR/ranges/$name.events.db"
run=("$ENSHU" run "$scenario" --teams 2 --name $name --speed 30 --for 60m)
trap 'kill $defender ${pid:-} 2>/dev/null || true; "$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
sql() { sqlite3 -readonly "$ledger" "$1" 2>/dev/null || true; }

# Team 1 defends: it kills the beacon on its workstation once it shows up.
(
  for _ in $(seq 1 900); do
    if "$ENSHU" exec --name $name 1 ws1 "pgrep -f '[u]pdater.sh'" >/dev/null 2>&1; then
      "$ENSHU" exec --name $name 1 ws1 "pkill -f '[u]pdater.sh'" >/dev/null 2>&1 && exit 0
    fi
    sleep 0.5
  done
) &
defender=$!

"${run[@]}" >"$ENSHU_STATE_DIR/run1.out" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  [ "$(sql "select count(*) from events where kind='inject.fired' and subject='beacon-start'")" = 2 ] && break
  kill -0 $pid 2>/dev/null || fail "run ended early: $(tail -5 "$ENSHU_STATE_DIR/run1.out")"
  sleep 0.25
done
kill -9 $pid
wait $pid 2>/dev/null || true
at_kill=$(sql "select max(at_ms) from events")
pass "engine killed at exercise time ${at_kill} ms, both beacons started"

"${run[@]}" >"$ENSHU_STATE_DIR/run2.out" 2>&1 &
pid=$!
for _ in $(seq 1 1200); do
  [ "$(sql "select count(*) from events where kind='inject.fired' and subject='outside-notice'")" = 1 ] && break
  kill -0 $pid 2>/dev/null || fail "resumed run ended early: $(tail -5 "$ENSHU_STATE_DIR/run2.out")"
  sleep 0.25
done
jumped=$(sql "select max(at_ms) from events")
guest_clock_forward $name 2 ws1 $((9 * 3600)) || fail "cannot move team 2's workstation clock"
for _ in $(seq 1 120); do
  "$ENSHU" exec --name $name 2 ws1 "test -e /tmp/.beacon-gave-up && ! pgrep -f '[u]pdater.sh'" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || fail "resumed run ended early: $(tail -5 "$ENSHU_STATE_DIR/run2.out")"
  sleep 0.5
done
gave_up=$(sql "select max(at_ms) from events")
"$ENSHU" exec --name $name 2 ws1 "test -e /tmp/.beacon-gave-up" || fail "team 2's beacon did not give up at its bound"
[ "$gave_up" -le $(( (60 - 20) * 60000 )) ] || fail "team 2's beacon gave up at $gave_up ms, too late for the checks to see it"
pass "team 2's beacon gave up by itself at exercise time $gave_up ms"
wait $pid || fail "resumed run failed: $(tail -20 "$ENSHU_STATE_DIR/run2.out")"
pid=
grep -q "exercise ended" "$ENSHU_STATE_DIR/run2.out" || fail "the exercise did not end"
grep -q "^team 1: 20 points" "$ENSHU_STATE_DIR/run2.out" || fail "team 1 did not score for stopping its beacon: $(grep '^team' "$ENSHU_STATE_DIR/run2.out")"
grep -q "^team 2: 0 points" "$ENSHU_STATE_DIR/run2.out" || fail "team 2 scored without acting"
pass "live scores: team 1 20 (stopped its beacon), team 2 0"

[ "$(sql "select group_concat(team) from events where kind='inject.fired' and subject='outside-notice'")" = 2 ] ||
  fail "the outside notice should reach team 2 only"
pass "the data-leak notice came for the passive team only"
# (a check's result is recorded when it changes, and again after each inject)
# beacon-stopped was failing since the beacon started; it stays failing
# after the beacon gave up by itself (so it need not be recorded again),
# and a pass recorded after the beacon started would be the free points.
started=$(sql "select min(at_ms) from events where team=2 and kind='check.result' and subject='beacon-running' and value=1")
[ "$(sql "select count(*) from events where team=2 and kind='check.result' and subject='beacon-running' and value=0 and at_ms >= $jumped")" -ge 1 ] &&
  [ "$(sql "select count(*) from events where team=2 and kind='check.result' and subject='beacon-stopped' and value=1 and at_ms > $started")" = 0 ] ||
  fail "the checks did not see team 2's beacon give up: $(sql "select at_ms, subject, value, text from events where team=2 and kind='check.result'" | tr '\n' ' ')"
pass "the checks saw team 2's beacon end by itself, and scored nothing for it"
[ "$(sql "select count(*) from (select team, subject from events where kind in ('inject.fired','inject.failed') group by team, subject having count(*) > 1)")" = 0 ] ||
  fail "an inject ran twice for a team"
[ "$(sql "select min(at_ms) from events where seq > (select max(seq) from events where at_ms <= $at_kill)")" -ge "$at_kill" ] ||
  fail "the exercise clock went back after the restart"
pass "after the restart: no inject twice, the clock went on"

"$ENSHU" timeline --name $name --team 1 | grep -qE "outside-notice +did not fire: the exercise ended first \(it was waiting for check beacon-running failing since T\+" ||
  fail "the timeline does not say why team 1 got no outside notice: $("$ENSHU" timeline --name $name --team 1)"
"$ENSHU" timeline --name $name --team 2 | grep -qE "outside-notice +fired at T\+" ||
  fail "the timeline does not show team 2's outside notice"
pass "enshu timeline says why team 1's notice never came"

score=$("$ENSHU" score --db "$ledger" --json)
[ "$(jq '.teams[0].total' <<<"$score")" = 20 ] && [ "$(jq '.teams[1].total' <<<"$score")" = 0 ] ||
  fail "enshu score disagrees with the live totals: $score"
assert_earned_nothing "$score" 2
pass "enshu score recomputes the live totals from the ledger"

# No guest log holds what the injects and checks ran: a trainee reading them
# would see the attack and how it is scored. The needles come from the
# scenario's file and run injects and its checks, and none is in a command
# this test runs itself through `enshu exec` (which goes through the agent
# too). The boot lines of the kernel and of syslogd show the logs were read.
needles=("/tmp/updater.sh" "nohup" "the beacon gave up by itself" "wget -q -O - http://127.0.0.1/")
for team in 1 2; do
  for node in ws1 web gw c2; do
    logs=$("$ENSHU" exec --name $name $team $node \
      'for f in /var/log/* /var/log/*/* /run/qemu-ga.log; do [ -f "$f" ] && cat "$f"; done; dmesg; logread 2>/dev/null; true') ||
      fail "cannot read the logs of team $team's $node"
    grep -q "Linux version" <<<"$logs" || fail "team $team's $node: dmesg was not read"
    [ $node = c2 ] || grep -q "syslogd started" <<<"$logs" || fail "team $team's $node: the syslog was not read"
    for needle in "${needles[@]}"; do
      ! grep -F -- "$needle" <<<"$logs" >&2 || fail "team $team's $node logs '$needle' (above)"
    done
  done
done
pass "no guest log holds a command or file path of an inject or check"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
kill $defender 2>/dev/null || true
assert_range_gone $name
pass "down leaves nothing"
