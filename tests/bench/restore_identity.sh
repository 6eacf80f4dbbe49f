#!/usr/bin/env bash
# Check on real guests that a guest restored from another team's saved
# memory state can take its own team's identity through the agent, with no
# change to the image, and how long that takes. Two teams of two nodes (a: a
# Debian IMAGE, b: the BusyBox `server`) come up; team 1's a is saved (the
# template); team 2's a is replaced by a copy restored from that save, on an
# overlay of the template's disk, with team 2's own domain parts (name, uuid,
# NIC MACs, networks, filters, kernel command line, hosts table) written into
# the save file's XML (save_image_xml.py; libvirt refuses a new name or uuid
# in `virsh restore --xml`). Then, through the agent only:
#   1. guest-set-time: the clock stood still while the state was saved;
#   2. each NIC gets its planned MAC (found by the template's MAC, in order);
#   3. the planned kernel command line is bind-mounted over /proc/cmdline
#      and the image's own /usr/lib/enshu/guest-setup runs again: hostname,
#      systemd-networkd files, /etc/hosts (the team's table is read from the
#      restored QEMU's firmware configuration, which is the new one), DNS,
#      time zone, locale; then `networkctl reload` applies the addresses,
#      and rsyslog, which keeps the hostname it started with, restarts.
# Checked: hostname, address, the team's hosts table, clock within 2 s, and
# that a reaches team 2's b across team 2's isolation filter.
#
#   ENSHU=build/enshu tests/bench/restore_identity.sh [IMAGE]
#
# Default IMAGE: mailserver. Every libvirt object is named enshu-restore*.
set -euo pipefail
: "${ENSHU:?set ENSHU to the enshu binary}"
ENSHU=$(cd "$(dirname "$ENSHU")" && pwd)/$(basename "$ENSHU")
here=$(cd "$(dirname "$0")" && pwd)
img=${1:-mailserver}
virsh="virsh -q -c qemu:///system"
pool=$($virsh pool-dumpxml enshu | sed -n 's|.*<path>\(.*\)</path>.*|\1|p')
export ENSHU_STATE_DIR=$(mktemp -d /tmp/enshu-bench-XXXXXX)
work=$(mktemp -d /var/tmp/enshu-restore-XXXXXX)
name=restoreid
tpl=enshu-$name-t01-a
dom=enshu-$name-t02-a
now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }
cleanup() {
  $virsh destroy $dom >/dev/null 2>&1 || true
  "$ENSHU" down --name $name >/dev/null 2>&1 || true
  rm -f "$pool/$dom-restored.qcow2"
  rm -rf "$ENSHU_STATE_DIR" "$work"
}
trap cleanup EXIT
agent() { $virsh qemu-agent-command "$1" "$2" --timeout 30; }
run() { # run bash script $2 in domain $1; prints its output, fails with it
  local out rc
  out=$("$ENSHU" exec --name $name "$1" a "$2" 2>&1) && rc=0 || rc=$?
  echo "$out"
  return $rc
}

cat >"$ENSHU_STATE_DIR/two.yaml" <<EOF
enshu: 1
id: restore-identity
title: Two teams of two
network:
  pool: 10.63.0.0/16
  segments: [{name: lan}]
nodes:
  - {name: a, image: $img, interfaces: [{segment: lan, host: 10}]}
  - {name: b, image: server, interfaces: [{segment: lan, host: 11}]}
EOF
"$ENSHU" up "$ENSHU_STATE_DIR/two.yaml" --teams 2 --name $name --timeout 10m >/dev/null
$virsh dumpxml --inactive $dom >"$work/team.xml"
$virsh save $tpl "$work/tpl.sav" >/dev/null
$virsh save-image-dumpxml "$work/tpl.sav" >"$work/tpl.xml"
$virsh destroy $dom >/dev/null
$virsh undefine $dom >/dev/null

t0=$(now)
qemu-img create -q -f qcow2 -b "$pool/$tpl.qcow2" -F qcow2 "$pool/$dom-restored.qcow2"
chown --reference="$pool/$tpl.qcow2" "$pool/$dom-restored.qcow2"
# The template's XML (what its QEMU ran with: CPU, devices, addresses) with
# the team domain's own parts.
python3 - "$work/tpl.xml" "$work/team.xml" "$pool/$tpl.qcow2" "$pool/$dom-restored.qcow2" \
  >"$work/copy.xml" <<'EOF'
import re, sys
tpl, team = open(sys.argv[1]).read(), open(sys.argv[2]).read()
def block(pat, text):
    return re.findall(pat, text, re.S)
for pat in (r'<name>.*?</name>', r'<uuid>.*?</uuid>', r'<cmdline>.*?</cmdline>',
            r'<sysinfo .*?</sysinfo>'):
    tpl = tpl.replace(block(pat, tpl)[0], block(pat, team)[0])
for old, new in zip(block(r'<interface .*?</interface>', tpl),
                    block(r'<interface .*?</interface>', team)):
    tpl = tpl.replace(old, new)
print(tpl.replace(sys.argv[3], sys.argv[4]), end='')
EOF
"$here/save_image_xml.py" "$work/tpl.sav" "$work/copy.sav" "$work/copy.xml"
$virsh restore "$work/copy.sav" >/dev/null
until $virsh qemu-agent-command $dom '{"execute":"guest-ping"}' --timeout 1 >/dev/null 2>&1; do
  sleep 0.1
done
t1=$(now)

agent $dom "{\"execute\":\"guest-set-time\",\"arguments\":{\"time\":$(date +%s%N)}}" >/dev/null
pairs=$(paste -d' ' <(grep -o "<mac address='[^']*'" "$work/tpl.xml" | cut -d"'" -f2) \
  <(grep -o "<mac address='[^']*'" "$work/team.xml" | cut -d"'" -f2) | tr '\n' ' ')
cmdline=$(sed -n 's|.*<cmdline>\(.*\)</cmdline>.*|\1|p' "$work/team.xml")
run 2 "set -e
set -- $pairs
while [ \$# -gt 1 ]; do
  for d in /sys/class/net/*; do
    if [ \"\$(cat \$d/address)\" = \"\$1\" ]; then ip link set dev \${d##*/} address \$2; fi
  done
  shift 2
done
rm -f /run/systemd/network/*-enshu-*.network
echo '$cmdline' >/run/enshu-cmdline
mount --bind /run/enshu-cmdline /proc/cmdline
/usr/lib/enshu/guest-setup || true
umount /proc/cmdline
networkctl reload
systemctl try-restart rsyslog.service
" >/dev/null
until run 2 "ip -4 -o addr show eth0" | grep -q '10\.63\.1\.10/'; do sleep 0.2; done
t2=$(now)

echo "== checks in the restored guest (team 2's a)"
run 2 "hostname; ip -4 -o addr show eth0 | awk '{print \$4}'; ip -o link show eth0 | grep -o 'ether [^ ]*'; grep -c 10.63.1. /etc/hosts; date -u +%s"
run 2 "logger -t enshu-check restored; sleep 1; grep enshu-check /var/log/syslog | tail -n 1 | cut -d' ' -f2-3"
run 2 "systemctl --failed --no-legend | grep . || echo 'no failed units'"
run 2 "ping -c 2 -W 2 10.63.1.11 >/dev/null && echo reaches b" || echo "FAIL: a does not reach b"
host_s=$(date -u +%s)
guest_s=$(run 2 "date -u +%s")
lag=$((host_s - guest_s))
[ ${lag#-} -le 2 ] && echo "clock within ${lag#-} s of the host" || echo "FAIL: clock $lag s behind"
printf '\n%s: restore to agent %.1f s; identity through the agent %.1f s\n' "$img" \
  "$(elapsed "$t0" "$t1")" "$(elapsed "$t1" "$t2")"
