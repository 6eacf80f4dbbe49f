#!/usr/bin/env bash
# End to end on the Debian estate, accelerated x10: phishing-leak for two
# teams. Team 1 responds as a good team would, through 'enshu exec', once
# the attacker has taken the mailbox: it changes the stolen password at
# once, finds the attacker's address in Dovecot's log, the fake page in the
# phishing mail and the desktop that sent the password in the firewall's
# log, blocks the attacker's server on the firewall, removes the phishing
# mail, answers every question and has its report graded. Team 2 does
# nothing: the attacker sends spam through its mail server as Aiko.
# Asserted: team 1 reaches every point and sends no spam; team 2 earns none
# of the defensive points and loses the spam's; team 2's incident left its
# traces in the real logs (Dovecot's login from the Internet and Postfix's
# authenticated relay in mail.log, the firewall's log, the attacker's page
# and sink).
source "$(dirname "$0")/lib.sh"
require_platform
"$ENSHU" images list firewall mailserver desktop >/dev/null ||
  fail "the Debian images are not built; run 'enshu images build'"
use_range e2ephish
scenario="$HERE/../../scenarios/phishing-leak.yaml"
# The time of a syslog line (ISO or traditional stamp) as UTC HH:MM.
line_time() {
  local f
  f=$(awk '{print $1}' <<<"$1")
  [[ $f == *T* ]] || f=$(awk '{print $1, $2, $3}' <<<"$1")
  date -u -d "$f" +%H:%M
}

start=$SECONDS
"$ENSHU" run "$scenario" --teams 2 --name $name --speed 10 --for 90m --timeout 10m >"$out" 2>&1 &
pid=$!
# Team 1 responds as soon as its own mailbox is taken: its spam follows
# five exercise minutes later (30 s at x10), whatever team 2's pace.
wait_sql "select count(*) from events where team=1 and kind='inject.fired' and subject='mailbox-theft'" 1 900 ||
  fail "the attacker did not take team 1's mailbox: $(sql "select team, kind, subject, text from events where subject in ('phish-mail', 'phish-click', 'mailbox-theft')")"
pass "the attacker took team 1's mailbox, $((SECONDS - start)) s after the start ($(sql "select text from events where team=1 and kind='inject.fired' and subject='mailbox-theft'"))"

# Team 1: the stolen password first (the spam waits on it), then the
# evidence and containment.
x 1 mail "printf 'Kaede-2026-new\n' | enshu-user set alice" >/dev/null || fail "cannot change alice's password"
pc1=$(x 1 pc1 "hostname -I" | awk '{print $1}') || true
login=$(x 1 mail "grep 'imap-login: Login: user=<alice>' /var/log/mail.log | grep -v -e 'rip=$pc1,' -e 'rip=127.0.0.1,' | head -n 1") || true
evil=$(sed -n 's/.*rip=\([0-9.]*\),.*/\1/p' <<<"$login")
[ -n "$evil" ] || fail "team 1's mail log shows no login of alice from outside: $(x 1 mail 'grep imap-login /var/log/mail.log')"
when=$(line_time "$login") || fail "cannot read the time of: $login"
domain=$(x 1 mail "f=\$(grep -rlF 'account-verify.example' /home/alice/Maildir/cur /home/alice/Maildir/new | head -n 1) && sed '1,/^\r\?\$/d' \$f | base64 -d | grep -o 'http://[^/ ]*' | head -n 1" | sed 's|^http://||') || true
[ -n "$domain" ] || fail "team 1 finds no link in the phishing mail"
src=$(x 1 gw "grep -m 1 'fw-forward: .*DST=$evil .*DPT=80 ' /var/log/firewall.log" | sed -n 's/.* SRC=\([0-9.]*\) .*/\1/p') || true
[ "$src" = "$pc1" ] || fail "team 1's firewall log should show pc1 ($pc1) opening the fake page, not '$src'"
x 1 gw "nft add element inet filter blocked { $evil }" || fail "cannot block the attacker on the firewall"
x 1 mail "grep -rl 'account-verif[y].example' /home/alice/Maildir/cur /home/alice/Maildir/new | xargs -r rm -f" ||
  fail "cannot remove the phishing mail"
pass "team 1 changed the password, blocked $evil ($domain) and removed the phishing mail"

answer() { "$ENSHU" answer --name $name "$@" || true; }
[[ $(answer 1 victim alice) == *right* ]] || fail "alice is the victim"
[[ $(answer 1 fake-domain "$domain") == *right* ]] || fail "$domain held the fake page"
[[ $(answer 1 clicked-from "$src") == *right* ]] || fail "$src sent the password"
[[ $(answer 1 attacker-address "$evil") == *right* ]] || fail "$evil is team 1's attacker"
[[ $(answer 1 theft-time "$when") == *right* ]] || fail "the mailbox was taken at $when ($login)"
[[ $(answer 2 attacker-address "$evil") == *wrong* ]] || fail "team 1's attacker is not team 2's"
for item in 0 1 2; do
  "$ENSHU" grade --name $name 1 incident-report $item 10 >/dev/null || fail "grade of item $item refused"
done
pass "team 1's answers, read from the real logs, are right"

wait_sql "select count(*) from events where team=2 and kind='inject.fired' and subject='spam-run'" 1 600 ||
  fail "the attacker sent no spam through team 2's server: $(sql "select kind, text from events where team=2 and subject='spam-run'")"
pass "spam through team 2's mail server: $(sql "select text from events where team=2 and kind='inject.fired' and subject='spam-run'")"
wait $pid || fail "the run failed: $(tail -20 "$out")"
pid=
grep -q "exercise ended" "$out" || fail "the exercise did not end"
[ "$(sql "select count(*) from events where team=1 and kind='inject.fired' and subject in ('spam-run', 'bounce-notice')")" = 0 ] ||
  fail "team 1 changed the password in time, yet spam went out or the partner wrote"
[ "$(sql "select count(*) from events where team=2 and kind='inject.fired' and subject='bounce-notice'")" = 1 ] ||
  fail "the partner did not write to team 2 about the spam"
pass "exercise ended after $((SECONDS - start)) s"

# The traces of team 2's incident, in the real logs.
pc1_2=$(x 2 pc1 "hostname -I" | awk '{print $1}')
evil_2=$(x 2 evil "ip -4 -o addr show eth0" | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p')
x 2 mail "grep -q 'imap-login: Login: user=<alice>.*rip=$evil_2,' /var/log/mail.log" ||
  fail "team 2's mail log lacks the attacker's IMAP login from $evil_2"
x 2 mail "grep -q 'client=.*\[$evil_2\], sasl_method=PLAIN, sasl_username=alice' /var/log/mail.log" ||
  fail "team 2's mail log lacks the attacker's authenticated SMTP: $(x 2 mail 'grep -i sasl /var/log/mail.log | tail -n 5')"
x 2 mail "grep -q 'to=<buyer01@kaimono-deals.example>.*status=sent' /var/log/mail.log" ||
  fail "team 2's mail log lacks the relay of the spam: $(x 2 mail 'grep kaimono /var/log/mail.log | tail -n 5')"
x 2 gw "grep -q 'fw-forward: .*SRC=$pc1_2 DST=$evil_2 .*DPT=80 ' /var/log/firewall.log" ||
  fail "team 2's firewall log lacks the desktop opening the fake page"
x 2 evil "grep -q 'password=alice-Pass1' /tmp/phish/creds.log" || fail "team 2's fake page caught no password"
[ "$(x 2 evil "grep -c 'RCPT TO:<buyer' /tmp/sink/mail.log")" = 20 ] || fail "team 2's spam did not reach the sink 20 times"
x 2 evil "grep -q 'customer list' /tmp/loot/alice.imap" || fail "team 2's customer list is not in the attacker's loot"
pass "team 2's incident is in its mail log, firewall log, and on the attacker's page, sink and loot"

live1=$(sed -n 's/^team 1: \(-\?[0-9]*\) points.*/\1/p' "$out")
live2=$(sed -n 's/^team 2: \(-\?[0-9]*\) points.*/\1/p' "$out")
[ "$live1" = 120 ] || fail "team 1 should have every point (90 automatic, 30 for its report), not $live1: $(sed -n '/^team 1/,/^team 2/p' "$out")"
[ "$live2" = -20 ] || fail "team 2 should have lost the 20 points of the spam and earned none, not $live2: $(sed -n '/^team 2/,$p' "$out")"
score=$("$ENSHU" score --db "$ledger" --json)
assert_earned_nothing "$score" 2
[ "$(jq '[.teams[0].objectives[] | select(.kind == "check" and .achieved)] | length' <<<"$score")" = 3 ] ||
  fail "team 1 should have achieved every defensive objective: $(jq -c '.teams[0].objectives' <<<"$score")"
pass "live scores: team 1 $live1, team 2 $live2"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing ($((SECONDS - start)) s in all)"
