/*
 * libvirt XML, both ways. Writing (libvirt_xml.c): the objects of a range
 * plan (isolated networks, domains, the isolation filter, overlay volumes),
 * pure string building, unit-tested and checked against libvirt's own
 * schemas (virt-xml-validate). Reading (libvirt_xml_read.c): the few facts
 * Enshu takes from what libvirt returns (a network's addresses, a domain's
 * disk file, its interfaces on a network), parsed with libxml2 and
 * unit-tested on libvirt 9.0's own output (tests/unit/fixtures/libvirt/).
 * Every function here is pure (string in, values or string out) and may be
 * called from any thread.
 */
#ifndef ENSHU_LIBVIRT_XML_H
#define ENSHU_LIBVIRT_XML_H

#include "address_pool.h"
#include "range_plan.h"

#include <stdbool.h>
#include <stdint.h>

/* An isolated network (no <forward>): no route out, DHCP pinned per MAC,
 * except for guests whose image is addressed through the agent (addressing
 * "agent"): they get no DHCP entry. */
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

/* The QEMU firmware configuration file holding the team's hosts table
 * (plan_team_hosts): in the guest,
 * /sys/firmware/qemu_fw_cfg/by_name/opt/org.enshu/hosts/raw once the
 * qemu_fw_cfg module is loaded. Unlike the kernel command line, it has no
 * 2 KiB bound, and a reboot or a revert keeps it. */
#define ENSHU_FWCFG_HOSTS "opt/org.enshu/hosts"

typedef struct domain_boot {
    const char *kernel; /* images with boot "kernel": direct kernel boot */
    const char *initrd;
    const char *disk_path; /* overlay file, or NULL */
    const char *filter;    /* nwfilter (libvirt_nwfilter_xml) for every NIC, or NULL */
    /* The image offers a graphical console: a VGA display under VNC that
     * listens on no port (<listen type='none'/>); its viewers reach it only
     * through sockets libvirt hands over (virDomainOpenGraphicsFD,
     * guest_display.h). */
    bool graphical;
} domain_boot;

char *libvirt_domain_xml(const plan_domain *dom, const plan_team *team, const domain_boot *boot);

/* A qcow2 overlay volume on top of backing (a qcow2 file). */
char *libvirt_overlay_volume_xml(const char *name, const char *backing, uint64_t capacity);

/* A directory storage pool. */
char *libvirt_dir_pool_xml(const char *name, const char *path);

/* XML-escapes text (caller frees). */
char *xml_escape(const char *text);

/*
 * Reading. The input is a whole document as libvirt returns it
 * (virNetworkGetXMLDesc, virDomainGetXMLDesc). Only libvirt's own elements
 * count: those in no namespace, at their place in libvirt's schema (an
 * <ip> inside an nwfilter rule or a <disk> inside <metadata> is not read).
 * A document with a DOCTYPE is refused (libvirt never writes one), so no
 * entity is ever declared, loaded or expanded; nothing is fetched from the
 * network.
 */

/* Adds to out the IPv4 network of every <ip address=.. netmask=..|prefix=..>
 * of a <network> definition; IPv6 and unreadable addresses are skipped, an
 * address with neither netmask nor prefix has libvirt's classful default.
 * Returns 0, or ENSHU_EINVAL (nothing added) when xml is not a libvirt
 * network. */
int libvirt_network_ipv4_nets(const char *xml, ipv4_net_list *out)
    __attribute__((warn_unused_result));

/* The file of a domain's first disk backed by a file
 * (<disk type='file' device='disk'><source file=..>), unescaped (caller
 * frees); NULL when it has none or xml is not a libvirt domain. */
char *libvirt_domain_disk_file(const char *xml) __attribute__((warn_unused_result));

/* Link splicing: for every <interface> of a domain attached to network
 * (its <source network=..>), that interface element as it stands with its
 * <link> replaced by <link state='up'/> or <link state='down'/>: the device
 * XML for virDomainUpdateDeviceFlags. Sets *updates to a NULL-terminated
 * array (free it with libvirt_xml_strings_free) and returns how many it
 * holds, 0 when no interface is on network; returns ENSHU_EINVAL (and sets
 * *updates to NULL) when xml is not a libvirt domain. */
int libvirt_domain_link_updates(const char *xml, const char *network, bool up, char ***updates)
    __attribute__((warn_unused_result));

/* Frees a NULL-terminated array of strings and the strings; NULL is a no-op. */
void libvirt_xml_strings_free(char **strings);

#endif
