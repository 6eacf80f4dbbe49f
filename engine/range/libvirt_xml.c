/*
 * Builds libvirt XML documents (see libvirt_xml.h).
 */
#include "libvirt_xml.h"
#include "alloc.h"
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
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '\'': rep = "&apos;"; break;
        case '"': rep = "&quot;"; break;
        default: *o++ = *p; continue;
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
        fputs("enshu: cannot open a memory stream\n", stderr);
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
    format_ipv4(net->subnet + (1u << (32 - net->prefix)) - 2, hi);
    fprintf(f, "      <range start='%s' end='%s'/>\n", lo, hi);
    for (size_t d = 0; d < team->ndomains; d++) {
        const plan_domain *dom = &team->domains[d];
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

char *libvirt_domain_xml(const plan_domain *dom, const plan_team *team, const domain_boot *boot)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = buffer_open(&buf, &len);
    fprintf(f, "<domain type='qemu'>\n  <name>%s</name>\n", dom->name);
    fprintf(f, "  <memory unit='MiB'>%u</memory>\n", dom->node->memory_mib);
    fprintf(f, "  <vcpu>%u</vcpu>\n", dom->node->vcpus);
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
    fprintf(f, "  </os>\n  <features><acpi/></features>\n  <clock offset='utc'/>\n");
    fprintf(f, "  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>restart</on_reboot>\n"
               "  <on_crash>destroy</on_crash>\n  <devices>\n");
    if (boot->disk_path) {
        char *p = xml_escape(boot->disk_path);
        fprintf(f, "    <disk type='file' device='disk'>\n"
                   "      <driver name='qemu' type='qcow2'/>\n"
                   "      <source file='%s'/>\n"
                   "      <target dev='vda' bus='virtio'/>\n    </disk>\n",
                p);
        free(p);
    }
    for (size_t i = 0; i < dom->nnics; i++) {
        fprintf(f, "    <interface type='network'>\n      <mac address='%s'/>\n"
                   "      <source network='%s'/>\n      <model type='virtio'/>\n"
                   "    </interface>\n",
                dom->nics[i].mac, team->networks[dom->nics[i].segment].name);
    }
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
