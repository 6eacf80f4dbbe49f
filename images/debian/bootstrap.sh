#!/usr/bin/env bash
# Makes the root tree that every Debian image starts from: mmdebstrap of
# Debian's bookworm with the packages of base/packages, trimmed by
# base/dpkg.cfg, with base/rootfs/etc/initramfs-tools in place before the
# kernel is installed (so its initramfs is built once, small).
#
#   images/debian/bootstrap.sh ROOT APT_CACHE
#
# ROOT must not exist. APT_CACHE holds the downloaded .deb files: they are
# copied in before and out after, so a second run downloads nothing that is
# still current. The package lists stay in ROOT (/var/lib/apt/lists) so that
# role images can install more packages from the same versions; build.sh
# removes them from the finished images. Mirrors: $ENSHU_DEBIAN_MIRROR
# (default http://deb.debian.org/debian) and $ENSHU_DEBIAN_SECURITY (default
# http://deb.debian.org/debian-security). Runs as root, in a mount namespace
# of its own (build.sh runs it under unshare), so mmdebstrap's mounts of
# /proc, /sys and /dev end with it.
set -Eeuo pipefail
umask 022
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 2 ] || { echo "usage: images/debian/bootstrap.sh ROOT APT_CACHE" >&2; exit 2; }
root=$1 cache=$2
mirror=${ENSHU_DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${ENSHU_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
suite=bookworm

packages=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/base/packages" | xargs | tr ' ' ',')
mkdir -p "$cache"

exec mmdebstrap --mode=root --variant=apt --format=directory \
  --dpkgopt="$here/base/dpkg.cfg" \
  --include="$packages" \
  --skip=essential/unlink --skip=cleanup/apt/lists \
  --setup-hook='mkdir -p "$1/var/cache/apt/archives" "$1/etc/initramfs-tools"' \
  --setup-hook="cp -R '$here/base/rootfs/etc/initramfs-tools/.' \"\$1/etc/initramfs-tools/\"" \
  --setup-hook="sync-in '$cache' /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives '$cache'" \
  "$suite" "$root" \
  "deb $mirror $suite main" \
  "deb $mirror $suite-updates main" \
  "deb $security $suite-security main"
