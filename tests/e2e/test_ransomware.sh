#!/usr/bin/env bash
# End to end on the Debian estate, accelerated x10: the ransomware scenario
# for two teams. Team 1 responds as a good team would, through 'enshu exec':
# from Samba's audit log it finds the desktop and the account that encrypted
# the Accounting folder, isolates the desktop on the firewall within the
# containment window, removes the ransomware and its autostart entry,
# changes the account's password, restores the folder from the file server's
# first snapshot, answers every question and has its report graded. Team 2
# does nothing: the second wave encrypts its General Affairs folder.
# Asserted: team 1 reaches every point and gets no second wave; team 2 earns
# none of the defensive points and loses the second wave's; the second wave
# left its traces in team 2's real logs (Samba's audit log, the firewall's)
# and its ransom note on the desktop.
# The Debian guests are restored from warm templates (--warm; scripts/test
# makes them ahead with 'enshu images warm'), the others boot.
source "$(dirname "$0")/lib.sh"
require_platform
"$ENSHU" images list firewall fileserver desktop >/dev/null ||
  fail "the Debian images are not built; run 'enshu images build'"
use_range e2eransom
scenario="$HERE/../../scenarios/ransomware.yaml"
fired() { sql "select count(*) from events where team=$1 and kind='inject.fired' and subject='$2'"; }

start=$SECONDS
# Exercise time: the first wave at 5m, the containment window ends 20m after
# it. On a busy host each step takes longer, in exercise time too: the run
# is paused once the story has been told, well before the 2h of the scenario.
"$ENSHU" run "$scenario" --teams 2 --name $name --speed 10 --for 2h --timeout 15m --warm >"$out" 2>&1 &
pid=$!
# Team 1 acts as soon as its own first wave is over: its containment window
# runs from then.
wait_sql "select count(*) from events where team=1 and kind='inject.fired' and subject='wave1'" 1 900 ||
  fail "the first wave did not hit team 1: $(sql "select team, kind, text from events where subject in ('malware-run','wave1')")"
pass "the first wave encrypted team 1's Accounting folder, $((SECONDS - start)) s after the start ($(sql "select text from events where team=1 and kind='inject.fired' and subject='wave1'"))"

# Team 1, from Samba's audit log: who wrote the encrypted files, from where, when.
first=$(x 1 files "grep -m 1 '[.]kurolock' /var/log/samba/audit.log") ||
  fail "team 1's Samba audit log shows no encrypted file"
IFS='|' read -r account addr _ <<<"${first#*smbd_audit: }"
[ "$account" = alice ] && [ -n "$addr" ] || fail "cannot read the account and address from: $first"
x 1 gw "nft add element inet filter blocked { $addr }" || fail "cannot isolate $addr on the firewall"
pass "team 1 isolated $addr on the firewall, $((SECONDS - start)) s after the start"
when=$(date -u -d "$(awk '{print $1}' <<<"$first")" +%H:%M) || fail "cannot read the time of: $first"
host=$(x 1 files "getent hosts $addr" | awk '{print $2}')
count=$(x 1 files "ls /srv/share/Accounting | grep -c '[.]kurolock\$'")
# The dropper says where it copied itself and how it starts again.
persist=$(x 1 pc1 "grep -o '[.]local/share/svc-update\\|svc-update[.]desktop' /home/alice/Downloads/Scan_0412.pdf.sh | sort -u | tr '\n' ' '")
[[ $persist == *".local/share/svc-update"* && $persist == *"svc-update.desktop"* ]] || fail "the dropper does not show its persistence: $persist"
x 1 pc1 "rm -rf /home/alice/.local/share/svc-update /home/alice/.config/autostart/svc-update.desktop" ||
  fail "cannot remove the ransomware"
x 1 files "printf 'Shirakaba-2026-new\n' | enshu-user set alice" >/dev/null || fail "cannot change alice's password"
x 1 files 'b=$(ls -d /srv/backup/2*/ | head -n 1) && cd /srv/share/Accounting &&
           rm -f ./*.kurolock KUROLOCK-README.txt && cp -a "$b"Accounting/. .' ||
  fail "cannot restore the Accounting folder"
pass "team 1 removed the ransomware, changed alice's password and restored the folder"

answer() { "$ENSHU" answer --name $name "$@" || true; }
[[ $(answer 1 patient-zero "$host") == *right* ]] || fail "$host ($addr) is the infected host"
[[ $(answer 1 smb-account "$account") == *right* ]] || fail "$account encrypted the files"
[[ $(answer 1 extension .kurolock) == *right* ]] || fail ".kurolock is the extension"
[[ $(answer 1 first-encryption "$when") == *right* ]] || fail "the encryption began at $when ($first)"
[[ $(answer 1 files-encrypted "$count") == *right* ]] || fail "$count files were encrypted"
[[ $(answer 2 patient-zero "$addr") == *wrong* ]] || fail "team 1's desktop is not team 2's"
for item in 0 1 2 3; do
  "$ENSHU" grade --name $name 1 incident-report $item 10 >/dev/null || fail "grade of item $item refused"
done
pass "team 1's answers, read from the real logs, are right ($host, $account, $when, $count files)"

# Team 2 does nothing: the second wave comes when the window closes.
wait_sql "select count(*) from events where team=2 and kind='inject.fired' and subject='wave1'" 1 600 ||
  fail "the first wave did not hit team 2: $(sql "select team, kind, text from events where team=2 and subject in ('malware-run','wave1')")"
wait_sql "select count(*) from events where team=2 and kind='inject.fired' and subject='wave2'" 1 600 ||
  fail "the second wave did not hit team 2: $(sql "select kind, text from events where team=2 and subject in ('containment-deadline','wave2')")"
pass "the second wave hit team 2 ($(sql "select text from events where team=2 and kind='inject.fired' and subject='wave2'")), $((SECONDS - start)) s after the start"

# What each team's checks last saw, once they see it.
wait_check() { wait_sql "select value from events where team=$1 and kind='check.result' and subject='$2' order by seq desc limit 1" "$3" 300; }
wait_check 2 general-affairs-intact 0 || fail "team 2's General Affairs folder should be encrypted"
for c in pc1-isolated persistence-removed share-restored password-changed; do
  wait_check 1 $c 1 || fail "team 1's check $c should pass"
done
wait_sql "select count(*) from events where kind='inject.fired' and subject='containment-deadline'" 2 300 ||
  fail "team 1's containment window did not close"
kill -INT $pid
wait $pid || fail "the run failed: $(tail -20 "$out")"
pid=
pass "the exercise was paused after $((SECONDS - start)) s"
[ "$(fired 1 wave2)" = 0 ] ||
  fail "team 1 contained in time, yet: $(sql "select kind, text from events where team=1 and subject in ('containment-deadline','wave2')")"

pc1_2=$(x 2 pc1 "hostname -I" | awk '{print $1}')
x 2 files "grep -q 'alice|$pc1_2|.*GeneralAffairs/.*[.]kurolock' /var/log/samba/audit.log" ||
  fail "team 2's Samba audit log lacks alice writing the General Affairs folder from $pc1_2"
x 2 gw "grep -q 'fw-forward: .*SRC=$pc1_2 .*DPT=445' /var/log/firewall.log" ||
  fail "team 2's firewall log lacks the SMB connection from $pc1_2"
x 2 pc1 "grep -q 'kurolock-support@' /home/alice/Desktop/KUROLOCK-README.txt" || fail "team 2's desktop has no ransom note"
pass "team 2's second wave is in its Samba audit and firewall logs; the note is on its desktop"

score=$("$ENSHU" score --db "$ledger" --json)
total1=$(jq '.teams[0].total' <<<"$score")
total2=$(jq '.teams[1].total' <<<"$score")
[ "$total1" = $((100 + 40)) ] || fail "team 1 should have every automatic point and 40 for its report, not $total1: $(jq -c '.teams[0]' <<<"$score")"
[ "$total2" = -15 ] || fail "team 2 should have lost the 15 points of the second wave and earned none, not $total2: $(jq -c '.teams[1]' <<<"$score")"
assert_earned_nothing "$score" 2
[ "$(jq '[.teams[0].objectives[] | select(.kind == "check" and .achieved)] | length' <<<"$score")" = 4 ] ||
  fail "team 1 should have achieved every defensive objective: $(jq -c '.teams[0].objectives' <<<"$score")"
pass "scores: team 1 $total1, team 2 $total2"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing ($((SECONDS - start)) s in all)"
