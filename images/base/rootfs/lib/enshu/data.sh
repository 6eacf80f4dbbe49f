# Mounts the optional virtio disk /dev/vda (ext4, the image's persistent data)
# at /data, loading the disk modules only when there is such a disk.
mount_data() {
  has_disk=
  for dev in /sys/bus/virtio/devices/*; do
    [ "$(cat "$dev/device" 2>/dev/null)" = 0x0002 ] && has_disk=1
  done
  [ -n "$has_disk" ] || return 0
  load_modules disk
  tries=30
  while [ ! -b /dev/vda ] && [ "$tries" -gt 0 ]; do sleep 0.1; tries=$((tries - 1)); done
  mkdir -p /data
  if mount -t ext4 -o noatime /dev/vda /data; then
    log "data: /dev/vda on /data"
  else
    log "data: cannot mount /dev/vda"
  fi
}
