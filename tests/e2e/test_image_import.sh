#!/usr/bin/env bash
# End to end: a disk image from elsewhere, imported and booted from its own
# boot loader. The disk is made here as any foreign image would be: a raw
# disk with a FAT file system and SYSLINUX in its boot sector, holding
# Debian's kernel (the bzImage of the package images/build.sh downloaded)
# and the BusyBox workstation's initramfs, booted with a plain
# "console=ttyS0" and nothing from Enshu. It is imported as
# `--os linux --addressing dhcp` into a private image store, a one-node
# range comes up on it: libvirt boots the disk (no <kernel>), the guest asks
# DHCP and gets its planned address, its agent answers and runs a command.
# `down` leaves nothing; `images remove` removes the image.
#
# Then the same disk with its DHCP client disabled (a boot step replaced
# through a second archive in the initramfs) is imported with
# `--addressing agent`, beside a built-in router and server on another
# segment: once its agent answers, `up` sets its planned address, default
# route and name server through the agent (found by MAC); it has no DHCP
# entry, so the address can only come from the engine; and it reaches the
# server through the router. A reboot inject (`enshu run`) loses them and
# sets them again.
#
# Why not a Debian image (images/debian): those boot "kernel" too (their
# disk holds a root file system without a boot loader), so their disk alone
# does not boot; the SYSLINUX disk is the smallest honest bootable disk.
source "$(dirname "$0")/lib.sh"
virsh -c qemu:///system version >/dev/null 2>&1 ||
  fail "libvirtd does not answer on qemu:///system; run scripts/setup first"
for cmd in mkfs.vfat mcopy syslinux qemu-img dpkg-deb; do
  command -v "$cmd" >/dev/null || fail "$cmd is missing; run scripts/setup (packages syslinux mtools dosfstools)"
done
shared=${ENSHU_SHARED_IMAGE_DIR:-/var/lib/enshu/images}
deb=$(ls "$shared"/.work/deb/linux-image-*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] && [ -f "$shared/workstation/initrd.img" ] ||
  fail "no kernel package in $shared/.work/deb or no $shared/workstation/initrd.img; run 'enshu images build'"

name=e2eimport
work=$(mktemp -d /tmp/enshu-e2e-import-XXXXXX)
chmod 755 "$work" # QEMU (user libvirt-qemu) reads the image store inside
export ENSHU_IMAGE_DIR=$work/images
cleanup() {
  "$ENSHU" down --name $name >/dev/null 2>&1 || true
  "$ENSHU" down --name ${name}a >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The foreign disk.
mkdir "$work/disk"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/disk" --wildcards './boot/vmlinuz-*'
cp "$work"/disk/boot/vmlinuz-* "$work/disk/vmlinuz"
cp "$shared/workstation/initrd.img" "$work/disk/initrd.img"
printf 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL vmlinuz\n  INITRD initrd.img\n  APPEND console=ttyS0 quiet\n' >"$work/disk/syslinux.cfg"
mkfs.vfat -C "$work/foreign.img" 65536 >/dev/null
mcopy -i "$work/foreign.img" "$work/disk/vmlinuz" "$work/disk/initrd.img" "$work/disk/syslinux.cfg" ::/
syslinux --install "$work/foreign.img"
pass "a raw disk with SYSLINUX, Debian's kernel and an initramfs made"

"$ENSHU" images import foreign "$work/foreign.img" --os linux --addressing dhcp --memory 256M ||
  fail "the import was refused"
meta=$(jq -c '[.origin, .boot, .addressing, .memory_mib]' "$ENSHU_IMAGE_DIR/foreign/image.json")
[ "$meta" = '["imported","disk","dhcp",256]' ] || fail "image.json: $meta"
pass "imported: $meta"

cat >"$work/imported.yaml" <<'EOF'
enshu: 1
id: e2e-import
title: An imported image
teams: {min: 1, max: 1}
network:
  pool: 10.91.0.0/16
  segments:
    - {name: office}
images:
  foreign: {imported: true}
nodes:
  - {name: pc, image: foreign, interfaces: [{segment: office, host: 10}]}
EOF
out=$("$ENSHU" validate "$work/imported.yaml" 2>&1) || fail "validate: $out"
[ -z "$out" ] || fail "validate says: $out"

"$ENSHU" up "$work/imported.yaml" --teams 1 --name $name --timeout 4m
xml=$(virsh -c qemu:///system dumpxml "enshu-$name-t01-pc")
! grep -q "<kernel>" <<<"$xml" || fail "the engine booted a kernel of its own: $xml"
grep -q "<boot dev='hd'/>" <<<"$xml" || fail "the guest does not boot from its disk"
grep -q "<memory unit='KiB'>262144</memory>" <<<"$xml" || fail "the guest does not have the image's 256 MiB"
pass "range up; the guest boots from its disk with the image's memory"

# Booted by SYSLINUX with its own command line; addressed by DHCP.
cmdline=$("$ENSHU" exec --name $name 1 pc 'cat /proc/cmdline')
grep -q "console=ttyS0 quiet" <<<"$cmdline" && ! grep -q "enshu\." <<<"$cmdline" ||
  fail "the guest's kernel command line is '$cmdline'"
planned=$("$ENSHU" status --name $name --json | jq -r '.[0].teams[0].nodes[] | select(.name=="pc") | .addresses.office' | cut -d/ -f1)
[ -n "$planned" ] && [ "$planned" != null ] || fail "no planned address for pc"
# The agent may answer before the lease arrives (DHCP runs in the background).
for _ in $(seq 30); do
  addrs=$("$ENSHU" exec --name $name 1 pc 'ip -4 -o addr show')
  grep -q "inet $planned/" <<<"$addrs" && break
  sleep 2
done
grep -q "inet $planned/" <<<"$addrs" || fail "pc has not its planned address $planned: $addrs"
pass "the guest got its planned address $planned by DHCP; its agent runs commands"

"$ENSHU" down --name $name
assert_range_gone $name
"$ENSHU" images remove foreign
[ ! -e "$ENSHU_IMAGE_DIR/foreign" ] || fail "the image remains after images remove"
pass "range and image removed"

# ---- addressing through the agent ----
# Its boot step that would start udhcpc returns at once instead (BusyBox's
# shell runs its applets without looking at PATH, so a stub udhcpc would not
# be used).
mkdir -p "$work/nodhcp/lib/enshu"
gzip -dc "$shared/workstation/initrd.img" | (cd "$work/nodhcp" && cpio -i --quiet lib/enshu/net.sh)
grep -q 'if \[ -z "$ENSHU_NET" \]; then' "$work/nodhcp/lib/enshu/net.sh" || fail "the initramfs's net.sh has changed"
sed -i '/if \[ -z "$ENSHU_NET" \]; then/a\    log "network: no DHCP client in this image"; return 0' "$work/nodhcp/lib/enshu/net.sh"
(cd "$work/nodhcp" && find lib | cpio -o -H newc --quiet | gzip) >"$work/nodhcp.cpio.gz"
cat "$shared/workstation/initrd.img" "$work/nodhcp.cpio.gz" >"$work/disk/initrd.img"
mkfs.vfat -C "$work/foreign-agent.img" 65536 >/dev/null
mcopy -i "$work/foreign-agent.img" "$work/disk/vmlinuz" "$work/disk/initrd.img" "$work/disk/syslinux.cfg" ::/
syslinux --install "$work/foreign-agent.img"
"$ENSHU" images import foreign-agent "$work/foreign-agent.img" --os linux --addressing agent --memory 256M ||
  fail "the import with --addressing agent was refused"
[ "$(jq -r .addressing "$ENSHU_IMAGE_DIR/foreign-agent/image.json")" = agent ] || fail "image.json does not say addressing agent"
# The built-in router and server from the shared store, beside it.
for img in router server; do ln -s "$shared/$img" "$ENSHU_IMAGE_DIR/$img"; done
pass "imported with --addressing agent; its initramfs starts no DHCP client"

cat >"$work/agent.yaml" <<'EOF'
enshu: 1
id: e2e-import-agent
title: An imported image addressed through its agent
teams: {min: 1, max: 1}
network:
  pool: 10.92.0.0/16
  segments:
    - {name: office, gateway: gw}
    - {name: dmz, gateway: gw}
images:
  foreign-agent: {imported: true}
nodes:
  - {name: pc, image: foreign-agent, interfaces: [{segment: office, host: 10}]}
  - name: gw
    image: router
    role: grey
    forwarding: true
    interfaces: [{segment: office, host: 254}, {segment: dmz, host: 254}]
  - {name: srv, image: server, interfaces: [{segment: dmz, host: 20}]}
injects:
  - {id: restart-pc, at: 20s, target: pc, power: reboot, timeout: 3m}
EOF
out=$("$ENSHU" validate "$work/agent.yaml" 2>&1) || fail "validate: $out"
[ -z "$out" ] || fail "validate says: $out"
"$ENSHU" up "$work/agent.yaml" --teams 1 --name ${name}a --timeout 4m
status=$("$ENSHU" status --name ${name}a --json)
addr_of() { jq -r ".[0].teams[0].nodes[] | select(.name==\"$1\") | .addresses.$2" <<<"$status" | cut -d/ -f1; }
pc=$(addr_of pc office) gw=$(addr_of gw office) srv=$(addr_of srv dmz)
[ -n "$pc" ] && [ "$pc" != null ] && [ -n "$srv" ] && [ "$srv" != null ] || fail "no planned addresses: $status"
mac=$(virsh -c qemu:///system domiflist "enshu-${name}a-t01-pc" | awk '/enshu-/ {print $5}')
! virsh -c qemu:///system net-dumpxml "enshu-${name}a-t01-office" | grep -qi "$mac" ||
  fail "pc's MAC $mac has a DHCP entry"
pass "range up; pc ($mac) has no DHCP entry"

addrs=$("$ENSHU" exec --name ${name}a 1 pc 'ip -4 -o addr show; ip route; cat /etc/resolv.conf')
grep -q "inet $pc/" <<<"$addrs" || fail "pc has not its planned address $pc: $addrs"
[ "$(grep -c ' inet ' <<<"$addrs")" = 2 ] || fail "pc has other addresses than lo's and $pc: $addrs"
grep -q "^default via $gw " <<<"$addrs" || fail "pc has no default route via $gw: $addrs"
grep -qx "nameserver $gw" <<<"$addrs" || fail "pc's name server is not $gw: $addrs"
"$ENSHU" exec --name ${name}a 1 pc "ping -c 1 -W 5 $srv" >/dev/null ||
  fail "pc cannot reach srv ($srv) through the router"
addrs=$("$ENSHU" exec --name ${name}a 1 pc 'ip -4 -o addr show')
[ "$(grep -c ' inet ' <<<"$addrs")" = 2 ] && grep -q "inet $pc/" <<<"$addrs" || fail "pc's addresses changed: $addrs"
pass "the agent gave pc its planned address $pc, route and name server via $gw; it reaches srv at $srv"

# A reboot loses what the agent set (the root is in RAM): the power inject
# sets the addresses again once the agent answers.
"$ENSHU" run "$work/agent.yaml" --teams 1 --name ${name}a --speed 10 --for 1m >"$work/run.out" 2>&1 ||
  fail "run failed: $(tail -20 "$work/run.out")"
fired=$(sqlite3 -readonly "$ENSHU_STATE_DIR/ranges/${name}a.events.db" \
  "select kind || ': ' || coalesce(text, '') from events where subject='restart-pc'")
grep -q "^inject.fired" <<<"$fired" || fail "the reboot inject did not complete: $fired"
addrs=$("$ENSHU" exec --name ${name}a 1 pc 'cut -d. -f1 /proc/uptime; ip -4 -o addr show; ip route')
[ "$(head -n 1 <<<"$addrs")" -lt 60 ] || fail "pc was not rebooted: $addrs"
grep -q "inet $pc/" <<<"$addrs" && grep -q "^default via $gw " <<<"$addrs" ||
  fail "pc has not its address and route back after its reboot: $addrs"
"$ENSHU" exec --name ${name}a 1 pc "ping -c 1 -W 5 $srv" >/dev/null || fail "pc cannot reach srv after its reboot"
pass "after a reboot inject, the agent set pc's address and route again"

"$ENSHU" down --name ${name}a
assert_range_gone ${name}a
"$ENSHU" images remove foreign-agent
pass "the agent-addressed range and its image removed"
