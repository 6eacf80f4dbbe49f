#!/bin/bash
# Firewall: the packet filter loads at boot; dnsmasq serves DNS only.
set -euo pipefail
systemctl enable nftables.service dnsmasq.service
