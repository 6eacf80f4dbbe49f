/* Choosing team blocks that avoid networks already on the hosts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "address_pool.h"
#include "errors.h"
#include "libvirt_xml.h"
#include "test_support.h"
#include "units.h"

static void empty_host_starts_at_zero(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    ipv4_net_list used = {0};
    unsigned base = 99;
    assert_int_equal(address_pool_choose_base(s, 3, &used, &base), ENSHU_OK);
    assert_int_equal(base, 0);
    scenario_free(s);
}

static void skips_used_blocks(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    ipv4_net_list used = {0};
    /* Another range holds 10.96.2.0/24 (block 1) and a /23 at 10.96.6.0 (block 3). */
    assert_int_equal(
        libvirt_network_ipv4_nets("<network><ip address='10.96.2.1' netmask='255.255.255.0'/>"
                                  "<ip family='ipv6' address='fd00::1' prefix='64'/></network>",
                                  &used),
        ENSHU_OK);
    assert_int_equal(libvirt_network_ipv4_nets(
                         "<network><ip address=\"10.96.6.1\" prefix=\"23\"></ip></network>", &used),
                     ENSHU_OK);
    assert_int_equal(used.count, 2);
    unsigned base;
    assert_int_equal(address_pool_choose_base(s, 1, &used, &base), ENSHU_OK);
    assert_int_equal(base, 0);
    assert_int_equal(address_pool_choose_base(s, 2, &used, &base), ENSHU_OK);
    assert_int_equal(base, 4);
    assert_int_equal(address_pool_choose_base(s, 4, &used, &base), ENSHU_OK);
    assert_int_equal(base, 4);
    assert_int_equal(address_pool_choose_base(s, 5, &used, &base), ENSHU_ECAPACITY);
    ipv4_net_list_fini(&used);
    scenario_free(s);
}

static void a_covering_network_blocks_everything(void **state)
{
    scenario *s = load_or_fail(THREE_NODES);
    ipv4_net_list used = {0};
    ipv4_net_list_add(&used, 0x0a000000, 8);
    unsigned base;
    assert_int_equal(address_pool_choose_base(s, 1, &used, &base), ENSHU_ECAPACITY);
    ipv4_net_list_fini(&used);
    scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_host_starts_at_zero),
        cmocka_unit_test(skips_used_blocks),
        cmocka_unit_test(a_covering_network_blocks_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
