/* One team's timeline: due injects and why the others are not, on an
 * injected exercise time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_support.h"
#include "timeline.h"

#define MIN 60000

static const char STAGED[] =
    "enshu: 1\nid: staged\ntitle: Staged\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes:\n"
    "  - {name: ws, image: workstation, interfaces: [{segment: lan}]}\n"
    "  - {name: c2, image: attacker, role: red, interfaces: [{segment: lan}]}\n"
    "injects:\n"
    "  - {id: mail, at: 5m, message: {from: a, subject: s, body: b}}\n"                  /* 0 */
    "  - {id: malware, after: mail, delay: 2m, target: ws, run: 'true'}\n"               /* 1 */
    "  - {id: leak, when: {check: beacon, for: 20m}, target: ws, run: x}\n"              /* 2 */
    "  - {id: tip, manual: true, note: hint}\n"                                          /* 3 */
    "  - {id: either, when: {any: [{inject: leak}, {not: {check: beacon}}]}, note: n}\n" /* 4 */
    "  - {id: early, when: {check: beacon, within: 10m}, note: n}\n"                     /* 5 */
    "checks:\n"
    "  - {id: beacon, node: ws, command: 'pgrep beacon'}\n";

static size_t due(timeline *tl, int64_t now, size_t *out)
{
    return timeline_due(tl, now, out, 16);
}

static void expect_explain(timeline *tl, size_t i, int64_t now, timeline_clock clock,
                           const char *want)
{
    char *why = timeline_explain(tl, i, now, clock);
    if (strcmp(why, want) != 0)
        fail_msg("inject %zu: '%s', expected '%s'", i, why, want);
    free(why);
}

static void timed_and_chained(void **state)
{
    scenario *s = load_or_fail(STAGED);
    timeline *tl = timeline_new(s);
    size_t out[16];
    assert_int_equal(due(tl, 4 * MIN, out), 0);
    assert_int_equal(timeline_next_wakeup(tl, 4 * MIN), 5 * MIN);
    expect_explain(tl, 0, 4 * MIN, TIMELINE_RUNNING, "waiting until T+5m");
    expect_explain(tl, 1, 4 * MIN, TIMELINE_PAUSED,
                   "waiting for inject mail (pending); the exercise is paused");
    assert_int_equal(due(tl, 5 * MIN, out), 1);
    assert_int_equal(out[0], 0);
    timeline_inject_done(tl, 0, INJECT_FIRED, 5 * MIN + 3000);
    expect_explain(tl, 0, 6 * MIN, TIMELINE_RUNNING, "fired at T+5m3s");
    expect_explain(tl, 1, 6 * MIN, TIMELINE_RUNNING, "waiting until T+7m3s (2m after mail)");
    assert_int_equal(timeline_next_wakeup(tl, 6 * MIN), 7 * MIN + 3000);
    assert_int_equal(due(tl, 7 * MIN + 2999, out), 0);
    assert_int_equal(due(tl, 7 * MIN + 3000, out), 1);
    assert_int_equal(out[0], 1);
    /* An inject happens once: a second report changes nothing. */
    assert_int_equal(timeline_done_at(tl, 1), -1); /* pending */
    timeline_inject_done(tl, 0, INJECT_FAILED, 9 * MIN);
    assert_int_equal(timeline_state(tl, 0), INJECT_FIRED);
    assert_int_equal(timeline_done_at(tl, 0), 5 * MIN + 3000); /* the first report stands */
    timeline_free(tl);
    scenario_free(s);
}

/* After ENDEX nothing pending will fire: it says so, and what it waited for. */
static void after_the_end_pending_injects_did_not_fire(void **state)
{
    scenario *s = load_or_fail(STAGED);
    timeline *tl = timeline_new(s);
    expect_explain(tl, 0, 4 * MIN, TIMELINE_ENDED,
                   "did not fire: the exercise ended first (it was waiting until T+5m)");
    expect_explain(tl, 1, 4 * MIN, TIMELINE_ENDED,
                   "did not fire: the exercise ended first (it was waiting for inject mail "
                   "(pending))");
    expect_explain(tl, 0, 5 * MIN, TIMELINE_ENDED,
                   "did not fire: the exercise ended when it was due");
    timeline_hold(tl, 0, true);
    expect_explain(tl, 0, 4 * MIN, TIMELINE_ENDED,
                   "did not fire: the exercise ended first (it was held by an instructor)");
    timeline_free(tl);
    scenario_free(s);
}

/* A failed inject retried is pending again and due at once; so is one that
 * fired (run again on new guests); a skipped one is not retried. */
static void a_retried_inject_is_due_at_once(void **state)
{
    scenario *s = load_or_fail(STAGED);
    timeline *tl = timeline_new(s);
    size_t out[16];
    timeline_inject_done(tl, 0, INJECT_FAILED, 5 * MIN);
    expect_explain(tl, 1, 6 * MIN, TIMELINE_RUNNING,
                   "waiting for inject mail (failed); release or skip this one too");
    timeline_retry(tl, 0);
    assert_int_equal(timeline_state(tl, 0), INJECT_PENDING);
    assert_int_equal(timeline_done_at(tl, 0), -1);
    assert_int_equal(due(tl, 6 * MIN, out), 1);
    assert_int_equal(out[0], 0);
    timeline_inject_done(tl, 0, INJECT_FIRED, 6 * MIN);
    expect_explain(tl, 1, 6 * MIN, TIMELINE_RUNNING, "waiting until T+8m (2m after mail)");
    timeline_inject_done(tl, 2, INJECT_SKIPPED, 6 * MIN);
    timeline_retry(tl, 2);
    assert_int_equal(timeline_state(tl, 2), INJECT_SKIPPED);
    timeline_retry(tl, 0);
    assert_int_equal(timeline_state(tl, 0), INJECT_PENDING);
    timeline_free(tl);
    scenario_free(s);
}

/* A timeline where the mail and the malware have already happened. */
static timeline *after_infection(const scenario *s)
{
    timeline *tl = timeline_new(s);
    timeline_inject_done(tl, 0, INJECT_FIRED, 5 * MIN);
    timeline_inject_done(tl, 1, INJECT_FIRED, 7 * MIN);
    return tl;
}

static void conditions_hold_for_a_while(void **state)
{
    scenario *s = load_or_fail(STAGED);
    timeline *tl = after_infection(s);
    size_t out[16];
    expect_explain(tl, 2, 0, TIMELINE_RUNNING,
                   "waiting for check beacon has no result yet for 20m");
    timeline_check_result(tl, 0, true, 8 * MIN);
    timeline_check_result(tl, 0, true, 9 * MIN); /* still passing: since stays 8m */
    /* 'early' fires at once (within 10m); 'either' does not (beacon passes). */
    assert_int_equal(due(tl, 9 * MIN, out), 1);
    assert_int_equal(out[0], 5);
    expect_explain(tl, 2, 9 * MIN, TIMELINE_RUNNING, "waiting until T+28m");
    assert_int_equal(timeline_next_wakeup(tl, 9 * MIN), 28 * MIN);
    /* 'early' was never fired, and its window closed at 10m. */
    assert_int_equal(due(tl, 28 * MIN, out), 1);
    assert_int_equal(out[0], 2);
    /* The team stops the beacon at 27m: the data leak never comes, 'either' does. */
    timeline_check_result(tl, 0, false, 27 * MIN);
    assert_int_equal(due(tl, 28 * MIN, out), 1);
    assert_int_equal(out[0], 4);
    expect_explain(tl, 2, 40 * MIN, TIMELINE_RUNNING,
                   "waiting for check beacon failing since T+27m for 20m");
    assert_true(timeline_next_wakeup(tl, 40 * MIN) == INT64_MAX);
    timeline_free(tl);
    scenario_free(s);
}

static void within_closes_a_window(void **state)
{
    scenario *s = load_or_fail(STAGED);
    timeline *tl = after_infection(s);
    size_t out[16];
    timeline_check_result(tl, 0, true, 11 * MIN);
    assert_int_equal(due(tl, 11 * MIN, out), 0); /* 'early' only within the first 10m */
    expect_explain(tl, 5, 11 * MIN, TIMELINE_RUNNING,
                   "waiting for check beacon passing since T+11m within T+10m");
    timeline_free(tl);
    scenario_free(s);
}

static void instructors_hold_release_and_skip(void **state)
{
    scenario *s = load_or_fail(STAGED);
    timeline *tl = timeline_new(s);
    size_t out[16];
    expect_explain(tl, 3, 0, TIMELINE_RUNNING, "waiting to be released by an instructor");
    timeline_release(tl, 3);
    assert_int_equal(due(tl, 0, out), 1);
    assert_int_equal(out[0], 3);
    assert_false(timeline_held(tl, 0));
    timeline_hold(tl, 0, true);
    assert_true(timeline_held(tl, 0));
    assert_int_equal(due(tl, 6 * MIN, out), 1); /* only 'tip' */
    expect_explain(tl, 0, 6 * MIN, TIMELINE_RUNNING, "held by an instructor");
    timeline_hold(tl, 0, false);
    assert_int_equal(due(tl, 6 * MIN, out), 2);
    /* A skipped inject never happens, and what follows it says so. */
    timeline_inject_done(tl, 0, INJECT_SKIPPED, 6 * MIN);
    expect_explain(tl, 1, 7 * MIN, TIMELINE_RUNNING,
                   "waiting for inject mail (skipped); release or skip this one too");
    timeline_release(tl, 1);
    assert_int_equal(due(tl, 7 * MIN, out), 2);
    timeline_free(tl);
    scenario_free(s);
}

static void a_down_target_blocks_its_injects(void **state)
{
    scenario *s = load_or_fail(STAGED);
    timeline *tl = timeline_new(s);
    size_t out[16];
    timeline_inject_done(tl, 0, INJECT_FIRED, 5 * MIN);
    timeline_node_up(tl, 0, false);
    assert_int_equal(due(tl, 8 * MIN, out), 0);
    expect_explain(tl, 1, 8 * MIN, TIMELINE_RUNNING, "its target node ws is down");
    timeline_node_up(tl, 0, true);
    assert_int_equal(due(tl, 8 * MIN, out), 1);
    timeline_free(tl);
    timeline_free(NULL);
    scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(timed_and_chained),
        cmocka_unit_test(after_the_end_pending_injects_did_not_fire),
        cmocka_unit_test(a_retried_inject_is_due_at_once),
        cmocka_unit_test(conditions_hold_for_a_while),
        cmocka_unit_test(within_closes_a_window),
        cmocka_unit_test(instructors_hold_release_and_skip),
        cmocka_unit_test(a_down_target_blocks_its_injects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
