#!/usr/bin/env bash
# End to end on a real guest: a setup inject that dies from SIGKILL is
# recorded with its signal by name and the last lines of its stderr, and
# `enshu timeline` and the live log show them as text; `enshu retry` runs it
# again and it fires. Then the range is taken down: `enshu run` refuses the
# old ledger and says what to do; --resume carries the exercise on and runs
# the setup again on the new guest (the message is not sent again); --fresh
# starts a new exercise and keeps the old ledger, renamed.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2eretry
scenario="$HERE/inject-retry.yaml"
ledger="$ENSHU_STATE_DIR/ranges/$name.events.db"
trap 'kill ${pid:-} 2>/dev/null || true; "$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
sql() { sqlite3 -readonly "${2:-$ledger}" "$1" 2>/dev/null || true; }
count() { sql "select count(*) from events where kind='$1' and subject='$2'"; }

# wait_for WHAT TEST...: polls TEST while the run lives, at most 5 minutes.
wait_for() {
  local what=$1 i
  shift
  for i in $(seq 1 1200); do
    "$@" && return 0
    kill -0 $pid 2>/dev/null || fail "the run ended before $what: $(tail -5 "$out")"
    sleep 0.25
  done
  fail "no $what within 5 minutes: $(tail -5 "$out")"
}
has() {
  local n
  n=$(count "$1" "$2")
  [ "${n:-0}" -ge "$3" ]
}
# Ctrl-C: the exercise pauses and run exits 0.
interrupt() {
  kill -INT $pid
  wait $pid || fail "the interrupted run failed: $(tail -5 "$out")"
  pid=
}

out=$ENSHU_STATE_DIR/run1.out
"$ENSHU" run "$scenario" --teams 1 --name $name --for 20m >"$out" 2>&1 &
pid=$!
wait_for "a failed setup" has inject.failed setup 1
text=$(sql "select text from events where kind='inject.failed' and subject='setup'")
value=$(sql "select value from events where kind='inject.failed' and subject='setup'")
grep -q "SIGKILL" <<<"$text" || fail "the failure does not name its signal: $text (value $value)"
grep -q "setup: /tmp/setup-ok is missing" <<<"$text" && grep -q "setup: giving up" <<<"$text" ||
  fail "the failure lacks its stderr: $text"
[ "$value" = 265 ] || [ "$value" = 137 ] || fail "the failure's value is $value, not SIGKILL's"
pass "the failed setup is recorded: $(head -1 <<<"$text")"

grep -E "inject.failed +setup .*SIGKILL" "$out" >/dev/null && grep -q "| setup: giving up" "$out" ||
  fail "the live log does not show the failure as text: $(grep setup "$out")"
tl=$("$ENSHU" timeline --name $name)
grep -q "failed at T+" <<<"$tl" && grep -q "SIGKILL" <<<"$tl" && grep -q "setup: giving up" <<<"$tl" ||
  fail "timeline does not show the failure: $tl"
pass "the live log and the timeline show how it failed and its stderr"

"$ENSHU" exec --name $name 1 ws "touch /tmp/setup-ok" || fail "cannot fix the workstation"
"$ENSHU" retry --name $name setup || fail "the retry was refused"
wait_for "the retried setup firing" has inject.fired setup 1
[ "$(count inject.retried setup)" = 1 ] && [ "$(count inject.begin setup)" = 2 ] ||
  fail "the retry is not recorded as one more attempt: $(sql "select kind, value from events where subject='setup'" | tr '\n' ' ')"
"$ENSHU" exec --name $name 1 ws "test -e /tmp/prepared" || fail "the retried setup did not do its work"
grep -E "inject.retried +setup +attempt 2, by instructor" "$out" >/dev/null || fail "the live log does not show the retry"
again=$("$ENSHU" retry --name $name setup 2>&1) && fail "a setup that fired was retried: $again"
grep -q "it has not failed" <<<"$again" || fail "the refused retry does not say why: $again"
wait_for "the check passing" grep -qE "check.result +prepared +pass" "$out"
pass "retried, the setup fired and did its work; the check says pass"
interrupt

"$ENSHU" down --name $name >/dev/null
refused=$("$ENSHU" run "$scenario" --teams 1 --name $name --for 20m 2>&1) && fail "run took the old ledger of a range taken down: $refused"
grep -q -- "--resume" <<<"$refused" && grep -q -- "--fresh" <<<"$refused" || fail "the refusal does not say what to do: $refused"
[ -z "$(virsh -c qemu:///system list --all --name | grep "^enshu-$name-")" ] || fail "a refused run brought the range up"
pass "run refuses the ledger of a range taken down, and says what to do"

out=$ENSHU_STATE_DIR/run2.out
"$ENSHU" run "$scenario" --teams 1 --name $name --for 20m --resume >"$out" 2>&1 &
pid=$!
wait_for "the setup run again" has inject.begin setup 3
wait_for "the setup's new attempt ending" has inject.failed setup 2
[ "$(sql "select text from events where kind='inject.retried' and value=2")" = "run again on the range's new guests" ] ||
  fail "the setup's new attempt is not recorded as such: $(sql "select kind, value, text from events where subject='setup'" | tr '\n' ' ')"
[ "$(count inject.fired hello)" = 1 ] || fail "the message was sent again"
pass "--resume ran the setup again on the new guest (where it failed, as it should), and no message twice"
interrupt

out=$ENSHU_STATE_DIR/run3.out
"$ENSHU" run "$scenario" --teams 1 --name $name --for 20m --fresh >"$out" 2>&1 &
pid=$!
wait_for "the old ledger archived" grep -q "^a new exercise begins" "$out"
wait_for "a new exercise" has inject.failed setup 1
archive=$(sed -n 's/^a new exercise begins; the old ledger is kept as //p' "$out")
[ -n "$archive" ] && [ -f "$archive" ] || fail "no archived ledger named: $(head -5 "$out")"
[ "$(sql "select count(*) from events where kind='inject.failed' and subject='setup'" "$archive")" = 2 ] ||
  fail "the archived ledger is not the old one"
[ "$(count inject.failed setup)" = 1 ] && [ "$(count inject.retried setup)" = 0 ] ||
  fail "the new ledger carries the old exercise"
pass "--fresh started a new exercise; the old ledger is kept as $(basename "$archive")"
interrupt

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing"
