#!/usr/bin/env bash
# End to end on the Debian estate, accelerated x10: business-system for two
# teams. Team 1 responds as a good team would, through 'enshu exec', once
# the attacker has probed the order lookup: it finds the injected requests
# and the attacker's address in Apache's access log, quotes the search text
# in the page (the search keeps working), blocks the attacker on the
# firewall, answers every question and has its report graded. Team 2 does
# nothing: the attacker downloads its customer ledger through the page.
# Asserted: team 1 reaches every point and keeps its ledger; team 2 earns
# none of the defensive points and loses the ledger's; team 2's incident
# left its traces in the access log and the firewall's log; the local
# monitor's probes are not in the access log.
source "$(dirname "$0")/lib.sh"
require_platform
"$ENSHU" images list firewall webserver >/dev/null ||
  fail "the Debian images are not built; run 'enshu images build'"
use_range e2ebiz
scenario="$HERE/../../scenarios/business-system.yaml"

start=$SECONDS
"$ENSHU" run "$scenario" --teams 2 --name $name --speed 10 --for 60m --timeout 10m >"$out" 2>&1 &
pid=$!
wait_sql "select count(*) from events where kind='inject.fired' and subject='probe'" 2 900 ||
  fail "the attacker did not probe both teams' order lookup: $(sql "select team, kind, subject, text from events where subject in ('order-lookup', 'quiet-monitor', 'probe')")"
pass "the attacker's injection worked on both teams, $((SECONDS - start)) s after the start ($(sql "select text from events where team=1 and kind='inject.fired' and subject='probe'"))"

# Team 1: the evidence in the access log, then the fix and the block.
hit=$(x 1 web "grep -m 1 'GET /orders/?q=x%3Bid' /var/log/apache2/access.log") ||
  fail "team 1's access log lacks the injected id: $(x 1 web 'tail -n 5 /var/log/apache2/access.log')"
when=$(date -u -d "$(sed -n 's/.*\[\([^]]*\)\].*/\1/p' <<<"$hit" | sed 's|/| |g; s|:| |')" +%H:%M) ||
  fail "cannot read the time of: $hit"
# The firewall forwards without rewriting the source: the access log names the attacker.
attacker=$(awk '{print $1}' <<<"$hit")
user=$(x 1 web "ps -o user= -C apache2 | sort | uniq -c | sort -rn | awk 'NR == 1 {print \$2}'")
x 1 web "sed -i 's/\"grep -i \" \\. \$q \\. \"/\"grep -i -F -- \" . escapeshellarg(\$q) . \"/' /var/www/html/orders/index.php && grep -q escapeshellarg /var/www/html/orders/index.php" ||
  fail "cannot fix the order lookup"
x 1 gw "nft add element inet filter blocked { $attacker }" || fail "cannot block the attacker on the firewall"
pass "team 1 fixed the page and blocked $attacker"

answer() { "$ENSHU" answer --name $name "$@" || true; }
[[ $(answer 1 attacker-address "$attacker") == *right* ]] || fail "$attacker is team 1's attacker"
[[ $(answer 1 parameter q) == *right* ]] || fail "q is the parameter"
[[ $(answer 1 first-probe "$when") == *right* ]] || fail "the first injection was at $when ($hit)"
[[ $(answer 1 run-as "$user") == *right* ]] || fail "the injected commands ran as $user"
[[ $(answer 2 attacker-address "$attacker") == *wrong* ]] || fail "team 1's attacker is not team 2's"
for item in 0 1 2; do
  "$ENSHU" grade --name $name 1 incident-report $item 10 >/dev/null || fail "grade of item $item refused"
done
pass "team 1's answers, read from the real logs, are right"

wait_sql "select count(*) from events where team=2 and kind='inject.fired' and subject='data-theft'" 1 600 ||
  fail "the attacker did not take team 2's ledger: $(sql "select kind, text from events where team=2 and subject='data-theft'")"
pass "the attacker took team 2's ledger: $(sql "select text from events where team=2 and kind='inject.fired' and subject='data-theft'")"
wait $pid || fail "the run failed: $(tail -20 "$out")"
pid=
grep -q "exercise ended" "$out" || fail "the exercise did not end"
[ "$(sql "select count(*) from events where team=1 and kind='inject.fired' and subject='data-theft'")" = 0 ] ||
  fail "team 1 fixed the page in time, yet the attacker took its ledger"
[ "$(x 1 attacker 'ls /tmp/loot 2>/dev/null | wc -l')" = 0 ] || fail "team 1's ledger should not be on its attacker"
pass "exercise ended after $((SECONDS - start)) s"

# The traces of team 2's incident, in the real logs.
attacker_2=$(x 2 attacker "ip -4 -o addr show eth0" | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p')
web_2=$(x 2 web "hostname -I" | awk '{print $1}')
x 2 web "grep -q '^$attacker_2 .*GET /orders/?q=x%3Bls.*customers.csv[^ ]* HTTP/1.1\" 200' /var/log/apache2/access.log" ||
  fail "team 2's access log lacks the download: $(x 2 web 'tail -n 5 /var/log/apache2/access.log')"
x 2 gw "grep -q 'fw-forward: .*SRC=$attacker_2 DST=$web_2 .*DPT=80 ' /var/log/firewall.log" ||
  fail "team 2's firewall log lacks the attacker's connection"
# The monitor's first probes come before quiet-monitor: none after the attack's first line.
! x 2 web "sed -n '/^$attacker_2 /,\$p' /var/log/apache2/access.log | grep -q '^127.0.0.1 '" ||
  fail "the local monitor's probes are among the attack's lines in team 2's access log"
[ "$(x 2 attacker "grep -c '^10[0-9][0-9],' /tmp/loot/orders.html")" = 6 ] || fail "team 2's six customers are not on its attacker"
pass "team 2's incident is in its access log and firewall log; its ledger is on the attacker"

live1=$(sed -n 's/^team 1: \(-\?[0-9]*\) points.*/\1/p' "$out")
live2=$(sed -n 's/^team 2: \(-\?[0-9]*\) points.*/\1/p' "$out")
[ "$live1" = 105 ] || fail "team 1 should have every point (75 automatic, 30 for its report), not $live1: $(sed -n '/^team 1/,/^team 2/p' "$out")"
[ "$live2" = -20 ] || fail "team 2 should have lost the 20 points of the ledger and earned none, not $live2: $(sed -n '/^team 2/,$p' "$out")"
score=$("$ENSHU" score --db "$ledger" --json)
assert_earned_nothing "$score" 2
[ "$(jq '[.teams[0].objectives[] | select(.kind == "check" and .achieved)] | length' <<<"$score")" = 2 ] ||
  fail "team 1 should have achieved every defensive objective: $(jq -c '.teams[0].objectives' <<<"$score")"
pass "live scores: team 1 $live1, team 2 $live2"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing ($((SECONDS - start)) s in all)"
