#!/bin/sh
# TCP connect scan of HOST, ports FIRST..LAST (default 1..1024), one try each.
host=${1:?usage: portscan.sh HOST [FIRST LAST]}
first=${2:-1}
last=${3:-1024}
[ $((last - first)) -lt 1024 ] || { echo "portscan.sh: at most 1024 ports" >&2; exit 2; }
port=$first
while [ "$port" -le "$last" ]; do
  if nc -w 1 "$host" "$port" </dev/null >/dev/null 2>&1; then
    echo "$host:$port open"
  fi
  port=$((port + 1))
done
