/* The sandbox pool's decisions on a fake clock, with no hosts behind it:
 * placement by share of slots, bounded jobs with teardowns first, failed
 * jobs, the queue's estimate, uncollected grants, draining.
 * tests/integration/test_sandbox_sim.c carries the jobs out on simulated
 * hosts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "sandbox_pool.h"

#include <sodium.h>

#define GUESS 30000
#define TTL 3600000

static sandbox_pool *pool_of(unsigned warm, unsigned jobs, const unsigned *slots, size_t n)
{
    sandbox_pool_config cfg = {.course_code = "C1",
                               .warm = warm,
                               .max_jobs = jobs,
                               .ttl_ms = TTL,
                               .build_guess_ms = GUESS,
                               .teardown_guess_ms = 1000};
    sandbox_pool *p = sandbox_pool_new(&cfg, slots, n);
    assert_non_null(p);
    return p;
}

static void bad_configurations_are_refused(void **state)
{
    unsigned none[] = {0, 0}, some[] = {2};
    sandbox_pool_config cfg = {.course_code = "C1", .ttl_ms = TTL};
    assert_null(sandbox_pool_new(&cfg, some, 0));
    assert_null(sandbox_pool_new(&cfg, none, 2));
    cfg.course_code = "";
    assert_null(sandbox_pool_new(&cfg, some, 1));
    cfg.course_code = "C1";
    cfg.ttl_ms = 0;
    assert_null(sandbox_pool_new(&cfg, some, 1));
    cfg.ttl_ms = TTL;
    cfg.max = 1; /* --max below the hosts' slots */
    sandbox_pool *p = sandbox_pool_new(&cfg, some, 1);
    assert_int_equal(sandbox_pool_capacity(p), 1);
    sandbox_pool_free(p);
    sandbox_pool_free(NULL);
}

static void builds_go_to_the_lowest_share_of_slots_in_use(void **state)
{
    unsigned slots[] = {2, 6};
    sandbox_pool *p = pool_of(10, 10, slots, 2);
    size_t expect[] = {0, 1, 1, 1, 0, 1, 1, 1};
    sandbox_action a;
    for (size_t i = 0; i < 8; i++) {
        assert_true(sandbox_pool_next_action(p, 0, &a));
        assert_int_equal(a.kind, SANDBOX_BUILD);
        assert_int_equal(a.sandbox, i + 1);
        assert_int_equal(a.host, expect[i]);
    }
    /* Full: warm 10 is more than the hosts hold. */
    assert_false(sandbox_pool_next_action(p, 0, &a));
    assert_int_equal(sandbox_pool_host_load(p, 0), 2);
    assert_int_equal(sandbox_pool_host_load(p, 1), 6);
    sandbox_pool_free(p);
}

static void a_host_builds_one_at_a_time_when_asked(void **state)
{
    unsigned slots[] = {4, 4};
    sandbox_pool_config cfg = {
        .course_code = "C1", .warm = 4, .max_jobs = 4, .host_builds = 1, .ttl_ms = TTL};
    sandbox_pool *p = sandbox_pool_new(&cfg, slots, 2);
    sandbox_action a, b, c;
    assert_true(sandbox_pool_next_action(p, 0, &a));
    assert_true(sandbox_pool_next_action(p, 0, &b));
    assert_int_not_equal(a.host, b.host);
    assert_false(sandbox_pool_next_action(p, 0, &c)); /* 2 jobs of 4: both hosts build */
    assert_int_equal(sandbox_pool_built(p, a.sandbox, 1000, true), ENSHU_OK);
    assert_true(sandbox_pool_next_action(p, 1000, &c));
    assert_int_equal(c.host, a.host);
    sandbox_pool_free(p);
}

static void jobs_are_bounded_and_teardowns_go_first(void **state)
{
    unsigned slots[] = {4};
    sandbox_pool *p = pool_of(2, 1, slots, 1);
    sandbox_action a;
    assert_true(sandbox_pool_next_action(p, 0, &a));
    assert_false(sandbox_pool_next_action(p, 0, &a)); /* one job at a time */
    assert_int_equal(sandbox_pool_count(p, SANDBOX_BUILDING), 1);
    /* The first build fails: reclaimed, and torn down before any build. */
    assert_int_equal(sandbox_pool_built(p, 1, 5000, false), ENSHU_OK);
    assert_int_equal(sandbox_pool_built(p, 1, 5000, true), ENSHU_ENOTFOUND);
    assert_int_equal(sandbox_pool_build_estimate(p), GUESS); /* a failure is no sample */
    assert_true(sandbox_pool_next_action(p, 5000, &a));
    assert_int_equal(a.kind, SANDBOX_TEARDOWN);
    assert_int_equal(a.sandbox, 1);
    assert_false(sandbox_pool_next_action(p, 5000, &a));
    /* The teardown fails too: tried again after a mean teardown (the
     * guess, 1 s). */
    assert_int_equal(sandbox_pool_torn_down(p, 1, 5000, false), ENSHU_OK);
    assert_false(sandbox_pool_next_action(p, 5999, &a));
    assert_int_equal(sandbox_pool_next_wake(p, 5000), 6000);
    assert_true(sandbox_pool_next_action(p, 6000, &a));
    assert_int_equal(a.kind, SANDBOX_TEARDOWN);
    assert_int_equal(sandbox_pool_torn_down(p, 1, 7000, true), ENSHU_OK);
    assert_int_equal(sandbox_pool_count(p, SANDBOX_STATE_COUNT), 0);
    /* After the failure builds wait one mean build time (from 5 s)... */
    assert_int_equal(sandbox_pool_next_wake(p, 7000), 5000 + GUESS);
    assert_false(sandbox_pool_next_action(p, 5000 + GUESS - 1, &a));
    assert_true(sandbox_pool_next_action(p, 5000 + GUESS, &a));
    assert_int_equal(a.kind, SANDBOX_BUILD);
    /* ... then twice as long after a second failure in a row. */
    int64_t t = 5000 + GUESS;
    assert_int_equal(sandbox_pool_built(p, a.sandbox, t, false), ENSHU_OK);
    assert_true(sandbox_pool_next_action(p, t, &a));
    assert_int_equal(sandbox_pool_torn_down(p, a.sandbox, t, true), ENSHU_OK);
    assert_false(sandbox_pool_next_action(p, t + 2 * GUESS - 1, &a));
    t += 2 * GUESS;
    /* Builds resume, and observed durations replace the guess. */
    for (unsigned id = 3; id <= 4; id++) {
        assert_true(sandbox_pool_next_action(p, t, &a));
        assert_int_equal(a.kind, SANDBOX_BUILD);
        assert_int_equal(a.sandbox, id);
        assert_int_equal(sandbox_pool_built(p, id, t + 10000 * (id - 2), true), ENSHU_OK);
    }
    assert_int_equal(sandbox_pool_build_estimate(p), 15000); /* 10 s and 20 s */
    assert_int_equal(sandbox_pool_count(p, SANDBOX_WARM), 2);
    assert_false(sandbox_pool_next_action(p, t + 40000, &a));
    assert_int_equal(sandbox_pool_next_wake(p, t + 40000), INT64_MAX);
    sandbox_pool_free(p);
}

static void the_estimate_counts_builds_under_way_and_job_slots(void **state)
{
    unsigned slots[] = {4};
    sandbox_pool *p = pool_of(0, 1, slots, 1);
    sandbox_grant a, b;
    assert_int_equal(sandbox_pool_request(p, "C1", "a", 0, &a), ENSHU_OK);
    assert_true(a.queued);
    assert_int_equal(a.estimate_ms, GUESS); /* room now: one build */
    sandbox_action act;
    assert_true(sandbox_pool_next_action(p, 0, &act));
    /* b comes 10 s later: a's build ends at 30 s, b's can only start then. */
    assert_int_equal(sandbox_pool_request(p, "C1", "b", 10000, &b), ENSHU_OK);
    assert_int_equal(b.position, 2);
    assert_int_equal(b.estimate_ms, 2 * GUESS - 10000);
    assert_int_equal(sandbox_pool_poll(p, a.ticket, 20000, &a), ENSHU_OK);
    assert_int_equal(a.estimate_ms, GUESS - 20000);
    /* The build ends: a's sandbox waits for a to collect it. */
    assert_int_equal(sandbox_pool_built(p, act.sandbox, 30000, true), ENSHU_OK);
    assert_int_equal(sandbox_pool_count(p, SANDBOX_ALLOCATED), 1);
    assert_int_equal(sandbox_pool_poll(p, b.ticket, 30000, &b), ENSHU_OK);
    assert_int_equal(b.position, 1);
    /* a never collects it: past the TTL the grant is gone and reclaimed. */
    assert_int_equal(sandbox_pool_next_wake(p, 30000), 30000 + TTL);
    assert_int_equal(sandbox_pool_poll(p, a.ticket, 30000 + TTL, &a), ENSHU_ENOTFOUND);
    assert_int_equal(sandbox_pool_count(p, SANDBOX_EXPIRING), 1);
    sandbox_pool_free(p);
}

static void draining_closes_the_course(void **state)
{
    unsigned slots[] = {3};
    sandbox_pool *p = pool_of(2, 3, slots, 1);
    sandbox_action a1, a2;
    assert_true(sandbox_pool_next_action(p, 0, &a1));
    assert_true(sandbox_pool_next_action(p, 0, &a2));
    assert_int_equal(sandbox_pool_built(p, a1.sandbox, 1000, true), ENSHU_OK);
    sandbox_grant g, q;
    assert_int_equal(sandbox_pool_request(p, "C1", "x", 1000, &g), ENSHU_OK);
    assert_false(g.queued);
    assert_int_equal(sandbox_pool_request(p, "C1", "y", 1000, &q), ENSHU_OK);
    assert_true(q.queued);
    sandbox_pool_drain(p);
    assert_int_equal(sandbox_pool_queue_length(p), 0);
    unsigned id;
    assert_int_equal(sandbox_pool_resume(p, g.token, 1000, &id), ENSHU_ENOTFOUND);
    assert_int_equal(sandbox_pool_request(p, "C1", "z", 1000, &q), ENSHU_EPHASE);
    /* The one still building is torn down once built; nothing new is built. */
    sandbox_action a;
    assert_true(sandbox_pool_next_action(p, 1000, &a));
    assert_int_equal(a.kind, SANDBOX_TEARDOWN);
    assert_false(sandbox_pool_next_action(p, 1000, &a)); /* nothing else until it is built */
    assert_int_equal(sandbox_pool_built(p, a2.sandbox, 2000, true), ENSHU_OK);
    assert_int_equal(sandbox_pool_count(p, SANDBOX_WARM), 0);
    unsigned left = 0;
    while (sandbox_pool_next_action(p, 2000, &a)) {
        assert_int_equal(a.kind, SANDBOX_TEARDOWN);
        left++;
    }
    assert_int_equal(left, 1);
    sandbox_pool_free(p);
}

int main(void)
{
    assert_true(sodium_init() >= 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_configurations_are_refused),
        cmocka_unit_test(builds_go_to_the_lowest_share_of_slots_in_use),
        cmocka_unit_test(a_host_builds_one_at_a_time_when_asked),
        cmocka_unit_test(jobs_are_bounded_and_teardowns_go_first),
        cmocka_unit_test(the_estimate_counts_builds_under_way_and_job_slots),
        cmocka_unit_test(draining_closes_the_course),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
