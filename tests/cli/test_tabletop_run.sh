#!/usr/bin/env bash
# A tabletop exercise (no network, no nodes) runs where there is no
# virtualization: 'enshu run' and 'enshu serve' of one open no libvirt
# connection at all. libvirt is pointed at a socket that does not exist and
# asked to log every call (LIBVIRT_DEBUG=1, which prints "virConnectOpen"
# and more for any connection tried, as a hands-on scenario shows here
# too), so any use of it would show on stderr or fail. Then 'status' and
# 'down' on the tabletop ledger.
set -uo pipefail
: "${ENSHU:?set ENSHU to the enshu binary}"
: "${SCENARIOS:?set SCENARIOS to the scenarios folder}"
export ENSHU_STATE_DIR=$(mktemp -d /tmp/enshu-tabletop-XXXXXX)
trap 'kill "$serve_pid" 2>/dev/null; rm -rf "$ENSHU_STATE_DIR"' EXIT
export LIBVIRT_DEFAULT_URI="qemu+unix:///system?socket=/nonexistent/libvirt-sock"
export ENSHU_LIBVIRT_URI="$LIBVIRT_DEFAULT_URI"
export LIBVIRT_DEBUG=1
serve_pid=
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

scenario=$SCENARIOS/tabletop-web-defacement.yaml
out=$ENSHU_STATE_DIR/run.out err=$ENSHU_STATE_DIR/run.err

# run: three teams, 20 minutes of the exercise at x1000.
"$ENSHU" run "$scenario" --teams 3 --speed 1000 --for 20m >"$out" 2>"$err"
rc=$?
[ $rc -eq 0 ] || fail "run exited $rc: $(cat "$err")"
grep -q "is a tabletop exercise: no guests to bring up" "$out" || fail "run did not say it is a tabletop exercise"
for team in 1 2 3; do
  grep -qE "team $team +inject.fired +resident-call" "$out" || fail "resident-call did not fire for team $team"
  grep -qE "team $team +inject.fired +access-log" "$out" || fail "access-log did not fire for team $team"
done
grep -q "virConnect\|libvirt" "$err" && fail "run touched libvirt: $(grep -m3 'virConnect\|libvirt' "$err")"
[ -s "$err" ] && fail "run printed on stderr: $(head -3 "$err")"

# The same command again: the exercise has ended, and goes on from its ledger
# (a tabletop exercise has no range that a 'down' could have renewed, so no
# --resume is asked for); --fresh starts a new one and keeps the old ledger.
again=$("$ENSHU" run "$scenario" --teams 3 --speed 1000 --for 20m 2>&1); rc=$?
[ $rc -eq 0 ] || fail "run again exited $rc: $again"
grep -q "this exercise has ended" <<<"$again" || fail "run again: $again"
fresh=$("$ENSHU" run "$scenario" --teams 3 --speed 1000 --for 2m --fresh 2>&1); rc=$?
[ $rc -eq 0 ] || fail "run --fresh exited $rc: $fresh"
grep -q "a new exercise begins; the old ledger is kept as" <<<"$fresh" || fail "run --fresh: $fresh"
grep -qE "team 1 +inject.fired +resident-call" <<<"$fresh" || fail "run --fresh did not start again: $fresh"
ls "$ENSHU_STATE_DIR"/ranges/tabletop-web-defacement.*.events.db >/dev/null 2>&1 || fail "no archived ledger"

# A hands-on scenario under the same environment does try libvirt (and
# fails): the check above would see it.
"$ENSHU" up "$SCENARIOS/intro-office.yaml" --teams 1 --name tabletop-contrast --no-wait >/dev/null 2>"$err"
grep -q "virConnectOpen" "$err" || fail "LIBVIRT_DEBUG shows no connection of a hands-on 'up'"
"$ENSHU" down --name tabletop-contrast >/dev/null 2>&1

# up has no guests to bring up, and says what to run instead.
up=$("$ENSHU" up "$scenario" --teams 2 2>&1); rc=$?
[ $rc -eq 1 ] || fail "up of a tabletop exercise exited $rc"
grep -q "is a tabletop exercise: it has no guests to bring up; run it with 'enshu run' or 'enshu serve'" <<<"$up" || fail "up: $up"
grep -q "virConnect" <<<"$up" && fail "up of a tabletop exercise touched libvirt"

# status and down on the tabletop ledger.
status=$("$ENSHU" status 2>&1); rc=$?
[ $rc -eq 0 ] || fail "status exited $rc: $status"
grep -q "exercise tabletop-web-defacement (tabletop" <<<"$status" || fail "status: $status"
grep -q "3 teams, ended at T+" <<<"$status" || fail "status does not show teams and phase: $status"
json=$("$ENSHU" status --name tabletop-web-defacement --json 2>&1)
grep -q '"tabletop": true' <<<"$json" || fail "status --json: $json"
grep -q '"phase": "ended"' <<<"$json" || fail "status --json has no phase: $json"
down=$("$ENSHU" down --name tabletop-web-defacement 2>&1); rc=$?
[ $rc -eq 0 ] || fail "down exited $rc: $down"
grep -q "has no guests or networks to take down; its ledger .* is kept" <<<"$down" || fail "down: $down"
[ -f "$ENSHU_STATE_DIR/ranges/tabletop-web-defacement.events.db" ] || fail "down removed the ledger"

# serve: consoles up, join codes printed, no libvirt; Ctrl-C ends it.
"$ENSHU" serve "$SCENARIOS/tabletop-ransomware.yaml" --teams 2 --name serve-tabletop \
  --listen 127.0.0.1:0 >"$out" 2>"$err" &
serve_pid=$!
for _ in $(seq 1 100); do
  grep -q "team 2 join code" "$out" && break
  sleep 0.2
done
grep -q "team 2 join code" "$out" || fail "serve printed no join codes: $(cat "$out" "$err")"
port=$(sed -n 's|^console: http://127.0.0.1:\([0-9]*\)/$|\1|p' "$out")
[ -n "$port" ] || fail "serve printed no console address"
[ -n "$port" ] && command -v curl >/dev/null && { curl -sf "http://127.0.0.1:$port/" >/dev/null || fail "the consoles are not served"; }
kill -INT "$serve_pid"
wait "$serve_pid"; rc=$?
serve_pid=
[ $rc -eq 0 ] || fail "serve exited $rc after Ctrl-C: $(cat "$err")"
grep -q "virConnect\|libvirt" "$err" && fail "serve touched libvirt: $(grep -m3 'virConnect\|libvirt' "$err")"

if [ $failures -ne 0 ]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "tabletop run, serve, status and down without libvirt: ok"
