#!/usr/bin/env bash
# End to end on the Debian estate, accelerated x10: cyder-standard for two
# teams. Team 1 responds as a good team would, through 'enshu exec': it stops
# the beacon on the desktop, finds the C2 from the malware and the firewall's
# log, blocks it in the firewall's blocked set, removes the malware, changes
# the stolen account's password (system and Samba), answers every question
# from the real logs and has its report graded. Team 2 does nothing: the
# attacker takes its accounting folder over SMB with the stolen account.
# Asserted: team 1 reaches every point; team 2 earns none of the defensive
# points and loses the theft's; every step of team 2's incident left its
# traces in the real logs (Postfix and Dovecot in mail.log, the firewall's
# log, Samba's audit log, the central log server); and no guest log of
# either team holds an inject's or a check's command text.
# The Debian guests are restored from warm templates (--warm; scripts/test
# makes them ahead with 'enshu images warm'), the others boot.
source "$(dirname "$0")/lib.sh"
require_platform
"$ENSHU" images list firewall mailserver fileserver logserver desktop >/dev/null ||
  fail "the Debian images are not built; run 'enshu images build'"
use_range e2estd
scenario="$HERE/../../scenarios/cyder-standard.yaml"

start=$SECONDS
# The theft comes 20 min after the malware runs (about T+32m at x10 on a busy
# host) and takes minutes of exercise time over SMB; the run is paused once
# the data-kept check has seen it, well before its 90 min.
"$ENSHU" run "$scenario" --teams 2 --name $name --speed 10 --for 90m --timeout 8m --warm >"$out" 2>&1 &
pid=$!
# What the mail server and the firewall saw, when a team's mail does not arrive.
mail_trouble() {
  local t
  for t in 1 2; do
    echo "team $t: $(sql "select kind, text from events where team=$t and subject in ('publish-mail','phish-mail','malware-drop')" | tr '\n' ' ')"
    x $t mail "tail -n 15 /var/log/mail.log" 2>&1 | sed "s/^/  team $t mail: /"
    x $t gw "nft list table ip nat; tail -n 5 /var/log/firewall.log" 2>&1 | sed "s/^/  team $t gw: /"
  done >&2
}
wait_sql "select count(*) from events where kind='inject.fired' and subject='malware-run'" 2 900 ||
  { mail_trouble; fail "the desktops were not both infected"; }
pass "both teams' desktops are infected, $((SECONDS - start)) s after the start"
for t in 1 2; do
  [ "$(sql "select count(*) from events where team=$t and kind='inject.fired' and subject='phish-mail' and text like 'sent <%'")" = 1 ] ||
    fail "team $t's mail was not sent: $(sql "select kind, text from events where team=$t and subject='phish-mail'")"
done

# Team 1: the beacon first (the notice and the points wait on it), then the
# analysis from the real logs, containment and the stolen account.
x 1 pc1 "pkill -f '[i]nvoice-tool'" || fail "cannot stop the beacon"
domain=$(x 1 pc1 "sed -n 's/^c2=//p' /home/alice/Downloads/[i]nvoice-tool.sh") || fail "cannot read the malware"
c2=$(x 1 pc1 "getent hosts $domain" | awk '{print $1}')
[ -n "$c2" ] || fail "team 1's desktop cannot resolve $domain"
first=$(x 1 gw "grep -m 1 'fw-forward: .*DST=$c2 ' /var/log/firewall.log") ||
  fail "team 1's firewall log shows no connection to the C2 $c2"
when=$(date -u -d "$(awk '{print $1}' <<<"$first")" +%H:%M) || fail "cannot read the time of: $first"
sender=$(x 1 mail "grep -o 'from=<[^>]*@kumo-supply.example>' /var/log/mail.log | head -n 1" | sed 's/^from=<\(.*\)>$/\1/')
[ -n "$sender" ] || fail "team 1's mail log shows no mail from the supplier's domain"
x 1 gw "nft add element inet filter blocked { $c2 }" || fail "cannot block the C2 on the firewall"
x 1 pc1 "rm -f /home/alice/Downloads/[i]nvoice-tool.sh" || fail "cannot remove the malware"
x 1 files "printf 'Shirakaba-2026-new\n' | enshu-user set alice" >/dev/null || fail "cannot change alice's password"
pass "team 1 stopped the beacon, blocked C2 $c2 ($domain) on the firewall, removed the malware and changed the password"

answer() { "$ENSHU" answer --name $name "$@" || true; }
[[ $(answer 1 infected-host pc1) == *right* ]] || fail "pc1 is the infected host"
[[ $(answer 1 phish-sender "$sender") == *right* ]] || fail "$sender sent the mail"
[[ $(answer 1 c2-address "$c2") == *right* ]] || fail "$c2 is team 1's C2"
[[ $(answer 1 first-beacon "$when") == *right* ]] || fail "the first beacon went out at $when ($first)"
[[ $(answer 1 stolen-account alice) == *right* ]] || fail "alice's login was stolen"
[[ $(answer 2 c2-address "$c2") == *wrong* ]] || fail "team 1's C2 is not team 2's"
for item in 0 1 2; do
  "$ENSHU" grade --name $name 1 incident-report $item 9 >/dev/null || fail "grade of item $item refused"
done
pass "team 1's answers, read from the real logs, are right"

# Team 2 does nothing: the attacker takes its accounting folder.
wait_sql "select count(*) from events where team=2 and kind='inject.fired' and subject='lateral-move'" 1 900 ||
  fail "the attacker did not take team 2's folder: $(sql "select kind, text from events where team=2 and subject='lateral-move'")"
pass "the attacker took team 2's accounting folder ($(sql "select text from events where team=2 and kind='inject.fired' and subject='lateral-move'"))"

# The story is told once team 2's data-kept check has seen its data leave
# and team 1's defences have been seen to hold: the run is paused there.
wait_sql "select count(*) > 0 from events where team=2 and kind='check.result' and subject='data-kept' and value=0" 1 300 ||
  fail "team 2's data-kept check did not see its data leave"
for c in beacon-stopped c2-blocked malware-removed password-changed; do
  wait_sql "select count(*) > 0 from events where team=1 and kind='check.result' and subject='$c' and value=1" 1 300 ||
    fail "team 1's check $c should pass"
done
kill -INT $pid
wait $pid || fail "the run failed: $(tail -20 "$out")"
pid=
grep -q "interrupted: the exercise is paused" "$out" || fail "the exercise was not paused: $(tail -5 "$out")"
pass "the exercise was paused after $((SECONDS - start)) s"

# The traces of team 2's incident, in the real services' logs.
pc1_2=$(x 2 pc1 "hostname -I" | awk '{print $1}')
c2_2=$(x 2 pc1 "getent hosts update.kumo-supply.example" | awk '{print $1}')
x 2 mail "grep -q 'from=<billing@kumo-supply.example>' /var/log/mail.log && grep -q 'to=<alice@example.lan>.*status=sent' /var/log/mail.log" ||
  fail "team 2's mail log lacks the delivery: $(x 2 mail 'tail -n 20 /var/log/mail.log')"
x 2 mail "grep -q 'imap-login: Login: user=<alice>.*rip=$pc1_2' /var/log/mail.log" ||
  fail "team 2's mail log lacks alice's IMAP login from $pc1_2"
x 2 gw "grep -q 'fw-forward: .*SRC=$pc1_2 DST=$c2_2 .*DPT=8080' /var/log/firewall.log" ||
  fail "team 2's firewall log lacks the beacon from $pc1_2 to $c2_2"
x 2 files "grep 'alice|$pc1_2|' /var/log/samba/audit.log | grep -q Accounting" ||
  fail "team 2's Samba audit log lacks alice reading the accounting folder from $pc1_2"
x 2 logs "grep -q 'fw-forward: .*DST=$c2_2 ' /var/log/remote/gw.log && grep -q 'alice|$pc1_2|' /var/log/remote/files.log" ||
  fail "team 2's log server lacks the firewall's or the file server's lines: $(x 2 logs 'ls -l /var/log/remote')"
[ "$(x 2 c2 'tar -tf /tmp/c2/loot/upload-*.tar | grep -c .')" -gt 0 ] || fail "team 2's accounting folder is not on its C2"
[ "$(x 1 c2 'ls /tmp/c2/loot | wc -l')" = 0 ] || fail "team 1's files should not be on its C2"
pass "team 2's incident is in its mail, firewall, Samba audit and central logs; its files are on its C2"

# No guest log holds what injects and checks run (their command texts), while
# the logs are really read (a positive control on each guest).
for t in 1 2; do
  for node in gw pc1 mail files logs c2; do
    logs=$(x $t $node "{ cat /var/log/* /var/log/*/* 2>/dev/null; journalctl --no-pager -o cat 2>/dev/null; dmesg; logread 2>/dev/null; } | cat" 2>/dev/null) ||
      fail "cannot read team $t's $node logs"
    grep -q "Linux version" <<<"$logs" || fail "team $t's $node logs were not read"
    # Pieces of command text only: a path an inject writes may well be
    # logged by the service that reads it (dnsmasq names the hosts file).
    for marker in "[i]nvoice-tool" "priority dstnat" "smbclient //127.0.0.1/share" "MAILINDEX=" "recurse on; cd Accounting"; do
      ! grep -qF "$marker" <<<"$logs" || fail "team $t's $node logs hold '$marker': $(grep -F "$marker" <<<"$logs" | head -n 3)"
    done
  done
done
pass "no guest log of either team holds an inject's or a check's text"

score=$("$ENSHU" score --db "$ledger" --json)
live1=$(jq '.teams[] | select(.team == 1) | .total' <<<"$score")
live2=$(jq '.teams[] | select(.team == 2) | .total' <<<"$score")
[ "$live1" = $((110 + 27)) ] || fail "team 1 should have every automatic point and 27 for its report, not $live1: $(jq -c '.teams[0]' <<<"$score")"
# Team 2 loses the stolen data's 20 points. A service check of its busy
# guests may also have seen two failing probes in a row at x10 (12 s apart):
# each such outage the ledger records costs 5 more (at most 15 a service),
# and is said here.
# (a turn to failing: a failing result after a passing one or none; an
# inject's probe may record the same state again)
downs() { sql "select count(*) from (select value, lag(value) over (order by seq) as prev from events where team=2 and kind='check.result' and subject='$1') where value=0 and (prev is null or prev=1)"; }
fs_down=$(downs fileshare-up) mail_down=$(downs mail-up)
[ "$fs_down" = 0 ] && [ "$mail_down" = 0 ] || echo "note: team 2's guests were seen down at x10: file share $fs_down, mail $mail_down time(s)"
expected2=$(( -20 - 5 * (fs_down < 3 ? fs_down : 3) - 5 * (mail_down < 3 ? mail_down : 3) ))
[ "$live2" = "$expected2" ] || fail "team 2 should have lost the 20 points of the stolen data (and 5 for each outage recorded: file share $fs_down, mail $mail_down) and earned none: $expected2, not $live2: $(jq -c '.teams[1]' <<<"$score")"
[ "$(sql "select count(*) from events where team=2 and kind='check.result' and subject='data-kept' and value=0")" -ge 1 ] ||
  fail "team 2's ledger does not record its data leaving"
assert_earned_nothing "$score" 2
[ "$(jq '[.teams[0].objectives[] | select(.kind == "check" and .achieved)] | length' <<<"$score")" = 4 ] ||
  fail "team 1 should have achieved every defensive objective: $(jq -c '.teams[0].objectives' <<<"$score")"
pass "scores: team 1 $live1, team 2 $live2"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing ($((SECONDS - start)) s in all)"
