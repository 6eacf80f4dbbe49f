/* The login limits (login_limits.c) on a clock passed in: free failures,
 * then a wait that doubles up to its cap, per address and per kind;
 * successes spend nothing; checks under way count; quiet addresses start
 * afresh; and the pool of password checks (login_checks.c): its bound,
 * its results, and what it does with queued checks when freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "login_checks.h"
#include "login_limits.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

static const login_rule RULES[LOGIN_KINDS] = {
    [LOGIN_PASSWORD] = {3, 1000, 8000, 60000, 2},
    [LOGIN_CODE] = {5, 500, 2000, 60000, 2},
};

/* One whole check that fails at now. */
static void fail_once(login_limits *ll, const char *addr, login_kind kind, int64_t now)
{
    int64_t retry = -1;
    if (!login_limits_begin(ll, addr, kind, now, &retry))
        fail_msg("%s was refused at %lld (retry %lld)", addr, (long long)now, (long long)retry);
    login_limits_end(ll, addr, kind, false, now);
}

static int64_t refused_for(login_limits *ll, const char *addr, login_kind kind, int64_t now)
{
    int64_t retry = -1;
    assert_false(login_limits_begin(ll, addr, kind, now, &retry));
    assert_true(retry > 0);
    return retry;
}

static void free_failures_then_a_doubling_wait(void **state)
{
    login_limits *ll = login_limits_new(RULES, 16);
    for (int i = 0; i < 3; i++)
        fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, 100);
    /* Three free failures spent: 1 s after the last one. */
    assert_int_equal(refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 100), 1000);
    assert_int_equal(refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 600), 500);
    /* Refusals are not failures: the wait did not grow. */
    fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, 1100);
    assert_int_equal(refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 1100), 2000);
    fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, 3100);
    assert_int_equal(refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 3100), 4000);
    fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, 7100);
    assert_int_equal(refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 7100), 8000);
    fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, 15100);
    assert_int_equal(refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 15100), 8000); /* the cap */
    login_limits_free(ll);
}

static void a_correct_credential_after_the_wait_is_checked_and_costs_nothing(void **state)
{
    login_limits *ll = login_limits_new(RULES, 16);
    for (int i = 0; i < 3; i++)
        fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, 0);
    fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, 1000);
    assert_int_equal(refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 2999), 1);
    assert_true(login_limits_begin(ll, "10.0.0.1", LOGIN_PASSWORD, 3000, NULL));
    login_limits_end(ll, "10.0.0.1", LOGIN_PASSWORD, true, 3000);
    /* The success spent nothing and gave nothing back: the next try is
     * checked at once (the wait since the last failure is over), and a
     * failure then doubles the wait as before. */
    assert_true(login_limits_begin(ll, "10.0.0.1", LOGIN_PASSWORD, 3000, NULL));
    login_limits_end(ll, "10.0.0.1", LOGIN_PASSWORD, false, 3000);
    assert_int_equal(refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 3000), 4000);
    login_limits_free(ll);
}

static void other_addresses_and_other_kinds_are_not_held_back(void **state)
{
    login_limits *ll = login_limits_new(RULES, 16);
    for (int i = 0; i < 10; i++)
        fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, i * 8000);
    refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 72000);
    /* A join code from the same address (a room behind one NAT)... */
    assert_true(login_limits_begin(ll, "10.0.0.1", LOGIN_CODE, 72000, NULL));
    login_limits_end(ll, "10.0.0.1", LOGIN_CODE, true, 72000);
    /* ... and the password from another address are checked. */
    assert_true(login_limits_begin(ll, "10.0.0.2", LOGIN_PASSWORD, 72000, NULL));
    login_limits_end(ll, "10.0.0.2", LOGIN_PASSWORD, true, 72000);
    /* Codes have their own numbers: 5 free, then 500 ms. */
    for (int i = 0; i < 5; i++)
        fail_once(ll, "10.0.0.3", LOGIN_CODE, 0);
    assert_int_equal(refused_for(ll, "10.0.0.3", LOGIN_CODE, 0), 500);
    login_limits_free(ll);
}

static void checks_under_way_count_as_failures(void **state)
{
    login_limits *ll = login_limits_new(RULES, 16);
    fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, 0);
    fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, 0);
    /* One free failure left: one check may begin, not a second beside it. */
    assert_true(login_limits_begin(ll, "10.0.0.1", LOGIN_PASSWORD, 0, NULL));
    refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 0);
    login_limits_end(ll, "10.0.0.1", LOGIN_PASSWORD, true, 10);
    assert_true(login_limits_begin(ll, "10.0.0.1", LOGIN_PASSWORD, 10, NULL));
    /* At most in_flight (2) under way per address, even with failures free. */
    assert_true(login_limits_begin(ll, "10.0.0.9", LOGIN_CODE, 0, NULL));
    assert_true(login_limits_begin(ll, "10.0.0.9", LOGIN_CODE, 0, NULL));
    refused_for(ll, "10.0.0.9", LOGIN_CODE, 0);
    login_limits_end(ll, "10.0.0.9", LOGIN_CODE, true, 0);
    assert_true(login_limits_begin(ll, "10.0.0.9", LOGIN_CODE, 0, NULL));
    login_limits_free(ll);
}

static void a_quiet_address_starts_afresh(void **state)
{
    login_limits *ll = login_limits_new(RULES, 16);
    for (int i = 0; i < 6; i++)
        fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, i * 10000);
    refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 50000 + 7999);
    /* forget_ms (60 s) after the last failure: three free failures again. */
    for (int i = 0; i < 3; i++)
        fail_once(ll, "10.0.0.1", LOGIN_PASSWORD, 110000);
    assert_int_equal(refused_for(ll, "10.0.0.1", LOGIN_PASSWORD, 110000), 1000);
    login_limits_free(ll);
}

static void addresses_are_bounded_idle_first(void **state)
{
    login_limits *ll = login_limits_new(RULES, 2);
    for (int i = 0; i < 3; i++)
        fail_once(ll, "a", LOGIN_PASSWORD, 0);
    assert_true(login_limits_begin(ll, "b", LOGIN_PASSWORD, 5, NULL)); /* under way */
    refused_for(ll, "a", LOGIN_PASSWORD, 10);                          /* "a" seen last now */
    /* A third address: "b" is older but has a check under way, so "a" goes. */
    fail_once(ll, "c", LOGIN_PASSWORD, 20);
    assert_true(login_limits_begin(ll, "a", LOGIN_PASSWORD, 20, NULL));
    login_limits_free(ll);
}

/* ---- the pool ---- */

typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool open;
    int started;
    atomic_int done_ok, done_wrong, done_dropped;
} gate;

static int gated_check(void *ctx, const char *secret)
{
    gate *g = ctx;
    pthread_mutex_lock(&g->lock);
    g->started++;
    pthread_cond_broadcast(&g->cond);
    while (!g->open)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
    return strcmp(secret, "right") == 0 ? ENSHU_OK : ENSHU_EINVAL;
}

static void count_done(void *ctx, void *arg, int rc)
{
    gate *g = ctx;
    atomic_fetch_add(rc == ENSHU_OK       ? &g->done_ok
                     : rc == ENSHU_EINVAL ? &g->done_wrong
                                          : &g->done_dropped,
                     1);
}

static void wait_started(gate *g, int n)
{
    pthread_mutex_lock(&g->lock);
    while (g->started < n)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

static void open_gate(gate *g)
{
    pthread_mutex_lock(&g->lock);
    g->open = true;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

static void the_pool_is_bounded_and_reports_each_result(void **state)
{
    gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    login_checks *lc = login_checks_new(2, 4, gated_check, count_done, &g);
    assert_non_null(lc);
    assert_int_equal(login_checks_submit(lc, "wrong", NULL), ENSHU_OK);
    assert_int_equal(login_checks_submit(lc, "right", NULL), ENSHU_OK);
    assert_int_equal(login_checks_submit(lc, "wrong", NULL), ENSHU_OK);
    assert_int_equal(login_checks_submit(lc, "wrong", NULL), ENSHU_OK);
    wait_started(&g, 2); /* two threads, both busy */
    assert_int_equal(login_checks_pending(lc), 4);
    assert_int_equal(login_checks_submit(lc, "right", NULL), ENSHU_EBUSY);
    open_gate(&g);
    while (login_checks_pending(lc) > 0)
        wait_started(&g, 4);
    assert_int_equal(atomic_load(&g.done_ok), 1);
    assert_int_equal(atomic_load(&g.done_wrong), 3);
    assert_int_equal(login_checks_submit(lc, "right", NULL), ENSHU_OK);
    login_checks_free(lc);
    assert_int_equal(atomic_load(&g.done_ok) + atomic_load(&g.done_dropped), 2);
}

static void freeing_drops_queued_checks_with_a_result(void **state)
{
    gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    login_checks *lc = login_checks_new(1, 8, gated_check, count_done, &g);
    for (int i = 0; i < 5; i++)
        assert_int_equal(login_checks_submit(lc, "right", NULL), ENSHU_OK);
    wait_started(&g, 1);
    /* Free waits for the one under way: open the gate from here first,
     * as free cannot return before it. */
    open_gate(&g);
    login_checks_free(lc);
    /* Every check got exactly one result. */
    assert_int_equal(atomic_load(&g.done_ok) + atomic_load(&g.done_dropped), 5);
    assert_true(atomic_load(&g.done_ok) >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(free_failures_then_a_doubling_wait),
        cmocka_unit_test(a_correct_credential_after_the_wait_is_checked_and_costs_nothing),
        cmocka_unit_test(other_addresses_and_other_kinds_are_not_held_back),
        cmocka_unit_test(checks_under_way_count_as_failures),
        cmocka_unit_test(a_quiet_address_starts_afresh),
        cmocka_unit_test(addresses_are_bounded_idle_first),
        cmocka_unit_test(the_pool_is_bounded_and_reports_each_result),
        cmocka_unit_test(freeing_drops_queued_checks_with_a_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
