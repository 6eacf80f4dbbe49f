# Workstation: system log, and the home of the office user staff; its screen
# (graphical console) shows a login prompt on tty1 (etc/inittab), once the
# display's modules (group "display" of base/modules) give it a framebuffer.
chown -R staff:staff /home/staff
chmod 0750 /home/staff
while read -r group mod; do
  [ "$group" = display ] && insmod "/lib/modules/$mod.ko"
done < /lib/modules/load-order
syslogd
