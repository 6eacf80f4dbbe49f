/* The grader: scores from events, per team, with the rules of grader.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "grader.h"
#include "test_support.h"

static const char GRADED[] =
    "enshu: 1\nid: graded\ntitle: Graded\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "checks:\n"
    "  - {id: beacon-stopped, node: ws, command: '! pgrep beacon'}\n"
    "objectives:\n"
    "  - {id: c2, kind: question, text: 'C2 address?', answer: {exact: 203.0.113.66}, attempts: 2, points: 10}\n"
    "  - {id: host, kind: question, text: 'Host?', answer: {nocase: WS1}, points: 5,\n"
    "     hints: [{text: a, cost: 1}, {text: b, cost: 2}]}\n"
    "  - {id: when, kind: question, text: 'Minute?', answer: {range: [9, 11]}, points: 3}\n"
    "  - {id: proc, kind: question, text: 'Process?', answer: {regex: 'update[rs]?\\.sh'}, points: 4}\n"
    "  - {id: acct, kind: question, text: 'Account?', answer: {one_of: [staff, Staff01]}, points: 2}\n"
    "  - {id: stop, kind: check, check: beacon-stopped, points: 20}\n"
    "  - {id: report, kind: report, rubric: [{text: timeline, points: 10}, {text: impact, points: 5}]}\n";

static event ev(int team, int64_t at, event_kind kind, const char *subject, int64_t value,
                const char *text)
{
    event e = {.team = team, .at_ms = at, .kind = kind, .subject = subject, .value = value,
               .text = text};
    return e;
}

static int total(grader *g, int team)
{
    return grader_team(g, team)->total;
}

static void questions_with_attempt_limits(void **state)
{
    scenario *s = load_or_fail(GRADED);
    grader *g = grader_new(s, 2);
    event e1 = ev(1, 10, EV_ANSWER, "c2", 0, "203.0.113.6");
    event e2 = ev(1, 20, EV_ANSWER, "c2", 0, "10.0.0.1");
    event e3 = ev(1, 30, EV_ANSWER, "c2", 0, "203.0.113.66"); /* right, but a third try */
    grader_apply(g, &e1);
    grader_apply(g, &e2);
    grader_apply(g, &e3);
    assert_int_equal(total(g, 1), 0);
    assert_int_equal(grader_team(g, 1)->objectives[0].attempts, 2);
    event e4 = ev(2, 40, EV_ANSWER, "c2", 0, "  203.0.113.66\n");
    grader_apply(g, &e4);
    assert_int_equal(total(g, 2), 10);
    assert_int_equal(total(g, 1), 0); /* teams are scored apart */
    assert_true(grader_team(g, 2)->objectives[0].achieved_ms == 40);
    grader_free(g);
    scenario_free(s);
}

static void every_matcher(void **state)
{
    scenario *s = load_or_fail(GRADED);
    grader *g = grader_new(s, 1);
    const struct {
        const char *objective, *answer;
        int gain;
    } cases[] = {
        {"host", "ws", 0}, {"host", " ws1 ", 5},       {"when", "11.5", 0},      {"when", "10", 3},
        {"proc", "xupdater.sh", 0}, {"proc", "updaters.sh", 0}, {"proc", "updater.sh", 4}, {"acct", "STAFF", 2},
        {"host", "WS1", 0}, /* already answered */
    };
    int expected = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        event e = ev(1, (int64_t)i, EV_ANSWER, cases[i].objective, 0, cases[i].answer);
        grader_apply(g, &e);
        expected += cases[i].gain;
        if (total(g, 1) != expected)
            fail_msg("%s = '%s': total %d, expected %d", cases[i].objective, cases[i].answer,
                     total(g, 1), expected);
    }
    grader_free(g);
    scenario_free(s);
}

static void checks_reports_hints_penalties(void **state)
{
    scenario *s = load_or_fail(GRADED);
    grader *g = grader_new(s, 1);
    event events[] = {
        ev(1, 100, EV_CHECK_RESULT, "beacon-stopped", 0, NULL),
        ev(1, 200, EV_CHECK_RESULT, "beacon-stopped", 1, NULL), /* +20 */
        ev(1, 300, EV_CHECK_RESULT, "beacon-stopped", 0, NULL), /* kept */
        ev(1, 400, EV_HINT, "host", 1, NULL),                   /* -2 */
        ev(1, 410, EV_HINT, "host", 1, NULL),                   /* once */
        ev(1, 420, EV_HINT, "host", 7, NULL),                   /* no such hint */
        ev(1, 500, EV_GRADE, "report", 25, "0"),                /* capped at 10 */
        ev(1, 510, EV_GRADE, "report", 3, "1"),
        ev(1, 520, EV_GRADE, "report", 4, "1"),                 /* latest wins: 4 */
        ev(1, 530, EV_GRADE, "report", 4, "9"),                 /* no such item */
        ev(1, 600, EV_PENALTY, "web down", 5, NULL),            /* -5 */
        ev(3, 700, EV_PENALTY, "no such team", 5, NULL),
        ev(1, 800, EV_ANSWER, "nope", 0, "x"),
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        grader_apply(g, &events[i]);
    const team_score *ts = grader_team(g, 1);
    assert_int_equal(ts->total, 20 - 2 + 10 + 4 - 5);
    assert_int_equal(ts->objectives[5].achieved_ms, 200);
    assert_int_equal(ts->objectives[6].points, 14);
    /* History: one point per change of the total. */
    int64_t at[] = {100, 200, 400, 500, 510, 520, 600};
    int tot[] = {0, 20, 18, 28, 31, 32, 27};
    assert_int_equal(ts->nhistory, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(ts->history[i].at_ms, at[i]);
        assert_int_equal(ts->history[i].total, tot[i]);
    }
    assert_int_equal(grader_max_points(g), 10 + 5 + 3 + 4 + 2 + 20 + 15);
    assert_null(grader_team(g, 2));
    grader_free(g);
    grader_free(NULL);
    scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(questions_with_attempt_limits),
        cmocka_unit_test(every_matcher),
        cmocka_unit_test(checks_reports_hints_penalties),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
