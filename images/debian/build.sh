#!/usr/bin/env bash
# Builds Enshu's Debian guest images from Debian packages only.
#
#   images/debian/build.sh OUT_DIR [NAME...]
#
# Every directory images/debian/NAME holding an image.yaml is an image
# (default: all of them). Steps, each cached in OUT_DIR/.work/debian by a hash
# of what it is made from:
#   packages  bootstrap.sh: mmdebstrap of base/packages (trimmed by
#             base/dpkg.cfg); the .deb files stay in .work/debian/apt-archives
#   base      a copy of that root + base/rootfs + base/setup.sh (in the root)
#   NAME      a copy of base's root + apt-get install NAME/packages +
#             NAME/rootfs + the users of NAME/image.yaml + NAME/setup.sh + a
#             random root password (printed nowhere; root is reached by sudo)
# and each image becomes OUT_DIR/NAME/ with
#   disk.qcow2      the root file system (ext4 on /dev/vda, zstd-compressed qcow2)
#   vmlinuz         the root's kernel, unpacked from its bzImage into the ELF
#                   that QEMU boots directly (PVH): saves seconds under TCG
#   initrd.img      the root's initramfs (virtio disk and ext4 only)
#   image.json      IMAGES-CONTRACT.md: boot "kernel", addressing "cmdline"
#   recipe.sha256   the cache key: sha256 over base/, NAME/, these scripts
#                   (with images/lib.sh) and the mirrors
# An image whose key matches OUT_DIR/NAME/recipe.sha256 is not rebuilt. Each
# step works in a temporary directory renamed into place when done, so an
# interrupted build never leaves something that looks finished. Builds into
# one OUT_DIR are serialised by the lock images/build.sh takes too. Commands
# inside a root run in a mount and pid namespace of their own (in-root.sh):
# nothing stays mounted or running if the build is killed.
# Mirrors: $ENSHU_DEBIAN_MIRROR, $ENSHU_DEBIAN_SECURITY (bootstrap.sh).
set -Eeuo pipefail
umask 022

prog=images/debian/build.sh
step=start
die() { echo "$prog: $*" >&2; exit 1; }
trap 'echo "$prog: $step: failed: line $LINENO: $BASH_COMMAND" >&2' ERR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=images/lib.sh
. "$here/../lib.sh"
[ $# -ge 1 ] || { echo "usage: $prog OUT_DIR [NAME...]" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "must run as root (mmdebstrap, chroot and mounts)"
mkdir -p "$1" || die "cannot create output directory $1"
out=$(cd "$1" && pwd)
shift
work=$out/.work
dwork=$work/debian
cache=$dwork/apt-archives
export ENSHU_DEBIAN_MIRROR=${ENSHU_DEBIAN_MIRROR:-http://deb.debian.org/debian}
export ENSHU_DEBIAN_SECURITY=${ENSHU_DEBIAN_SECURITY:-http://deb.debian.org/debian-security}

if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for f in "$here"/*/image.yaml; do
    d=${f%/image.yaml}
    names+=("${d##*/}")
  done
fi
[ ${#names[@]} -gt 0 ] || die "no images found in $here"
for name in "${names[@]}"; do
  [ -f "$here/$name/image.yaml" ] || { echo "$prog: unknown image '$name' (no $here/$name/image.yaml)" >&2; exit 2; }
done

# Debian's own python3, where python3-yaml installs (not another python3
# that may come first on PATH).
python=/usr/bin/python3
for cmd in mmdebstrap unshare chroot mount mkfs.ext4 qemu-img flock sha256sum xz $python; do
  command -v "$cmd" >/dev/null || die "'$cmd' not found; run scripts/setup (packages: mmdebstrap e2fsprogs qemu-utils xz-utils python3-yaml ...)"
done
$python -c 'import yaml' 2>/dev/null || die "$python has no yaml module; run scripts/setup (package python3-yaml)"
for name in "${names[@]}"; do
  $python "$here/meta.py" check "$here/$name/image.yaml" || exit 1
done

# Serialise builds into the same OUT_DIR; remove what killed builds left.
mkdir -p "$dwork"
lock_out "$out" "$dwork"

# Runs a command in root $1 (in-root.sh: mounts, no services, apt cache).
in_root() {
  local root=$1
  shift
  unshare --mount --pid --fork --propagation private "$here/in-root.sh" "$root" "$cache" "$@"
}

# Runs the bash script $2 inside root $1, from a copy under /tmp.
run_script() {
  local root=$1 script=$2
  local rc=0
  cp "$script" "$root/tmp/enshu-setup.sh"
  in_root "$root" /bin/bash /tmp/enshu-setup.sh || rc=$?
  rm -f "$root/tmp/enshu-setup.sh"
  return $rc # a failing script fails the build
}

# Explains a failed download in log $2 of step $1 and exits; returns when the
# log shows no download failure.
download_failure() {
  local what=$1 log=$2 line
  line=$(grep -E -m 1 'Failed to fetch|Could not resolve|Temporary failure resolving|Unable to connect|Could not connect|Connection (failed|timed out)|Unable to fetch|failed to download|Some index files failed|does not have a Release file|404 +Not Found' "$log" | sed "s/^[[:space:]]*//" || true)
  [ -n "$line" ] || return 0
  echo "$prog: $what could not download packages from $ENSHU_DEBIAN_MIRROR: ${line#E: }" >&2
  if [[ $line == *404* ]]; then
    echo "$prog: (the package lists of the cached base may be older than the mirror: remove $dwork to start afresh)" >&2
  fi
  exit 1
}

packages_key=$( (echo "$ENSHU_DEBIAN_MIRROR $ENSHU_DEBIAN_SECURITY"
  tree_sum bootstrap.sh base/packages base/dpkg.cfg base/rootfs/etc/initramfs-tools) | sha256sum | cut -c1-64)
base_key=$( (echo "$packages_key"; tree_sum ../lib.sh build.sh in-root.sh meta.py base) | sha256sum | cut -c1-64)
image_key() { (echo "$base_key"; tree_sum "$1") | sha256sum | cut -c1-64; }

# --- packages: mmdebstrap, once ---------------------------------------------

# Sets pdir to the root tree of base/packages (pdir/root).
packages_root() {
  local t t0
  step=base
  pdir=$dwork/packages-${packages_key:0:16}
  [ -d "$pdir/root" ] && return 0
  t0=$(now)
  newtmp "$dwork" packages; t=$tmp
  echo "base: mmdebstrap (bookworm from $ENSHU_DEBIAN_MIRROR)..."
  if ! unshare --mount --pid --fork --propagation private \
    "$here/bootstrap.sh" "$t/root" "$cache" > "$t/mmdebstrap.log" 2>&1; then
    download_failure "base: mmdebstrap" "$t/mmdebstrap.log"
    die "base: mmdebstrap failed: $(grep -E '^E:' "$t/mmdebstrap.log" | head -n 3 || tail -n 5 "$t/mmdebstrap.log")"
  fi
  rm -rf "$dwork"/packages-*
  publish "$t" "$pdir"
  echo "base: packages installed in $(since "$t0") s"
}

# Sets bdir to the base root: packages + base/rootfs + base/setup.sh (bdir/root).
base_root() {
  local t t0
  bdir=$dwork/base-${base_key:0:16}
  [ -d "$bdir/root" ] && return 0
  packages_root
  step=base
  t0=$(now)
  newtmp "$dwork" base; t=$tmp
  cp -a "$pdir/root" "$t/root"
  cp -R --preserve=mode,links "$here/base/rootfs/." "$t/root/"
  run_script "$t/root" "$here/base/setup.sh" > "$t/setup.log" 2>&1 ||
    die "base: setup.sh failed: $(tail -n 5 "$t/setup.log")"
  rm -rf "$dwork"/base-*
  publish "$t" "$bdir"
  echo "base: set up in $(since "$t0") s"
}

# --- one image ---------------------------------------------------------------

build_image() {
  local name=$1 key=$2 t root pkgs kernels initrds used size
  step=$name
  newtmp "$out" "$name"; t=$tmp
  root=$t/root
  cp -a "$bdir/root" "$root"

  pkgs=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/$name/packages" 2>/dev/null | xargs || true)
  if [ -n "$pkgs" ]; then
    # shellcheck disable=SC2086
    if ! in_root "$root" apt-get install -y -q --no-install-recommends \
      -o Dpkg::Options::=--force-confold $pkgs > "$t/apt.log" 2>&1; then
      download_failure "$name: apt-get" "$t/apt.log"
      die "$name: apt-get install failed: $(grep -E '^E:' "$t/apt.log" | head -n 3 || tail -n 5 "$t/apt.log")"
    fi
  fi
  if [ -d "$here/$name/rootfs" ]; then
    cp -R --preserve=mode,links "$here/$name/rootfs/." "$root/"
  fi
  $python "$here/meta.py" users "$here/$name/image.yaml" > "$t/users.sh"
  run_script "$root" "$t/users.sh" > "$t/users.log" 2>&1 ||
    die "$name: creating the users of image.yaml failed: $(tail -n 5 "$t/users.log")"
  if [ -f "$here/$name/setup.sh" ]; then
    run_script "$root" "$here/$name/setup.sh" > "$t/setup.log" 2>&1 ||
      die "$name: setup.sh failed: $(tail -n 5 "$t/setup.log")"
  fi
  # Root's password: random, known to nobody.
  in_root "$root" /bin/sh -c 'echo "root:$(head -c 24 /dev/urandom | base64)" | chpasswd' ||
    die "$name: cannot set root's password"

  # What no image carries: package lists, caches, build-time identity.
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/tmp/* "$root"/var/tmp/*
  find "$root/var/log" -type f -delete
  head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$root/etc/machine-id"
  echo >> "$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  printf '# written at boot by enshu-guest.service\n' > "$root/etc/resolv.conf"
  echo "$name" > "$root/etc/hostname"

  kernels=("$root"/boot/vmlinuz-*)
  initrds=("$root"/boot/initrd.img-*)
  [ ${#kernels[@]} -eq 1 ] && [ -f "${kernels[0]}" ] || die "$name: expected one kernel in /boot, found: ${kernels[*]}"
  [ ${#initrds[@]} -eq 1 ] && [ -f "${initrds[0]}" ] || die "$name: expected one initramfs in /boot, found: ${initrds[*]}"
  uncompressed_kernel "${kernels[0]}" "${kernels[0]/vmlinuz-/config-}" "$t/vmlinuz"
  cp "${initrds[0]}" "$t/initrd.img"

  # The disk: what the root holds plus 2 GiB for the exercise, in 256 MiB steps.
  used=$(du -sxm "$root" | cut -f1)
  size=$(((used + 2048 + 255) / 256 * 256))
  mkfs.ext4 -q -F -L root -d "$root" "$t/disk.raw" "${size}M" > "$t/mkfs.log" 2>&1 ||
    die "$name: mkfs.ext4 failed: $(tail -n 3 "$t/mkfs.log")"
  rm -rf "$root"
  qemu-img convert -c -f raw -O qcow2 -o compression_type=zstd "$t/disk.raw" "$t/disk.qcow2" ||
    die "$name: qemu-img convert failed"
  rm -f "$t/disk.raw" "$t"/*.log "$t/users.sh"

  echo "$key" > "$t/recipe.sha256"
  $python "$here/meta.py" json "$here/$name/image.yaml" "$name" "$key" > "$t/image.json"
  publish_readable "$t" "$out/$name"
}

declare -A keys=()
todo=()
for name in "${names[@]}"; do
  keys[$name]=$(image_key "$name")
  if [ "$(cat "$out/$name/recipe.sha256" 2>/dev/null)" = "${keys[$name]}" ] && [ -f "$out/$name/image.json" ]; then
    echo "image $name: cached"
  else
    todo+=("$name")
  fi
done
[ ${#todo[@]} -gt 0 ] || exit 0

t0=$(now)
base_root
for name in "${todo[@]}"; do
  t0=$(now)
  build_image "$name" "${keys[$name]}"
  echo "image $name: built in $(since "$t0") s ($(du -m "$out/$name/disk.qcow2" | cut -f1) MiB disk)"
done
chmod 0755 "$out"
