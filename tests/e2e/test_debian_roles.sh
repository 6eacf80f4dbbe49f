#!/usr/bin/env bash
# The office images built from Debian packages (images/debian/mailserver,
# fileserver, desktop) on real guests, booted as the engine boots them (direct
# kernel boot with image.json's cmdline plus enshu.hostname/enshu.net, the disk
# through a qcow2 overlay) on an isolated libvirt network, and checked through
# the guest agent:
#   - mail: a message sent by SMTP from the workstation to alice lands in her
#     Maildir, is found over IMAP with her password, and shows in the mail log;
#     mail for another domain is refused (no relay);
#   - files: a file written over SMB as alice shows in the Samba audit log with
#     her name and the client's address; SMB1 is refused; enshu-backup takes a
#     snapshot holding it; enshu-user changes her Samba password too;
#   - desktop: LightDM's greeter runs and the VGA screen (virsh screenshot)
#     shows it.
# Prints boot-to-agent and boot-to-login-screen times and memory in use.
#
# Images: $ENSHU_IMAGE_DIR (default /var/lib/enshu/images), built with
# images/debian/build.sh DIR mailserver fileserver desktop. Everything it
# creates is named edroles-* and removed on exit, also on failure.
set -Eeuo pipefail

prog=tests/e2e/test_debian_roles.sh
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok: $*"; }

images=${ENSHU_IMAGE_DIR:-/var/lib/enshu/images}
for name in mailserver fileserver desktop; do
  [ -r "$images/$name/image.json" ] ||
    fail "$images/$name is not an image; run images/debian/build.sh $images mailserver fileserver desktop"
done

uri=qemu:///system
net=edroles-net
vsh() { virsh -q -c "$uri" "$@"; }
vsh version >/dev/null || fail "libvirtd does not answer on $uri; run scripts/setup first"

tmp=$(mktemp -d /tmp/edroles.XXXXXX)
chmod 0755 "$tmp" # qemu runs as libvirt-qemu and opens the overlays in here
doms=(edroles-mail edroles-files edroles-desktop)
remove_objects() {
  local d
  for d in "${doms[@]}"; do
    vsh destroy "$d" >/dev/null 2>&1 || true
    vsh undefine "$d" >/dev/null 2>&1 || true
  done
  vsh net-destroy "$net" >/dev/null 2>&1 || true
  vsh net-undefine "$net" >/dev/null 2>&1 || true
}
remove_objects # leftovers of an interrupted run carry the same names
trap 'remove_objects; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

cat >"$tmp/net.xml" <<EOF
<network>
  <name>$net</name>
  <bridge name='edroles0' stp='off' delay='0'/>
  <ip address='10.251.0.1' prefix='24'/>
</network>
EOF
vsh net-define "$tmp/net.xml" >/dev/null
vsh net-start "$net" >/dev/null

# define DOMAIN IMAGE HOSTNAME MAC IP: the domain as the engine makes it.
define() {
  local dom=$1 image=$2 host=$3 mac=$4 ip=$5 dir=$images/$2 graphics=
  local cmdline memory
  cmdline=$(jq -r .cmdline "$dir/image.json")
  memory=$(jq -r .memory_mib "$dir/image.json")
  qemu-img create -q -f qcow2 -F qcow2 -b "$dir/disk.qcow2" "$tmp/$dom.qcow2"
  chmod 0666 "$tmp/$dom.qcow2"
  if jq -e '.consoles | index("graphical")' "$dir/image.json" >/dev/null; then
    graphics="<graphics type='vnc'><listen type='none'/></graphics><video><model type='vga'/></video>"
  fi
  cat >"$tmp/$dom.xml" <<EOF
<domain type='qemu'>
  <name>$dom</name>
  <memory unit='MiB'>$memory</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64'>hvm</type>
    <kernel>$dir/vmlinuz</kernel>
    <initrd>$dir/initrd.img</initrd>
    <cmdline>$cmdline console=ttyS0 enshu.hostname=$host enshu.net=$mac,$ip/24 enshu.gw=10.251.0.1</cmdline>
  </os>
  <features><acpi/></features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$tmp/$dom.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <interface type='network'>
      <source network='$net'/>
      <mac address='$mac'/>
      <model type='virtio'/>
    </interface>
    <serial type='pty'/>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    $graphics
  </devices>
</domain>
EOF
  vsh define "$tmp/$dom.xml" >/dev/null
}

# agent_ready DOMAIN SECONDS: waits until the guest agent answers.
agent_ready() {
  local dom=$1 deadline=$((SECONDS + $2))
  while [ $SECONDS -lt $deadline ]; do
    vsh qemu-agent-command "$dom" '{"execute":"guest-ping"}' --timeout 2 >/dev/null 2>&1 && return 0
    sleep 1
  done
  return 1
}

# gx DOMAIN SCRIPT: runs SCRIPT with bash in the guest; prints its
# output; returns its exit status. The script travels as the agent's input, so
# nothing of it lands on a command line.
gx() {
  local dom=$1 script=$2 pid st i
  pid=$(vsh qemu-agent-command "$dom" "$(jq -cn --arg s "$script" \
    '{execute:"guest-exec",arguments:{path:"/bin/bash",arg:["-s"],"input-data":($s|@base64),"capture-output":true}}')" |
    jq -r .return.pid) || return 1
  for ((i = 0; i < 600; i++)); do
    st=$(vsh qemu-agent-command "$dom" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
    if [ "$(jq -r .return.exited <<<"$st")" = true ]; then
      jq -r '.return["out-data"] // ""' <<<"$st" | base64 -d
      jq -r '.return["err-data"] // ""' <<<"$st" | base64 -d >&2
      return "$(jq -r '.return.exitcode // 1' <<<"$st")"
    fi
    sleep 0.2
  done
  echo "$prog: guest-exec on $dom did not end" >&2
  return 1
}

# used_mib DOMAIN: memory in use in the guest (MemTotal - MemAvailable).
used_mib() {
  gx "$1" "awk '/^MemTotal:/ {t=\$2} /^MemAvailable:/ {a=\$2} END {print int((t-a)/1024)}' /proc/meminfo"
}

mail=10.251.0.10 files=10.251.0.11 desk=10.251.0.20
define edroles-mail mailserver mail 52:54:00:e5:00:10 $mail
define edroles-files fileserver files 52:54:00:e5:00:11 $files
define edroles-desktop desktop desktop 52:54:00:e5:00:20 $desk

# One guest after the other, so that each boot time is its own.
for spec in edroles-mail:mailserver edroles-files:fileserver edroles-desktop:desktop; do
  dom=${spec%%:*}
  t0=$(now)
  vsh start "$dom" >/dev/null
  agent_ready "$dom" 300 || fail "${spec#*:}: the guest agent did not answer within 300 s"
  echo "figure: ${spec#*:}: boot to agent $(since "$t0") s"
  if [ "$dom" = edroles-desktop ]; then
    # The login screen: the greeter's background colour (lightdm-gtk-greeter.conf)
    # fills most of the VGA screen, with the login box and indicators drawn on it.
    shown=0
    for ((i = 0; i < 120; i++)); do
      if vsh screenshot "$dom" "$tmp/screen" >/dev/null 2>&1 &&
        read -r colour share colours < <(python3 "$here/screen_colour.py" "$tmp/screen") &&
        [ "$colour" = 2f4f6f ] && awk -v s="$share" -v n="$colours" 'BEGIN { exit !(s > 0.5 && n > 20) }'; then
        shown=1
        break
      fi
      sleep 1
    done
    if [ $shown = 0 ]; then
      cp "$tmp/screen" /tmp/edroles-screen 2>/dev/null || true
      fail "desktop: the screen does not show the login screen (last screenshot: /tmp/edroles-screen)"
    fi
    echo "figure: desktop: boot to login screen $(since "$t0") s"
  fi
done
for spec in edroles-mail:mailserver edroles-files:fileserver edroles-desktop:desktop; do
  echo "figure: ${spec#*:}: memory in use after boot $(used_mib "${spec%%:*}") MiB"
done

# --- mail -------------------------------------------------------------------
gx edroles-mail 'systemctl is-active postfix dovecot' >/dev/null || fail "mail: postfix or dovecot is not active"
token=enshu-test-$RANDOM$RANDOM
# An SMTP dialogue over the LAN, from the workstation, reading every reply.
smtp=$(gx edroles-desktop "$(
  cat <<EOF
exec 3<>/dev/tcp/$mail/25 || exit 1
reply() { while IFS= read -r -t 20 l <&3; do l=\${l%\$(printf '\r')}; echo "S: \$l"; case \$l in [0-9][0-9][0-9]-*) ;; *) return 0 ;; esac; done; return 1; }
say() { echo "C: \$1"; printf '%s\r\n' "\$1" >&3; reply; }
reply
say 'EHLO desktop.example.lan'
say 'MAIL FROM:<bob@example.lan>'
say 'RCPT TO:<alice@example.lan>'
say 'DATA'
printf 'From: Bob <bob@example.lan>\r\nTo: Alice <alice@example.lan>\r\nSubject: $token\r\n\r\nQuarterly figures attached.\r\n' >&3
say '.'
say 'RSET'
say 'MAIL FROM:<bob@example.lan>'
say 'RCPT TO:<someone@elsewhere.test>'
say 'QUIT'
EOF
)") || fail "mail: the SMTP dialogue failed: $smtp"
grep -q '^S: 250 2.0.0 Ok: queued' <<<"$smtp" || fail "mail: the message was not queued: $smtp"
grep -q '^S: 554 5.7.1 .*Relay access denied' <<<"$smtp" || fail "mail: relay to another domain was not refused: $smtp"
pass "mail: SMTP from the workstation accepted for alice, relay refused"
found=0
for ((i = 0; i < 30; i++)); do
  if gx edroles-mail "grep -l 'Subject: $token' /home/alice/Maildir/new/*" >/dev/null 2>&1; then
    found=1
    break
  fi
  sleep 1
done
[ $found = 1 ] || fail "mail: the message did not land in /home/alice/Maildir/new"
gx edroles-mail "grep -q 'to=<alice@example.lan>.*status=sent (delivered to maildir)' /var/log/mail.log" ||
  fail "mail: /var/log/mail.log has no delivery to alice"
pass "mail: delivered to alice's Maildir and logged in /var/log/mail.log"
imap=$(gx edroles-desktop "$(
  cat <<EOF
exec 3<>/dev/tcp/$mail/143 || exit 1
IFS= read -r -t 20 l <&3; echo "S: \$l"
cmd() { printf '%s %s\r\n' "\$1" "\$2" >&3; while IFS= read -r -t 20 l <&3; do echo "S: \$l"; case \$l in "\$1 "*) return 0 ;; esac; done; return 1; }
cmd a 'LOGIN alice alice-Pass1'
cmd b 'SELECT INBOX'
cmd c 'SEARCH SUBJECT $token'
cmd d 'LOGOUT'
EOF
)") || fail "mail: the IMAP dialogue failed: $imap"
grep -q '^S: a OK' <<<"$imap" || fail "mail: IMAP login as alice failed: $imap"
grep -Eq '^S: \* SEARCH [0-9]+' <<<"$imap" || fail "mail: IMAP does not find the message: $imap"
gx edroles-mail "grep -q 'imap-login: Login: user=<alice>.*rip=$desk' /var/log/mail.log" ||
  fail "mail: the IMAP login is not in /var/log/mail.log"
pass "mail: alice reads the message over IMAP from the workstation"

# --- files ------------------------------------------------------------------
gx edroles-files 'systemctl is-active smbd' >/dev/null || fail "files: smbd is not active"
gx edroles-files "echo 'figures $token' >/tmp/$token.txt && smbclient //$files/share -U alice%alice-Pass1 -c 'cd Accounting; put /tmp/$token.txt $token.csv'" >/dev/null ||
  fail "files: writing to the share as alice failed"
found=0
for ((i = 0; i < 20; i++)); do
  if gx edroles-files "grep -q 'alice|$files|.*|share|pwrite_recv|ok|/srv/share/Accounting/$token.csv' /var/log/samba/audit.log"; then
    found=1
    break
  fi
  sleep 1
done
[ $found = 1 ] || fail "files: the write is not in /var/log/samba/audit.log"
pass "files: an SMB write as alice is in the audit log with her name and address"
if gx edroles-files "smbclient //$files/share -m NT1 -U alice%alice-Pass1 -c ls" >/dev/null 2>&1; then
  fail "files: an SMB1 connection was accepted"
fi
pass "files: SMB1 refused"
gx edroles-files "snap=\$(enshu-backup) && test -f \$snap/Accounting/$token.csv && test \"\$(readlink /srv/backup/latest)\" = \"\${snap##*/}\"" >/dev/null ||
  fail "files: enshu-backup did not snapshot the share"
pass "files: enshu-backup snapshots the share"
gx edroles-files "printf 'new-Pass9\n' | enshu-user set alice && smbclient //$files/alice -U alice%new-Pass9 -c ls && ! smbclient //$files/alice -U alice%alice-Pass1 -c ls" >/dev/null 2>&1 ||
  fail "files: enshu-user did not change alice's Samba password"
pass "files: enshu-user sets the Samba password with the system's"

# --- desktop ----------------------------------------------------------------
gx edroles-desktop 'systemctl is-active lightdm && pgrep -x lightdm-gtk-gre' >/dev/null ||
  fail "desktop: lightdm or its greeter is not running"
gx edroles-desktop 'grep -q "^protocol=3" /home/alice/.claws-mail/accountrc && grep -q "^receive_server=mail" /home/alice/.claws-mail/accountrc' ||
  fail "desktop: alice's mail client is not set up"
pass "desktop: the login screen is shown and alice's mail client is set up"
echo "PASS: $prog"
