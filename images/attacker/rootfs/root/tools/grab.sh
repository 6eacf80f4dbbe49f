#!/bin/sh
# Prints what the TCP service at HOST PORT sends in its first 3 seconds.
host=${1:?usage: grab.sh HOST PORT}
port=${2:?usage: grab.sh HOST PORT}
timeout 3 nc -w 2 "$host" "$port" </dev/null
