# Attacker: nothing runs; the busybox tools (nc, wget, ping, sh) and the
# scripts in /root/tools are used on demand.
chmod 0700 /root
