#!/usr/bin/env bash
# End to end on real guests, accelerated x10: power and link injects. The
# workstation is stopped (libvirt destroy), an inject aimed at it waits until
# a power inject starts it again (its agent answering), then its interface is
# set down and up again live: the server's ping check fails in between and
# passes after. The node's state is in the ledger as node.state events.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2epower
scenario="$HERE/power-link.yaml"
ledger="$ENSHU_STATE_DIR/ranges/$name.events.db"
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
sql() { sqlite3 -readonly "$ledger" "$1" 2>/dev/null || true; }

"$ENSHU" run "$scenario" --teams 1 --name $name --speed 10 --for 18m >"$ENSHU_STATE_DIR/run.out" 2>&1 ||
  fail "run failed: $(tail -20 "$ENSHU_STATE_DIR/run.out")"
grep -v check.result "$ENSHU_STATE_DIR/run.out" | grep '^\[T' || true

for inj in off on mark cut restore; do
  [ "$(sql "select count(*) from events where kind='inject.fired' and subject='$inj'")" = 1 ] ||
    fail "inject $inj did not fire: $(sql "select kind, text from events where subject='$inj'")"
done
[ "$(sql "select group_concat(value) from (select value from events where kind='node.state' and subject='ws' order by seq)")" = 0,1 ] ||
  fail "the ledger should say ws went down, then up"
seq_on=$(sql "select seq from events where kind='inject.fired' and subject='on'")
seq_mark=$(sql "select seq from events where kind='inject.fired' and subject='mark'")
[ "$seq_mark" -gt "$seq_on" ] || fail "inject mark ran while its target was stopped"
"$ENSHU" exec --name $name 1 ws "test -e /tmp/marked-1" || fail "the waiting inject did not run on the restarted guest"
pass "power: ws stopped and started again; the inject aimed at it waited for it"

seq_cut=$(sql "select seq from events where kind='inject.fired' and subject='cut'")
seq_restore=$(sql "select seq from events where kind='inject.fired' and subject='restore'")
[ "$(sql "select count(*) from events where kind='check.result' and subject='ws-reachable' and value=0 and seq > $seq_cut and seq < $seq_restore")" -ge 1 ] ||
  fail "the server could still ping ws with its cable pulled"
[ "$(sql "select value from events where kind='check.result' and subject='ws-reachable' and seq > $seq_restore order by seq desc limit 1")" = 1 ] ||
  fail "ws is not reachable again after its cable was plugged back in"
"$ENSHU" exec --name $name 1 srv "ping -c 1 -W 2 10.89.0.10 >/dev/null" ||
  "$ENSHU" status --name $name | grep -q " ws .*running" || fail "ws is not running at the end"
pass "link: the server lost ws while its cable was pulled and found it again"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing"
