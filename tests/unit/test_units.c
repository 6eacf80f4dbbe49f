/* Durations, sizes and IPv4 parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "units.h"

static void durations(void **state)
{
    int64_t ms;
    assert_int_equal(parse_duration_ms("90s", &ms), 0);
    assert_int_equal(ms, 90000);
    assert_int_equal(parse_duration_ms("1h30m", &ms), 0);
    assert_int_equal(ms, 5400000);
    assert_int_equal(parse_duration_ms("250ms", &ms), 0);
    assert_int_equal(ms, 250);
    assert_int_equal(parse_duration_ms("0", &ms), 0);
    assert_int_equal(ms, 0);
    assert_int_equal(parse_duration_ms("", &ms), -1);
    assert_int_equal(parse_duration_ms("10", &ms), -1);
    assert_int_equal(parse_duration_ms("5x", &ms), -1);
    assert_int_equal(parse_duration_ms("m", &ms), -1);
    assert_int_equal(parse_duration_ms("99999999999999999999h", &ms), -1);
    char buf[32];
    format_duration(5400000, buf, sizeof buf);
    assert_string_equal(buf, "1h30m");
    format_duration(45000, buf, sizeof buf);
    assert_string_equal(buf, "45s");
}

static void sizes(void **state)
{
    uint64_t mib;
    assert_int_equal(parse_size_mib("160M", &mib), 0);
    assert_int_equal(mib, 160);
    assert_int_equal(parse_size_mib("2G", &mib), 0);
    assert_int_equal(mib, 2048);
    assert_int_equal(parse_size_mib("160", &mib), -1);
    assert_int_equal(parse_size_mib("1T", &mib), -1);
}

static void ipv4(void **state)
{
    uint32_t a;
    unsigned p;
    assert_int_equal(parse_ipv4_cidr("10.80.0.0/12", &a, &p), 0);
    assert_int_equal(a, 0x0a500000);
    assert_int_equal(p, 12);
    assert_int_equal(parse_ipv4("256.1.1.1", &a), -1);
    assert_int_equal(parse_ipv4("1.2.3", &a), -1);
    assert_int_equal(parse_ipv4("1.2.3.4.5", &a), -1);
    assert_int_equal(parse_ipv4("0001.2.3.4", &a), -1);
    assert_int_equal(parse_ipv4_cidr("10.0.0.0/33", &a, &p), -1);
    assert_int_equal(parse_ipv4_cidr("10.0.0.0", &a, &p), -1);
    char buf[16];
    format_ipv4(0xc0a80101, buf);
    assert_string_equal(buf, "192.168.1.1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(durations),
        cmocka_unit_test(sizes),
        cmocka_unit_test(ipv4),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
