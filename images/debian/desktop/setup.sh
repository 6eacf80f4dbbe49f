#!/bin/bash
# Desktop image, run inside the chroot after base/setup.sh: boots to the
# graphical login (LightDM on the VGA display), NetSurf as the web browser,
# and the X keyboard from /etc/default/keyboard.
set -euo pipefail

systemctl enable lightdm.service
systemctl set-default graphical.target
update-alternatives --set x-www-browser /usr/bin/netsurf-gtk 2>/dev/null || true
# Users created before this image's hook existed (none normally) get the
# desktop files too; the hook leaves existing files alone.
for home in /home/*/; do
  user=$(basename "$home")
  id "$user" >/dev/null 2>&1 || continue
  /etc/enshu/user.d/60-desktop "$user" </dev/null
done
