#!/usr/bin/env bash
# End to end on the Debian estate, accelerated x10: the web-defacement
# scenario for two teams. The attacker on the simulated Internet guesses the
# CMS's admin password through the firewall, uploads a web shell and
# defaces the top page of both teams' sites. Team 1 then responds as a good
# team would, through 'enshu exec': from the CMS's lines in auth.log it
# finds the attacker, the number of guesses, the time of the intrusion and
# the uploaded file, blocks the attacker on the firewall, removes the web
# shell, restores the top page, changes the admin password, answers every
# question and has its report graded. Team 2 does nothing: a citizen's
# report reaches it. Asserted: team 1 reaches every point, gets no citizen
# report and its site stayed reachable; team 2 earns none of the defensive
# points; the attack left its traces in team 2's real logs (the CMS's auth
# log, Apache's access log, the firewall's log).
# The Debian guests are restored from warm templates (--warm; scripts/test
# makes them ahead with 'enshu images warm'), the others boot.
source "$(dirname "$0")/lib.sh"
require_platform
"$ENSHU" images list firewall webserver >/dev/null ||
  fail "the Debian images are not built; run 'enshu images build'"
use_range e2edeface
scenario="$HERE/../../scenarios/web-defacement.yaml"
fired() { sql "select count(*) from events where team=$1 and kind='inject.fired' and subject='$2'"; }

start=$SECONDS
# Exercise time: the guessing at 5m, the defacement about 7 minutes later,
# the citizen's report 10 minutes after that. On a busy host each step takes
# longer, in exercise time too: the run is paused once the story has been
# told, well before the 2h of the scenario.
"$ENSHU" run "$scenario" --teams 2 --name $name --speed 10 --for 2h --timeout 15m --warm >"$out" 2>&1 &
pid=$!
wait_sql "select count(*) from events where team=1 and kind='inject.fired' and subject='deface'" 1 900 ||
  fail "team 1's site was not defaced: $(sql "select team, kind, subject, text from events where subject in ('brute-force','webshell-upload','deface')")"
pass "team 1's site is defaced, $((SECONDS - start)) s after the start ($(sql "select text from events where team=1 and kind='inject.fired' and subject='brute-force'"))"

# Team 1, from the CMS's log lines in auth.log on web.
cms=$(x 1 web "grep ' cms\[[0-9]*\]: ' /var/log/auth.log") || fail "team 1's auth.log has no CMS lines"
attacker=$(sed -n 's/.*login ok: user=admin from=\([0-9.]*\).*/\1/p' <<<"$cms" | head -n 1)
[ -n "$attacker" ] || fail "team 1's auth.log shows no successful login: $cms"
failed=$(grep -c "login failed: user=admin from=$attacker\$" <<<"$cms" || true)
when=$(date -u -d "$(grep -m 1 "login ok: user=admin from=$attacker" <<<"$cms" | awk '{print $1}')" +%H:%M) ||
  fail "cannot read the time of the login"
shell=$(sed -n "s/.*file uploaded: name=\([^ ]*\) user=admin from=$attacker.*/\1/p" <<<"$cms" | head -n 1)
[ -n "$shell" ] || fail "team 1's auth.log shows no upload from $attacker"
x 1 gw "nft add element inet filter blocked { $attacker }" || fail "cannot block $attacker on the firewall"
x 1 web "rm -f /var/www/html/uploads/$shell && rm -f /var/www/html/index.html && chown root:root /var/www/html &&
         sed -i 's/^admin_password = .*/admin_password = \"Kz7!shirakaba-Web\"/' /var/www/cms/config.ini" ||
  fail "cannot clean up team 1's web server"
pass "team 1 blocked $attacker, removed $shell and index.html and changed the CMS's password, $((SECONDS - start)) s after the start"

answer() { "$ENSHU" answer --name $name "$@" || true; }
[[ $(answer 1 attacker-address "$attacker") == *right* ]] || fail "$attacker is team 1's attacker"
[[ $(answer 1 failed-logins "$failed") == *right* ]] || fail "$failed failed logins came first"
[[ $(answer 1 intrusion-time "$when") == *right* ]] || fail "the attacker got in at $when"
[[ $(answer 1 webshell-name "$shell") == *right* ]] || fail "$shell is the web shell"
[[ $(answer 1 defaced-file /var/www/html/index.html) == *right* ]] || fail "index.html is the defaced file"
[[ $(answer 2 attacker-address "$attacker") == *wrong* ]] || fail "team 1's attacker is not team 2's"
for item in 0 1 2; do
  "$ENSHU" grade --name $name 1 incident-report $item 10 >/dev/null || fail "grade of item $item refused"
done
pass "team 1's answers, read from the real logs, are right ($attacker, $failed failures, $when, $shell)"

wait_sql "select count(*) from events where team=2 and kind='inject.fired' and subject='citizen-report'" 1 600 ||
  fail "no citizen's report reached team 2: $(sql "select kind, subject, text from events where team=2 and kind like 'check.%' and subject='site-defaced'")"
pass "a citizen's report reached team 2, $((SECONDS - start)) s after the start"

# What each team's checks last saw, once they see it.
wait_check() { wait_sql "select value from events where team=$1 and kind='check.result' and subject='$2' order by seq desc limit 1" "$3" 300; }
for c in attacker-blocked webshell-removed site-restored cms-password-changed; do
  wait_check 1 $c 1 || fail "team 1's check $c should pass"
done
kill -INT $pid
wait $pid || fail "the run failed: $(tail -20 "$out")"
pid=
pass "the exercise was paused after $((SECONDS - start)) s"
[ "$(fired 1 citizen-report)" = 0 ] && [ "$(fired 1 deface-again)" = 0 ] ||
  fail "team 1 restored its site, yet: $(sql "select kind, subject, text from events where team=1 and subject in ('citizen-report','deface-again')")"

attacker2=$(x 2 web "grep -m 1 'cms\[[0-9]*\]: login ok: user=admin' /var/log/auth.log" | sed -n 's/.* from=\([0-9.]*\)$/\1/p')
[ -n "$attacker2" ] && [ "$attacker2" != "$attacker" ] || fail "team 2's auth.log shows no login of its own attacker ($attacker2)"
web2=$(x 2 web "hostname -I" | awk '{print $1}')
x 2 web "[ \$(grep -c 'cms\[[0-9]*\]: login failed: user=admin from=$attacker2\$' /var/log/auth.log) = 11 ] &&
         grep -q 'file uploaded: name=img_cache.php user=admin from=$attacker2' /var/log/auth.log" ||
  fail "team 2's auth.log lacks the guessing or the upload from $attacker2: $(x 2 web "grep cms /var/log/auth.log | tail -n 5")"
x 2 web "grep -q '^$attacker2 .*\"POST /uploads/img_cache.php ' /var/log/apache2/access.log" ||
  fail "team 2's access log lacks the web shell's use from $attacker2"
x 2 gw "grep -q 'fw-forward: .*SRC=$attacker2 DST=$web2 .*DPT=80' /var/log/firewall.log" ||
  fail "team 2's firewall log lacks the attacker's connections to $web2"
[ "$(sql "select value from events where team=2 and kind='check.result' and subject='site-defaced' order by seq desc limit 1")" = 1 ] ||
  fail "team 2's site should still be defaced"
pass "team 2's incident is in its CMS, Apache and firewall logs; its site is still defaced"

score=$("$ENSHU" score --db "$ledger" --json)
total1=$(jq '.teams[0].total' <<<"$score")
total2=$(jq '.teams[1].total' <<<"$score")
[ "$total1" = $((100 + 30)) ] || fail "team 1 should have every automatic point and 30 for its report, not $total1: $(jq -c '.teams[0]' <<<"$score")"
[ "$total2" = 0 ] || fail "team 2 should have earned nothing and lost nothing, not $total2: $(jq -c '.teams[1]' <<<"$score")"
assert_earned_nothing "$score" 2
[ "$(jq '[.teams[0].objectives[] | select(.kind == "check" and .achieved)] | length' <<<"$score")" = 4 ] ||
  fail "team 1 should have achieved every defensive objective: $(jq -c '.teams[0].objectives' <<<"$score")"
pass "scores: team 1 $total1, team 2 $total2"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing ($((SECONDS - start)) s in all)"
