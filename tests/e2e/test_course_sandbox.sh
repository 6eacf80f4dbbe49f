#!/usr/bin/env bash
# A self-paced course on real guests (enshu serve --self-paced): a pool of
# one warm sandbox; two trainees join through the websocket protocol and
# each gets a sandbox of their own; trainee 1's inject runs on their own
# guest (their check passes, their answer is right, the ledger scores
# them), never on trainee 2's; each one's serial console is their guest's; the sandboxes reach their TTL and their
# domains leave libvirt; the pool refills; Ctrl-C leaves nothing behind.
# Prints what it measured: allocation (join to welcome) and the refill of
# one sandbox.
source "$(dirname "$0")/lib.sh"
require_platform

name=e2ec
code=E2E-COURSE
password=course-e2e-password
ledger="$ENSHU_STATE_DIR/ranges/$name.events.db"
out="$ENSHU_STATE_DIR/serve.out"
client() { python3 "$HERE/course_client.py" "$port" "$@"; }
sql() { sqlite3 -readonly "$ledger" "$1" 2>/dev/null || true; }
domains_of() { virsh -c qemu:///system list --all --name | grep -c "^enshu-$1-" || true; }
now_ms() { date +%s%3N; }

stop_course() {
  if [ -n "${pid:-}" ] && kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  local s
  for s in 1 2 3 4 5 6; do "$ENSHU" down --name "$name-s$s" >/dev/null 2>&1 || true; done
}
trap stop_course EXIT

echo "$password" | "$ENSHU" passwd >/dev/null || fail "the instructor password could not be set"
started=$(now_ms)
"$ENSHU" serve "$HERE/course-sandbox.yaml" --self-paced --pool 1 --ttl 90s --seats 4 \
  --code "$code" --name "$name" --listen 127.0.0.1:0 --web "$HERE/../../web" >"$out" 2>&1 &
pid=$!
port=""
for _ in $(seq 1 60); do
  port=$(sed -n 's|^course page: http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || fail "enshu serve ended: $(tail -5 "$out")"
  sleep 0.5
done
[ -n "$port" ] || fail "enshu serve did not say where it listens: $(tail -5 "$out")"

# The number of warm sandboxes, as the course view lists them.
warm() { client list "$password" | jq -r '.warm'; }
# Waits until $1 sandboxes are warm (at most $2 seconds).
wait_warm() {
  local i
  for i in $(seq 1 "$2"); do
    [ "$(warm)" -ge "$1" ] && return 0
    kill -0 "$pid" 2>/dev/null || fail "enshu serve ended: $(tail -5 "$out")"
    sleep 1
  done
  fail "no warm sandbox after $2 s: $(client list "$password")"
}

wait_warm 1 300
first_build=$(( $(now_ms) - started ))
pass "the pool is warm after ${first_build} ms"

# Trainee 1 gets the warm sandbox at once; the pool refills behind them.
t1=$(client join "$code" "Aiko")
granted1=$(now_ms)
alloc1=$(jq -r '.granted_ms' <<<"$t1")
[ "$(jq -r '.sandbox' <<<"$t1")" = 1 ] || fail "trainee 1 did not get sandbox 1: $t1"
[ "$(jq -r '.team' <<<"$t1")" = 1 ] || fail "trainee 1 is not team 1: $t1"
pass "trainee 1 has sandbox 1 (granted in ${alloc1} ms)"
wait_warm 1 300
refill=$(( $(now_ms) - granted1 ))
pass "the pool refilled one sandbox in ${refill} ms"

t2=$(client join "$code" "Bo")
alloc2=$(jq -r '.granted_ms' <<<"$t2")
[ "$(jq -r '.sandbox' <<<"$t2")" = 2 ] || fail "trainee 2 did not get sandbox 2: $t2"
pass "trainee 2 has sandbox 2 (granted in ${alloc2} ms)"

# Trainee 1's inject ran on their own guest, with their sandbox's address.
for _ in $(seq 1 120); do
  [ "$(sql "select count(*) from events where kind = 'inject.fired' and team = 1")" = 1 ] && break
  [ "$(sql "select count(*) from events where kind = 'inject.failed' and team = 1")" = 0 ] ||
    fail "trainee 1's inject failed: $(sql "select text from events where kind = 'inject.failed'")"
  sleep 1
done
[ "$(sql "select count(*) from events where kind = 'inject.fired' and team = 1")" = 1 ] ||
  fail "trainee 1's inject did not fire"
addr1=$("$ENSHU" exec --name "$name-s1" --timeout 60s 1 ws "cat /tmp/planted" | tr -d '\r\n ')
echo "$addr1" | grep -Eq '^10\.90\.[0-9]+\.10$' || fail "sandbox 1's guest holds '$addr1', not its address"
pass "trainee 1's inject wrote $addr1 on their own guest"
# Trainee 2's clock runs too: their inject writes their own address, not trainee 1's.
for _ in $(seq 1 60); do
  [ "$(sql "select count(*) from events where kind = 'inject.fired' and team = 2")" = 1 ] && break
  sleep 1
done
addr2=$("$ENSHU" exec --name "$name-s2" --timeout 60s 1 ws "cat /tmp/planted" | tr -d '\r\n ')
[ -n "$addr2" ] && [ "$addr2" != "$addr1" ] ||
  fail "sandbox 2's guest holds '$addr2' (sandbox 1's: $addr1)"
pass "trainee 2's inject wrote $addr2 on theirs"

# Their check passes and their answer (their own address) is right: scored.
reply=$(client answer "$(jq -r '.resume_token' <<<"$t1")" which-address "$addr1")
[ "$(jq -r '.type' <<<"$reply")" = ok ] || fail "trainee 1's answer was refused: $reply"
for _ in $(seq 1 90); do
  score=$("$ENSHU" score --db "$ledger" --json 2>/dev/null || true)
  [ "$(jq -r '.teams[] | select(.team == 1) | .total' <<<"$score" 2>/dev/null)" = 15 ] && break
  sleep 1
done
[ "$(jq -r '.teams[] | select(.team == 1) | .total' <<<"$score")" = 15 ] ||
  fail "trainee 1 does not hold 15 points in the ledger: $(jq -c '.teams[] | select(.team == 1)' <<<"$score")"
pass "trainee 1's check passed and their answer was right: 15 points in the ledger"

# Each trainee's serial console is their own guest's.
client console "$(jq -r '.resume_token' <<<"$t1")" ws 'echo "in-sandbox:$(cat /tmp/planted)"' \
  "in-sandbox:$addr1" || fail "trainee 1's serial console does not reach their guest"
client console "$(jq -r '.resume_token' <<<"$t2")" ws 'echo "in-sandbox:$(cat /tmp/planted)"' \
  "in-sandbox:$addr2" || fail "trainee 2's serial console does not reach their guest"
pass "each trainee's serial console reaches their own guest"
greeting=$(client display "$(jq -r '.resume_token' <<<"$t1")" ws) ||
  fail "trainee 1's screen does not open"
[[ "$greeting" == RFB* ]] || fail "trainee 1's screen sent '$greeting', not an RFB greeting"
pass "trainee 1's graphical console opens on their guest ($greeting)"

# The TTL: both sandboxes are torn down, their domains gone from libvirt.
for _ in $(seq 1 240); do
  [ "$(domains_of "$name-s1")" = 0 ] && [ "$(domains_of "$name-s2")" = 0 ] && break
  sleep 1
done
assert_range_gone "$name-s1"
assert_range_gone "$name-s2"
expired=$(( $(now_ms) - granted1 ))
[ "$expired" -ge 90000 ] || fail "the sandboxes went ${expired} ms after the first grant, before their TTL of 90 s"
pass "sandboxes 1 and 2 reached their TTL and are gone (${expired} ms after the first grant)"
wait_warm 1 120
[ "$(domains_of "$name-s3")" -ge 1 ] || fail "the pool's warm sandbox is not sandbox 3"
pass "the pool is warm again (sandbox 3)"

kill -INT "$pid"
wait "$pid" || fail "enshu serve did not close cleanly: $(tail -5 "$out")"
pid=""
for s in 1 2 3; do assert_range_gone "$name-s$s"; done
pass "closing the course left nothing behind"
echo "figures: first build ${first_build} ms; allocation ${alloc1} ms and ${alloc2} ms (join to welcome); refill of one sandbox ${refill} ms"
