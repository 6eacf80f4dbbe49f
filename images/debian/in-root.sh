#!/usr/bin/env bash
# Runs a command inside an image's root tree with what package scripts need:
# /proc, /sys, a small /dev of its own (never the host's), /dev/pts, the
# host's resolv.conf (apt downloads), the shared apt cache on
# /var/cache/apt/archives, and a policy-rc.d that keeps every package script
# from starting a service. Everything mounted is unmounted, and the root left
# as it was apart from what the command did, when the command ends or fails.
#
#   unshare --mount --pid --fork --propagation private \
#     images/debian/in-root.sh ROOT APT_CACHE COMMAND [ARG...]
#
# build.sh runs it in a mount and pid namespace of its own: if the build is
# killed, the mounts and any process left behind vanish with the namespace,
# and nothing under ROOT points into the host when ROOT is removed.
set -Eeuo pipefail
[ $# -ge 3 ] || { echo "usage: images/debian/in-root.sh ROOT APT_CACHE COMMAND [ARG...]" >&2; exit 2; }
root=$(cd "$1" && pwd) cache=$2
shift 2
command=("$@")

mounted=()
undo=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount -l "${mounted[$i]}" 2>/dev/null || true
  done
  for ((i = ${#undo[@]} - 1; i >= 0; i--)); do
    eval "${undo[$i]}" || true
  done
}
trap cleanup EXIT

mnt() { # mnt TARGET mount-args...
  local target=$1
  shift
  mkdir -p "$target"
  mount "$@" "$target"
  mounted+=("$target")
}

mnt "$root/proc" -t proc proc
mnt "$root/sys" -t sysfs sysfs
mnt "$root/dev" -t tmpfs -o mode=0755,size=1m tmpfs
while read -r name type major minor; do
  mknod -m 0666 "$root/dev/$name" "$type" "$major" "$minor"
done <<'NODES'
null c 1 3
zero c 1 5
full c 1 7
random c 1 8
urandom c 1 9
tty c 5 0
NODES
ln -s /proc/self/fd "$root/dev/fd"
mnt "$root/dev/pts" -t devpts -o newinstance,ptmxmode=0666 devpts
ln -s pts/ptmx "$root/dev/ptmx"
mkdir -p "$cache"
mnt "$root/var/cache/apt/archives" --bind "$cache"
mnt "$root/run" -t tmpfs -o mode=0755,size=64m tmpfs

# apt resolves the mirror's name with the host's resolver.
if [ -e "$root/etc/resolv.conf" ] || [ -L "$root/etc/resolv.conf" ]; then
  mv "$root/etc/resolv.conf" "$root/etc/resolv.conf.enshu-build"
  undo+=("mv -f '$root/etc/resolv.conf.enshu-build' '$root/etc/resolv.conf'")
else
  undo+=("rm -f '$root/etc/resolv.conf'")
fi
cp -L /etc/resolv.conf "$root/etc/resolv.conf"

printf '#!/bin/sh\n# no service starts while an image is built\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod 0755 "$root/usr/sbin/policy-rc.d"
undo+=("rm -f '$root/usr/sbin/policy-rc.d'")

env -i HOME=/root TERM=dumb LANG=C.UTF-8 PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  DEBIAN_FRONTEND=noninteractive chroot "$root" "${command[@]}"
