/* libvirt XML both ways: what we write (content, escaping, libvirt's own
 * schemas) and what we read from libvirt 9.0's own output (fixtures captured
 * with virsh from a range of tests/e2e/one-node.yaml) and from hostile
 * documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "libvirt_xml.h"
#include "test_images.h"
#include "test_support.h"
#include "text_file.h"
#include "units.h"

#include <stdio.h>
#include <unistd.h>

/* Runs virt-xml-validate on xml; skipped when the tool is absent. */
static void validate(const char *xml, const char *kind)
{
    if (access("/usr/bin/virt-xml-validate", X_OK) != 0)
        return;
    char *path = xasprintf("%s/check-%s.xml", TEST_TMPDIR, kind);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(xml, f);
    fclose(f);
    char *cmd = xasprintf("virt-xml-validate %s %s >/dev/null 2>&1", path, kind);
    int rc = system(cmd);
    if (rc != 0)
        fail_msg("virt-xml-validate rejects %s:\n%s", kind, xml);
    free(cmd);
    unlink(path);
    free(path);
}

static void network_is_isolated_with_pinned_leases(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "x", 1, 0);
    test_plan_use_image(p, &TEST_BUSYBOX_IMAGE);
    char *xml = libvirt_network_xml(&p->teams[0].networks[0], &p->teams[0]);
    assert_null(strstr(xml, "<forward"));
    assert_non_null(strstr(xml, "<ip address='10.96.0.1' netmask='255.255.255.0'>"));
    assert_non_null(strstr(xml, "<host mac='52:54:0a:60:00:0a' name='ws' ip='10.96.0.10'/>"));
    assert_non_null(strstr(xml, "<host mac='52:54:0a:60:00:fe' name='gw' ip='10.96.0.254'/>"));
    assert_null(strstr(xml, "name='web'"));
    validate(xml, "network");
    free(xml);
    range_plan_free(p);
    scenario_free(s);
}

/* A guest whose image is addressed through the agent gets no DHCP entry:
 * it has its address only if the engine sets it. */
static void agent_addressed_guests_get_no_lease(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "x", 1, 0);
    image_info agent = TEST_BUSYBOX_IMAGE;
    agent.boot = IMAGE_BOOT_DISK;
    agent.addressing = IMAGE_ADDR_AGENT;
    const image_info *images[SCENARIO_MAX_NODES] = {&agent, &TEST_BUSYBOX_IMAGE,
                                                    &TEST_BUSYBOX_IMAGE};
    range_plan_use_images(p, images); /* ws (node 0) through the agent */
    char *xml = libvirt_network_xml(&p->teams[0].networks[0], &p->teams[0]);
    assert_null(strstr(xml, "name='ws'"));
    assert_non_null(strstr(xml, "<host mac='52:54:0a:60:00:fe' name='gw' ip='10.96.0.254'/>"));
    validate(xml, "network");
    free(xml);
    range_plan_free(p);
    scenario_free(s);
}

static void domain_boots_kernel_with_agent_and_console(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "x", 1, 0);
    test_plan_use_image(p, &TEST_BUSYBOX_IMAGE);
    domain_boot boot = {.kernel = "/img/server/vmlinuz",
                        .initrd = "/img/server/initrd.img",
                        .disk_path = "/pool/a&b.qcow2"};
    char *xml = libvirt_domain_xml(&p->teams[0].domains[1], &p->teams[0], &boot);
    assert_non_null(strstr(xml, "<domain type='qemu'>"));
    assert_non_null(strstr(xml, "<memory unit='MiB'>256</memory>"));
    assert_non_null(strstr(xml, "<source file='/pool/a&amp;b.qcow2'/>"));
    assert_non_null(strstr(xml, "org.qemu.guest_agent.0"));
    assert_non_null(strstr(xml, "<console type='pty'>"));
    assert_non_null(strstr(xml, "<source network='enshu-x-t01-dmz'/>"));
    assert_null(strstr(xml, "<graphics"));
    /* The team's names go through the firmware configuration. */
    assert_non_null(strstr(xml, "<sysinfo type='fwcfg'>\n    <entry name='opt/org.enshu/hosts'>"));
    assert_non_null(strstr(xml, "\tgw-dmz\n</entry>"));
    validate(xml, "domain");
    free(xml);
    range_plan_free(p);
    scenario_free(s);
}

/* A graphical console: VNC on no port at all (only sockets libvirt hands
 * over reach it) and a VGA the guest's framebuffer driver takes. */
static void graphical_domain_has_vnc_on_no_port(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "x", 1, 0);
    test_plan_use_image(p, &TEST_BUSYBOX_IMAGE);
    domain_boot boot = {.kernel = "/k", .initrd = "/i", .graphical = true};
    char *xml = libvirt_domain_xml(&p->teams[0].domains[1], &p->teams[0], &boot);
    assert_non_null(strstr(xml, "<graphics type='vnc'><listen type='none'/></graphics>"));
    assert_non_null(strstr(xml, "<video><model type='vga'/></video>"));
    assert_null(strstr(xml, "type='address'"));
    assert_null(strstr(xml, "autoport"));
    assert_null(strstr(xml, "socket="));
    assert_non_null(strstr(xml, "<console type='pty'>"));
    validate(xml, "domain");
    free(xml);
    range_plan_free(p);
    scenario_free(s);
}

/* Every NIC refers to the team's filter with its own bridge's host address
 * and exactly the MACs of the team's NICs on the same segment. */
static void domain_nics_refer_to_the_isolation_filter(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "x", 1, 0);
    test_plan_use_image(p, &TEST_BUSYBOX_IMAGE);
    const plan_team *team = &p->teams[0];
    assert_string_equal(team->filter, "enshu-x-t01");
    domain_boot boot = {.kernel = "/k", .initrd = "/i", .filter = team->filter};
    const plan_domain *gw = &team->domains[2];
    assert_string_equal(gw->node->name, "gw");
    char *xml = libvirt_domain_xml(gw, team, &boot);
    /* gw has a NIC on office (with ws) and one on dmz (with web). */
    const char *office = strstr(xml, "<source network='enshu-x-t01-office'/>");
    const char *dmz = strstr(xml, "<source network='enshu-x-t01-dmz'/>");
    assert_non_null(office);
    assert_non_null(dmz);
    assert_true(office < dmz);
    const char *ref1 = strstr(office, "<filterref filter='enshu-x-t01'>");
    const char *ref2 = strstr(dmz, "<filterref filter='enshu-x-t01'>");
    assert_true(ref1 && ref1 < dmz);
    assert_non_null(ref2);
    char *first = xstrndup(ref1, (size_t)(strstr(ref1, "</filterref>") - ref1));
    assert_non_null(strstr(first, "<parameter name='HOST_IP' value='10.96.0.1'/>"));
    assert_non_null(strstr(first, "<parameter name='PEER' value='52:54:0a:60:00:0a'/>"));
    assert_non_null(strstr(first, "<parameter name='PEER' value='52:54:0a:60:00:fe'/>"));
    assert_null(strstr(first, "52:54:0a:60:01:"));
    assert_null(strstr(first, "10.96.1."));
    free(first);
    assert_non_null(strstr(ref2, "<parameter name='HOST_IP' value='10.96.1.1'/>"));
    assert_non_null(strstr(ref2, "<parameter name='PEER' value='52:54:0a:60:01:50'/>"));
    assert_non_null(strstr(ref2, "<parameter name='PEER' value='52:54:0a:60:01:fe'/>"));
    assert_null(strstr(ref2, "52:54:0a:60:00:"));
    validate(xml, "domain");
    free(xml);

    /* Without a filter (hosts that run no guests), no reference. */
    boot.filter = NULL;
    xml = libvirt_domain_xml(gw, team, &boot);
    assert_null(strstr(xml, "<filterref"));
    free(xml);
    range_plan_free(p);
    scenario_free(s);
}

/* The filter drops everything it does not allow, and allows the host only
 * for DHCP. */
static void isolation_filter_allows_peers_and_dhcp_only(void **state)
{
    char *xml = libvirt_nwfilter_xml("enshu-x-t01");
    assert_non_null(strstr(xml, "<filter name='enshu-x-t01' chain='root'>"));
    assert_non_null(strstr(xml, "<mac dstmacaddr='$PEER'/>"));
    assert_non_null(strstr(xml, "<mac srcmacaddr='$PEER'/>"));
    assert_non_null(strstr(xml, "srcportstart='68' dstportstart='67' dstipaddr='$HOST_IP'"));
    assert_non_null(strstr(xml, "srcportstart='67' dstportstart='68' srcipaddr='$HOST_IP'"));
    /* HOST_IP appears in the DHCP rules only. */
    size_t host_rules = 0;
    for (const char *q = xml; (q = strstr(q, "$HOST_IP")); q++)
        host_rules++;
    assert_int_equal(host_rules, 2);
    /* The last rule drops every frame either way. */
    const char *drop = strstr(xml, "<rule action='drop' direction='inout' priority='1000'>\n"
                                   "    <mac/>\n  </rule>\n</filter>\n");
    assert_non_null(drop);
    assert_null(strstr(drop + 1, "<rule"));
    validate(xml, "nwfilter");
    free(xml);
}

static void volume_and_pool(void **state)
{
    char *vol = libvirt_overlay_volume_xml("v.qcow2", "/base/disk.qcow2", 33554432);
    assert_non_null(strstr(vol, "<capacity unit='bytes'>33554432</capacity>"));
    assert_non_null(strstr(vol, "<path>/base/disk.qcow2</path>"));
    validate(vol, "storagevol");
    char *pool = libvirt_dir_pool_xml("enshu", "/var/lib/enshu/pool");
    validate(pool, "storagepool");
    free(vol);
    free(pool);
    char *e = xml_escape("<a href=\"x\">'&'</a>");
    assert_string_equal(e, "&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
    free(e);
}

/* ---- Reading ---- */

#define FIXTURES ENSHU_SOURCE_DIR "/tests/unit/fixtures/libvirt/"
/* What the fixtures hold: one guest, one network, the team's filter. */
#define FIX_DISK "/var/lib/enshu/pool/enshu-xmlfix-t01-ws.qcow2"
#define FIX_NET "enshu-xmlfix-t01-office"

static char *fixture(const char *name)
{
    char *path = xasprintf("%s%s", FIXTURES, name);
    char *text = text_file_read(path, 1 << 20);
    if (!text)
        fail_msg("cannot read fixture %s", path);
    free(path);
    return text;
}

/* The fixtures are what libvirt writes, so its schemas accept them. */
static void fixtures_are_valid_libvirt_xml(void **state)
{
    const char *files[][2] = {{"network.xml", "network"},
                              {"domain-live.xml", "domain"},
                              {"domain-live-link-down.xml", "domain"},
                              {"domain-inactive.xml", "domain"},
                              {"nwfilter.xml", "nwfilter"}};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *xml = fixture(files[i][0]);
        validate(xml, files[i][1]);
        free(xml);
    }
}

static void expect_nets(const char *xml, int rc, size_t count, const ipv4_net *want)
{
    ipv4_net_list got = {0};
    assert_int_equal(libvirt_network_ipv4_nets(xml, &got), rc);
    if (got.count != count)
        fail_msg("%zu networks read instead of %zu from:\n%s", got.count, count, xml);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(got.items[i].addr, want[i].addr);
        assert_int_equal(got.items[i].prefix, want[i].prefix);
    }
    ipv4_net_list_fini(&got);
}

static void network_addresses_from_libvirt(void **state)
{
    char *xml = fixture("network.xml");
    const ipv4_net office = {0x0a590100, 24}; /* 10.89.1.0/24 */
    expect_nets(xml, ENSHU_OK, 1, &office);
    free(xml);
    /* The filter's <ip> rules are not addresses of a network. */
    xml = fixture("nwfilter.xml");
    assert_non_null(strstr(xml, "<ip "));
    expect_nets(xml, ENSHU_EINVAL, 0, NULL);
    free(xml);
}

/* What we write for the fixture's range reads back as what libvirt returned. */
static void written_network_reads_as_libvirt_returns_it(void **state)
{
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_file(ENSHU_SOURCE_DIR "/tests/e2e/one-node.yaml", d);
    assert_non_null(s);
    range_plan *p = range_plan_new(s, "xmlfix", 1, 1);
    test_plan_use_image(p, &TEST_BUSYBOX_IMAGE);
    assert_string_equal(p->teams[0].networks[0].name, FIX_NET);
    char *ours = libvirt_network_xml(&p->teams[0].networks[0], &p->teams[0]);
    char *theirs = fixture("network.xml");
    ipv4_net_list a = {0}, b = {0};
    assert_int_equal(libvirt_network_ipv4_nets(ours, &a), ENSHU_OK);
    assert_int_equal(libvirt_network_ipv4_nets(theirs, &b), ENSHU_OK);
    assert_int_equal(a.count, 1);
    assert_int_equal(b.count, 1);
    assert_memory_equal(a.items, b.items, sizeof a.items[0]);
    ipv4_net_list_fini(&a);
    ipv4_net_list_fini(&b);
    free(ours);
    free(theirs);

    domain_boot boot = {
        .kernel = "/k", .initrd = "/i", .disk_path = FIX_DISK, .filter = p->teams[0].filter};
    ours = libvirt_domain_xml(&p->teams[0].domains[0], &p->teams[0], &boot);
    char *path = libvirt_domain_disk_file(ours);
    assert_string_equal(path, FIX_DISK);
    free(path);
    char **updates;
    assert_int_equal(libvirt_domain_link_updates(ours, FIX_NET, false, &updates), 1);
    assert_non_null(strstr(updates[0], "52:54:0a:59:01:0a"));
    libvirt_xml_strings_free(updates);
    free(ours);
    range_plan_free(p);
    scenario_free(s);
    diag_list_free(d);
}

static void network_addresses_of_hostile_documents(void **state)
{
    /* No netmask or prefix: libvirt's classful default; prefix='0' is unset. */
    const ipv4_net classful[] = {{0x0a000000, 8}, {0xac100000, 16}, {0xc0a80100, 24}};
    expect_nets("<network><ip address='10.1.2.3'/><ip address='172.16.9.1' prefix='0'/>"
                "<ip address='192.168.1.1'/><ip address='224.0.0.1'/></network>",
                ENSHU_OK, 3, classful);
    /* Character references and double quotes are XML too; IPv6, bad masks,
     * prefixes and addresses are skipped. */
    const ipv4_net escaped = {0x0a000000, 16};
    expect_nets("<network>\n<ip\n address=\"&#49;0.0.0.1\"\tnetmask='255.255.0.0'/>"
                "<ip family='ipv6' address='fd00::1' prefix='64'/>"
                "<ip family='ipv6' address='10.9.0.1' prefix='64'/>"
                "<ip address='10.2.0.1' prefix='33'/><ip address='10.3.0.1' prefix='x'/>"
                "<ip address='10.4.0.1' netmask='255.0'/><ip address='10.5.0.300'/></network>",
                ENSHU_OK, 1, &escaped);
    /* Only the network's own <ip>: not one nested deeper, not one in another
     * namespace, not an attribute in another namespace. */
    expect_nets("<network xmlns:x='urn:x'><x:ip address='10.1.0.1' prefix='24'/>"
                "<dns><ip address='10.2.0.1' prefix='24'/></dns>"
                "<ip x:address='10.3.0.1' prefix='24'/>"
                "<metadata><x:m><ip address='10.4.0.1'/></x:m></metadata></network>",
                ENSHU_OK, 0, NULL);
    /* Not a network, not XML, or with a DOCTYPE (libvirt writes none). */
    expect_nets("<x:network xmlns:x='urn:x'><ip address='10.1.0.1'/></x:network>", ENSHU_EINVAL, 0,
                NULL);
    expect_nets("<network><ip address='10.1.0.1'/>", ENSHU_EINVAL, 0, NULL);
    expect_nets("<network><ip address='&ent;'/></network>", ENSHU_EINVAL, 0, NULL);
    expect_nets("", ENSHU_EINVAL, 0, NULL);
    expect_nets("<?xml version='1.0'?><!DOCTYPE network [<!ENTITY a '10.1.0.1'>]>"
                "<network><ip address='&a;'/></network>",
                ENSHU_EINVAL, 0, NULL);
    expect_nets("<!DOCTYPE network [<!ENTITY a SYSTEM 'file:///etc/hostname'>]>"
                "<network><ip address='10.1.0.1'/>&a;</network>",
                ENSHU_EINVAL, 0, NULL);
    expect_nets("<!DOCTYPE network SYSTEM 'http://127.0.0.1:9/network.dtd'>"
                "<network><ip address='10.1.0.1'/></network>",
                ENSHU_EINVAL, 0, NULL);
    /* Entities that would expand a billion times (refused, not expanded). */
    expect_nets("<!DOCTYPE network [<!ENTITY a 'aaaaaaaaaa'>"
                "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
                "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>"
                "<!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>"
                "<!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>"
                "<!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'>"
                "<!ENTITY g '&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;'>"
                "<!ENTITY h '&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;'>"
                "<!ENTITY i '&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;'>]>"
                "<network><ip address='10.1.0.1' netmask='&i;'/></network>",
                ENSHU_EINVAL, 0, NULL);
}

static void expect_disk(const char *xml, const char *want)
{
    char *path = libvirt_domain_disk_file(xml);
    if (want && (!path || strcmp(path, want) != 0))
        fail_msg("disk %s instead of %s from:\n%s", path ? path : "(none)", want, xml);
    if (!want && path)
        fail_msg("disk %s from:\n%s", path, xml ? xml : "(none)");
    free(path);
}

static void disk_file_from_libvirt(void **state)
{
    /* The definition guest_revert reads, and the live one, whose disk also
     * names its backing image in a <source> of <backingStore>. */
    char *xml = fixture("domain-inactive.xml");
    expect_disk(xml, FIX_DISK);
    free(xml);
    xml = fixture("domain-live.xml");
    assert_non_null(strstr(xml, "<source file='/var/lib/enshu/images/workstation/disk.qcow2'/>"));
    expect_disk(xml, FIX_DISK);
    free(xml);
    xml = fixture("network.xml");
    expect_disk(xml, NULL);
    free(xml);
}

static void disk_file_of_hostile_documents(void **state)
{
    /* A CD-ROM or a network disk first; the attributes in another order;
     * escaped characters unescaped. */
    expect_disk("<domain type='qemu'><devices>"
                "<disk type='file' device='cdrom'><source file='/iso/a.iso'/></disk>"
                "<disk type='network' device='disk'><source protocol='nbd' name='x'/></disk>"
                "<disk device=\"disk\" type=\"file\"><driver name='qemu'/>"
                "<source file='/pool/a&amp;b&apos;c.qcow2' index='1'/></disk>"
                "<disk type='file' device='disk'><source file='/pool/second.qcow2'/></disk>"
                "</devices></domain>",
                "/pool/a&b'c.qcow2");
    /* device defaults to disk; a disk with no file source is passed over. */
    expect_disk("<domain><devices><disk type='file'><source/></disk>"
                "<disk type='file'><source file='/p/d.qcow2'/></disk></devices></domain>",
                "/p/d.qcow2");
    /* Disks that are not the domain's devices, or not libvirt's. */
    expect_disk("<domain xmlns:x='urn:x'><metadata><x:m><disk type='file' device='disk'>"
                "<source file='/meta.qcow2'/></disk></x:m></metadata>"
                "<devices><x:disk type='file' device='disk'><source file='/x.qcow2'/></x:disk>"
                "<disk type='file' device='disk'><x:source file='/xs.qcow2'/></disk>"
                "</devices><disk type='file' device='disk'><source file='/top.qcow2'/></disk>"
                "</domain>",
                NULL);
    expect_disk("<domain/>", NULL);
    expect_disk(NULL, NULL);
    expect_disk("<domain><devices><disk type='file' device='disk'><source file='/p'/>"
                "</disk></devices>",
                NULL);
    expect_disk("<!DOCTYPE domain [<!ENTITY p '/p/e.qcow2'>]><domain><devices>"
                "<disk type='file' device='disk'><source file='&p;'/></disk></devices></domain>",
                NULL);
}

/* Link splicing on the live definition of the fixture's guest. */
static void link_updates_from_libvirt(void **state)
{
    char *xml = fixture("domain-live.xml");
    char **updates;
    assert_int_equal(libvirt_domain_link_updates(xml, FIX_NET, false, &updates), 1);
    const char *u = updates[0];
    /* The interface as it stands (its MAC, source, filter and its
     * parameters, libvirt's address), with the link down added at the end. */
    assert_true(strncmp(u, "<interface type=\"network\">", 26) == 0);
    assert_non_null(strstr(u, "<mac address=\"52:54:0a:59:01:0a\"/>"));
    assert_non_null(strstr(u, "<source network=\"" FIX_NET "\" portid="));
    assert_non_null(strstr(u, "<parameter name=\"PEER\" value=\"52:54:0a:59:01:0a\"/>"));
    assert_non_null(strstr(u, "<alias name=\"net0\"/>"));
    const char *link = strstr(u, "<link state=\"down\"/></interface>");
    assert_non_null(link);
    assert_string_equal(link, "<link state=\"down\"/></interface>");
    assert_null(strstr(u, "<disk"));
    /* The update is itself an interface the reader finds on the network. */
    char *again = xasprintf("<domain><devices>%s</devices></domain>", u);
    char **back;
    assert_int_equal(libvirt_domain_link_updates(again, FIX_NET, true, &back), 1);
    assert_non_null(strstr(back[0], "<link state=\"up\"/></interface>"));
    assert_null(strstr(back[0], "down"));
    libvirt_xml_strings_free(back);
    free(again);
    libvirt_xml_strings_free(updates);

    /* Another network: nothing to change. */
    assert_int_equal(libvirt_domain_link_updates(xml, "enshu-xmlfix-t01-dmz", true, &updates), 0);
    assert_non_null(updates);
    assert_null(updates[0]);
    libvirt_xml_strings_free(updates);
    free(xml);

    /* After a cut, libvirt shows <link state='down'/>: restoring replaces it. */
    xml = fixture("domain-live-link-down.xml");
    assert_non_null(strstr(xml, "<link state='down'/>"));
    assert_int_equal(libvirt_domain_link_updates(xml, FIX_NET, true, &updates), 1);
    assert_null(strstr(updates[0], "down"));
    link = strstr(updates[0], "<link ");
    assert_non_null(link);
    assert_null(strstr(link + 1, "<link "));
    libvirt_xml_strings_free(updates);
    free(xml);

    /* Not a domain. */
    xml = fixture("nwfilter.xml");
    updates = (char **)xml;
    assert_int_equal(libvirt_domain_link_updates(xml, FIX_NET, true, &updates), ENSHU_EINVAL);
    assert_null(updates);
    free(xml);
}

static void link_updates_of_hostile_documents(void **state)
{
    char **updates;
    /* Two interfaces on the network and one on another, each with its own
     * MAC; a second <link> too; a <link> of another namespace is not ours. */
    const char *two = "<domain xmlns:x='urn:x'><devices>"
                      "<interface type='network'><mac address='52:54:00:00:00:01'/>"
                      "<source network='n&amp;1'/><link state='up'/><link state='up'/>"
                      "</interface>"
                      "<interface type='network'><mac address='52:54:00:00:00:02'/>"
                      "<source network='other'/></interface>"
                      "<interface type='bridge'><mac address='52:54:00:00:00:03'/>"
                      "<source network='n&amp;1' bridge='br0'/>"
                      "<x:link state='weird'/></interface>"
                      "<x:interface><source network='n&amp;1'/></x:interface>"
                      "</devices>"
                      "<metadata><x:m><interface><source network='n&amp;1'/></interface></x:m>"
                      "</metadata></domain>";
    assert_int_equal(libvirt_domain_link_updates(two, "n&1", false, &updates), 2);
    assert_non_null(strstr(updates[0], "52:54:00:00:00:01"));
    assert_non_null(strstr(updates[0], "<source network=\"n&amp;1\"/>"));
    const char *link = strstr(updates[0], "<link ");
    assert_string_equal(link, "<link state=\"down\"/></interface>");
    assert_non_null(strstr(updates[1], "52:54:00:00:00:03"));
    /* The other namespace's element stays, declared where it is used. */
    assert_non_null(strstr(updates[1], "<x:link "));
    assert_non_null(strstr(updates[1], "xmlns:x=\"urn:x\""));
    assert_non_null(strstr(updates[1], "<link state=\"down\"/></interface>"));
    assert_null(updates[2]);
    libvirt_xml_strings_free(updates);
    /* An interface with no source, a source with no network. */
    assert_int_equal(libvirt_domain_link_updates("<domain><devices><interface type='user'/>"
                                                 "<interface><source bridge='n'/></interface>"
                                                 "</devices></domain>",
                                                 "n", true, &updates),
                     0);
    libvirt_xml_strings_free(updates);
    assert_int_equal(libvirt_domain_link_updates("<domain><devices><interface>"
                                                 "<source network='n'/></devices></domain>",
                                                 "n", true, &updates),
                     ENSHU_EINVAL);
    assert_null(updates);
    assert_int_equal(libvirt_domain_link_updates("<!DOCTYPE domain [<!ENTITY n 'n'>]><domain>"
                                                 "<devices><interface><source network='&n;'/>"
                                                 "</interface></devices></domain>",
                                                 "n", true, &updates),
                     ENSHU_EINVAL);
    assert_null(updates);
    libvirt_xml_strings_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(network_is_isolated_with_pinned_leases),
        cmocka_unit_test(agent_addressed_guests_get_no_lease),
        cmocka_unit_test(domain_boots_kernel_with_agent_and_console),
        cmocka_unit_test(graphical_domain_has_vnc_on_no_port),
        cmocka_unit_test(domain_nics_refer_to_the_isolation_filter),
        cmocka_unit_test(isolation_filter_allows_peers_and_dhcp_only),
        cmocka_unit_test(volume_and_pool),
        cmocka_unit_test(fixtures_are_valid_libvirt_xml),
        cmocka_unit_test(network_addresses_from_libvirt),
        cmocka_unit_test(written_network_reads_as_libvirt_returns_it),
        cmocka_unit_test(network_addresses_of_hostile_documents),
        cmocka_unit_test(disk_file_from_libvirt),
        cmocka_unit_test(disk_file_of_hostile_documents),
        cmocka_unit_test(link_updates_from_libvirt),
        cmocka_unit_test(link_updates_of_hostile_documents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
