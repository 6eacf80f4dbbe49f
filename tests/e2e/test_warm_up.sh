#!/usr/bin/env bash
# End to end on real guests: `enshu up --warm` restores two teams of two
# Debian guests (mailserver, logserver) from saved templates instead of
# booting them. Each restored guest has its own team's hostname, address,
# MAC and hosts table, logs under its hostname, has no failed unit, keeps
# the host's time, reaches its teammate but not the other team (even with
# a route through the host), and `down` leaves nothing, save-file copies
# included. Before that, the logserver's template (if any) is damaged, and
# `enshu images warm` makes the templates ahead: the damaged one again; it
# removes the templates of an image rebuilt since, unless a disk backs onto
# one.
source "$(dirname "$0")/lib.sh"
require_platform
"$ENSHU" images list mailserver logserver >/dev/null ||
  fail "Debian images are not built; run 'enshu images build'"
name=e2ewarm
templates=$(dirname "$("$ENSHU" images list mailserver | awk '{print $NF}')")/templates
# Two templates of an image rebuilt since (the sha256 they record is not the
# image's): one is removed, the other kept while a guest's disk backs onto it.
pool=${ENSHU_POOL_DIR:-/var/lib/enshu/pool}
stale_key=$(echo "$name stale template" | sha256sum | cut -c1-64)
held_key=$(echo "$name held template" | sha256sum | cut -c1-64)
overlay=$pool/enshu-$name-held.qcow2
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true; rm -rf "$templates/$stale_key" "$templates/$held_key" "$templates/${gone_key:-none}" "$overlay"' EXIT
for key in "$stale_key" "$held_key"; do
  mkdir -p "$templates/$key"
  qemu-img create -q -f qcow2 "$templates/$key/disk.qcow2" 16M
  echo "mailserver $(printf '0%.0s' $(seq 64))" >"$templates/$key/image"
done
qemu-img create -q -f qcow2 -F qcow2 -b "$templates/$held_key/disk.qcow2" "$overlay"
# One made before templates named their image: told by the image file its
# disk backs onto, here gone.
gone_key=$(echo "$name gone template" | sha256sum | cut -c1-64)
mkdir -p "$templates/$gone_key"
qemu-img create -q -f qcow2 -u -F qcow2 -b "/nonexistent/gone/disk.qcow2" "$templates/$gone_key/disk.qcow2" 16M

# A damaged template: its save file cut short.
damaged=""
for t in "$templates"/*/state.sav; do
  [ -f "$t" ] || continue
  if virsh -q -c qemu:///system save-image-dumpxml "$t" 2>/dev/null | grep -q '/logserver/vmlinuz'; then
    truncate -s 100 "$t"
    damaged=$(dirname "$t")
  fi
done

# The templates made ahead, as an instructor would the day before.
prep=$("$ENSHU" images warm "$HERE/warm-two-teams.yaml" 2>&1) || fail "images warm failed: $prep"
echo "$prep"
[ "$(grep -cE '^  (mail \(mailserver\)|logs \(logserver\)): template ready' <<<"$prep")" = 2 ] ||
  fail "images warm did not make both templates"
if [ -n "$damaged" ]; then
  grep -q "warm template $damaged is damaged: made again" <<<"$prep" ||
    fail "the damaged template $damaged was not reported and made again"
  [ "$(stat -c %s "$damaged/state.sav")" -gt 1000000 ] || fail "the damaged template was not made again"
  pass "a damaged template was made again"
fi
pass "images warm made the templates of both guests"
grep -q "template ${stale_key:0:12} of image mailserver removed: its image was rebuilt since" <<<"$prep" ||
  fail "the stale template was not said to be removed"
[ ! -e "$templates/$stale_key" ] || fail "the stale template remains"
grep -q "template ${gone_key:0:12} of image gone removed: its image is gone" <<<"$prep" ||
  fail "the template whose image file is gone was not said to be removed"
[ ! -e "$templates/$gone_key" ] || fail "the template whose image file is gone remains"
grep -q "template ${held_key:0:12} of image mailserver: its image was rebuilt since; kept while a guest's disk backs onto it" <<<"$prep" ||
  fail "the stale template a disk backs onto was not said to be kept"
[ -f "$templates/$held_key/disk.qcow2" ] || fail "the stale template a disk backs onto was removed"
rm -f "$overlay"
prep=$("$ENSHU" images warm "$HERE/warm-two-teams.yaml" 2>&1) || fail "images warm failed again: $prep"
[ ! -e "$templates/$held_key" ] || fail "the stale template remains once no disk backs onto it: $prep"
pass "templates of a rebuilt image are removed, once no guest's disk backs onto them"

out=$("$ENSHU" up "$HERE/warm-two-teams.yaml" --teams 2 --name $name --warm --timeout 10m 2>&1) ||
  fail "up --warm failed: $out"
echo "$out"
pass "2 teams up with --warm"
restored=$(grep -c 'restored in' <<<"$out" || true)
[ "$restored" = 4 ] || fail "expected 4 guests restored, $restored were"
! grep -q 'it boots' <<<"$out" || fail "a guest booted instead of being restored"
! grep -q 'making the warm template' <<<"$out" || fail "up --warm made a template again: $out"
pass "4 guests restored from the templates made ahead, none booted"

status=$("$ENSHU" status --name $name --json)
addr_of() { jq -r ".[0].teams[] | select(.team==$1) | .nodes[] | select(.name==\"$2\") | .addresses.lan" <<<"$status" | cut -d/ -f1; }
mac_of() { virsh -c qemu:///system domiflist "enshu-$name-t0$1-$2" | awk '/virtio/ {print $5}'; }
for team in 1 2; do
  for node in mail logs; do
    addr=$(addr_of $team $node)
    mac=$(mac_of $team $node)
    [ -n "$addr" ] && [ -n "$mac" ] || fail "team $team $node has no planned address or MAC"
    got=$("$ENSHU" exec --name $name $team $node \
      "hostname; ip -4 -o addr show eth0 | awk '{print \$4}'; cat /sys/class/net/eth0/address
       awk -v a=\"$(addr_of $team mail)\" '\$1 == a {print \$2; exit}' /etc/hosts
       systemctl is-system-running; date -u +%s") || fail "exec on team $team $node"
    host_s=$(date -u +%s)
    set -- $got
    [ "$1" = "$node" ] || fail "team $team $node's hostname is '$1'"
    [ "$2" = "$addr/24" ] || fail "team $team $node's address is '$2', not $addr/24"
    [ "$3" = "$mac" ] || fail "team $team $node's MAC is '$3', not $mac"
    [ "$4" = mail ] || fail "team $team $node's hosts table lacks its team's mail: $got"
    [ "$5" = running ] || fail "team $team $node is '$5': $("$ENSHU" exec --name $name $team $node 'systemctl --failed --no-legend')"
    lag=$((host_s - $6))
    [ ${lag#-} -le 3 ] || fail "team $team $node's clock is $lag s off the host's"
    line=$("$ENSHU" exec --name $name $team $node \
      "logger -t enshu-warm-check x; sleep 1; grep enshu-warm-check /var/log/syslog | tail -n 1")
    grep -q " $node enshu-warm-check" <<<"$line" || fail "team $team $node logs as: $line"
  done
done
pass "every guest has its team's hostname, address, MAC and hosts table, logs as itself, runs clean, keeps time"

for team in 1 2; do
  other=$((3 - team))
  "$ENSHU" exec --name $name $team mail "ping -c 2 -W 2 $(addr_of $team logs)" >/dev/null ||
    fail "team $team mail cannot reach its logs"
  "$ENSHU" exec --name $name $team logs "ping -c 2 -W 2 mail" >/dev/null ||
    fail "team $team logs cannot reach its mail by name"
  target=$(addr_of $other logs)
  host_side=$(addr_of $team mail | sed 's/\.[0-9]*$/.1/')
  if "$ENSHU" exec --name $name $team mail \
    "ip route add $target/32 via $host_side 2>/dev/null; ping -c 2 -W 1 $target" >/dev/null 2>&1; then
    fail "team $team mail reaches team $other logs at $target"
  fi
done
pass "each team's guests reach each other, and not the other team"

"$ENSHU" down --name $name
trap - EXIT
assert_range_gone $name
left=$(find "$templates" -name 'restore-*.sav' | grep -c "enshu-$name-" || true)
[ "$left" = 0 ] || fail "$left save-file copies remain in $templates"
! virsh -c qemu:///system net-list --all --name | grep -q '^enshu-tpl-' || fail "a template network remains"
pass "down leaves no domain, network, overlay, save file or process"
