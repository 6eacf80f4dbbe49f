# Starts qemu-guest-agent on the virtio port org.qemu.guest_agent.0. Busybox
# has no udev, so the /dev/virtio-ports/NAME links are made here.
start_agent() {
  port=/dev/virtio-ports/org.qemu.guest_agent.0
  # Ports and their names arrive from the host shortly after virtio_console
  # binds; wait up to 5 s, but only if the guest has a virtio console at all.
  ls /sys/bus/virtio/drivers/virtio_console/virtio* >/dev/null 2>&1 || {
    log "agent: no virtio console"; return 0; }
  tries=50
  while :; do
    link_virtio_ports
    [ -e "$port" ] && break
    tries=$((tries - 1))
    [ "$tries" -gt 0 ] || { log "agent: no port org.qemu.guest_agent.0"; return 0; }
    sleep 0.1
  done
  qemu-ga -d -m virtio-serial -p "$port" -l /run/qemu-ga.log &&
    log "agent: started" || log "agent: qemu-ga failed"
}

link_virtio_ports() {
  mkdir -p /dev/virtio-ports
  for f in /sys/class/virtio-ports/*/name; do
    [ -s "$f" ] || continue
    vport=${f%/name}
    ln -sfn "../${vport##*/}" "/dev/virtio-ports/$(cat "$f")"
  done
}
