/* Hosts files and least-loaded placement of whole teams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "hosts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static host_list *hosts_from(const char *text, diag_list *d)
{
    char path[] = "/tmp/enshu-hosts-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    host_list *h = host_list_load(path, d);
    unlink(path);
    return h;
}

static void least_loaded_first(void **state)
{
    diag_list *d = diag_list_new();
    host_list *h = hosts_from("hosts:\n"
                              "  - {uri: 'test:///a', memory: 4G}\n"
                              "  - {uri: 'test:///b', memory: 8G}\n"
                              "  - {uri: 'test:///c', memory: 8G, teams: 1}\n",
                              d);
    assert_non_null(h);
    h->items[1].used_mib = 4096; /* b is half full already */
    size_t where[6];
    assert_int_equal(host_list_place(h, 6, 1024, where), ENSHU_OK);
    /* loads: a 0/4, b 4/8, c 0/8 -> a, c (then c is full), ... */
    assert_int_equal(where[0], 0);
    assert_int_equal(where[1], 2);
    assert_int_equal(h->items[2].placed, 1);
    assert_int_equal(h->items[0].placed + h->items[1].placed, 5);
    assert_true(h->items[0].placed_mib <= 4096);
    host_list_free(h);
    diag_list_free(d);
}

static void capacity_is_enforced(void **state)
{
    host_list *h = host_list_single("test:///a");
    h->items[0].memory_mib = 2048;
    size_t where[3];
    assert_int_equal(host_list_place(h, 3, 1024, where), ENSHU_ECAPACITY);
    host_list_free(h);
}

static void bad_hosts_files(void **state)
{
    diag_list *d = diag_list_new();
    assert_null(hosts_from("hosts:\n  - {uri: nothing, memry: 2G}\n  - {teams: 0}\n", d));
    char *msgs = diag_list_format(d);
    assert_non_null(strstr(msgs, ":2:20: error: unknown key 'memry'"));
    assert_non_null(strstr(msgs, "'uri' must be a libvirt URI"));
    assert_non_null(strstr(msgs, ":3:13: error: 'teams' must be 1 to 1000"));
    assert_non_null(strstr(msgs, ":3:5: error: a host is missing 'uri'"));
    free(msgs);
    diag_list_free(d);
    host_list_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(least_loaded_first),
        cmocka_unit_test(capacity_is_enforced),
        cmocka_unit_test(bad_hosts_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
