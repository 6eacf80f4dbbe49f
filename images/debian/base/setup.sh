#!/bin/bash
# Runs inside the base root (chroot) after base/packages and base/rootfs:
# locales, the units every image enables, and a short boot (no apt timers,
# no e2scrub, no getty on tty1: images with a graphical console enable it).
set -euo pipefail

# Locales offered to scenarios (enshu.locale=).
sed -i -E 's/^# *(en_US\.UTF-8 UTF-8|ja_JP\.UTF-8 UTF-8)$/\1/' /etc/locale.gen
locale-gen
echo "LANG=en_US.UTF-8" > /etc/default/locale

systemctl enable enshu-guest.service enshu-logforward.service systemd-networkd.service
# systemd-networkd-wait-online comes with networkd; only the agent waits for it.

# Nothing runs at boot that a range guest does not need.
for unit in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service \
  fstrim.timer man-db.timer dpkg-db-backup.timer; do
  systemctl mask "$unit" >/dev/null
done
systemctl disable getty@tty1.service 2>/dev/null || true
# The users are made at build; modules load when their devices appear; no one
# debugs or traces kernels here. (An image with a graphical console may
# unmask modprobe@drm.)
for unit in systemd-sysusers.service modprobe@drm.service modprobe@dm_mod.service \
  modprobe@efi_pstore.service modprobe@loop.service modprobe@fuse.service \
  sys-kernel-debug.mount sys-kernel-tracing.mount dev-hugepages.mount; do
  systemctl mask "$unit" >/dev/null
done

# Package lists and caches are not part of an image (build.sh removes the
# lists at the end: role images still install from them).
rm -rf /var/log/*.log /var/log/apt/* /var/cache/debconf/*-old
