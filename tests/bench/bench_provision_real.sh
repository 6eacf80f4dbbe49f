#!/usr/bin/env bash
# Benchmark on real guests: TEAMS teams of a scenario (default: 4 teams of
# tests/e2e/three-nodes.yaml) brought up until every guest agent answers,
# then torn down, by enshu and by a plain sequential virsh script doing the
# same libvirt operations with the same XML (taken from enshu's own objects,
# the guest isolation filters included). Prints both and their ratio; the
# targets on a 2-core machine without KVM are, for 4 teams x 3 BusyBox
# nodes, ready <= 60 s, ratio <= 0.5, teardown <= 10 s, and for one team of
# scenarios/cyder-standard.yaml (six guests, five of them Debian) ready
# <= 90 s, ratio <= 0.5.
#
#   ENSHU=build/enshu tests/bench/bench_provision_real.sh [TEAMS [SCENARIO]]
set -euo pipefail
: "${ENSHU:?set ENSHU to the enshu binary}"
teams=${1:-4}
here=$(cd "$(dirname "$0")" && pwd)
scenario=${2:-$here/../e2e/three-nodes.yaml}
export ENSHU_STATE_DIR=$(mktemp -d /tmp/enshu-bench-XXXXXX)
name=benchreal
virsh="virsh -q -c qemu:///system"
xml=$ENSHU_STATE_DIR/xml
mkdir -p "$xml"
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

echo "== enshu: $teams teams of $(basename "$scenario")"
t0=$(now)
"$ENSHU" up "$scenario" --teams "$teams" --name $name --timeout 10m >/dev/null
t1=$(now)
# Keep the exact objects for the baseline before removing them.
for n in $($virsh net-list --all --name | grep "^enshu-$name-"); do $virsh net-dumpxml "$n" > "$xml/net-$n.xml"; done
for f in $($virsh nwfilter-list | awk '{print $2}' | grep "^enshu-$name-"); do
  $virsh nwfilter-dumpxml "$f" | grep -v '<uuid>' > "$xml/filter-$f.xml"
done
for d in $($virsh list --all --name | grep "^enshu-$name-"); do
  $virsh dumpxml --inactive "$d" > "$xml/dom-$d.xml"
  $virsh vol-dumpxml --pool enshu "$d.qcow2" > "$xml/vol-$d.xml"
done
t2=$(now)
"$ENSHU" down --name $name >/dev/null
t3=$(now)
enshu_up=$(elapsed "$t0" "$t1")
enshu_down=$(elapsed "$t2" "$t3")

echo "== sequential virsh script: the same objects, one after another"
b0=$(now)
for f in "$xml"/net-*.xml; do
  n=$(basename "$f" .xml); n=${n#net-}
  $virsh net-define "$f" >/dev/null && $virsh net-start "$n" >/dev/null
done
for f in "$xml"/filter-*.xml; do $virsh nwfilter-define "$f" >/dev/null; done
for f in "$xml"/dom-*.xml; do
  d=$(basename "$f" .xml); d=${d#dom-}
  $virsh vol-create enshu "$xml/vol-$d.xml" >/dev/null
  $virsh define "$f" >/dev/null && $virsh start "$d" >/dev/null
  until $virsh qemu-agent-command "$d" '{"execute":"guest-ping"}' --timeout 1 >/dev/null 2>&1; do sleep 0.3; done
done
b1=$(now)
for f in "$xml"/dom-*.xml; do
  d=$(basename "$f" .xml); d=${d#dom-}
  $virsh destroy "$d" >/dev/null; $virsh undefine "$d" >/dev/null
  $virsh vol-delete --pool enshu "$d.qcow2" >/dev/null
done
for f in "$xml"/filter-*.xml; do
  n=$(basename "$f" .xml); $virsh nwfilter-undefine "${n#filter-}" >/dev/null
done
for f in "$xml"/net-*.xml; do
  n=$(basename "$f" .xml); n=${n#net-}
  $virsh net-destroy "$n" >/dev/null; $virsh net-undefine "$n" >/dev/null
done
b2=$(now)
base_up=$(elapsed "$b0" "$b1")
base_down=$(elapsed "$b1" "$b2")
trap - EXIT
rm -rf "$ENSHU_STATE_DIR"

printf '\nreal guests, %d teams of %s (TCG, %d cores)\n' "$teams" "$(basename "$scenario")" "$(nproc)"
printf '  %-28s %8s %8s\n' "" "ready" "teardown"
printf '  %-28s %7.1fs %7.1fs\n' "enshu up/down" "$enshu_up" "$enshu_down"
printf '  %-28s %7.1fs %7.1fs\n' "sequential virsh script" "$base_up" "$base_down"
printf '  ratio enshu/script: ready %.2f, teardown %.2f (targets: see the top of this script)\n' \
  "$(echo "$enshu_up / $base_up" | bc -l)" "$(echo "$enshu_down / $base_down" | bc -l)"
