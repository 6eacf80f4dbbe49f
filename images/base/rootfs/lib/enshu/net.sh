# Configures the NICs from enshu.net (each item: the NIC's MAC, its IPv4
# address/prefix) and enshu.gw; without enshu.net, asks DHCP on every ethN.
setup_network() {
  ip link set lo up
  if [ -z "$ENSHU_NET" ]; then
    for dev in /sys/class/net/eth*; do
      [ -e "$dev" ] || continue
      dev=${dev##*/}
      ip link set "$dev" up
      udhcpc -i "$dev" -t 5 -T 1 -n -S -x "hostname:$ENSHU_HOSTNAME" \
        -s /usr/share/udhcpc/default.script >/dev/null 2>&1 &
    done
    log "network: DHCP started"
    return 0
  fi
  old_ifs=$IFS; IFS=+
  set -f; set -- $ENSHU_NET; set +f
  IFS=$old_ifs
  for item; do
    mac=${item%%,*}
    addr=${item#*,}
    dev=$(nic_with_mac "$mac") || { log "network: no NIC with MAC $mac"; continue; }
    ip addr add "$addr" dev "$dev" && ip link set "$dev" up ||
      log "network: cannot set $addr on $dev"
  done
  if [ -n "$ENSHU_GW" ]; then
    ip route add default via "$ENSHU_GW" || log "network: cannot route via $ENSHU_GW"
  fi
  log "network: $ENSHU_NET${ENSHU_GW:+ via $ENSHU_GW}"
}

# Prints the name of the interface whose MAC is $1, waiting up to 30 s for it
# (a router's third NIC can take seconds to appear when many guests boot at
# once under TCG).
nic_with_mac() {
  want=$(echo "$1" | tr 'A-F' 'a-f')
  tries=300
  while [ "$tries" -gt 0 ]; do
    for f in /sys/class/net/*/address; do
      if [ "$(cat "$f" 2>/dev/null)" = "$want" ]; then
        f=${f%/address}; echo "${f##*/}"; return 0
      fi
    done
    tries=$((tries - 1))
    sleep 0.1
  done
  return 1
}
