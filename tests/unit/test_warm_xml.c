/* The domain XML of a warm restore (warm_xml.h), from a template's XML as
 * libvirt 9.0 wrote it into a save file (fixtures/libvirt/saved-template.xml,
 * `virsh save-image-dumpxml` of a mailserver template). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "libvirt_xml.h"
#include "text_file.h"
#include "warm_xml.h"

#include <stdlib.h>
#include <string.h>

#define SAVED ENSHU_SOURCE_DIR "/tests/unit/fixtures/libvirt/saved-template.xml"

static const char PLANNED[] =
    "<domain type='qemu'>\n  <name>enshu-r-t02-mail</name>\n"
    "  <uuid>6827db4e-c7ec-43df-bb64-d36f9fbdf63b</uuid>\n"
    "  <memory unit='MiB'>512</memory>\n  <vcpu>1</vcpu>\n"
    "  <os>\n    <type arch='x86_64'>hvm</type>\n"
    "    <kernel>/var/lib/enshu/images/mailserver/vmlinuz</kernel>\n"
    "    <initrd>/var/lib/enshu/images/mailserver/initrd.img</initrd>\n"
    "    <cmdline>console=ttyS0 enshu.hostname=mail enshu.net=52:54:0a:5d:01:0a,10.93.1.10/24"
    "</cmdline>\n  </os>\n"
    "  <sysinfo type='fwcfg'>\n    <entry name='opt/org.enshu/hosts'>10.93.1.10\tmail\n"
    "</entry>\n  </sysinfo>\n"
    "  <devices>\n"
    "    <disk type='file' device='disk'>\n      <driver name='qemu' type='qcow2'/>\n"
    "      <source file='/var/lib/enshu/pool/enshu-r-t02-mail.qcow2'/>\n"
    "      <target dev='vda' bus='virtio'/>\n    </disk>\n"
    "    <interface type='network'>\n      <mac address='52:54:0a:5d:01:0a'/>\n"
    "      <source network='enshu-r-t02-lan'/>\n      <model type='virtio'/>\n"
    "      <filterref filter='enshu-r-t02'>\n"
    "        <parameter name='HOST_IP' value='10.93.1.1'/>\n"
    "        <parameter name='PEER' value='52:54:0a:5d:01:0a'/>\n"
    "      </filterref>\n    </interface>\n"
    "  </devices>\n</domain>\n";

static char *saved(void)
{
    char *text = text_file_read(SAVED, 1 << 20);
    assert_non_null(text);
    return text;
}

static void copy_takes_the_domains_parts(void **state)
{
    (void)state;
    char *tpl = saved(), *out = NULL;
    assert_int_equal(warm_copy_xml(tpl, PLANNED, &out), ENSHU_OK);
    /* libxml2 quotes attributes with '"', libvirt with '\'' */
    for (char *p = out; *p; p++)
        if (*p == '"')
            *p = '\'';
    /* the domain's own */
    assert_non_null(strstr(out, "<name>enshu-r-t02-mail</name>"));
    assert_non_null(strstr(out, "<uuid>6827db4e-c7ec-43df-bb64-d36f9fbdf63b</uuid>"));
    assert_non_null(strstr(out, "enshu.net=52:54:0a:5d:01:0a,10.93.1.10/24</cmdline>"));
    assert_non_null(strstr(out, "10.93.1.10\tmail\n</entry>"));
    assert_non_null(strstr(out, "<source file='/var/lib/enshu/pool/enshu-r-t02-mail.qcow2'/>"));
    assert_non_null(strstr(out, "<mac address='52:54:0a:5d:01:0a'/>"));
    assert_non_null(strstr(out, "<source network='enshu-r-t02-lan'/>"));
    assert_non_null(strstr(out, "<parameter name='HOST_IP' value='10.93.1.1'/>"));
    assert_non_null(strstr(out, "<parameter name='PEER' value='52:54:0a:5d:01:0a'/>"));
    /* nothing of the template's identity is left */
    assert_null(strstr(out, "enshu-tpl-"));
    assert_null(strstr(out, "52:54:00:ee:ee:00"));
    assert_null(strstr(out, "10.93.0.10"));
    assert_null(strstr(out, "bda7be9e"));
    /* one of each, and the template's devices as libvirt laid them out */
    assert_null(strstr(strstr(out, "<name>") + 1, "<name>"));
    assert_null(strstr(strstr(out, "<uuid>") + 1, "<uuid>"));
    assert_null(strstr(strstr(out, "<sysinfo") + 1, "<sysinfo"));
    assert_non_null(strstr(out, "machine='pc-i440fx-7.2'"));
    assert_non_null(strstr(out, "<address type='pci' domain='0x0000' bus='0x00' slot='0x02'"));
    assert_non_null(strstr(out, "<model fallback='forbid'>qemu64</model>"));
    assert_null(strstr(out, "<?xml"));
    char **macs = NULL;
    assert_int_equal(warm_xml_macs(tpl, &macs), 1);
    assert_string_equal(macs[0], "52:54:00:ee:ee:00");
    assert_null(macs[1]);
    libvirt_xml_strings_free(macs);
    free(out);
    free(tpl);
}

static void another_shape_is_refused(void **state)
{
    (void)state;
    char *tpl = saved(), *out = NULL;
    /* two NICs where the template has one */
    char *two = xstrdup(PLANNED);
    char *at = strstr(two, "  </devices>");
    char *planned = xasprintf("%.*s    <interface type='network'><mac address='52:54:0a:00:00:01'/>"
                              "<source network='x'/></interface>\n%s",
                              (int)(at - two), two, at);
    assert_int_equal(warm_copy_xml(tpl, planned, &out), ENSHU_EINVAL);
    assert_null(out);
    assert_int_equal(warm_copy_xml(tpl, "<network/>", &out), ENSHU_EINVAL);
    assert_int_equal(warm_copy_xml("not xml", PLANNED, &out), ENSHU_EINVAL);
    char **macs = NULL;
    assert_int_equal(warm_xml_macs("<pool/>", &macs), ENSHU_EINVAL);
    assert_null(macs);
    free(planned);
    free(two);
    free(tpl);
}

static void key_depends_on_image_and_shape(void **state)
{
    (void)state;
    char *a = warm_template_key("aa", "<domain/>"), *b = warm_template_key("ab", "<domain/>");
    char *c = warm_template_key("aa", "<domain> </domain>"),
         *d = warm_template_key("aa", "<domain/>");
    assert_int_equal(strlen(a), 64);
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_equal(a, d);
    free(a);
    free(b);
    free(c);
    free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(copy_takes_the_domains_parts),
        cmocka_unit_test(another_shape_is_refused),
        cmocka_unit_test(key_depends_on_image_and_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
