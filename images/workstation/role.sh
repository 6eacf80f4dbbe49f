# Workstation: system log, and the home of the office user staff.
chown -R staff:staff /home/staff
chmod 0750 /home/staff
syslogd
