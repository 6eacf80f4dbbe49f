/* Range plans: names, addresses, MACs and kernel command lines per team. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "guest_nat.h"
#include "libvirt_xml.h"
#include "range_plan.h"
#include "range_team_vars.h"
#include "test_images.h"
#include "test_support.h"
#include "units.h"
#include "variation.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void names_and_addresses(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "cls1", 2, 3);
    test_plan_use_image(p, &TEST_BUSYBOX_IMAGE);
    assert_int_equal(p->nteams, 2);
    plan_team *t2 = &p->teams[1];
    assert_int_equal(t2->number, 2);
    assert_string_equal(t2->networks[1].name, "enshu-cls1-t02-dmz");
    assert_true(strlen(t2->networks[1].bridge) <= 15);
    /* Team 2 sits in block 3 + 1 = 4: subnets 8 and 9 of the pool. */
    char a[16];
    format_ipv4(t2->networks[0].subnet, a);
    assert_string_equal(a, "10.96.8.0");
    format_ipv4(t2->networks[1].bridge_addr, a);
    assert_string_equal(a, "10.96.9.1");
    plan_domain *web = &t2->domains[1];
    assert_string_equal(web->name, "enshu-cls1-t02-web");
    format_ipv4(web->nics[0].addr, a);
    assert_string_equal(a, "10.96.9.80");
    assert_string_equal(web->nics[0].mac, "52:54:0a:60:09:50");
    format_ipv4(web->gateway, a);
    assert_string_equal(a, "10.96.9.254");
    assert_non_null(strstr(web->cmdline,
                           " enshu.hostname=web "
                           "enshu.net=52:54:0a:60:09:50,10.96.9.80/24 enshu.gw=10.96.9.254"));
    assert_int_equal(strncmp(web->cmdline, "console=ttyS0 quiet", 19), 0);
    /* The router has no default route through itself. */
    assert_int_equal(t2->domains[2].gateway, 0);
    /* Every node by its first address; a node with several, per segment too. */
    format_ipv4(t2->domains[0].nics[0].addr, a);
    char *hosts = xasprintf("%s\tws\n10.96.9.80\tweb\n10.96.8.254\tgw\n"
                            "10.96.8.254\tgw-office\n10.96.9.254\tgw-dmz\n",
                            a);
    assert_string_equal(t2->hosts, hosts);
    free(hosts);
    range_plan_free(p);
    scenario_free(s);
}

/* A segment with its own subnet has it in every team, with no host side
 * (no <ip>, so no DHCP and no route on the host), and MACs unique per team;
 * DNS names go in every team's hosts table and {{name NODE}}; NAT is a
 * script that finds the interface by its address. */
static const char OWN_SUBNET[] =
    "enshu: 1\n"
    "id: own\n"
    "title: Own\n"
    "network:\n"
    "  pool: 10.96.0.0/16\n"
    "  segments:\n"
    "    - {name: office, gateway: gw}\n"
    "    - {name: internet, subnet: 203.0.113.0/24}\n"
    "nodes:\n"
    "  - {name: ws, image: workstation, interfaces: [{segment: office}]}\n"
    "  - {name: gw, image: firewall, forwarding: true,\n"
    "     interfaces: [{segment: office, host: 254}, {segment: internet, host: 2, nat: true}]}\n"
    "  - {name: web, image: server, role: red, dns: [www.example.jp, example.jp],\n"
    "     interfaces: [{segment: internet, host: 80}]}\n";

static void own_subnets_dns_names_and_nat(void **state)
{
    scenario *s = load_or_fail(OWN_SUBNET);
    range_plan *p = range_plan_new(s, "own", 2, 0);
    char a[16];
    for (size_t t = 0; t < 2; t++) {
        plan_network *inet = &p->teams[t].networks[1];
        format_ipv4(inet->subnet, a);
        assert_string_equal(a, "203.0.113.0");
        assert_int_equal(inet->prefix, 24);
        assert_int_equal(inet->bridge_addr, 0);
        char *xml = libvirt_network_xml(inet, &p->teams[t]);
        assert_null(strstr(xml, "<ip"));
        assert_null(strstr(xml, "<dhcp"));
        free(xml);
        plan_domain *web = &p->teams[t].domains[2];
        format_ipv4(web->nics[0].addr, a);
        assert_string_equal(a, "203.0.113.80");
        assert_non_null(strstr(p->teams[t].hosts, "203.0.113.80\twww.example.jp\n"));
        assert_non_null(strstr(p->teams[t].hosts, "203.0.113.80\texample.jp\n"));
        /* The red node itself stays out; its DNS names do not. */
        assert_null(strstr(p->teams[t].hosts, "\tweb\n"));
        /* The office is still the pool's, one per team, with its host side. */
        assert_int_not_equal(p->teams[t].networks[0].bridge_addr, 0);
    }
    assert_string_not_equal(p->teams[0].domains[2].nics[0].mac, p->teams[1].domains[2].nics[0].mac);
    assert_string_equal(p->teams[1].domains[2].nics[0].mac, "56:02:01:00:00:50");
    assert_int_not_equal(p->teams[0].networks[0].subnet, p->teams[1].networks[0].subnet);
    team_vars *v = team_vars_from_plan(p);
    assert_string_equal(team_vars_get(v, 2, "name web"), "www.example.jp");
    assert_string_equal(team_vars_get(v, 2, "addr gw internet"), "203.0.113.2");
    assert_null(team_vars_get(v, 2, "name ws"));
    team_vars_free(v);
    assert_true(guest_nat_wanted(&s->nodes[1]));
    assert_false(guest_nat_wanted(&s->nodes[0]));
    const char *addrs[] = {"203.0.113.2"};
    char *script = guest_nat_script(addrs, 1);
    assert_non_null(strstr(script, "for a in 203.0.113.2; do"));
    assert_non_null(strstr(script, "oifname \"$d\" masquerade"));
    assert_non_null(strstr(script, "iptables -t nat -A POSTROUTING -o \"$d\" -j MASQUERADE"));
    free(script);
    range_plan_free(p);
    scenario_free(s);
}

/* The attacker's nodes are not in the organisation's hosts table. */
static void hosts_leave_out_red_nodes(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    s->nodes[1].role = ROLE_RED; /* web */
    range_plan *p = range_plan_new(s, "x", 1, 0);
    assert_non_null(strstr(p->teams[0].hosts, "\tws\n"));
    assert_non_null(strstr(p->teams[0].hosts, "\tgw-dmz\n"));
    assert_null(strstr(p->teams[0].hosts, "web"));
    range_plan_free(p);
    scenario_free(s);
}

/* A node's memory and vCPUs override its image's; the kernel command line
 * is the image's flags then the engine's, and only for boot "kernel". */
static void images_give_defaults_and_boot_flags(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "x", 1, 0);
    assert_null(p->teams[0].domains[0].cmdline); /* no image yet */
    assert_int_equal(p->teams[0].domains[0].memory_mib, 0);
    image_info debian = TEST_BUSYBOX_IMAGE, windows = TEST_BUSYBOX_IMAGE;
    debian.cmdline = "root=/dev/vda rw net.ifnames=0";
    debian.memory_mib = 512;
    debian.vcpus = 2;
    windows.boot = IMAGE_BOOT_DISK;
    windows.addressing = IMAGE_ADDR_DHCP;
    windows.kernel = windows.initrd = NULL;
    windows.memory_mib = 2048;
    const image_info *images[] = {&debian, &debian, &windows};
    range_plan_use_images(p, images);
    const plan_domain *ws = &p->teams[0].domains[0], *web = &p->teams[0].domains[1],
                      *gw = &p->teams[0].domains[2];
    assert_ptr_equal(ws->image, &debian);
    assert_int_equal(ws->memory_mib, 512); /* the image's */
    assert_int_equal(ws->vcpus, 2);
    assert_int_equal(web->memory_mib, 256); /* the node's "memory: 256M" */
    const char *start = "root=/dev/vda rw net.ifnames=0 console=ttyS0 quiet ";
    assert_int_equal(strncmp(ws->cmdline, start, strlen(start)), 0);
    assert_non_null(strstr(ws->cmdline, " enshu.hostname=ws enshu.net="));
    assert_null(gw->cmdline); /* boots its own disk */
    assert_int_equal(gw->memory_mib, 2048);
    assert_int_equal(gw->vcpus, 1);
    /* Given again (a later up), the plan follows the new images. */
    range_plan_use_images(p, (const image_info *[]){&windows, &windows, &windows});
    assert_null(ws->cmdline);
    range_plan_free(p);
    scenario_free(s);
}

/* The scenario's time zone and locale go on the kernel command line of
 * images booted by kernel, after everything else; an image that boots its
 * own disk gets no command line at all. */
static void time_zone_and_locale_on_the_command_line(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "x", 1, 0);
    test_plan_use_image(p, &TEST_BUSYBOX_IMAGE);
    assert_null(strstr(p->teams[0].domains[0].cmdline, "enshu.tz"));
    assert_null(strstr(p->teams[0].domains[0].cmdline, "enshu.locale"));
    range_plan_free(p);

    s->time_zone = xstrdup("Asia/Tokyo");
    s->locale = xstrdup("ja_JP.UTF-8");
    image_info debian = TEST_BUSYBOX_IMAGE, own_disk = TEST_BUSYBOX_IMAGE;
    debian.cmdline = "root=/dev/vda rw net.ifnames=0";
    own_disk.boot = IMAGE_BOOT_DISK;
    own_disk.kernel = own_disk.initrd = NULL;
    p = range_plan_new(s, "x", 1, 0);
    range_plan_use_images(p, (const image_info *[]){&debian, &TEST_BUSYBOX_IMAGE, &own_disk});
    const char *ws = p->teams[0].domains[0].cmdline, *web = p->teams[0].domains[1].cmdline;
    const char *tail = " enshu.tz=Asia/Tokyo enshu.locale=ja_JP.UTF-8";
    assert_string_equal(ws + strlen(ws) - strlen(tail), tail);
    assert_string_equal(web + strlen(web) - strlen(tail), tail);
    assert_int_equal(strncmp(ws, debian.cmdline, strlen(debian.cmdline)), 0);
    assert_null(p->teams[0].domains[2].cmdline);
    range_plan_free(p);

    /* One without the other. */
    free(s->time_zone);
    s->time_zone = NULL;
    p = range_plan_new(s, "x", 1, 0);
    test_plan_use_image(p, &TEST_BUSYBOX_IMAGE);
    ws = p->teams[0].domains[0].cmdline;
    assert_null(strstr(ws, "enshu.tz"));
    assert_string_equal(ws + strlen(ws) - strlen(" enshu.locale=ja_JP.UTF-8"),
                        " enshu.locale=ja_JP.UTF-8");
    range_plan_free(p);
    scenario_free(s);
}

static void teams_never_share_subnets_or_bridges(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "x", 8, 0);
    for (size_t a = 0; a < p->nteams; a++)
        for (size_t b = 0; b < p->nteams; b++)
            for (size_t i = 0; i < 2; i++)
                for (size_t j = 0; j < 2; j++) {
                    if (a == b && i == j)
                        continue;
                    assert_int_not_equal(p->teams[a].networks[i].subnet,
                                         p->teams[b].networks[j].subnet);
                    assert_string_not_equal(p->teams[a].networks[i].bridge,
                                            p->teams[b].networks[j].bridge);
                }
    assert_int_equal(range_pool_blocks(s), 8);
    range_plan_free(p);
    scenario_free(s);
}

/* A new range takes the seed it is given (a resumed exercise's ledger's);
 * a range that has one keeps it; without one given, a new range draws one. */
static void a_range_keeps_its_variation_seed(void **state)
{
    (void)state;
    char dir[] = "/tmp/enshu-seed-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/r.db", dir);
    char wanted[VARIATION_SEED_SIZE], other[VARIATION_SEED_SIZE];
    variation_seed_new(wanted);
    variation_seed_new(other);
    assert_string_not_equal(wanted, other);
    state_store *st;
    assert_int_equal(state_store_open(path, true, &st), ENSHU_OK);
    char *seed = NULL;
    assert_int_equal(range_variation_seed(st, wanted, &seed), ENSHU_OK);
    assert_string_equal(seed, wanted);
    free(seed);
    assert_int_equal(range_variation_seed(st, other, &seed), ENSHU_OK);
    assert_string_equal(seed, wanted); /* the range's guests were made with it */
    free(seed);
    state_store_free(st);
    unlink(path);
    assert_int_equal(state_store_open(path, true, &st), ENSHU_OK);
    assert_int_equal(range_variation_seed(st, "not a seed", &seed), ENSHU_OK);
    assert_true(variation_seed_valid(seed));
    assert_string_not_equal(seed, wanted);
    char *again = NULL;
    assert_int_equal(range_variation_seed(st, NULL, &again), ENSHU_OK);
    assert_string_equal(again, seed);
    free(again);
    free(seed);
    state_store_free(st);
    unlink(path);
    rmdir(dir);
    free(path);
}

static void range_names(void **state)
{
    assert_true(range_name_valid("cyder-2026-osaka"));
    assert_false(range_name_valid("has space"));
    assert_false(range_name_valid("-lead"));
    assert_false(range_name_valid("under_score"));
    assert_false(range_name_valid("abcdefghijklmnopqrstuvwxyz"));
    range_plan_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_addresses),
        cmocka_unit_test(hosts_leave_out_red_nodes),
        cmocka_unit_test(images_give_defaults_and_boot_flags),
        cmocka_unit_test(time_zone_and_locale_on_the_command_line),
        cmocka_unit_test(teams_never_share_subnets_or_bridges),
        cmocka_unit_test(range_names),
        cmocka_unit_test(own_subnets_dns_names_and_nat),
        cmocka_unit_test(a_range_keeps_its_variation_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
