# What images/build.sh and images/debian/build.sh share: timing, the lock on
# an output directory, temporary directories renamed into place when done,
# and the kernel QEMU boots directly. Sourced, not run: the sourcing script
# sets prog and here (its own directory) first.
#
# Sourcing it sets an EXIT trap that removes the temporary directories made
# by newtmp and not yet published, so an interrupted build leaves nothing
# that looks finished.
# shellcheck shell=bash
# shellcheck disable=SC2154 # prog and here: set by the sourcing script

now() { echo "$EPOCHREALTIME"; }
# Seconds since $1 (a now), with one decimal.
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# Serialises builds into output directory $1 for the rest of the script (the
# lock is $1/.work/lock, which `enshu images import` takes too), then removes
# what killed builds left: the temporary directories in $1 and in the other
# directories given.
lock_out() {
  local d
  mkdir -p "$1/.work"
  exec 9>"$1/.work/lock"
  flock 9
  for d in "$@"; do
    rm -rf "$d"/.tmp-*
  done
}

tmps=()
cleanup() { [ ${#tmps[@]} -eq 0 ] || rm -rf "${tmps[@]}"; }
trap cleanup EXIT
# Sets tmp to a new temporary directory in $1 (the final place's filesystem)
# named after $2.
newtmp() { tmp=$(mktemp -d "$1/.tmp-$2.XXXXXX"); tmps+=("$tmp"); }
# Renames a finished temporary directory $1 to $2, replacing what was there.
publish() {
  rm -rf "$2.old"
  if [ -e "$2" ]; then mv "$2" "$2.old"; fi
  mv "$1" "$2"
  rm -rf "$2.old"
}
# As publish, with everything in $1 made readable by all and writable by its
# owner only first (not for a root file system: it has modes of its own).
publish_readable() {
  chmod -R u=rwX,go=rX "$1"
  publish "$1" "$2"
}

# sha256 of the files under the given paths (relative to $here): names,
# types, link targets, executable bits and contents.
tree_sum() {
  (
    cd "$here"
    find "$@" \( -type f -o -type l \) -printf '%p %l\n' | LC_ALL=C sort
    find "$@" -type f -executable | LC_ALL=C sort
    find "$@" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  ) | sha256sum | cut -c1-64
}

# Writes to $3 the kernel to boot from bzImage $1 (whose config is $2).
# Debian's bzImage carries the kernel xz-compressed, and unpacking it in the
# guest takes seconds under TCG. Built with CONFIG_PVH, the kernel inside is an
# ELF that QEMU boots directly (-kernel, also through libvirt <kernel>), so
# ship that one; fall back to the bzImage if it cannot be had.
uncompressed_kernel() {
  local bz=$1 config=$2 dest=$3 off
  if grep -q '^CONFIG_PVH=y' "$config" && command -v xz >/dev/null; then
    for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | cut -d: -f1); do
      # xz complains about the bzImage's data after the stream: check the result.
      tail -c +$((off + 1)) "$bz" | xz -dc > "$dest" 2>/dev/null || true
      if [ "$(head -c 4 "$dest" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
        return 0
      fi
    done
  fi
  echo "$prog: warning: cannot unpack the ELF kernel from $bz; using the bzImage (boots slower)" >&2
  cp "$bz" "$dest"
}
