# Shared by the end-to-end tests: a private state directory, the enshu
# binary, and checks that nothing of a range is left on the host.
set -euo pipefail

: "${ENSHU:?set ENSHU to the enshu binary}"
NETNS=${ENSHU_NETNS:-enshu}
export ENSHU_STATE_DIR=${ENSHU_STATE_DIR:-$(mktemp -d /tmp/enshu-e2e-XXXXXX)}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

require_platform() {
  virsh -c qemu:///system version >/dev/null 2>&1 ||
    fail "libvirtd does not answer on qemu:///system; run scripts/setup first"
  "$ENSHU" images list workstation server attacker router >/dev/null ||
    fail "guest images are not built; run 'enshu images build'"
}

# Nothing named for range $1 may remain: domains, networks, guest isolation
# filters, overlay volumes, QEMU or dnsmasq processes.
assert_range_gone() {
  local name=$1
  local doms nets filters vols procs
  doms=$(virsh -c qemu:///system list --all --name | grep -c "^enshu-$name-" || true)
  nets=$(virsh -c qemu:///system net-list --all --name | grep -c "^enshu-$name-" || true)
  filters=$(virsh -c qemu:///system nwfilter-list | awk 'NR > 2 {print $2}' | grep -c "^enshu-$name-" || true)
  vols=$(virsh -c qemu:///system vol-list enshu 2>/dev/null | grep -c "enshu-$name-" || true)
  procs=$(pgrep -fc "enshu-$name-" || true)
  [ "$doms" = 0 ] || fail "$doms domains of range $name remain"
  [ "$nets" = 0 ] || fail "$nets networks of range $name remain"
  [ "$filters" = 0 ] || fail "$filters nwfilters of range $name remain"
  [ "$vols" = 0 ] || fail "$vols overlay volumes of range $name remain"
  [ "$procs" = 0 ] || fail "$procs processes of range $name remain: $(pgrep -fa "enshu-$name-")"
  [ ! -e "$ENSHU_STATE_DIR/ranges/$name.db" ] || fail "state of range $name remains"
}

# Bridge names of the libvirt networks of range $1.
range_bridges() {
  local n
  for n in $(virsh -c qemu:///system net-list --all --name | grep "^enshu-$1-"); do
    virsh -c qemu:///system net-info "$n" | awk '/^Bridge:/ {print $2}'
  done
}
# Each bridge given exists in the test namespace and not in the root one.
assert_bridges_in_netns() {
  local b
  for b in "$@"; do
    ip netns exec "$NETNS" ip link show "$b" >/dev/null 2>&1 || fail "bridge $b is not in namespace $NETNS"
    ! ip link show "$b" >/dev/null 2>&1 || fail "bridge $b is in the root network namespace"
  done
}
# None of the bridges given exists any more.
assert_bridges_gone() {
  local b
  for b in "$@"; do
    ! ip netns exec "$NETNS" ip link show "$b" >/dev/null 2>&1 || fail "bridge $b remains"
  done
}

# Team $2 in $1 (the output of 'enshu score --json') achieved no check
# objective and holds no objective points: a team that does nothing earns
# nothing, whatever its penalties.
assert_earned_nothing() {
  local achieved points
  achieved=$(jq -r --argjson t "$2" '[.teams[] | select(.team == $t) | .objectives[] | select(.kind == "check" and .achieved) | .id] | join(",")' <<<"$1")
  points=$(jq --argjson t "$2" '[.teams[] | select(.team == $t) | .objectives[].points] | add' <<<"$1")
  [ -z "$achieved" ] || fail "team $2 did nothing, yet achieved: $achieved"
  [ "$points" = 0 ] || fail "team $2 did nothing, yet holds $points objective points: $(jq -c --argjson t "$2" '.teams[] | select(.team == $t) | .objectives' <<<"$1")"
}

# Moves the clock of team $2's guest $3 in range $1 forward by $4 seconds, as
# if that much time had passed for whatever there goes by the wall clock (an
# attack step's bound), without waiting for it.
guest_clock_forward() {
  "$ENSHU" exec --name "$1" "$2" "$3" "date -s @\$(( \$(date +%s) + $4 )) >/dev/null"
}

# For a test that runs a scenario in the background as range $name (its
# process in $pid): the ledger and output paths, an exit trap that stops the
# run and takes the range down, and ways to look at both. Call with the
# range's name.
use_range() {
  name=$1
  ledger="$ENSHU_STATE_DIR/ranges/$name.events.db"
  out="$ENSHU_STATE_DIR/run.out"
  trap stop_range EXIT
}
stop_range() {
  if [ -n "${pid:-}" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  "$ENSHU" down --name "$name" >/dev/null 2>&1 || true
}
# Query $1 on the ledger; nothing when it cannot be read (yet).
sql() { sqlite3 -readonly "$ledger" "$1" 2>/dev/null || true; }
# A command on team $1's node $2, through the agent.
x() { "$ENSHU" exec --name "$name" --timeout 60s "$@"; }
# Waits until query $1 gives $2 (at most $3 seconds) while the run is alive;
# says why not and returns 1 otherwise.
wait_sql() {
  local i
  for i in $(seq 1 $(( ${3:-300} * 2 ))); do
    [ "$(sql "$1")" = "$2" ] && return 0
    kill -0 "$pid" 2>/dev/null || { echo "run ended early: $(tail -5 "$out")" >&2; return 1; }
    sleep 0.5
  done
  echo "timed out waiting for: $1 = $2 (ledger: $(sql "select team, kind, subject, text from events where kind like 'inject.%' order by seq" | tail -n 8 | tr '\n' ' '))" >&2
  return 1
}
