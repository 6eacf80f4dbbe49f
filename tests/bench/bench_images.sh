#!/usr/bin/env bash
# Benchmark of the guest images on real guests (TCG, no KVM): for each image,
# one guest of it brought up by `enshu up` until its agent answers, then the
# memory the guest uses (its own `free`, after boot) and the host memory of
# its QEMU process. With `build`, first the image build itself into an empty
# image folder (cold: every package downloaded and unpacked) and again
# (cached: nothing to do).
#
#   ENSHU=build/enshu tests/bench/bench_images.sh [build] [IMAGE...]
#
# Images: the ones named, or every built image of the store
# ($ENSHU_IMAGE_DIR or /var/lib/enshu/images). Runs libvirt's guests in the
# namespace scripts/setup made, as the e2e tests do.
set -euo pipefail
: "${ENSHU:?set ENSHU to the enshu binary}"
ENSHU=$(cd "$(dirname "$ENSHU")" && pwd)/$(basename "$ENSHU")
build=0
if [ "${1:-}" = build ]; then build=1; shift; fi
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

if [ $# -gt 0 ]; then
  images=("$@")
else
  mapfile -t images < <("$ENSHU" images list | awk '$2 == "built" || $2 == "imported" {print $1}')
fi
[ ${#images[@]} -gt 0 ] || { echo "no images: run 'enshu images build'" >&2; exit 1; }

if [ $build = 1 ]; then
  out=$(mktemp -d /var/tmp/enshu-bench-images-XXXXXX)
  echo "== build of ${images[*]} into an empty folder ($out)"
  t0=$(now)
  ENSHU_IMAGE_DIR=$out "$ENSHU" images build "${images[@]}" >"$out.log" 2>&1 ||
    { tail -n 20 "$out.log" >&2; exit 1; }
  t1=$(now)
  ENSHU_IMAGE_DIR=$out "$ENSHU" images build "${images[@]}" >>"$out.log" 2>&1
  t2=$(now)
  printf '  %-36s %8.1f s\n' "cold (download, unpack, build)" "$(elapsed "$t0" "$t1")"
  printf '  %-36s %8.1f s\n' "cached (unchanged recipes)" "$(elapsed "$t1" "$t2")"
  grep -E 'built in|: built|downloaded' "$out.log" | sed 's/^/    /' || true
  for img in "${images[@]}"; do
    [ -f "$out/$img/disk.qcow2" ] &&
      printf '    %-14s disk.qcow2 %s\n' "$img" "$(du -h --apparent-size "$out/$img/disk.qcow2" | cut -f1)"
  done
  export ENSHU_IMAGE_DIR=$out
fi

export ENSHU_STATE_DIR=$(mktemp -d /tmp/enshu-bench-XXXXXX)
name=benchimg
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true; rm -rf "$ENSHU_STATE_DIR"' EXIT
printf '\n== boot: start until the agent answers; memory after boot (%d cores, TCG)\n' "$(nproc)"
printf '  %-14s %9s %13s %13s\n' image ready "guest used" "QEMU RSS"
for img in "${images[@]}"; do
  cat >"$ENSHU_STATE_DIR/one.yaml" <<EOF
enshu: 1
id: bench-image
title: One guest
network:
  pool: 10.60.0.0/16
  segments: [{name: lan}]
nodes:
  - {name: g, image: $img, interfaces: [{segment: lan, host: 10}]}
EOF
  t0=$(now)
  "$ENSHU" up "$ENSHU_STATE_DIR/one.yaml" --teams 1 --name $name --timeout 5m >/dev/null
  t1=$(now)
  sleep 5 # what starts right after the agent settles
  used=$("$ENSHU" exec --name $name 1 g "free -m | awk '/^Mem:/ {print \$3}'" 2>/dev/null || echo '?')
  dom=enshu-$name-t01-g
  pid=$(pgrep -f "guest=$dom," | head -n 1 || true)
  rss=$([ -n "$pid" ] && awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$pid/status" || echo '?')
  printf '  %-14s %8.1fs %10s MiB %10s MiB\n' "$img" "$(elapsed "$t0" "$t1")" "$used" "$rss"
  "$ENSHU" down --name $name >/dev/null
done
