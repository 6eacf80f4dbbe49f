/*
 * libvirt XML for the objects of a range plan: isolated networks, domains
 * and overlay volumes. Pure string building, so it is unit-tested and
 * checked against libvirt's own schemas (virt-xml-validate).
 */
#ifndef ENSHU_LIBVIRT_XML_H
#define ENSHU_LIBVIRT_XML_H

#include "range_plan.h"

#include <stdint.h>

/* An isolated network (no <forward>): no route out, DHCP pinned per MAC. */
char *libvirt_network_xml(const plan_network *net, const plan_team *team);

/* The team's guest isolation filter (libvirt nwfilter, ebtables rules on
 * each guest's tap). A guest's frames may go only to the planned MACs of the
 * guests on its segment (parameter PEER, a list), as ARP requests, as IPv4
 * or IPv6 multicast, as IPv4 limited broadcast, or as DHCP to the host side
 * of its bridge (parameter HOST_IP); it receives frames only from those
 * guests and DHCP replies from HOST_IP. Everything else, in both directions,
 * is dropped: no address of the host answers a guest, whatever address,
 * route or neighbour entry root in the guest sets up. */
char *libvirt_nwfilter_xml(const char *name);

typedef struct domain_boot {
    const char *kernel; /* built-in images: direct kernel boot */
    const char *initrd;
    const char *disk_path; /* overlay file, or NULL */
    const char *filter;    /* nwfilter (libvirt_nwfilter_xml) for every NIC, or NULL */
} domain_boot;

char *libvirt_domain_xml(const plan_domain *dom, const plan_team *team, const domain_boot *boot);

/* A qcow2 overlay volume on top of backing (a qcow2 file). */
char *libvirt_overlay_volume_xml(const char *name, const char *backing, uint64_t capacity);

/* A directory storage pool. */
char *libvirt_dir_pool_xml(const char *name, const char *path);

/* XML-escapes text (caller frees). */
char *xml_escape(const char *text);

#endif
