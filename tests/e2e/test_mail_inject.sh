#!/usr/bin/env bash
# End to end on real guests (BusyBox images), accelerated x10: a mail inject
# sent by SMTP from the attacker to a small SMTP server on the server
# (mail-inject.yaml), whose bytes arrive as sent: the envelope, the headers
# (a Japanese subject in RFC 2047 words), a binary attachment that decodes
# to the file next to the scenario. An inject, a file and a check run as the
# server's user `staff`; an inject as a user the guest lacks fails saying
# so; a file gets its owner, group and mode. The ledger records the mail's
# Message-ID, sender, recipients and subject, and the server's answer. No
# guest log holds any of the injects' texts.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2email
dir="$ENSHU_STATE_DIR/scenario"
mkdir -p "$dir"
cp "$HERE/mail-inject.yaml" "$dir/"
head -c 3001 /dev/urandom >"$dir/invoice.pdf" # binary, not a multiple of 3
scenario="$dir/mail-inject.yaml"
ledger="$ENSHU_STATE_DIR/ranges/$name.events.db"
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
sql() { sqlite3 -readonly "$ledger" "$1" 2>/dev/null || true; }
on() { "$ENSHU" exec --name $name 1 "$@"; }

"$ENSHU" run "$scenario" --teams 1 --name $name --speed 10 --for 10m >"$ENSHU_STATE_DIR/run.out" 2>&1 ||
  fail "run failed: $(tail -20 "$ENSHU_STATE_DIR/run.out")"
grep -v check.result "$ENSHU_STATE_DIR/run.out" | grep '^\[T' || true

for inj in sink-file sink-start phish as-staff owned staff-file; do
  [ "$(sql "select count(*) from events where kind='inject.fired' and subject='$inj'")" = 1 ] ||
    fail "inject $inj did not fire: $(sql "select kind, text from events where subject='$inj'")"
done

# The mail: what the ledger says was sent, and what the server heard.
sent=$(sql "select text from events where kind='inject.fired' and subject='phish'")
echo "ledger: $sent"
id=$(grep -o '^sent <[^>]*>' <<<"$sent" | sed 's/^sent <//; s/>$//')
[ -n "$id" ] || fail "the ledger does not give the mail's Message-ID: $sent"
grep -qF "from billing@supplier.example to staff@corp.example, alice@corp.example via attacker, server 10.91.0.20:25: 【至急】請求書の送付（チーム1）" <<<"$sent" ||
  fail "the ledger does not say who sent what to whom: $sent"
grep -qF "[250 2.0.0 Ok: queued as SINK1]" <<<"$sent" || fail "the ledger lacks the server's answer: $sent"
! grep -q "please find" <<<"$sent" || fail "the ledger holds the mail's body"
heard=$(on server "cat /tmp/smtp-sink.log") || fail "the SMTP server heard nothing"
printf '%s\n' "$heard" | head -5
for line in $'EHLO attacker\r' $'MAIL FROM:<billing@supplier.example>\r' \
  $'RCPT TO:<staff@corp.example>\r' $'RCPT TO:<alice@corp.example>\r' $'DATA\r' \
  "Message-ID: <$id>"$'\r' $'.. a line that starts with a dot\r' $'.\r'; do
  grep -qxF -- "$line" <<<"$heard" || fail "the server did not get the line '$line'"
done
pass "the attacker's mail reached the server by SMTP, dot-stuffed, with its Message-ID"

# The message as a mail reader sees it: headers unfolded, the Japanese
# subject from its encoded words, the attachment decoded.
message=$(awk '/^DATA\r$/ {on = 1; next} on && /^\.\r$/ {exit} on' <<<"$heard" | tr -d '\r' | sed 's/^\.\././')
subject=$(awk '/^Subject:/ {s = $0; on = 1; next} on && /^ / {s = s $0; next} {on = 0} END {print s}' <<<"$message")
decoded=""
for word in $(grep -o '=?UTF-8?B?[^?]*?=' <<<"$subject"); do
  word=${word#=?UTF-8?B?}
  decoded+=$(base64 -d <<<"${word%?=}")
done
[ "$decoded" = "【至急】請求書の送付（チーム1）" ] || fail "the subject decodes to '$decoded': $subject"
grep -q '^From: =?UTF-8?B?' <<<"$message" || fail "the sender's Japanese name is not encoded"
grep -qE '^Date: [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9:]{8} \+0000$' <<<"$message" ||
  fail "no RFC 5322 Date header"
boundary=$(grep -o 'boundary="[^"]*"' <<<"$message" | sed 's/boundary="//; s/"$//')
[ -n "$boundary" ] || fail "the message is not multipart: $(head -20 <<<"$message")"
awk -v b="--$boundary" 'index($0, b) == 1 {n++; next} n == 2 && body {print} n == 2 && $0 == "" {body = 1}' <<<"$message" |
  base64 -d >"$ENSHU_STATE_DIR/attachment.out" || fail "the attachment is not base64"
cmp "$dir/invoice.pdf" "$ENSHU_STATE_DIR/attachment.out" || fail "the attachment does not decode to the file sent"
grep -q 'Content-Disposition: attachment; filename="invoice.pdf"' <<<"$message" ||
  fail "the attachment is not named"
body=$(awk -v b="--$boundary" 'index($0, b) == 1 {n++; next} n == 1 && body {print} n == 1 && $0 == "" {body = 1}' <<<"$message")
grep -qx "Sent from 10.91.0.66" <<<"$body" || fail "the body was not filled in for the team: $body"
pass "the subject, sender and attachment decode to what the scenario gave"

# As a user: the inject, the file and the check ran as staff.
ran=$(sql "select text from events where kind='inject.fired' and subject='as-staff'")
[ "$(head -1 <<<"$ran")" = staff ] || fail "the as-staff inject did not run as staff: $ran"
grep -qx "home=/data/share user=staff" <<<"$ran" || fail "no login environment for staff: $ran"
[ "$(on server "stat -c %U /tmp/made-by-staff")" = staff ] || fail "staff's file is not staff's"
[ "$(on server "stat -c '%U %a' /tmp/staff-notes/todo.txt")" = "staff 600" ] ||
  fail "the file written as staff: $(on server "ls -ln /tmp/staff-notes")"
[ "$(sql "select value from events where kind='check.result' and subject='staff-check' order by seq desc limit 1")" = 1 ] ||
  fail "the check as staff did not pass: $(sql "select value, text from events where subject='staff-check'")"
failed=$(sql "select text from events where kind='inject.failed' and subject='as-nobody-known'")
[ "$failed" = "no user 'alice' on server" ] || fail "an unknown user did not fail the inject clearly: '$failed'"
pass "an inject, a file and a check ran as staff; an unknown user failed the inject by name"

[ "$(on server "stat -c '%U %G %a' /srv/owned/report.txt")" = "staff www-data 640" ] ||
  fail "the file's owner, group and mode: $(on server "ls -ln /srv/owned")"
[ "$(on server "cat /srv/owned/report.txt")" = "Q3 figures" ] || fail "the owned file's content"
pass "a file got its owner, group and mode"

# No guest log holds what the injects ran or wrote.
needles=("smtp-sink" "report.txt" "staff-notes" "made-by-staff" "supplier.example" "invoice.pdf" "nohup")
for node in attacker server; do
  logs=$(on $node 'for f in /var/log/* /var/log/*/* /run/qemu-ga.log; do [ -f "$f" ] && cat "$f"; done; dmesg; logread 2>/dev/null; true') ||
    fail "cannot read the logs of $node"
  grep -q "Linux version" <<<"$logs" || fail "$node: dmesg was not read"
  [ $node = attacker ] || grep -q "syslogd started" <<<"$logs" || fail "$node: the syslog was not read"
  for needle in "${needles[@]}"; do
    ! grep -F -- "$needle" <<<"$logs" >&2 || fail "$node logs '$needle' (above)"
  done
done
pass "no guest log holds a command, path or address of the injects"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing"
