#!/usr/bin/env bash
# Benchmark on real guests (TCG, no KVM): booting guests against restoring
# them from a saved memory state. For each image:
#   boot 1     one guest of it brought up by `enshu up` until its agent answers
#              (this guest becomes the template);
#   save       `virsh save` of the booted template: its memory to a file, the
#              domain stopped; its disk (an overlay of the image) is never
#              written again;
#   restore 1  one copy restored until its agent answers;
#   restore N  N copies restored at once until every agent answers;
#   boot N     N guests brought up at once by `enshu up --teams N`.
# A copy is a qcow2 overlay of the template's disk, on a network of its own,
# under its own name and uuid. libvirt refuses a new name or uuid in
# `virsh restore --xml` ("Target domain name ... does not match source"), so
# each copy gets its own save file with the XML of its header rewritten
# (save_image_xml.py); creating the overlay and that file is counted in the
# restore times. The MAC addresses stay the template's (the ABI check of a
# restore requires it; every team's LAN is a bridge of its own). Also shown:
# the size of the save file, QEMU's RSS for a booted and a restored guest,
# and how far behind the host a restored guest's clock is.
#
#   ENSHU=build/enshu [BOOT_N=0] tests/bench/bench_restore.sh [N [IMAGE...]]
#
# BOOT_N=0 leaves out boot N (N guests booting at once load the machine for
# minutes). Default: N=3, images server (BusyBox), mailserver and desktop (Debian).
# Every libvirt object it makes is named enshu-restore-*; all are removed.
set -euo pipefail
: "${ENSHU:?set ENSHU to the enshu binary}"
ENSHU=$(cd "$(dirname "$ENSHU")" && pwd)/$(basename "$ENSHU")
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-3}
shift || true
images=("$@")
[ ${#images[@]} -gt 0 ] || images=(server mailserver desktop)
virsh="virsh -q -c qemu:///system"
pool=$($virsh pool-dumpxml enshu | sed -n 's|.*<path>\(.*\)</path>.*|\1|p')
export ENSHU_STATE_DIR=$(mktemp -d /tmp/enshu-bench-XXXXXX)
work=$(mktemp -d /var/tmp/enshu-restore-XXXXXX)
name=restore
tpl=enshu-$name-t01-g

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
rss_of() { # MiB of the QEMU process of domain $1
  local pid
  pid=$(pgrep -f "guest=$1," | head -n 1 || true)
  [ -n "$pid" ] && awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$pid/status" || echo '?'
}
wait_agent() { # until the agent of domain $1 answers
  until $virsh qemu-agent-command "$1" '{"execute":"guest-ping"}' --timeout 1 >/dev/null 2>&1; do
    sleep 0.1
  done
}
clock_lag() { # seconds the guest clock of domain $1 is behind the host
  local g
  g=$($virsh qemu-agent-command "$1" '{"execute":"guest-get-time"}' | sed 's/[^0-9]//g')
  echo "$(date +%s%N) $g" | awk '{printf "%.1f", ($1 - $2) / 1e9}'
}
cleanup_copies() {
  local d
  for d in $($virsh list --all --name | grep '^enshu-restore-c' || true); do
    $virsh destroy "$d" >/dev/null 2>&1 || true
    $virsh undefine "$d" >/dev/null 2>&1 || true
  done
  for d in $($virsh net-list --all --name | grep '^enshu-restore-n' || true); do
    $virsh net-destroy "$d" >/dev/null 2>&1 || true
    $virsh net-undefine "$d" >/dev/null 2>&1 || true
  done
  rm -f "$pool"/enshu-restore-c*.qcow2 "$work"/c*.sav
}
cleanup() {
  cleanup_copies
  "$ENSHU" down --name $name >/dev/null 2>&1 || true
  rm -rf "$ENSHU_STATE_DIR" "$work"
}
trap cleanup EXIT

restore_copies() { # restore copies $1..$2 at once; prints seconds until every agent answers
  local t0 i
  t0=$(now)
  for i in $(seq "$1" "$2"); do
    (
      c=enshu-restore-c$i
      qemu-img create -q -f qcow2 -b "$pool/$tpl.qcow2" -F qcow2 "$pool/$c.qcow2"
      chown --reference="$pool/$tpl.qcow2" "$pool/$c.qcow2"
      sed -e "s|<name>.*</name>|<name>$c</name>|" \
          -e "s|<uuid>.*</uuid>|<uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>|" \
          -e "s|$pool/$tpl.qcow2|$pool/$c.qcow2|" \
          -e "s|<source network='[^']*'|<source network='enshu-restore-n$i'|" \
          "$work/tpl.xml" >"$work/c$i.xml"
      "$here/save_image_xml.py" "$work/tpl.sav" "$work/c$i.sav" "$work/c$i.xml"
      $virsh restore "$work/c$i.sav" >/dev/null
      wait_agent "$c"
    ) &
  done
  wait
  elapsed "$t0" "$(now)"
}

printf 'real guests, TCG, %d cores; N=%d copies\n' "$(nproc)" "$n"
printf '  %-11s %7s %7s %9s %9s %7s %9s %9s %11s %9s\n' image "boot 1" save "save file" \
  "restore 1" "boot $n" "restore $n" "RSS boot" "RSS restore" "clock lag"
for img in "${images[@]}"; do
  cat >"$ENSHU_STATE_DIR/one.yaml" <<EOF
enshu: 1
id: bench-restore
title: One guest
network:
  pool: 10.61.0.0/16
  segments: [{name: lan}]
nodes:
  - {name: g, image: $img, interfaces: [{segment: lan, host: 10}]}
EOF
  for i in $(seq 1 "$n"); do # an isolated network per copy, as a team's LAN
    $virsh net-create /dev/stdin >/dev/null <<EOF
<network><name>enshu-restore-n$i</name><bridge name='enshurst$i'/></network>
EOF
  done

  t0=$(now)
  "$ENSHU" up "$ENSHU_STATE_DIR/one.yaml" --teams 1 --name $name --timeout 10m >/dev/null
  boot1=$(elapsed "$t0" "$(now)")
  sleep 5 # what starts right after the agent settles
  rss_boot=$(rss_of $tpl)

  t0=$(now)
  $virsh save $tpl "$work/tpl.sav" >/dev/null
  save=$(elapsed "$t0" "$(now)")
  $virsh save-image-dumpxml "$work/tpl.sav" >"$work/tpl.xml"
  size=$(du -m --apparent-size "$work/tpl.sav" | cut -f1)

  restore1=$(restore_copies 1 1)
  rss_restore=$(rss_of enshu-restore-c1)
  lag=$(clock_lag enshu-restore-c1)
  cleanup_copies
  for i in $(seq 1 "$n"); do
    $virsh net-create /dev/stdin >/dev/null <<EOF
<network><name>enshu-restore-n$i</name><bridge name='enshurst$i'/></network>
EOF
  done
  restoren=$(restore_copies 1 "$n")
  cleanup_copies
  "$ENSHU" down --name $name >/dev/null

  bootn=0
  if [ "${BOOT_N:-1}" != 0 ]; then
    t0=$(now)
    "$ENSHU" up "$ENSHU_STATE_DIR/one.yaml" --teams "$n" --name $name --timeout 10m >/dev/null
    bootn=$(elapsed "$t0" "$(now)")
    "$ENSHU" down --name $name >/dev/null
  fi

  printf '  %-11s %6.1fs %6.1fs %5d MiB %8.1fs %6.1fs %8.1fs %5s MiB %7s MiB %9ss\n' "$img" \
    "$boot1" "$save" "$size" "$restore1" "$bootn" "$restoren" "$rss_boot" "$rss_restore" "$lag"
done
