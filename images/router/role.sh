# Router: forwards IPv4 between its NICs, and keeps a system log.
echo 1 > /proc/sys/net/ipv4/ip_forward
syslogd
