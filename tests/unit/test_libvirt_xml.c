/* Generated libvirt XML: content, escaping, and libvirt's own schemas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "libvirt_xml.h"
#include "test_support.h"

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

static void domain_boots_kernel_with_agent_and_console(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "x", 1, 0);
    domain_boot boot = {.kernel = "/img/server/vmlinuz", .initrd = "/img/server/initrd.img",
                        .disk_path = "/pool/a&b.qcow2"};
    char *xml = libvirt_domain_xml(&p->teams[0].domains[1], &p->teams[0], &boot);
    assert_non_null(strstr(xml, "<domain type='qemu'>"));
    assert_non_null(strstr(xml, "<memory unit='MiB'>256</memory>"));
    assert_non_null(strstr(xml, "<source file='/pool/a&amp;b.qcow2'/>"));
    assert_non_null(strstr(xml, "org.qemu.guest_agent.0"));
    assert_non_null(strstr(xml, "<console type='pty'>"));
    assert_non_null(strstr(xml, "<source network='enshu-x-t01-dmz'/>"));
    assert_null(strstr(xml, "<graphics"));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(network_is_isolated_with_pinned_leases),
        cmocka_unit_test(domain_boots_kernel_with_agent_and_console),
        cmocka_unit_test(domain_nics_refer_to_the_isolation_filter),
        cmocka_unit_test(isolation_filter_allows_peers_and_dhcp_only),
        cmocka_unit_test(volume_and_pool),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
