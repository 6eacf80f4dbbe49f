#!/usr/bin/env bash
# Builds Enshu's guest images from Debian packages only.
#
#   images/build.sh OUT_DIR [NAME...]
#
# Every directory images/NAME holding a role.sh is an image (default: all of
# them). Each becomes OUT_DIR/NAME/ with
#   vmlinuz         the Debian kernel (the version linux-image-amd64 depends on),
#                   unpacked from its bzImage into the ELF that QEMU boots
#                   directly (PVH entry): saves seconds of boot under TCG
#   initrd.img      gzip cpio: busybox-static, the kernel modules in
#                   base/modules, the programs in base/binaries (qemu-ga...),
#                   base/rootfs, NAME/rootfs and NAME/role.sh
#   disk.qcow2      32 MiB ext4 data disk (mounted at /data) made from NAME/data
#   recipe.sha256   the cache key: sha256 over images/base, images/NAME, this
#                   script and the kernel, busybox-static and base/binaries
#                   package versions
#   image.json      the image's metadata for the engine (engine/range/image_store.h):
#                   built, linux, sh, boot kernel with no flags of its own,
#                   addressing from the kernel command line, a serial console,
#                   160 MiB and 1 vCPU by default
# An image whose key matches OUT_DIR/NAME/recipe.sha256 is not rebuilt. The
# downloaded kernel, the module set and the copied programs are kept in
# OUT_DIR/.work and shared by all images. Each image is built in a temporary
# directory and renamed into place, so an interrupted build never leaves a
# half image that looks cached. Builds of one OUT_DIR are serialised by a lock.
set -Eeuo pipefail
umask 022

prog=images/build.sh
die() { echo "$prog: $*" >&2; exit 1; }
trap 'echo "$prog: failed: line $LINENO: $BASH_COMMAND" >&2' ERR

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=images/lib.sh
. "$here/lib.sh"
[ $# -ge 1 ] || { echo "usage: $prog OUT_DIR [NAME...]" >&2; exit 2; }
mkdir -p "$1" || die "cannot create output directory $1"
out=$(cd "$1" && pwd)
shift
work=$out/.work

if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for f in "$here"/*/role.sh; do
    d=${f%/role.sh}
    names+=("${d##*/}")
  done
fi
[ ${#names[@]} -gt 0 ] || die "no images found in $here"
for name in "${names[@]}"; do
  [ -f "$here/$name/role.sh" ] || { echo "$prog: unknown image '$name' (no $here/$name/role.sh)" >&2; exit 2; }
done

for cmd in apt-cache apt-get dpkg-deb dpkg-query modinfo ldd cpio gzip mke2fs qemu-img flock sha256sum; do
  command -v "$cmd" >/dev/null || die "'$cmd' not found; run scripts/setup (packages: apt kmod cpio e2fsprogs qemu-utils ...)"
done
busybox=/bin/busybox
[ -x "$busybox" ] && dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' ||
  die "busybox-static is not installed (apt-get install busybox-static)"

# Serialise builds into the same OUT_DIR; remove what killed builds left.
lock_out "$out" "$work"

# --- versions ---------------------------------------------------------------

pkg_version() {
  dpkg-query -W -f='${Status} ${Version}' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'
}

# The kernel package linux-image-amd64 depends on, and its candidate version.
# apt-cache takes seconds here (no package cache), so the answer is remembered
# until the apt lists change.
lists_state=$( { stat -c '%n %s %Y' /var/lib/apt/lists/*Packages* /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true; } | sha256sum | cut -c1-64)
kernel_pkg= kernel_ver=
if [ -f "$work/kernel.lookup" ]; then
  read -r state kernel_pkg kernel_ver < "$work/kernel.lookup" || true
  [ "$state" = "$lists_state" ] || kernel_pkg=
fi
if [ -z "$kernel_pkg" ]; then
  kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1)
  [ -n "$kernel_pkg" ] || die "apt-cache knows no linux-image-amd64 dependency; run apt-get update"
  kernel_ver=$(apt-cache show --no-all-versions "$kernel_pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
  [ -n "$kernel_ver" ] || die "apt-cache has no version of $kernel_pkg"
  echo "$lists_state $kernel_pkg $kernel_ver" > "$work/kernel.lookup"
fi

script_sum=$(cat "$here/build.sh" "$here/lib.sh" | sha256sum | cut -c1-64)
binaries=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/base/binaries")
versions="kernel $kernel_pkg $kernel_ver"$'\n'"busybox-static $(pkg_version busybox-static)"
for pkg in $(echo "$binaries" | awk '{ print $1 }' | sort -u); do
  v=$(pkg_version "$pkg")
  [ -n "$v" ] || die "package $pkg (listed in base/binaries) is not installed"
  versions+=$'\n'"$pkg $v"
done

# sha256 over the recipe of image $1: its files and base's (names, contents,
# executable bits, link targets), this script and the package versions.
recipe_key() {
  (echo "$versions"; tree_sum base "$1"; echo "$script_sum") | sha256sum | cut -c1-64
}

# --- shared pieces, built once into OUT_DIR/.work ---------------------------
# Each is a directory named after a hash of what it is made from (including
# this script, which says how) and is replaced whole when that changes.

# Sets deb to the kernel package file, downloading it on first use.
kernel_deb() {
  local t0 t
  deb=$work/deb/${kernel_pkg}_${kernel_ver}.deb
  [ -f "$deb" ] && return 0
  t0=$(now)
  newtmp "$work" deb; t=$tmp
  (cd "$t" && apt-get download "$kernel_pkg=$kernel_ver") > "$t/download.log" 2>&1 ||
    die "cannot download $kernel_pkg $kernel_ver: $(tail -n 3 "$t/download.log")"
  rm -rf "$work/deb"
  mkdir -p "$work/deb"
  mv "$t"/*.deb "$deb"
  echo "kernel $kernel_pkg $kernel_ver: downloaded in $(since "$t0") s"
}

# Sets kdir to a directory holding the kernel to boot (vmlinuz), the .ko files
# of base/modules and their dependencies, and load-order: "GROUP MODULE" lines
# in the order to insmod them.
kernel_dir() {
  local id t0 t tree f m group
  id=$( (echo "$kernel_pkg $kernel_ver $script_sum"; cat "$here/base/modules") | sha256sum | cut -c1-16)
  kdir=$work/kernel-$id
  [ -f "$kdir/load-order" ] && return 0
  kernel_deb
  t0=$(now)
  newtmp "$work" kernel; t=$tmp
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$t" --wildcards './boot/*' './lib/modules/*'
  uncompressed_kernel "$t"/boot/vmlinuz-* "$t"/boot/config-* "$t/vmlinuz"

  tree=$(echo "$t"/lib/modules/*/kernel)
  declare -A path=() state=()
  while IFS= read -r f; do
    m=${f##*/}; m=${m%.ko}; m=${m//-/_}
    path[$m]=$f
  done < <(find "$tree" -name '*.ko')
  order=()
  # Appends module $2 of group $1 to order, after its dependencies.
  add_module() {
    local group=$1 m=$2 dep
    case "${state[$m]:-}" in
      done) return 0 ;;
      busy) die "module dependency cycle at $m" ;;
    esac
    [ -n "${path[$m]:-}" ] || die "module $m (from base/modules) is not in $kernel_pkg"
    state[$m]=busy
    for dep in $(modinfo -F depends "${path[$m]}" | tr ',' ' '); do
      add_module "$group" "${dep//-/_}"
    done
    state[$m]=done
    order+=("$group $m")
  }
  while read -r group m; do
    add_module "$group" "$m"
  done < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/base/modules")
  for f in "${order[@]}"; do
    cp "${path[${f#* }]}" "$t/${f#* }.ko"
  done
  printf '%s\n' "${order[@]}" > "$t/load-order"

  rm -rf "$t/boot" "$t/lib"
  rm -rf "$work"/kernel-*
  publish_readable "$t" "$kdir"
  echo "kernel and modules $(awk '{ print $2 }' "$kdir/load-order" | xargs): extracted in $(since "$t0") s"
}

# Sets bdir to a root tree holding the programs of base/binaries and every
# shared library they load.
binaries_dir() {
  local id t0 t pkg file target lib
  id=$( (echo "$versions $script_sum"; echo "$binaries") | sha256sum | cut -c1-16)
  bdir=$work/binaries-$id
  [ -d "$bdir" ] && return 0
  t0=$(now)
  newtmp "$work" binaries; t=$tmp
  while read -r pkg file; do
    [ -e "$file" ] || die "$file (package $pkg) not found"
    mkdir -p "$t${file%/*}"
    if [ -L "$file" ]; then
      cp -P "$file" "$t$file"
      target=$(readlink -f "$file")
      [ "${target%/*}" = "${file%/*}" ] || die "$file links out of its directory"
      file=$target
    fi
    cp -L "$file" "$t$file"
    for lib in $(ldd "$file" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
      mkdir -p "$t${lib%/*}"
      cp -L "$lib" "$t$lib"
    done
  done <<< "$binaries"
  rm -rf "$work"/binaries-*
  publish_readable "$t" "$bdir"
  echo "binaries $(echo "$binaries" | awk '{ print $2 }' | xargs): copied in $(since "$t0") s"
}

# --- one image ---------------------------------------------------------------

# image.json of image $1 with recipe key $2 (the whole folder is renamed into
# place, so it appears together with the files it names).
write_image_json() {
  local consoles='"serial"'
  # images/NAME/graphical: the image draws a login on its screen too.
  [ ! -e "$here/$1/graphical" ] || consoles='"serial", "graphical"'
  cat <<JSON
{
  "name": "$1",
  "origin": "built",
  "os": "linux",
  "exec": "sh",
  "boot": "kernel",
  "cmdline": "",
  "addressing": "cmdline",
  "consoles": [$consoles],
  "memory_mib": 160,
  "vcpus": 1,
  "disk": "disk.qcow2",
  "sha256": "$2",
  "recipe": "$2"
}
JSON
}

build_image() {
  local name=$1 key=$2 t root data d
  newtmp "$out" "$name"; t=$tmp
  root=$t/rootfs
  mkdir -p "$root"
  for d in bin sbin usr/bin usr/sbin lib lib64 etc/enshu proc sys dev run tmp var/log var/lib var/spool root home data mnt; do
    mkdir -p "$root/$d"
  done
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  ln -s ../run "$root/var/run"
  ln -s ../tmp "$root/var/tmp"

  # busybox and its applets, laid out as "busybox --install -s" would
  cp "$busybox" "$root/bin/busybox"
  "$busybox" --list-full | while read -r f; do
    case "$f" in bin/busybox|linuxrc) continue ;; esac
    ln -s /bin/busybox "$root/$f"
  done
  ln -s bin/busybox "$root/init"

  cp -a "$bdir/." "$root/"
  mkdir -p "$root/lib/modules"
  cp "$kdir"/*.ko "$kdir/load-order" "$root/lib/modules/"

  cp -R --preserve=mode,links "$here/base/rootfs/." "$root/"
  if [ -d "$here/$name/rootfs" ]; then
    cp -R --preserve=mode,links "$here/$name/rootfs/." "$root/"
  fi
  cp "$here/$name/role.sh" "$root/etc/enshu/role.sh"
  echo "$name" > "$root/etc/enshu/image"

  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -6 -n > "$t/initrd.img"
  ln "$kdir/vmlinuz" "$t/vmlinuz" 2>/dev/null || cp "$kdir/vmlinuz" "$t/vmlinuz"

  data=$t/data
  mkdir -p "$data"
  if [ -d "$here/$name/data" ]; then
    cp -R --preserve=mode,links "$here/$name/data/." "$data/"
  fi
  mke2fs -q -F -t ext4 -L data -E root_owner=0:0 -d "$data" "$t/disk.ext4" 32M >/dev/null ||
    die "mke2fs failed for $name"
  qemu-img convert -f raw -O qcow2 "$t/disk.ext4" "$t/disk.qcow2"
  rm -rf "$root" "$data" "$t/disk.ext4"

  echo "$key" > "$t/recipe.sha256"
  write_image_json "$name" "$key" > "$t/image.json"
  publish_readable "$t" "$out/$name"
}

declare -A keys=()
todo=()
for name in "${names[@]}"; do
  keys[$name]=$(recipe_key "$name")
  if [ "$(cat "$out/$name/recipe.sha256" 2>/dev/null)" = "${keys[$name]}" ] && [ -f "$out/$name/image.json" ]; then
    echo "image $name: cached"
  else
    todo+=("$name")
  fi
done
[ ${#todo[@]} -gt 0 ] || exit 0

kernel_dir
binaries_dir
for name in "${todo[@]}"; do
  t0=$(now)
  build_image "$name" "${keys[$name]}"
  echo "image $name: built in $(since "$t0") s"
done
chmod 0755 "$out"
