/*
 * Builds libvirt XML documents (see libvirt_xml.h).
 */
#include "libvirt_xml.h"
#include "alloc.h"
#include "log.h"
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *xml_escape(const char *text)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += (*p == '&') ? 5 : (*p == '<' || *p == '>') ? 4 : (*p == '\'' || *p == '"') ? 6 : 1;
    char *out = xmalloc(n + 1), *o = out;
    for (const char *p = text; *p; p++) {
        const char *rep = NULL;
        switch (*p) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        case '"':
            rep = "&quot;";
            break;
        default:
            *o++ = *p;
            continue;
        }
        size_t len = strlen(rep);
        memcpy(o, rep, len);
        o += len;
    }
    *o = '\0';
    return out;
}

static FILE *buffer_open(char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (!f) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot open a memory stream");
        abort();
    }
    return f;
}

char *libvirt_network_xml(const plan_network *net, const plan_team *team)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = buffer_open(&buf, &len);
    char addr[16], mask[16];
    format_ipv4(net->bridge_addr, addr);
    format_ipv4(net->prefix ? 0xffffffffu << (32 - net->prefix) : 0, mask);
    fprintf(f, "<network>\n  <name>%s</name>\n", net->name);
    fprintf(f, "  <bridge name='%s' stp='off' delay='0'/>\n", net->bridge);
    /* No DNS server on the bridge: nothing in the range resolves names outside it. */
    fprintf(f, "  <dns enable='no'/>\n");
    fprintf(f, "  <ip address='%s' netmask='%s'>\n    <dhcp>\n", addr, mask);
    char lo[16], hi[16];
    format_ipv4(net->subnet + 2, lo);
    /* Shifted in 64 bits: a /0 network (mask 0 above) has 2^32 addresses. */
    format_ipv4(net->subnet + (uint32_t)((1ull << (32 - net->prefix)) - 2), hi);
    fprintf(f, "      <range start='%s' end='%s'/>\n", lo, hi);
    for (size_t d = 0; d < team->ndomains; d++) {
        const plan_domain *dom = &team->domains[d];
        /* Addressed through the agent: no lease to fall back on, so that a
         * guest has its address only if the engine gave it. */
        if (dom->image && dom->image->addressing == IMAGE_ADDR_AGENT)
            continue;
        for (size_t i = 0; i < dom->nnics; i++) {
            if (dom->nics[i].segment != net->segment)
                continue;
            char ip[16];
            format_ipv4(dom->nics[i].addr, ip);
            fprintf(f, "      <host mac='%s' name='%s' ip='%s'/>\n", dom->nics[i].mac,
                    dom->node->name, ip);
        }
    }
    fprintf(f, "    </dhcp>\n  </ip>\n</network>\n");
    fclose(f);
    return buf;
}

/*
 * Why a filter on each guest's tap:
 * - host firewall rules added by `up` and removed by `down` would have to be
 *   run by Enshu on every libvirt host (remote ones have no Enshu), tracked
 *   through crashes, and kept apart from libvirt's own rules on the bridge;
 * - a bridge without a host address is not enough: Linux delivers a packet
 *   for any of its addresses that arrives on any interface, so a guest that
 *   sends to the bridge's MAC still reaches the host's other addresses; and
 *   guests without an address on their kernel command line need DHCP;
 * - the filter is libvirt's own: it is instantiated by whichever host runs
 *   the guest, exists exactly while the guest's tap does (also after a crash
 *   or a libvirtd restart), and needs only libvirt's nwfilter driver and
 *   ebtables there.
 *
 * The rules are ebtables rules (<mac>, <arp>, <ip>, <ipv6>) only, so no
 * br_netfilter is needed. They allow destinations by name rather than
 * forbidding the host's MACs: the host's stack answers frames sent to the
 * bridge's MAC and to the MAC of every port on the bridge, and also takes a
 * unicast IP packet wrapped in a broadcast frame; an allow-list covers all of
 * these. Broadcast and multicast frames still reach the host one way (the
 * bridge hands them to every port); nothing the host sends back passes the
 * filter but DHCP replies.
 */
static const char nwfilter_rules[] =
    /* DHCP: discover and request are broadcast, renewals go to the server. */
    "  <rule action='accept' direction='out' priority='100'>\n"
    "    <ip protocol='udp' srcportstart='68' dstportstart='67' dstipaddr='255.255.255.255'/>\n"
    "  </rule>\n"
    "  <rule action='accept' direction='out' priority='101'>\n"
    "    <ip protocol='udp' srcportstart='68' dstportstart='67' dstipaddr='$HOST_IP'/>\n"
    "  </rule>\n"
    "  <rule action='accept' direction='in' priority='102'>\n"
    "    <ip protocol='udp' srcportstart='67' dstportstart='68' srcipaddr='$HOST_IP'/>\n"
    "  </rule>\n"
    /* The segment's guests, one rule per MAC of the list. */
    "  <rule action='accept' direction='out' priority='110'>\n"
    "    <mac dstmacaddr='$PEER'/>\n"
    "  </rule>\n"
    "  <rule action='accept' direction='in' priority='111'>\n"
    "    <mac srcmacaddr='$PEER'/>\n"
    "  </rule>\n"
    /* Group frames, each only with a group destination inside: ARP
     * requests, IPv4 multicast, IPv4 limited broadcast, IPv6 multicast
     * (neighbour discovery). A subnet's directed broadcast is not allowed. */
    "  <rule action='accept' direction='out' priority='120'>\n"
    "    <arp dstmacaddr='ff:ff:ff:ff:ff:ff'/>\n"
    "  </rule>\n"
    "  <rule action='accept' direction='out' priority='121'>\n"
    "    <ip dstmacaddr='01:00:5e:00:00:00' dstmacmask='ff:ff:ff:80:00:00'"
    " dstipaddr='224.0.0.0' dstipmask='4'/>\n"
    "  </rule>\n"
    "  <rule action='accept' direction='out' priority='122'>\n"
    "    <ip dstmacaddr='ff:ff:ff:ff:ff:ff' dstipaddr='255.255.255.255'/>\n"
    "  </rule>\n"
    "  <rule action='accept' direction='out' priority='123'>\n"
    "    <ipv6 dstmacaddr='33:33:00:00:00:00' dstmacmask='ff:ff:00:00:00:00'"
    " dstipaddr='ff00::' dstipmask='8'/>\n"
    "  </rule>\n"
    "  <rule action='drop' direction='inout' priority='1000'>\n"
    "    <mac/>\n"
    "  </rule>\n";

char *libvirt_nwfilter_xml(const char *name)
{
    return xasprintf("<filter name='%s' chain='root'>\n%s</filter>\n", name, nwfilter_rules);
}

/* The filter reference of one NIC: its bridge's host address and the MAC of
 * every NIC of the team on the same segment (its own included, so that the
 * list is never empty). */
static void write_filterref(FILE *f, const char *filter, const plan_team *team, int seg)
{
    char host[16];
    format_ipv4(team->networks[seg].bridge_addr, host);
    fprintf(f, "      <filterref filter='%s'>\n", filter);
    fprintf(f, "        <parameter name='HOST_IP' value='%s'/>\n", host);
    for (size_t d = 0; d < team->ndomains; d++)
        for (size_t i = 0; i < team->domains[d].nnics; i++)
            if (team->domains[d].nics[i].segment == seg)
                fprintf(f, "        <parameter name='PEER' value='%s'/>\n",
                        team->domains[d].nics[i].mac);
    fprintf(f, "      </filterref>\n");
}

char *libvirt_domain_xml(const plan_domain *dom, const plan_team *team, const domain_boot *boot)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = buffer_open(&buf, &len);
    fprintf(f, "<domain type='qemu'>\n  <name>%s</name>\n", dom->name);
    fprintf(f, "  <memory unit='MiB'>%u</memory>\n", dom->memory_mib);
    fprintf(f, "  <vcpu>%u</vcpu>\n", dom->vcpus);
    fprintf(f, "  <os>\n    <type arch='x86_64'>hvm</type>\n");
    if (boot->kernel) {
        char *k = xml_escape(boot->kernel), *i = xml_escape(boot->initrd);
        char *c = xml_escape(dom->cmdline ? dom->cmdline : "console=ttyS0");
        fprintf(f, "    <kernel>%s</kernel>\n    <initrd>%s</initrd>\n    <cmdline>%s</cmdline>\n",
                k, i, c);
        free(k);
        free(i);
        free(c);
    } else {
        fprintf(f, "    <boot dev='hd'/>\n");
    }
    fprintf(f, "  </os>\n");
    if (team->hosts && *team->hosts) {
        char *h = xml_escape(team->hosts);
        fprintf(f, "  <sysinfo type='fwcfg'>\n    <entry name='%s'>%s</entry>\n  </sysinfo>\n",
                ENSHU_FWCFG_HOSTS, h);
        free(h);
    }
    fprintf(f, "  <features><acpi/></features>\n  <clock offset='utc'/>\n");
    fprintf(f, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
               "  <on_crash>destroy</on_crash>\n  <devices>\n");
    if (boot->disk_path) {
        char *p = xml_escape(boot->disk_path);
        fprintf(f,
                "    <disk type='file' device='disk'>\n"
                "      <driver name='qemu' type='qcow2'/>\n"
                "      <source file='%s'/>\n"
                "      <target dev='vda' bus='virtio'/>\n    </disk>\n",
                p);
        free(p);
    }
    for (size_t i = 0; i < dom->nnics; i++) {
        fprintf(f,
                "    <interface type='network'>\n      <mac address='%s'/>\n"
                "      <source network='%s'/>\n      <model type='virtio'/>\n",
                dom->nics[i].mac, team->networks[dom->nics[i].segment].name);
        if (boot->filter)
            write_filterref(f, boot->filter, team, dom->nics[i].segment);
        fprintf(f, "    </interface>\n");
    }
    if (boot->graphical)
        fprintf(f, "    <graphics type='vnc'><listen type='none'/></graphics>\n"
                   "    <video><model type='vga'/></video>\n");
    fprintf(f, "    <serial type='pty'><target port='0'/></serial>\n"
               "    <console type='pty'><target type='serial' port='0'/></console>\n"
               "    <channel type='unix'>\n"
               "      <target type='virtio' name='org.qemu.guest_agent.0'/>\n"
               "    </channel>\n"
               "    <controller type='usb' model='none'/>\n"
               "    <memballoon model='none'/>\n"
               "  </devices>\n</domain>\n");
    fclose(f);
    return buf;
}

char *libvirt_overlay_volume_xml(const char *name, const char *backing, uint64_t capacity)
{
    char *b = xml_escape(backing);
    char *xml = xasprintf("<volume>\n  <name>%s</name>\n"
                          "  <capacity unit='bytes'>%llu</capacity>\n"
                          "  <target>\n    <format type='qcow2'/>\n"
                          "    <permissions><mode>0644</mode></permissions>\n  </target>\n"
                          "  <backingStore>\n    <path>%s</path>\n"
                          "    <format type='qcow2'/>\n  </backingStore>\n</volume>\n",
                          name, (unsigned long long)capacity, b);
    free(b);
    return xml;
}

char *libvirt_dir_pool_xml(const char *name, const char *path)
{
    char *p = xml_escape(path);
    char *xml = xasprintf("<pool type='dir'>\n  <name>%s</name>\n"
                          "  <target>\n    <path>%s</path>\n  </target>\n</pool>\n",
                          name, p);
    free(p);
    return xml;
}
