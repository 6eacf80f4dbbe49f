#!/usr/bin/env bash
# --roster: a roster with problems stops 'enshu run' and 'enshu serve'
# before anything starts, each problem reported as FILE:LINE:COL; a good one
# is taken. (What the consoles show of the names: browser/reports.)
set -uo pipefail
: "${ENSHU:?set ENSHU to the enshu binary}"
: "${SCENARIOS:?set SCENARIOS to the scenarios folder}"
export ENSHU_STATE_DIR=$(mktemp -d /tmp/enshu-roster-XXXXXX)
trap 'rm -rf "$ENSHU_STATE_DIR"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

scenario=$SCENARIOS/tabletop-web-defacement.yaml
bad=$ENSHU_STATE_DIR/bad.csv good=$ENSHU_STATE_DIR/good.csv
printf 'team,name,organisation\n1,Blue Falcons,Ministry of ICT\n3,Green\n2,Blue Falcons\n2,"Open\n' >"$bad"
printf '1,Blue Falcons,Ministry of ICT\n2,"Herons, Red"\n' >"$good"

for cmd in run serve; do
  out=$("$ENSHU" "$cmd" "$scenario" --teams 2 --roster "$bad" 2>"$ENSHU_STATE_DIR/err"); rc=$?
  err=$(cat "$ENSHU_STATE_DIR/err")
  [ $rc -eq 1 ] || fail "$cmd with a bad roster exited $rc"
  expected="$bad:3:1: error: '3' is not a team: the first field is the team's number, 1 to 2
$bad:4:3: error: team 1 (line 2) is called 'Blue Falcons' already
$bad:5:3: error: this quoted field has no closing quote"
  [ "$err" = "$expected" ] || fail "$cmd with a bad roster said: $err"
  [ -z "$out" ] || fail "$cmd started with a bad roster: $out"
done
missing=$("$ENSHU" run "$scenario" --teams 2 --roster "$ENSHU_STATE_DIR/none.csv" 2>&1); rc=$?
[ $rc -eq 1 ] || fail "run with a missing roster exited $rc"
grep -q "none.csv: error: the roster cannot be read" <<<"$missing" || fail "missing roster: $missing"

out=$("$ENSHU" run "$scenario" --teams 2 --roster "$good" --speed 1000 --for 1m 2>&1); rc=$?
[ $rc -eq 0 ] || fail "run with a good roster exited $rc: $out"
"$ENSHU" run --help | grep -q -- "--roster FILE" || fail "run --help does not tell of --roster"
"$ENSHU" serve --help | grep -q -- "--roster FILE" || fail "serve --help does not tell of --roster"

if [ $failures -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "rosters: ok"
