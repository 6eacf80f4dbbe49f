/* The range state store: resources, nodes, meta, across reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "state_store.h"

#include <stdlib.h>
#include <unistd.h>

static char *temp_db(void)
{
    char dir[] = "/tmp/enshu-state-XXXXXX";
    assert_non_null(mkdtemp(dir));
    return xasprintf("%s/r.db", dir);
}

static void records_survive_reopen(void **state)
{
    char *path = temp_db();
    state_store *st;
    assert_int_equal(state_store_open(path, true, &st), ENSHU_OK);
    assert_int_equal(state_store_set_meta(st, "teams", "2"), ENSHU_OK);
    assert_int_equal(state_store_set_meta(st, "teams", "3"), ENSHU_OK);
    assert_int_equal(state_store_resource_begin(st, 1, RES_NETWORK, "n1", "qemu:///system"), 0);
    assert_int_equal(state_store_resource_begin(st, 1, RES_DOMAIN, "d1", "qemu:///system"), 0);
    assert_int_equal(state_store_resource_begin(st, 1, RES_DOMAIN, "d1", "qemu:///system"), 0);
    assert_int_equal(state_store_resource_done(st, RES_NETWORK, "n1", "qemu:///system"), 0);
    /* Same name as the network, another kind: a separate resource. */
    assert_int_equal(state_store_resource_begin(st, 1, RES_NWFILTER, "n1", "qemu:///system"), 0);
    stored_node n = {.team = 1,
                     .node = "ws",
                     .domain = "d1",
                     .host_uri = "qemu:///system",
                     .role = "blue",
                     .addresses = "office=10.0.0.10/24",
                     .state = "planned"};
    assert_int_equal(state_store_set_node(st, &n), ENSHU_OK);
    assert_int_equal(state_store_set_node_state(st, 1, "ws", "ready"), ENSHU_OK);
    state_store_free(st); /* as if the process died here */

    assert_int_equal(state_store_open(path, false, &st), ENSHU_OK);
    char *teams = state_store_get_meta(st, "teams");
    assert_string_equal(teams, "3");
    free(teams);
    assert_null(state_store_get_meta(st, "absent"));
    stored_resource *res;
    size_t count;
    assert_int_equal(state_store_resources(st, &res, &count), ENSHU_OK);
    assert_int_equal(count, 3);
    assert_int_equal(res[0].kind, RES_NETWORK);
    assert_true(res[0].created);
    assert_int_equal(res[1].kind, RES_DOMAIN);
    assert_false(res[1].created); /* begun, never confirmed: down must still remove it */
    assert_int_equal(res[2].kind, RES_NWFILTER);
    assert_string_equal(res[2].name, "n1");
    assert_false(res[2].created);
    stored_resources_free(res, count);
    stored_node *nodes;
    assert_int_equal(state_store_nodes(st, &nodes, &count), ENSHU_OK);
    assert_int_equal(count, 1);
    assert_string_equal(nodes[0].state, "ready");
    stored_nodes_free(nodes, count);
    assert_int_equal(state_store_resource_forget(st, RES_DOMAIN, "d1", "qemu:///system"), 0);
    assert_int_equal(state_store_resource_forget(st, RES_NWFILTER, "n1", "qemu:///system"), 0);
    assert_int_equal(state_store_resources(st, &res, &count), ENSHU_OK);
    assert_int_equal(count, 1);
    assert_int_equal(res[0].kind, RES_NETWORK);
    stored_resources_free(res, count);
    state_store_free(st);
    unlink(path);
    free(path);
}

static void missing_store_is_not_created_on_read(void **state)
{
    state_store *st = NULL;
    assert_int_equal(state_store_open("/tmp/enshu-no-such-dir/x.db", false, &st), ENSHU_EIO);
    assert_null(st);
    state_store_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(records_survive_reopen),
        cmocka_unit_test(missing_store_is_not_created_on_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
