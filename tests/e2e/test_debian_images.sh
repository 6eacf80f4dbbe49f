#!/usr/bin/env bash
# End-to-end: every built Debian image (images/debian/NAME, built into
# $ENSHU_IMAGE_DIR or /var/lib/enshu/images) boots under the real libvirtd the
# way the engine boots it: its vmlinuz and initrd.img directly, a qcow2
# overlay on its disk.qcow2 as vda, image.json's cmdline plus console=ttyS0
# and enshu.hostname/enshu.net/enshu.gw/enshu.dns, the team's hosts table in
# the firmware configuration (opt/org.enshu/hosts). Through the guest agent it
# checks each guest's hostname, its address, and that the services of its
# image.yaml are active. The firewall, the log server and the web server boot
# together as an organisation:
#   outside 10.77.0.0/24  firewall eth0 .1
#   lan     10.77.1.0/24  firewall eth1 .1, logserver .10 ("logs"), others .20+
#   dmz     10.77.2.0/24  firewall eth2 .1, webserver .10 ("www")
# and the test checks that a packet from the lan to the dmz shows in the
# firewall's log, that the firewall's DNS answers the organisation's names,
# that the web server serves its CMS and logs the request, and that the web
# server's syslog arrives on the log server. Prints per image the time from
# start to the agent's first answer and the memory used after boot.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
IMAGES=${ENSHU_IMAGE_DIR:-/var/lib/enshu/images}
VIRSH=(virsh -q -c qemu:///system)

fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

"${VIRSH[@]}" version >/dev/null 2>&1 || fail "libvirtd does not answer on qemu:///system; run scripts/setup first"
command -v jq >/dev/null || fail "jq is missing; run scripts/setup"
for name in firewall logserver webserver; do
  [ -f "$IMAGES/$name/image.json" ] ||
    fail "Debian image $name is not built in $IMAGES; run 'enshu images build $name'"
done
extra=()
for f in "$REPO"/images/debian/*/image.yaml; do
  d=${f%/image.yaml} && n=${d##*/}
  case "$n" in firewall | logserver | webserver) continue ;; esac
  [ -f "$IMAGES/$n/image.json" ] && extra+=("$n")
done

tag=dimg$$
tmp=$(mktemp -d /tmp/enshu-e2e-debian-XXXXXX)
chmod 0755 "$tmp"
domains=() networks=()
cleanup() {
  local d n
  for d in "${domains[@]}"; do "${VIRSH[@]}" destroy "$d" >/dev/null 2>&1 || true; done
  for n in "${networks[@]}"; do "${VIRSH[@]}" net-destroy "$n" >/dev/null 2>&1 || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- the organisation's segments and guests -----------------------------------

for seg in outside lan dmz; do
  n=enshu-$tag-$seg
  cat > "$tmp/net-$seg.xml" <<EOF
<network><name>$n</name><bridge name='e$tag${seg:0:1}' stp='off' delay='0'/></network>
EOF
  "${VIRSH[@]}" net-create "$tmp/net-$seg.xml" >/dev/null || fail "cannot create network $n"
  networks+=("$n")
done

# The team's hosts table, as the engine hands it over (QEMU firmware config).
hosts_table=$'10.77.1.1 fw\n10.77.1.10 logs\n10.77.2.10 www\n'
declare -A started=() image_of=() addr_of=()
# guest NAME IMAGE GW "SEGMENT,IP ..." : starts a guest as the engine would.
guest() {
  local host=$1 image=$2 gw=$3 nics=$4 json dom mac seg ip net= ifaces= i=0 cmdline screen=
  json=$IMAGES/$image/image.json
  # A screen, as the engine gives an image with a graphical console.
  if jq -e '.consoles | index("graphical")' "$json" >/dev/null; then
    screen="<graphics type='vnc'><listen type='none'/></graphics><video><model type='vga'/></video>"
  fi
  [ "$(jq -r .boot "$json")" = kernel ] || fail "$image: boot is not kernel"
  dom=enshu-$tag-$host
  for nic in $nics; do
    seg=${nic%,*} ip=${nic#*,}
    mac=$(printf '52:54:00:77:%02x:%02x' "${#domains[@]}" "$i")
    net+=${net:++}$mac,$ip/24
    ifaces+="<interface type='network'><mac address='$mac'/><source network='enshu-$tag-$seg'/><model type='virtio'/></interface>"
    i=$((i + 1))
  done
  cmdline="$(jq -r .cmdline "$json") console=ttyS0 enshu.hostname=$host enshu.net=$net"
  [ -z "$gw" ] || cmdline+=" enshu.gw=$gw enshu.dns=$gw"
  qemu-img create -q -f qcow2 -F qcow2 -b "$IMAGES/$image/$(jq -r .disk "$json")" "$tmp/$host.qcow2"
  cat > "$tmp/$host.xml" <<EOF
<domain type='qemu'>
  <name>$dom</name>
  <memory unit='MiB'>$(jq -r .memory_mib "$json")</memory>
  <vcpu>$(jq -r .vcpus "$json")</vcpu>
  <os><type arch='x86_64'>hvm</type>
    <kernel>$IMAGES/$image/vmlinuz</kernel><initrd>$IMAGES/$image/initrd.img</initrd>
    <cmdline>$cmdline</cmdline></os>
  <sysinfo type='fwcfg'><entry name='opt/org.enshu/hosts'>$hosts_table</entry></sysinfo>
  <features><acpi/></features><clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='$tmp/$host.qcow2'/><target dev='vda' bus='virtio'/></disk>
    $ifaces
    $screen
    <serial type='file'><source path='$tmp/$host.serial'/><target port='0'/></serial>
    <console type='file'><source path='$tmp/$host.serial'/><target type='serial' port='0'/></console>
    <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
  "${VIRSH[@]}" create "$tmp/$host.xml" >/dev/null || fail "cannot start $image as $host"
  domains+=("$dom")
  started[$host]=$EPOCHREALTIME
  image_of[$host]=$image
  addr_of[$host]=${nics%% *}
  addr_of[$host]=${addr_of[$host]#*,}
}

agent() { "${VIRSH[@]}" qemu-agent-command "enshu-$tag-$1" "$2" --timeout 10 2>/dev/null; }
# gexec HOST COMMAND: runs sh -c COMMAND in the guest; prints its output and
# returns its exit status.
gexec() {
  local host=$1 cmd=$2 pid st
  pid=$(agent "$host" "$(jq -nc --arg c "$cmd" '{execute: "guest-exec", arguments: {path: "/bin/sh", arg: ["-c", $c], "capture-output": true}}')" | jq -r .return.pid) ||
    fail "$host: guest-exec failed"
  for _ in $(seq 600); do
    st=$(agent "$host" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
    [ "$(jq -r .return.exited <<<"$st")" = true ] && break
    sleep 0.1
  done
  jq -r '.return["out-data"] // ""' <<<"$st" | base64 -d
  return "$(jq -r '.return.exitcode // 1' <<<"$st")"
}
# Waits for the agents of the hosts given (all booting at once); prints each
# one's time from start to the agent's first answer and its memory used.
wait_ready() {
  local host t used waiting=("$@") left
  declare -A ready=()
  for _ in $(seq 600); do
    left=()
    for host in "${waiting[@]}"; do
      if agent "$host" '{"execute":"guest-ping"}' >/dev/null; then
        ready[$host]=$(awk -v a="${started[$host]}" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
      else
        left+=("$host")
      fi
    done
    [ ${#left[@]} -gt 0 ] || break
    waiting=("${left[@]}")
    sleep 0.5
  done
  for host in "$@"; do
    [ -n "${ready[$host]:-}" ] ||
      fail "$host (${image_of[$host]}): the agent did not answer within 300 s; console: $(tail -n 20 "$tmp/$host.serial" 2>/dev/null)"
    used=$(gexec "$host" "awk '/^MemTotal/ {t=\$2} /^MemAvailable/ {a=\$2} END {print int((t-a)/1024)}' /proc/meminfo")
    echo "image ${image_of[$host]}: agent answered ${ready[$host]} s after start, ${used} MiB used"
  done
}
# Checks hostname, address and the services of the host's image.yaml.
check_guest() {
  local host=$1 image=${image_of[$1]} got unit
  got=$(gexec "$host" hostname) || fail "$host: hostname failed"
  [ "$got" = "$host" ] || fail "$host: hostname is '$got'"
  gexec "$host" "ip -4 -o addr show" | grep -q " ${addr_of[$host]}/24 " ||
    fail "$host: no address ${addr_of[$host]}/24: $(gexec "$host" 'ip -4 -o addr show')"
  for unit in $(/usr/bin/python3 -c 'import sys, yaml; print(" ".join(s["name"] for s in yaml.safe_load(open(sys.argv[1]))["services"]))' "$REPO/images/debian/$image/image.yaml") rsyslog ssh; do
    got=$(gexec "$host" "systemctl is-active $unit") ||
      fail "$host ($image): $unit is '$got': $(gexec "$host" "systemctl status --no-pager $unit 2>&1 | tail -n 8")"
  done
  pass "$host ($image): hostname, address ${addr_of[$host]} and services active"
}

guest fw firewall "" "outside,10.77.0.1 lan,10.77.1.1 dmz,10.77.2.1"
guest logs logserver 10.77.1.1 "lan,10.77.1.10"
guest www webserver 10.77.2.1 "dmz,10.77.2.10"
wait_ready fw logs www
for h in fw logs www; do check_guest "$h"; done

# Every guest knows the team's names; the firewall's DNS answers them and
# the names of its hosts directory.
got=$(gexec www "getent hosts logs") || true
[[ $got == 10.77.1.10* ]] || fail "www: 'logs' is not in /etc/hosts: '$got'"
gexec fw "echo '10.77.2.10 intranet' > /etc/dnsmasq.hosts.d/org.hosts" >/dev/null
for _ in $(seq 20); do
  got=$(gexec logs "getent hosts intranet" || true)
  [ -n "$got" ] && break
  sleep 1
done
[[ $got == 10.77.2.10* ]] || fail "logs: the firewall's DNS does not answer 'intranet': '$got'"
pass "firewall: dnsmasq answers the organisation's names"

# A connection from the lan to the dmz crosses the firewall and is logged.
got=$(gexec logs "curl -s -o /dev/null -w '%{http_code}' http://10.77.2.10/") ||
  fail "logs: cannot reach the web server through the firewall ($got)"
[ "$got" = 200 ] || fail "web server answered $got"
for _ in $(seq 10); do
  gexec fw "grep -q 'fw-forward: .*SRC=10.77.1.10 DST=10.77.2.10 .*DPT=80' /var/log/firewall.log" >/dev/null && break
  sleep 1
done
gexec fw "grep -q 'fw-forward: .*SRC=10.77.1.10 DST=10.77.2.10 .*DPT=80' /var/log/firewall.log" >/dev/null ||
  fail "firewall: the forwarded connection is not in /var/log/firewall.log: $(gexec fw 'tail -n 5 /var/log/firewall.log /var/log/kern.log' || true)"
pass "firewall: a connection from lan to dmz is forwarded and logged"

# A blocked address is dropped and the drop logged.
gexec fw "nft add element inet filter blocked { 10.77.2.10 }" >/dev/null || fail "firewall: cannot block an address"
! gexec logs "curl -s -m 3 -o /dev/null http://10.77.2.10/" >/dev/null || fail "the blocked web server still answers"
gexec fw "grep -q 'fw-drop: .*SRC=10.77.1.10 DST=10.77.2.10' /var/log/firewall.log" >/dev/null ||
  fail "firewall: the dropped packet is not logged"
gexec fw "nft delete element inet filter blocked { 10.77.2.10 }" >/dev/null
pass "firewall: a blocked address is dropped and logged"

# The web server logs the request in combined format.
gexec www "grep -q '^10.77.1.10 - - \[.*\] \"GET / HTTP/1.1\" 200 .* \"curl/' /var/log/apache2/access.log" >/dev/null ||
  fail "www: the request is not in access.log (combined): $(gexec www 'tail -n 3 /var/log/apache2/access.log' || true)"
pass "webserver: the request is in access.log in combined format"

# The CMS logs a failed admin login with user and source address to syslog,
# and the web server's syslog reaches the log server (once "logs" resolves).
got=$(gexec logs "curl -s -o /dev/null -w '%{http_code}' --data 'user=admin&password=wrong' http://10.77.2.10/admin/login.php")
gexec www "grep -q 'cms.*login failed.*user=admin.*from=10.77.1.10' /var/log/auth.log" >/dev/null ||
  fail "www: the failed login is not in auth.log: $(gexec www 'tail -n 3 /var/log/auth.log' || true)"
pass "webserver: the CMS logs a failed login with user and address"
for _ in $(seq 40); do
  gexec logs "grep -q 'login failed.*user=admin' /var/log/remote/www.log" >/dev/null 2>&1 && break
  sleep 1
done
gexec logs "grep -q 'login failed.*user=admin' /var/log/remote/www.log" >/dev/null ||
  fail "logs: www's syslog did not arrive in /var/log/remote/www.log: $(gexec logs 'ls -l /var/log/remote; tail -n 3 /var/log/remote/*' || true)"
pass "logserver: the web server's syslog arrives in /var/log/remote/www.log"

# The agent's notes of the requests above stay out of the syslog files.
! gexec www "grep -q 'qemu-ga' /var/log/syslog" >/dev/null || fail "www: qemu-ga's notes are in /var/log/syslog"
pass "the agent's requests are not in the syslog files"

# Any other Debian image: boots on the lan and runs its services.
hosts=()
i=20
for image in "${extra[@]}"; do
  guest "$image" "$image" 10.77.1.1 "lan,10.77.1.$i"
  hosts+=("$image")
  i=$((i + 1))
done
if [ ${#hosts[@]} -gt 0 ]; then
  wait_ready "${hosts[@]}"
  for h in "${hosts[@]}"; do check_guest "$h"; done
fi
echo "PASS: Debian images"
