/*
 * Host capacity and address use, read through libvirt (see host_probe.h).
 */
#include "host_probe.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "libvirt_xml.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>

int host_probe(virConnectPtr conn, range_host *h, ipv4_net_list *used)
{
    virNodeInfo info;
    if (virNodeGetInfo(conn, &info) < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot read the capacity of %s: %s", h->uri,
                   libvirt_error());
        return ENSHU_ELIBVIRT;
    }
    if (!h->memory_mib)
        h->memory_mib = info.memory / 1024;
    virDomainPtr *doms = NULL;
    int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
    h->used_mib = 0;
    for (int i = 0; i < n; i++) {
        virDomainInfo di;
        if (virDomainGetInfo(doms[i], &di) == 0)
            h->used_mib += di.maxMem / 1024;
        virDomainFree(doms[i]);
    }
    free(doms);
    virNetworkPtr *nets = NULL;
    int m = virConnectListAllNetworks(conn, &nets, 0);
    for (int i = 0; i < m; i++) {
        char *xml = virNetworkGetXMLDesc(nets[i], 0);
        if (xml && libvirt_network_ipv4_nets(xml, used) != ENSHU_OK)
            log_printf(ENSHU_LOG_WARNING, "enshu: cannot read the addresses of network %s on %s\n",
                       virNetworkGetName(nets[i]), h->uri);
        free(xml);
        virNetworkFree(nets[i]);
    }
    free(nets);
    if (n < 0 || m < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot list guests and networks of %s: %s", h->uri,
                   libvirt_error());
        return ENSHU_ELIBVIRT;
    }
    return ENSHU_OK;
}
