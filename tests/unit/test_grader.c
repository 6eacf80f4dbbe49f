/* The grader: scores from events, per team, with the rules of grader.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "answer_match.h"
#include "grader.h"
#include "range_plan.h"
#include "range_team_vars.h"
#include "team_vars.h"
#include "test_support.h"

static const char GRADED[] =
    "enshu: 1\nid: graded\ntitle: Graded\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "checks:\n"
    "  - {id: beacon-stopped, node: ws, command: '! pgrep beacon'}\n"
    "objectives:\n"
    "  - {id: c2, kind: question, text: 'C2 address?', answer: {exact: 203.0.113.66}, attempts: 2, "
    "points: 10}\n"
    "  - {id: host, kind: question, text: 'Host?', answer: {nocase: WS1}, points: 5,\n"
    "     hints: [{text: a, cost: 1}, {text: b, cost: 2}]}\n"
    "  - {id: when, kind: question, text: 'Minute?', answer: {range: [9, 11]}, points: 3}\n"
    "  - {id: proc, kind: question, text: 'Process?', answer: {regex: 'update[rs]?\\.sh'}, points: "
    "4}\n"
    "  - {id: acct, kind: question, text: 'Account?', answer: {one_of: [staff, Staff01]}, points: "
    "2}\n"
    "  - {id: stop, kind: check, check: beacon-stopped, points: 20}\n"
    "  - {id: report, kind: report, rubric: [{text: timeline, points: 10}, {text: impact, points: "
    "5}]}\n";

static event ev(int team, int64_t at, event_kind kind, const char *subject, int64_t value,
                const char *text)
{
    event e = {
        .team = team, .at_ms = at, .kind = kind, .subject = subject, .value = value, .text = text};
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
        {"host", "ws", 0},          {"host", " ws1 ", 5},
        {"when", "11.5", 0},        {"when", "10", 3},
        {"proc", "xupdater.sh", 0}, {"proc", "updaters.sh", 0},
        {"proc", "updater.sh", 4},  {"acct", "STAFF", 2},
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
        ev(1, 520, EV_GRADE, "report", 4, "1"),      /* latest wins: 4 */
        ev(1, 530, EV_GRADE, "report", 4, "9"),      /* no such item */
        ev(1, 600, EV_PENALTY, "web down", 5, NULL), /* -5 */
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

/* A scenario with the newer rules: decay, penalty rules, a time answer and
 * templated answers. Injects are only named here; events say when they fired. */
static const char TIMED[] =
    "enshu: 1\nid: timed\ntitle: Timed\n"
    "network: {pool: 10.90.0.0/16, segments: [{name: lan, gateway: gw}, {name: net, gateway: "
    "gw}]}\n"
    "nodes:\n"
    "  - {name: ws, image: workstation, interfaces: [{segment: lan}]}\n"
    "  - {name: gw, image: router, forwarding: true, interfaces: [{segment: lan, host: 254}, "
    "{segment: net, host: 254}]}\n"
    "  - {name: c2, image: attacker, role: red, interfaces: [{segment: net, host: 66}]}\n"
    "injects:\n"
    "  - {id: infect, at: 5m, target: ws, run: 'true'}\n"
    "  - {id: exfil, at: 30m, target: ws, run: 'true'}\n"
    "checks:\n"
    "  - {id: beacon-stopped, node: ws, command: 'true'}\n"
    "  - {id: web-up, node: ws, command: 'true'}\n"
    "objectives:\n"
    "  - {id: stop, kind: check, check: beacon-stopped, points: 30,\n"
    "     decay: {from: infect, full: 10m, zero_at: 40m, floor: 6}}\n"
    "  - {id: c2, kind: question, text: 'C2?', answer: {exact: '{{addr c2}}'}, points: 10}\n"
    "  - {id: c2net, kind: question, text: 'C2 net?', answer: {regex: '{{subnet "
    "net}}|team{{team}}'}, points: 1}\n"
    "  - {id: first, kind: question, text: 'When?', answer: {time: {inject: infect, tolerance: "
    "2m}}, points: 5}\n"
    "penalties:\n"
    "  - {id: web-down, check: web-up, when: failing, points: 4, max: 10}\n"
    "  - {id: late-down, check: web-up, when: failing, points: 1, after: exfil}\n";

static void decayed_points_fall_linearly_to_the_floor(void **state)
{
    scenario *s = load_or_fail(TIMED);
    const objective *o = scenario_objective(s, "stop");
    const int64_t m = 60 * 1000;
    assert_int_equal(grader_decayed_points(o, -5 * m), 30);
    assert_int_equal(grader_decayed_points(o, 10 * m), 30);
    assert_int_equal(grader_decayed_points(o, 25 * m), 18); /* halfway: 30 - 24/2 */
    assert_int_equal(grader_decayed_points(o, 40 * m), 6);
    assert_int_equal(grader_decayed_points(o, 400 * m), 6);
    /* Team 1 stops the beacon 4 minutes after infection: full points; team 2
     * 25 minutes after: half way down; team 3 before the inject: full. */
    grader *g = grader_new(s, 3);
    event events[] = {
        ev(1, 5 * m, EV_INJECT_FIRED, "infect", 0, NULL),
        ev(2, 6 * m, EV_INJECT_FIRED, "infect", 0, NULL),
        ev(1, 9 * m, EV_CHECK_RESULT, "beacon-stopped", 1, NULL),
        ev(2, 31 * m, EV_CHECK_RESULT, "beacon-stopped", 1, NULL),
        ev(3, 1 * m, EV_CHECK_RESULT, "beacon-stopped", 1, NULL),
        ev(2, 50 * m, EV_CHECK_RESULT, "beacon-stopped", 1, NULL), /* achieved once only */
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        grader_apply(g, &events[i]);
    assert_int_equal(total(g, 1), 30);
    assert_int_equal(total(g, 2), 18);
    assert_int_equal(total(g, 3), 30);
    assert_int_equal(grader_team(g, 2)->objectives[0].achieved_ms, 31 * m);
    grader_free(g);
    scenario_free(s);
}

/* A check objective 'after' an inject counts what was seen after it fired:
 * a probe that began before (its result carries that time) but was recorded
 * after the inject shows the guest as it was, and earns nothing. */
static const char AFTER[] =
    "enshu: 1\nid: after\ntitle: After\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "injects:\n"
    "  - {id: beacon-start, at: 7m, target: ws, run: 'true'}\n"
    "checks:\n"
    "  - {id: beacon-stopped, node: ws, command: 'true'}\n"
    "objectives:\n"
    "  - {id: stop, kind: check, check: beacon-stopped, after: beacon-start, points: 20}\n"
    "penalties:\n"
    "  - {id: relapse, check: beacon-stopped, when: failing, points: 3, after: beacon-start}\n";

static void a_probe_from_before_the_inject_earns_nothing(void **state)
{
    scenario *s = load_or_fail(AFTER);
    grader *g = grader_new(s, 2);
    const int64_t m = 60 * 1000;
    event events[] = {
        ev(1, 6 * m, EV_CHECK_RESULT, "beacon-stopped", 1, NULL), /* before: nothing */
        ev(1, 7 * m, EV_INJECT_FIRED, "beacon-start", 0, NULL),
        ev(1, 6 * m + 40000, EV_CHECK_RESULT, "beacon-stopped", 1, NULL), /* began before */
        ev(2, 7 * m, EV_INJECT_FIRED, "beacon-start", 0, NULL),
        ev(2, 6 * m + 50000, EV_CHECK_RESULT, "beacon-stopped", 0, NULL), /* began before */
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        grader_apply(g, &events[i]);
    assert_int_equal(total(g, 1), 0);
    assert_false(grader_team(g, 1)->objectives[0].achieved);
    assert_int_equal(total(g, 2), 0); /* nor does it cost */
    /* Seen after the inject: counted. Team 1's beacon runs (the penalty),
     * then is stopped (the points); team 2 stops it, then it runs again. */
    event later[] = {
        ev(1, 7 * m, EV_CHECK_RESULT, "beacon-stopped", 0, NULL),
        ev(1, 9 * m, EV_CHECK_RESULT, "beacon-stopped", 1, NULL),
        ev(2, 8 * m, EV_CHECK_RESULT, "beacon-stopped", 1, NULL),
        ev(2, 9 * m, EV_CHECK_RESULT, "beacon-stopped", 0, NULL),
    };
    for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
        grader_apply(g, &later[i]);
    assert_int_equal(total(g, 1), 20 - 3);
    assert_int_equal(grader_team(g, 1)->objectives[0].achieved_ms, 9 * m);
    assert_int_equal(total(g, 2), 20 - 3);
    grader_free(g);
    scenario_free(s);
}

static void penalty_rules_take_points_on_each_turn_up_to_max(void **state)
{
    scenario *s = load_or_fail(TIMED);
    grader *g = grader_new(s, 2);
    event events[] = {
        ev(1, 10, EV_CHECK_RESULT, "web-up", 1, NULL),
        ev(1, 20, EV_CHECK_RESULT, "web-up", 0, NULL), /* turn 1: -4 */
        ev(1, 25, EV_CHECK_RESULT, "web-up", 0, NULL), /* recorded again: no turn */
        ev(1, 30, EV_CHECK_RESULT, "web-up", 1, NULL),
        ev(1, 40, EV_INJECT_FIRED, "exfil", 0, NULL),
        ev(1, 50, EV_CHECK_RESULT, "web-up", 0, NULL), /* turn 2: -4, and -1 after exfil */
        ev(1, 60, EV_CHECK_RESULT, "web-up", 1, NULL),
        ev(1, 70, EV_CHECK_RESULT, "web-up", 0, NULL), /* turn 3: -2 (max 10), -1 */
        ev(1, 80, EV_CHECK_RESULT, "web-up", 1, NULL),
        ev(1, 90, EV_CHECK_RESULT, "web-up", 0, NULL), /* web-down at its max; -1 */
        ev(2, 15, EV_CHECK_RESULT, "web-up", 0, NULL), /* failing from the first probe: -4 */
    };
    for (size_t i = 0; i < sizeof events / sizeof events[0]; i++)
        grader_apply(g, &events[i]);
    const team_score *ts = grader_team(g, 1);
    assert_int_equal(ts->penalty_rules[0], 10);
    assert_int_equal(ts->penalty_rules[1], 3);
    assert_int_equal(ts->penalties, 13);
    assert_int_equal(ts->total, -13);
    assert_int_equal(total(g, 2), -4);
    grader_free(g);
    scenario_free(s);
}

static void time_answers_compare_with_when_the_inject_fired(void **state)
{
    scenario *s = load_or_fail(TIMED);
    grader *g = grader_new(s, 3);
    /* 2026-11-30 09:41:30 UTC */
    const int64_t wall = 1796031690000LL;
    event fired = ev(1, 300000, EV_INJECT_FIRED, "infect", 0, NULL);
    fired.wall_ms = wall;
    grader_apply(g, &fired);
    fired.team = 2;
    grader_apply(g, &fired);
    event answers[] = {
        ev(1, 400000, EV_ANSWER, "first", 0, "nine forty"),
        ev(1, 410000, EV_ANSWER, "first", 0, "09:38"),   /* 2m30s off the minute: wrong */
        ev(1, 420000, EV_ANSWER, "first", 0, " 09:43 "), /* within 2 minutes */
        ev(2, 430000, EV_ANSWER, "first", 0, "09:41:30Z"),
        ev(3, 440000, EV_ANSWER, "first", 0, "09:41"), /* not infected yet: wrong */
    };
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
        grader_apply(g, &answers[i]);
    assert_int_equal(total(g, 1), 5);
    assert_int_equal(grader_team(g, 1)->objectives[3].attempts, 3);
    assert_int_equal(total(g, 2), 5);
    assert_int_equal(total(g, 3), 0);
    assert_true(answer_time_matches("09:41", wall, 0));
    assert_true(answer_time_matches("09:41:30 UTC", wall, 0));
    assert_false(answer_time_matches("09:41:20", wall, 5000));
    assert_false(answer_time_matches("25:00", wall, 3600000));
    assert_true(answer_time_matches("00:00", 24LL * 3600 * 1000 - 10000, 10000)); /* midnight */
    grader_free(g);
    scenario_free(s);
}

static void templated_answers_are_each_teams_own(void **state)
{
    scenario *s = load_or_fail(TIMED);
    range_plan *plan = range_plan_new(s, "t", 2, 3);
    team_vars *vars = team_vars_from_plan(plan);
    /* Team 1 sits in block 3: lan 10.90.6.0/24, net 10.90.7.0/24. */
    assert_string_equal(team_vars_get(vars, 1, "addr c2"), "10.90.7.66");
    assert_string_equal(team_vars_get(vars, 2, "addr c2"), "10.90.9.66");
    grader *g = grader_new(s, 2);
    grader_set_team_vars(g, vars);
    event answers[] = {
        ev(1, 10, EV_ANSWER, "c2", 0, "10.90.9.66"), /* team 2's C2, not team 1's */
        ev(1, 20, EV_ANSWER, "c2", 0, "10.90.7.66"),
        ev(2, 30, EV_ANSWER, "c2", 0, "10.90.9.66"),
        ev(2, 40, EV_ANSWER, "c2net", 0, "team2"),
        ev(1, 50, EV_ANSWER, "c2net", 0, "10.90.7.0/24"),
    };
    for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++)
        grader_apply(g, &answers[i]);
    assert_int_equal(total(g, 1), 11);
    assert_int_equal(total(g, 2), 11);
    assert_int_equal(grader_team(g, 1)->objectives[1].attempts, 2);
    /* Without the values the templates are compared as written: never right. */
    grader *bare = grader_new(s, 1);
    event e = ev(1, 10, EV_ANSWER, "c2", 0, "10.90.7.66");
    grader_apply(bare, &e);
    assert_int_equal(total(bare, 1), 0);
    grader_free(bare);
    grader_free(g);
    team_vars_free(vars);
    range_plan_free(plan);
    scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(questions_with_attempt_limits),
        cmocka_unit_test(every_matcher),
        cmocka_unit_test(checks_reports_hints_penalties),
        cmocka_unit_test(decayed_points_fall_linearly_to_the_floor),
        cmocka_unit_test(penalty_rules_take_points_on_each_turn_up_to_max),
        cmocka_unit_test(a_probe_from_before_the_inject_earns_nothing),
        cmocka_unit_test(time_answers_compare_with_when_the_inject_fired),
        cmocka_unit_test(templated_answers_are_each_teams_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
