/*
 * What a libvirt host already has: its memory, the memory its running
 * guests use, and the IPv4 networks its libvirt networks occupy.
 */
#ifndef ENSHU_HOST_PROBE_H
#define ENSHU_HOST_PROBE_H

#include "address_pool.h"
#include "hosts.h"

#include <libvirt/libvirt.h>

/* Fills memory_mib (when not configured) and used_mib of h; adds the host's
 * networks to used. Reports errors. */
int host_probe(virConnectPtr conn, range_host *h, ipv4_net_list *used)
    __attribute__((warn_unused_result));

#endif
