#!/usr/bin/env bash
# Boots every guest image built by images/build.sh under libvirt (QEMU TCG)
# and checks the guest contract the engine relies on: direct kernel boot with
# the enshu.* parameters, static addresses and gateway from enshu.net/enshu.gw,
# DHCP without them, the guest agent (ping, exec, file I/O), the root shell on
# the serial console, the role's services, /data, and clean shutdown on the
# ACPI power button and through the agent.
#
#   images/smoke-test.sh OUT_DIR
#
# Needs libvirtd on qemu:///system (scripts/setup starts it inside its network
# namespace). Everything it creates is named esmoke-* (bridge esmoke0, network
# 10.250.0.0/24 without <forward>, so isolated) and is removed on exit, also
# on failure. Images boot one after the other, so the printed boot-to-agent
# times are not disturbed by each other.
set -Eeuo pipefail
umask 022

prog=images/smoke-test.sh
[ $# -eq 1 ] || { echo "usage: $prog OUT_DIR" >&2; exit 2; }
out=$(cd "$1" && pwd) || exit 2
images=(workstation server attacker router)
for name in "${images[@]}"; do
  for f in vmlinuz initrd.img disk.qcow2; do
    [ -r "$out/$name/$f" ] || { echo "$prog: $out/$name/$f missing; run images/build.sh $1" >&2; exit 2; }
  done
done

uri=qemu:///system
net=esmoke-net
bridge=esmoke0
vsh() { virsh -q -c "$uri" "$@"; }
vsh version >/dev/null || { echo "$prog: libvirtd does not answer on $uri" >&2; exit 2; }

tmp=$(mktemp -d /tmp/esmoke.XXXXXX)
chmod 0755 "$tmp"   # qemu runs as libvirt-qemu and opens the overlay in here
domains=()
cleanup() {
  local d
  for d in "${domains[@]}"; do
    vsh destroy "$d" >/dev/null 2>&1 || true
    vsh undefine "$d" >/dev/null 2>&1 || true
  done
  vsh net-destroy "$net" >/dev/null 2>&1 || true
  vsh net-undefine "$net" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0 failed=0
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
# check WHAT COMMAND...: runs one check and reports it with its duration.
check() {
  local what=$1 t0=$EPOCHREALTIME
  shift
  if "$@" >/dev/null; then
    echo "  ok: $what ($(since "$t0") s)"; passed=$((passed + 1))
  else
    echo "  FAIL: $what ($(since "$t0") s)"; failed=$((failed + 1))
  fi
}

# validate FILE KIND: checks generated XML against libvirt's schemas.
validate() {
  local msg
  msg=$(virt-xml-validate "$1" "$2" 2>&1) || { echo "$prog: invalid $2 XML $1: $msg" >&2; return 1; }
}

# Leftovers of an interrupted run (ours: they carry the esmoke- prefix).
for d in esmoke-workstation esmoke-server esmoke-attacker esmoke-router esmoke-dhcp; do
  if vsh dominfo "$d" >/dev/null 2>&1; then
    vsh destroy "$d" >/dev/null 2>&1 || true
    vsh undefine "$d" >/dev/null 2>&1 || true
  fi
done
if vsh net-info "$net" >/dev/null 2>&1; then
  vsh net-destroy "$net" >/dev/null 2>&1 || true
  vsh net-undefine "$net" >/dev/null 2>&1 || true
fi

cat > "$tmp/net.xml" <<EOF
<network>
  <name>$net</name>
  <bridge name='$bridge' stp='off' delay='0'/>
  <ip address='10.250.0.1' prefix='24'>
    <dhcp><range start='10.250.0.100' end='10.250.0.199'/></dhcp>
  </ip>
</network>
EOF
validate "$tmp/net.xml" network
vsh net-define "$tmp/net.xml" >/dev/null
vsh net-start "$net" >/dev/null

# domain_xml NAME IMAGE CMDLINE DISK MAC... : the domain as the engine makes
# it (engine/libvirt_xml.c).
domain_xml() {
  local name=$1 image=$2 cmdline=$3 disk=$4 mac
  shift 4
  cat <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>160</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$out/$image/vmlinuz</kernel>
    <initrd>$out/$image/initrd.img</initrd>
    <cmdline>$cmdline</cmdline>
  </os>
  <features><acpi/></features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
EOF
  if [ -n "$disk" ]; then
    cat <<EOF
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$disk'/>
      <target dev='vda' bus='virtio'/>
    </disk>
EOF
  fi
  for mac; do
    cat <<EOF
    <interface type='network'>
      <source network='$net'/>
      <mac address='$mac'/>
      <model type='virtio'/>
    </interface>
EOF
  done
  cat <<EOF
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# boot NAME IMAGE CMDLINE DISK MAC...: defines and starts the domain, waits for
# guest-ping and prints how long that took: in all, in "virsh start" itself
# (libvirt and QEMU start-up) and in the guest (its uptime then).
boot() {
  local name=$1 t0 t1 i up
  domain_xml "$@" > "$tmp/$name.xml"
  validate "$tmp/$name.xml" domain
  vsh define "$tmp/$name.xml" >/dev/null
  domains+=("$name")
  t0=$EPOCHREALTIME
  vsh start "$name" >/dev/null
  t1=$(since "$t0")
  for ((i = 0; i < 600; i++)); do
    if vsh qemu-agent-command --timeout 2 "$name" '{"execute":"guest-ping"}' >/dev/null 2>&1; then
      up=$(since "$t0")
      echo "$name: guest agent answered $up s after start (virsh start $t1 s, guest uptime $(gexec "$name" cut -d' ' -f1 /proc/uptime) s)"
      return 0
    fi
    sleep 0.2
  done
  echo "$name: guest agent silent after 120 s" >&2
  return 1
}

# agent DOMAIN JSON: one guest agent command, its JSON answer on stdout.
agent() { vsh qemu-agent-command --timeout 30 "$1" "$2"; }
# field JSON NAME: the value of a scalar or string field in a flat answer.
field() { sed -n "s/.*\"$2\":\"\{0,1\}\([^\",}]*\).*/\1/p" <<< "$1"; }

# gexec DOMAIN PROGRAM ARG...: runs a program with guest-exec, prints its
# stdout and returns its exit code.
gexec() {
  local dom=$1 path=$2 args="" a pid st i code
  shift 2
  for a; do
    a=${a//\\/\\\\}; a=${a//\"/\\\"}
    args+="${args:+,}\"$a\""
  done
  pid=$(field "$(agent "$dom" "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"$path\",\"arg\":[$args],\"capture-output\":true}}")" pid)
  [ -n "$pid" ] || return 125
  for ((i = 0; i < 150; i++)); do
    st=$(agent "$dom" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
    if [ "$(field "$st" exited)" = true ]; then
      field "$st" out-data | base64 -d
      code=$(field "$st" exitcode)
      return "${code:-126}"   # no exit code: killed by a signal
    fi
    sleep 0.2
  done
  return 124
}

# gfile_roundtrip DOMAIN: writes a file with guest-file-* and reads it back.
gfile_roundtrip() {
  local dom=$1 h text=esmoke-file-check b64 got
  b64=$(printf %s "$text" | base64)
  h=$(field "$(agent "$dom" '{"execute":"guest-file-open","arguments":{"path":"/tmp/esmoke.txt","mode":"w"}}')" return)
  [ -n "$h" ] || return 1
  agent "$dom" "{\"execute\":\"guest-file-write\",\"arguments\":{\"handle\":$h,\"buf-b64\":\"$b64\"}}" >/dev/null
  agent "$dom" "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":$h}}" >/dev/null
  h=$(field "$(agent "$dom" '{"execute":"guest-file-open","arguments":{"path":"/tmp/esmoke.txt","mode":"r"}}')" return)
  [ -n "$h" ] || return 1
  got=$(field "$(agent "$dom" "{\"execute\":\"guest-file-read\",\"arguments\":{\"handle\":$h,\"count\":4096}}")" buf-b64 | base64 -d)
  agent "$dom" "{\"execute\":\"guest-file-close\",\"arguments\":{\"handle\":$h}}" >/dev/null
  [ "$got" = "$text" ]
}

# console_echo DOMAIN: types a command on the serial console and waits for
# its output (the typed line itself does not contain the expected text).
console_echo() {
  local dom=$1 pty fd reader i rc
  pty=$(vsh ttyconsole "$dom") || return 1
  exec {fd}<>"$pty"
  stty -F "$pty" raw -echo
  timeout 20 grep -a -q -m 1 'esmoke-console-42' <&"$fd" &
  reader=$!
  for ((i = 0; i < 20; i++)); do
    printf 'echo esmoke-console-$((6 * 7))\r' >&"$fd"
    sleep 1
    kill -0 "$reader" 2>/dev/null || break
  done
  rc=0; wait "$reader" || rc=$?
  exec {fd}>&-
  return "$rc"
}

# powered_off DOMAIN SECONDS: waits for the domain to stop by itself.
powered_off() {
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    [ "$(vsh domstate "$1" 2>/dev/null)" = "shut off" ] && return 0
    sleep 0.2
  done
  return 1
}

has() { grep -q -- "$2" <<< "$1"; }
fails() { ! "$@"; }

# common_checks DOMAIN HOSTNAME ADDR...: what every image must provide.
common_checks() {
  local dom=$1 host=$2 addrs a routes
  shift 2
  addrs=$(gexec "$dom" ip -4 addr) || true
  for a; do check "address $a configured" has "$addrs" "inet $a "; done
  routes=$(gexec "$dom" ip route) || true
  check "default route via 10.250.0.1" has "$routes" "default via 10.250.0.1"
  check "hostname $host" [ "$(gexec "$dom" hostname)" = "$host" ]
  check "guest-file open/write/read/close" gfile_roundtrip "$dom"
  check "tools ping nc wget ip pgrep pkill nohup httpd syslogd present" \
    gexec "$dom" sh -c 'for p in ping nc wget ip pgrep pkill nohup httpd syslogd; do command -v $p >/dev/null || exit 1; done'
  check "ping of the host bridge" gexec "$dom" ping -c 1 -W 2 10.250.0.1
  check "serial console runs 'echo'" console_echo "$dom"
}

fwd() { gexec "$1" cat /proc/sys/net/ipv4/ip_forward; }

echo "== workstation"
boot esmoke-workstation workstation \
  "console=ttyS0 enshu.hostname=esmoke-ws enshu.net=52:54:00:fa:00:01,10.250.0.11/24 enshu.gw=10.250.0.1" \
  "" 52:54:00:fa:00:01
common_checks esmoke-workstation esmoke-ws 10.250.0.11/24
check "ip_forward is 0" [ "$(fwd esmoke-workstation)" = 0 ]
check "syslogd running, /var/log/messages written" \
  gexec esmoke-workstation sh -c 'pgrep syslogd >/dev/null && logger esmoke-mark && sleep 0.5 && grep -q esmoke-mark /var/log/messages'
check "nohup'd job started through guest-exec keeps running" \
  gexec esmoke-workstation sh -c 'nohup sleep 300 >/dev/null 2>&1 & sleep 1; pgrep -x sleep'
check "pgrep -f finds it (as a scenario check runs it)" gexec esmoke-workstation sh -c 'pgrep -f "sleep 300"'
check "pkill -f stops it" gexec esmoke-workstation pkill -f "sleep 300"
sleep 0.5
check "pgrep -f then finds nothing" fails gexec esmoke-workstation sh -c 'pgrep -f "sleep 300"'
check "/home/staff owned by staff" [ "$(gexec esmoke-workstation stat -c %U /home/staff/notes.txt)" = staff ]
vsh shutdown --mode acpi esmoke-workstation >/dev/null
check "ACPI power button powers off" powered_off esmoke-workstation 30

echo "== server"
qemu-img create -q -f qcow2 -F qcow2 -b "$out/server/disk.qcow2" "$tmp/server.qcow2"
boot esmoke-server server \
  "console=ttyS0 enshu.hostname=esmoke-srv enshu.net=52:54:00:fa:00:02,10.250.0.12/24 enshu.gw=10.250.0.1" \
  "$tmp/server.qcow2" 52:54:00:fa:00:02
common_checks esmoke-server esmoke-srv 10.250.0.12/24
check "ip_forward is 0" [ "$(fwd esmoke-server)" = 0 ]
check "httpd serves the index page" has "$(gexec esmoke-server wget -q -O - http://127.0.0.1/)" "Aokumo Logistics"
check "httpd logs to /var/log/httpd/access.log" gexec esmoke-server grep -q 'response:200' /var/log/httpd/access.log
check "/data mounted from /dev/vda" has "$(gexec esmoke-server cat /proc/mounts)" "^/dev/vda /data ext4"
check "/data/README present" gexec esmoke-server test -s /data/README
check "syslogd running" gexec esmoke-server pgrep -x syslogd

echo "== attacker"
boot esmoke-attacker attacker \
  "console=ttyS0 enshu.hostname=esmoke-atk enshu.net=52:54:00:fa:00:03,10.250.0.13/24 enshu.gw=10.250.0.1" \
  "" 52:54:00:fa:00:03
common_checks esmoke-attacker esmoke-atk 10.250.0.13/24
check "ip_forward is 0" [ "$(fwd esmoke-attacker)" = 0 ]
check "/root/tools present" gexec esmoke-attacker test -x /root/tools/portscan.sh
vsh shutdown --mode agent esmoke-attacker >/dev/null
check "agent guest-shutdown powers off" powered_off esmoke-attacker 30

echo "== router (two NICs)"
boot esmoke-router router \
  "console=ttyS0 enshu.hostname=esmoke-rtr enshu.net=52:54:00:fa:00:04,10.250.0.14/24+52:54:00:fa:00:05,10.250.1.14/24 enshu.gw=10.250.0.1" \
  "" 52:54:00:fa:00:04 52:54:00:fa:00:05
common_checks esmoke-router esmoke-rtr 10.250.0.14/24 10.250.1.14/24
check "ip_forward is 1" [ "$(fwd esmoke-router)" = 1 ]
check "syslogd running" gexec esmoke-router pgrep -x syslogd

echo "== DHCP without enshu.net (workstation image)"
boot esmoke-dhcp workstation "console=ttyS0" "" 52:54:00:fa:00:06
t0=$EPOCHREALTIME
lease() { gexec esmoke-dhcp ip -4 addr show dev eth0 | grep -q 'inet 10\.250\.0\.1[0-9][0-9]/24'; }
for ((i = 0; i < 60; i++)); do lease && break; sleep 0.5; done
check "DHCP lease on eth0 ($(since "$t0") s after agent)" lease
check "hostname defaults to the image name" [ "$(gexec esmoke-dhcp hostname)" = workstation ]

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
