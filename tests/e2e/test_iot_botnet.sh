#!/usr/bin/env bash
# End to end, accelerated x10: iot-botnet for two teams. Team 1 responds as a
# good team would, through 'enshu exec': it finds the bot and its C2 on the
# camera, stops the bots on both devices, changes the camera's factory
# password and turns telnet off on the recorder, removes the firewall's
# telnet forwarding, blocks the C2 there, answers every question from the
# real logs (the firewall's log, the processes and logins on the devices) and has its report
# graded. Team 2 does nothing: its devices stay in the botnet and the ISP
# writes to it. Asserted: team 1 reaches every point and gets no notice;
# team 2 earns none of the defensive points and gets the notice; team 2's
# incident left its traces in the firewall's log, the devices' login
# records and the C2's log.
# The Debian guests are restored from warm templates (--warm; scripts/test
# makes them ahead with 'enshu images warm'), the others boot.
source "$(dirname "$0")/lib.sh"
require_platform
"$ENSHU" images list firewall >/dev/null || fail "the Debian images are not built; run 'enshu images build'"
use_range e2eiot
scenario="$HERE/../../scenarios/iot-botnet.yaml"
# The address of team $1's node $2 on its first NIC.
addr_of() { x "$1" "$2" "ip -4 -o addr show eth0" | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p'; }

start=$SECONDS
"$ENSHU" run "$scenario" --teams 2 --name $name --speed 10 --for 18m --timeout 10m --warm >"$out" 2>&1 &
pid=$!
wait_sql "select count(*) from events where kind='inject.fired' and subject='infect-cam2'" 2 600 ||
  fail "the bots did not reach both teams' recorders: $(sql "select team, subject, text from events where subject like 'infect-%'")"
pass "both teams' camera and recorder joined the botnet, $((SECONDS - start)) s after the start"

# Team 1: the evidence first, then containment.
c2=$(x 1 cam1 "sed -n 's/^c2=//p' /tmp/.dvrHelper") || fail "cannot read the bot on team 1's camera"
[ -n "$c2" ] || fail "the bot on team 1's camera names no C2"
cam1=$(addr_of 1 cam1)
first=$(x 1 gw "grep -m 1 'fw-forward: .*DST=$cam1 .*DPT=23 ' /var/log/firewall.log") ||
  fail "team 1's firewall log shows no telnet connection to the camera $cam1"
when=$(date -u -d "$(awk '{print $1}' <<<"$first")" +%H:%M) || fail "cannot read the time of: $first"
port=$(x 1 gw "nft list table ip nat" | sed -n 's/.*tcp dport \([0-9]*\) dnat.*/\1/p')
user=$(x 1 cam1 "ps" | awk '/[d]vrHelper/ {print $2; exit}')
[ "$user" = admin ] || fail "the bot on team 1's camera should run as admin: $(x 1 cam1 ps)"
for node in cam1 cam2; do
  x 1 $node "pkill -f '[d]vrHelper'; rm -f /tmp/.[d]vrHelper" || fail "cannot stop the bot on team 1's $node"
done
x 1 cam1 "printf 'Hinoki-cam-2026\nHinoki-cam-2026\n' | passwd admin" >/dev/null || fail "cannot change the camera's password"
x 1 cam2 "pkill telnetd" || fail "cannot turn telnet off on the recorder"
x 1 gw "nft flush chain ip nat prerouting && nft add element inet filter blocked { $c2 }" ||
  fail "cannot close the forwarding and block the C2 on the firewall"
pass "team 1 stopped both bots, retired the factory login, closed telnet port $port and blocked C2 $c2"

answer() { "$ENSHU" answer --name $name "$@" || true; }
[[ $(answer 1 infected-devices "cam1, cam2") == *right* ]] || fail "cam1 and cam2 are infected"
[[ $(answer 1 way-in "$port") == *right* ]] || fail "port $port let the attacker in"
[[ $(answer 1 login-used "$user") == *right* ]] || fail "$user is the account used"
[[ $(answer 1 c2-address "$c2") == *right* ]] || fail "$c2 is team 1's C2"
[[ $(answer 1 first-login "$when") == *right* ]] || fail "the first login was at $when ($first)"
[[ $(answer 2 c2-address "$c2") == *wrong* ]] || fail "team 1's C2 is not team 2's"
for item in 0 1 2; do
  "$ENSHU" grade --name $name 1 incident-report $item 10 >/dev/null || fail "grade of item $item refused"
done
pass "team 1's answers, read from the real logs, are right"

wait_sql "select count(*) from events where team=2 and kind='inject.fired' and subject='isp-notice'" 1 400 ||
  fail "the ISP did not write to team 2"
pass "the ISP wrote to team 2 about its scanning devices"
wait $pid || fail "the run failed: $(tail -20 "$out")"
pid=
grep -q "exercise ended" "$out" || fail "the exercise did not end"
[ "$(sql "select count(*) from events where team=1 and subject='isp-notice' and kind='inject.fired'")" = 0 ] ||
  fail "team 1 named its infected devices, yet the ISP wrote to it"
pass "exercise ended after $((SECONDS - start)) s"

# The traces of team 2's incident, in the real logs.
cam1_2=$(addr_of 2 cam1)
cam2_2=$(addr_of 2 cam2)
c2_2=$(x 2 cam2 "sed -n 's/^c2=//p' /tmp/.dvrHelper")
x 2 gw "grep -q 'fw-forward: .*SRC=$c2_2 DST=$cam1_2 .*DPT=23 ' /var/log/firewall.log" ||
  fail "team 2's firewall log lacks the scanner's telnet login to the camera"
x 2 gw "grep -q 'fw-forward: .*SRC=$cam2_2 DST=$c2_2 .*DPT=8080 ' /var/log/firewall.log" ||
  fail "team 2's firewall log lacks the recorder's check-in with the C2"
x 2 cam1 "last" | grep -q "^admin .*$c2_2" || fail "team 2's camera has no login of admin from $c2_2: $(x 2 cam1 last)"
x 2 cam2 "last" | grep -q "^admin .*$cam1_2" || fail "team 2's recorder has no login of admin from the camera $cam1_2: $(x 2 cam2 last)"
x 2 c2 "grep -q 'url:/cnc' /tmp/c2/access.log" || fail "team 2's C2 logged no check-in of its bots"
x 2 cam1 "pgrep -f '[d]vrHelper' >/dev/null && ! test -e /tmp/.dvr-gave-up" || fail "team 2's bot should still run on its own"
pass "team 2's incident is in its firewall's log, its devices' login records and the C2's log"

live1=$(sed -n 's/^team 1: \(-\?[0-9]*\) points.*/\1/p' "$out")
live2=$(sed -n 's/^team 2: \(-\?[0-9]*\) points.*/\1/p' "$out")
[ "$live1" = 140 ] || fail "team 1 should have every point (110 automatic, 30 for its report), not $live1: $(sed -n '/^team 1/,/^team 2/p' "$out")"
[ "$live2" = 0 ] || fail "team 2 should have earned nothing and lost nothing, not $live2: $(sed -n '/^team 2/,$p' "$out")"
score=$("$ENSHU" score --db "$ledger" --json)
assert_earned_nothing "$score" 2
[ "$(jq '[.teams[0].objectives[] | select(.kind == "check" and .achieved)] | length' <<<"$score")" = 6 ] ||
  fail "team 1 should have achieved every defensive objective: $(jq -c '.teams[0].objectives' <<<"$score")"
pass "live scores: team 1 $live1, team 2 $live2"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing ($((SECONDS - start)) s in all)"
