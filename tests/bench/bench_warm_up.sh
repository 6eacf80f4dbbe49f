#!/usr/bin/env bash
# Benchmark on real guests: team ready by boot against team ready by warm
# restore (enshu up --warm). TEAMS teams (default 1) of SCENARIO (default
# scenarios/cyder-standard.yaml: six guests, five of them Debian) are
# brought up three times, each until every guest agent answers, its
# accounts are made and (warm) every restored guest has its identity:
#   boot        `enshu up`;
#   warm, cold  `enshu up --warm` with no template of these images yet
#               (made first, one boot each; skipped with KEEP=1, which keeps
#               the templates there are);
#   warm        `enshu up --warm` again, the templates made.
# Each is torn down before the next. The templates made stay in the image
# store's templates/ folder (remove it to start cold again).
#
#   ENSHU=build/enshu [KEEP=1] tests/bench/bench_warm_up.sh [TEAMS [SCENARIO]]
set -euo pipefail
: "${ENSHU:?set ENSHU to the enshu binary}"
here=$(cd "$(dirname "$0")" && pwd)
teams=${1:-1}
scenario=${2:-$here/../../scenarios/cyder-standard.yaml}
export ENSHU_STATE_DIR=$(mktemp -d /tmp/enshu-bench-XXXXXX)
name=benchwarm
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true; rm -rf "$ENSHU_STATE_DIR"' EXIT
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
# Seconds `enshu up ARGS...` takes; its output in $ENSHU_STATE_DIR/up.log.
up_time() {
  local t0
  t0=$(now)
  "$ENSHU" up "$scenario" --teams "$teams" --name $name --timeout 15m "$@" \
    >"$ENSHU_STATE_DIR/up.log" 2>&1 || { cat "$ENSHU_STATE_DIR/up.log" >&2; exit 1; }
  elapsed "$t0" "$(now)"
  "$ENSHU" down --name $name >/dev/null
}
templates=$(dirname "$("$ENSHU" images list mailserver | awk '{print $NF}')")/templates

printf 'real guests, TCG, %d cores, load average %s; %d team(s) of %s\n' "$(nproc)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)" "$teams" "$(basename "$scenario")"
boot=$(up_time)
printf '  %-12s %7.1f s\n' boot "$boot"
if [ "${KEEP:-0}" != 1 ]; then
  rm -rf "$templates"
  cold=$(up_time --warm)
  made=$(grep -c 'warm template of image .* made' "$ENSHU_STATE_DIR/up.log" || true)
  printf '  %-12s %7.1f s  (%d templates made)\n' "warm, cold" "$cold" "$made"
fi
warm=$(up_time --warm)
restored=$(grep -c 'restored in' "$ENSHU_STATE_DIR/up.log" || true)
booted=$(grep -c 'it boots' "$ENSHU_STATE_DIR/up.log" || true)
printf '  %-12s %7.1f s  (%d guests restored, %d booted)\n' warm "$warm" "$restored" "$booted"
grep 'restored in' "$ENSHU_STATE_DIR/up.log" | sed 's/^enshu: /    /'
printf '  warm / boot  %7.2f\n' "$(echo "$warm / $boot" | bc -l)"
printf 'load average after: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
