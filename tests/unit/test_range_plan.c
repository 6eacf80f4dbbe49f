/* Range plans: names, addresses, MACs and kernel command lines per team. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "range_plan.h"
#include "test_support.h"
#include "units.h"

static void names_and_addresses(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    range_plan *p = range_plan_new(s, "cls1", 2, 3);
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
        cmocka_unit_test(teams_never_share_subnets_or_bridges),
        cmocka_unit_test(range_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
