#!/usr/bin/env bash
# enshu images import / list / remove on a private image store, and what
# validate and up say about imported images: good qcow2 and raw disks come
# in with their checksum and metadata; a file that is not a disk image, a
# truncated qcow2, a backing file outside the store, a taken or built-in
# name and bad option values are refused with a clear error, leaving
# nothing behind. Needs qemu-img and mke2fs; no libvirt daemon.
set -uo pipefail
: "${ENSHU:?set ENSHU to the enshu binary}"
work=$(mktemp -d /tmp/enshu-import-XXXXXX)
trap 'rm -rf "$work"' EXIT
export ENSHU_IMAGE_DIR=$work/images ENSHU_STATE_DIR=$work/state ENSHU_LIBVIRT_URI=test:///default
failures=0 checks=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
# expect STATUS PATTERN -- ARGS...: runs enshu ARGS, checks its exit status
# and that its output (stdout + stderr) matches PATTERN (grep -E).
expect() {
  local want=$1 pattern=$2
  shift 3
  local status
  out=$("$ENSHU" "$@" 2>&1)
  status=$?
  checks=$((checks + 1))
  if [ "$status" != "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    fail "enshu $* -> $status (want $want, matching '$pattern'), output:"
    echo "$out" | sed 's/^/    /'
  fi
}
# The store holds exactly the images named (and its lock folder .work):
# no temporary folder, no half image.
store_holds() {
  local have want
  have=$(ls -A "$ENSHU_IMAGE_DIR" 2>/dev/null | grep -vx .work | sort | xargs)
  want=$(printf '%s\n' "$@" | sort | xargs)
  checks=$((checks + 1))
  [ "$have" = "$want" ] || fail "the image store holds '$have', expected '$want'"
}
json() { jq -r "$1" "$ENSHU_IMAGE_DIR/$2/image.json"; }

# Disks from elsewhere: a raw ext4 disk with a file on it, the same as qcow2.
mkdir -p "$work/root/etc"
echo "imported disk" >"$work/root/etc/motd"
mke2fs -q -F -t ext4 -d "$work/root" "$work/disk.raw" 16M >/dev/null || exit 1
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$work/disk.qcow2" || exit 1

# A good qcow2: copied as it is, its sha256 stored, linux defaults.
expect 0 "image 'deb' imported" -- images import deb "$work/disk.qcow2"
store_holds deb
cmp -s "$work/disk.qcow2" "$ENSHU_IMAGE_DIR/deb/disk.qcow2" || fail "deb's disk is not a copy of the file imported"
[ "$(json .sha256 deb)" = "$(sha256sum "$ENSHU_IMAGE_DIR/deb/disk.qcow2" | cut -c1-64)" ] || fail "deb's sha256 is not its disk's"
[ "$(jq -c '[.origin, .os, .exec, .boot, .addressing, .consoles, .memory_mib, .vcpus, .disk]' "$ENSHU_IMAGE_DIR/deb/image.json")" = \
  '["imported","linux","sh","disk","dhcp",["serial"],512,1,"disk.qcow2"]' ] || fail "deb's metadata: $(cat "$ENSHU_IMAGE_DIR/deb/image.json")"

# A good raw disk, named like a qcow2 (the bytes decide): converted, same contents.
cp "$work/disk.raw" "$work/looks-like.qcow2"
expect 0 "image 'win' imported" -- images import win "$work/looks-like.qcow2" --os windows --consoles serial,graphical --memory 3G --addressing agent
[ "$(qemu-img info --output=json "$ENSHU_IMAGE_DIR/win/disk.qcow2" | jq -r .format)" = qcow2 ] || fail "the raw disk was not converted to qcow2"
qemu-img compare -q -f raw -F qcow2 "$work/disk.raw" "$ENSHU_IMAGE_DIR/win/disk.qcow2" || fail "the converted disk differs from the raw one"
[ "$(jq -c '[.os, .exec, .addressing, .consoles, .memory_mib, .vcpus]' "$ENSHU_IMAGE_DIR/win/image.json")" = \
  '["windows","powershell","agent",["serial","graphical"],3072,2]' ] || fail "win's metadata: $(cat "$ENSHU_IMAGE_DIR/win/image.json")"
expect 0 "^deb +imported +linux +serial +512M " -- images list
expect 0 "^win +imported +windows +serial,graphical +3G " -- images list
expect 0 "^workstation +missing +\(run 'enshu images build workstation'\)" -- images list
expect 1 "^workstation +missing" -- images list deb workstation
expect 0 "^deb +imported" -- images list deb
store_holds deb win

# Refusals, each leaving the store as it was.
echo "just some text" >"$work/notes.txt"
expect 1 "notes.txt is not a disk image: it has no qcow2 header, and as a raw disk it has no partition table or file system" -- images import notes "$work/notes.txt"
head -c 1048576 /dev/urandom >"$work/noise.img"
expect 1 "noise.img is not a disk image" -- images import noise "$work/noise.img"
expect 1 "is not a regular file" -- images import dir "$work"
expect 1 "cannot import $work/none.qcow2: No such file or directory" -- images import none "$work/none.qcow2"
size=$(stat -c %s "$work/disk.qcow2")
head -c $((size / 2)) "$work/disk.qcow2" >"$work/half.qcow2"
expect 1 "half.qcow2 is a damaged or truncated qcow2 image" -- images import half "$work/half.qcow2"
head -c 4096 "$work/disk.qcow2" >"$work/cut.qcow2"
expect 1 "cut.qcow2 is a (truncated or damaged|damaged or truncated) qcow2 image" -- images import cut "$work/cut.qcow2"
qemu-img create -q -f qcow2 -b "$work/disk.qcow2" -F qcow2 "$work/overlay.qcow2"
expect 1 "overlay.qcow2 has the backing file $work/disk.qcow2, which is not a file inside the image store .*a backing file outside the image store is refused; flatten the image with 'qemu-img convert -O qcow2" -- images import overlay "$work/overlay.qcow2"
qemu-img create -q -f qcow2 -b /etc/passwd -F raw -u "$work/sneaky.qcow2" 1M
expect 1 "backing file /etc/passwd, which is not a file inside the image store" -- images import sneaky "$work/sneaky.qcow2"
qemu-img convert -f raw -O vmdk "$work/disk.raw" "$work/disk.vmdk"
expect 1 "disk.vmdk is a vmdk image; Enshu imports qcow2 or raw" -- images import vm "$work/disk.vmdk"
expect 1 "there is already an image 'deb' .*give --force to replace it" -- images import deb "$work/disk.raw"
expect 1 "'server' is the name of a built-in image" -- images import server "$work/disk.qcow2"
expect 1 "'mailserver' is the name of a built-in image" -- images import mailserver "$work/disk.qcow2"
expect 1 "'../up' cannot name an image" -- images import ../up "$work/disk.qcow2"
expect 1 "addressing 'cmdline' needs a kernel the engine boots" -- images import c "$work/disk.qcow2" --addressing cmdline
expect 2 "--os takes linux or windows" -- images import c "$work/disk.qcow2" --os beos
expect 2 "--exec takes sh or powershell" -- images import c "$work/disk.qcow2" --exec bash
expect 2 "--addressing takes dhcp or agent" -- images import c "$work/disk.qcow2" --addressing static
expect 2 "--consoles takes serial, graphical" -- images import c "$work/disk.qcow2" --consoles vga
expect 2 "--memory takes a size from 64M to 64G" -- images import c "$work/disk.qcow2" --memory 1T
expect 2 "--vcpus takes a whole number from 1 to 16" -- images import c "$work/disk.qcow2" --vcpus 0
expect 2 "give NAME and FILE" -- images import c
expect 2 "unknown or incomplete option '--bogus'" -- images import c "$work/disk.qcow2" --bogus
store_holds deb win
[ "$(json .os deb)" = linux ] || fail "a refused import changed deb"

# --force replaces an imported image in one step; a backing chain inside the
# store is flattened into the copy.
qemu-img create -q -f qcow2 -b "$ENSHU_IMAGE_DIR/deb/disk.qcow2" -F qcow2 "$work/on-deb.qcow2"
expect 1 "there is already an image 'deb'" -- images import deb "$work/on-deb.qcow2"
expect 0 "image 'deb2' imported" -- images import deb2 "$work/on-deb.qcow2"
[ "$(qemu-img info --output=json "$ENSHU_IMAGE_DIR/deb2/disk.qcow2" | jq -r '."backing-filename" // "none"')" = none ] || fail "deb2 still has a backing file"
expect 0 "image 'deb' imported" -- images import deb "$work/disk.raw" --force --vcpus 3
[ "$(json .vcpus deb)" = 3 ] || fail "--force did not replace deb"
store_holds deb deb2 win

# validate: an imported image missing here is a warning with its line; a
# Windows (PowerShell) node is valid, but not an inject or check that runs
# on it as a user, nor mail sent via it: errors naming the node, at the key.
cat >"$work/office.yaml" <<'EOF'
enshu: 1
id: office
title: Office with imported images
images:
  deb: {imported: true}
  laptop: {imported: true}
network: {segments: [{name: lan}]}
nodes:
  - {name: ws, image: deb, interfaces: [{segment: lan}]}
  - {name: pc, image: laptop, interfaces: [{segment: lan}]}
EOF
expect 0 "office.yaml:6:3: warning: image 'laptop' is not in the image store of this machine .*import it with 'enshu images import laptop FILE' before 'enshu up'" -- validate "$work/office.yaml"
sed -i 's/laptop/win/' "$work/office.yaml"
expect 0 "^$" -- validate "$work/office.yaml"
cp "$work/office.yaml" "$work/office-users.yaml"
cat >>"$work/office-users.yaml" <<'EOF'
users: [{name: alice, password: pw}]
injects:
  - {id: note, at: 1m, target: pc, user: alice, run: "echo hi"}
  - {id: phish, at: 2m, mail: {via: pc, server: 192.0.2.25, from: a@example.org, to: [alice@example.org], subject: Hi, body: Hi}}
checks:
  - {id: seen, node: pc, user: alice, command: "echo hi", interval: 1m}
EOF
expect 1 "office-users.yaml:13:42: error: inject 'note' runs as user 'alice' on node 'pc', whose image runs PowerShell: Windows guests run everything as the agent's account \(there is no setpriv\); remove 'user'" -- validate "$work/office-users.yaml"
sed -i '/id: note/d' "$work/office-users.yaml"
expect 1 "error: inject 'phish' sends mail via node 'pc', whose image runs PowerShell: mail goes through sh on a Linux node; send it via another node" -- validate "$work/office-users.yaml"
sed -i '/id: phish/d; s/^injects:$//' "$work/office-users.yaml"
expect 1 "error: check 'seen' runs as user 'alice' on node 'pc', whose image runs PowerShell" -- validate "$work/office-users.yaml"
expect 1 "enshu: check 'seen' runs as user 'alice' on node 'pc', whose image runs PowerShell.*\(line [0-9]+\)" -- up "$work/office-users.yaml" --teams 1
# A node chosen by a per-team variable: every choice is held to the same
# rules, and the error says which choice and which variable.
cp "$work/office.yaml" "$work/office-vars.yaml"
cat >>"$work/office-vars.yaml" <<'EOF'
variables: {pz: {one_of: [ws, pc]}}
users: [{name: alice, password: pw}]
injects:
  - {id: drop, at: 1m, target: "{{var pz}}", user: alice, run: "echo hi"}
checks:
  - {id: seen, all: [{node: ws, command: "true"}, {node: "{{var pz}}", user: alice, command: "echo hi"}]}
EOF
expect 1 "office-vars.yaml:14:52: error: inject 'drop' runs as user 'alice' on node 'pc' \(a choice of \{\{var pz\}\}\), whose image runs PowerShell" -- validate "$work/office-vars.yaml"
sed -i '/id: drop/d; s/^injects:$//' "$work/office-vars.yaml"
expect 1 "error: check 'seen' runs as user 'alice' on node 'pc' \(a choice of \{\{var pz\}\}\), whose image runs PowerShell" -- validate "$work/office-vars.yaml"
sed -i 's/one_of: \[ws, pc\]/one_of: [ws]/' "$work/office-vars.yaml"
expect 0 "^$" -- validate "$work/office-vars.yaml"
[ ! -e "$ENSHU_STATE_DIR/ranges/office.db" ] || fail "a refused up left a range behind"

# up refuses before anything is created, naming node, image and remedy.
sed -i 's/\bwin\b/laptop/' "$work/office.yaml"
expect 1 "node 'pc' uses the imported image 'laptop', which cannot be used: .*laptop/image.json does not exist: there is no such image; run 'enshu images import laptop FILE'" -- up "$work/office.yaml" --teams 1
[ ! -e "$ENSHU_STATE_DIR/ranges/office.db" ] || fail "a refused up left a range behind"
sed -i 's/image: deb/image: router/' "$work/office.yaml"
expect 1 "node 'ws' uses the built-in image 'router', which cannot be used: .*router/image.json does not exist.*run 'enshu images build router'" -- up "$work/office.yaml" --teams 1

# remove: imported images only.
expect 0 "image 'deb2' removed" -- images remove deb2
expect 1 "'router' is a built-in image; 'enshu images remove' removes imported images only" -- images remove router
expect 1 "there is no image 'deb2'" -- images remove deb2
expect 2 "give one NAME" -- images remove
store_holds deb win

echo "$checks checks, $failures failures"
[ "$failures" = 0 ]
