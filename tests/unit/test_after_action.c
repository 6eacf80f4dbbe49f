/*
 * The after-action report's computation (after_action.h): when each
 * objective's clock starts, detection and response times, what each
 * timeline line says happened, members, ranks and the class summary.
 * Events are built by hand with their exercise times: no clock, no sleep.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "after_action.h"
#include "test_support.h"

static const char SCENARIO[] =
    "enshu: 1\nid: aar\ntitle: AAR\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "injects:\n"
    "  - {id: infect, manual: true, target: ws, run: 'true'}\n"
    "checks: [{id: fixed, node: ws, command: 'true'}]\n"
    "objectives:\n"
    "  - {id: c2, kind: question, text: '?', answer: {exact: 203.0.113.66}, points: 10,\n"
    "     after: infect}\n"
    "  - {id: fix, kind: check, check: fixed, points: 20, after: infect,\n"
    "     hints: [{text: h, cost: 3}]}\n"
    "  - {id: who, kind: question, text: '?', answer: {exact: ws}, points: 5}\n"
    "  - {id: late, kind: question, text: '?', answer: {exact: yes}, points: 10,\n"
    "     decay: {from: infect, full: 10m, zero_at: 20m, floor: 0}}\n"
    "  - {id: memo, kind: report, after: infect, rubric: [{text: r, points: 10}]}\n";

enum { C2, FIX, WHO, LATE, MEMO };

static void feed(after_action *aa, int64_t at_s, int team, event_kind kind, const char *subject,
                 int64_t value, const char *text, const char *actor)
{
    event ev = {.at_ms = at_s * 1000,
                .wall_ms = 1700000000000LL + at_s * 1000,
                .team = team,
                .kind = kind,
                .subject = subject,
                .value = value,
                .text = text,
                .actor = actor};
    after_action_apply(aa, &ev);
}

/* The last timeline line of team. */
static const aa_entry *last_entry(const after_action *aa, int team)
{
    const aa_team *at = &aa->teams[team - 1];
    assert_true(at->nentries > 0);
    return &at->entries[at->nentries - 1];
}

static void clocks_start_at_the_related_inject(void **state)
{
    (void)state;
    scenario *s = load_or_fail(SCENARIO);
    after_action *aa = after_action_new(s, 3, NULL);
    feed(aa, 10, 0, EV_EXERCISE_STATE, NULL, 0, "running", "instructor");
    /* Team 1 answers c2 before its inject fired: not counted, no detection. */
    feed(aa, 30, 1, EV_ANSWER, "c2", 0, "203.0.113.66", "aiko");
    assert_int_equal(last_entry(aa, 1)->outcome, AA_NOT_COUNTED);
    feed(aa, 60, 1, EV_INJECT_FIRED, "infect", 0, NULL, NULL);
    feed(aa, 200, 2, EV_INJECT_FIRED, "infect", 0, NULL, NULL);
    feed(aa, 90, 1, EV_ANSWER, "c2", 0, "10.0.0.1", "ben");
    assert_int_equal(last_entry(aa, 1)->outcome, AA_WRONG);
    feed(aa, 100, 1, EV_CHECK_RESULT, "fixed", 1, "ok", NULL);
    assert_int_equal(last_entry(aa, 1)->outcome, AA_PASSING);
    assert_int_equal(last_entry(aa, 1)->delta, 20);
    feed(aa, 120, 1, EV_ANSWER, "c2", 0, "203.0.113.66", "aiko");
    assert_int_equal(last_entry(aa, 1)->outcome, AA_RIGHT);
    assert_int_equal(last_entry(aa, 1)->total, 30);
    feed(aa, 130, 1, EV_ANSWER, "who", 0, "ws", "ben");
    /* The same check state again makes no line; failing then passing do. */
    size_t lines = aa->teams[0].nentries;
    feed(aa, 140, 1, EV_CHECK_RESULT, "fixed", 1, "ok", NULL);
    assert_int_equal(aa->teams[0].nentries, lines);
    feed(aa, 150, 1, EV_CHECK_RESULT, "fixed", 0, "no", NULL);
    assert_int_equal(last_entry(aa, 1)->outcome, AA_FAILING);
    assert_int_equal(last_entry(aa, 1)->delta, 0);
    /* A report answers when sent, whenever it is graded. */
    feed(aa, 400, 1, EV_REPORT, "memo", 0, "all fixed", "ben");
    feed(aa, 900, 1, EV_GRADE, "memo", 8, "0", "instructor");
    /* Team 2: a hint shows detection before the check passes; a decaying
     * question's clock starts at its decay's inject. */
    feed(aa, 230, 2, EV_HINT, "fix", 0, NULL, "chen");
    assert_int_equal(last_entry(aa, 2)->delta, -3);
    feed(aa, 260, 2, EV_CHECK_RESULT, "fixed", 1, "ok", NULL);
    feed(aa, 200 + 15 * 60, 2, EV_ANSWER, "late", 0, "yes", "chen");
    assert_int_equal(last_entry(aa, 2)->delta, 5); /* half way from full to zero_at */
    feed(aa, 3600, 0, EV_EXERCISE_STATE, NULL, 0, "ended", "instructor");
    after_action_finish(aa);

    const aa_objective *t1 = aa->teams[0].objectives, *t2 = aa->teams[1].objectives,
                       *t3 = aa->teams[2].objectives;
    assert_string_equal(t1[C2].start_inject, "infect");
    assert_int_equal(t1[C2].start_ms, 60000);
    assert_int_equal(after_action_detection_ms(&t1[C2]), 30000); /* the wrong answer */
    assert_int_equal(after_action_response_ms(&t1[C2]), 60000);  /* the right one */
    assert_string_equal(t1[C2].credited, "aiko");
    assert_int_equal(t1[C2].actions, 3);
    assert_int_equal(after_action_detection_ms(&t1[FIX]), 40000);
    assert_int_equal(after_action_response_ms(&t1[FIX]), 40000);
    assert_null(t1[FIX].credited); /* a check: no member's action */
    assert_null(t1[WHO].start_inject);
    assert_int_equal(t1[WHO].start_ms, 10000); /* STARTEX */
    assert_int_equal(after_action_response_ms(&t1[WHO]), 120000);
    assert_int_equal(after_action_response_ms(&t1[MEMO]), 340000);
    assert_string_equal(t1[MEMO].credited, "ben");
    assert_string_equal(t2[LATE].start_inject, "infect");
    assert_int_equal(after_action_response_ms(&t2[LATE]), 15 * 60000);
    assert_int_equal(after_action_detection_ms(&t2[FIX]), 30000);
    assert_int_equal(after_action_response_ms(&t2[FIX]), 60000);
    /* Team 3's inject never fired: no clock, no times. */
    assert_int_equal(t3[C2].start_ms, -1);
    assert_int_equal(after_action_detection_ms(&t3[C2]), -1);
    assert_int_equal(after_action_response_ms(&t3[C2]), -1);

    /* Members in the order they first acted, credited with what they achieved. */
    const aa_team *team1 = &aa->teams[0];
    assert_int_equal(team1->nmembers, 2);
    assert_string_equal(team1->members[0].name, "aiko");
    assert_true(team1->members[0].credited[C2]);
    assert_false(team1->members[1].credited[C2]);
    assert_int_equal(team1->members[1].actions[C2], 1);
    assert_true(team1->members[1].credited[WHO]);
    assert_int_equal(team1->nreports, 1);
    assert_string_equal(team1->reports[0].text, "all fixed");

    /* Scores: team 1 10+20+5+8, team 2 20+5-3; ranks and the summary. */
    assert_int_equal(after_action_score(aa, 1)->total, 43);
    assert_int_equal(after_action_score(aa, 2)->total, 22);
    assert_int_equal(aa->teams[0].rank, 1);
    assert_int_equal(aa->teams[1].rank, 2);
    assert_int_equal(aa->teams[2].rank, 3);
    assert_int_equal(aa->min_total, 0);
    assert_int_equal(aa->max_total, 43);
    assert_true(aa->median_total == 22);
    assert_int_equal(aa->summary[FIX].achieved, 2);
    assert_true(aa->summary[FIX].median_response_ms == 50000); /* 40 s and 60 s */
    assert_true(aa->summary[FIX].median_detection_ms == 35000);
    assert_int_equal(aa->summary[C2].achieved, 1);
    assert_true(aa->summary[MEMO].median_response_ms == 340000);
    assert_true(aa->summary[LATE].median_detection_ms == 15 * 60000);
    assert_int_equal(aa->endex_ms, 3600000);
    assert_int_equal(aa->startex_ms, 10000);
    after_action_free(aa);
    scenario_free(s);
}

static void equal_totals_share_a_rank(void **state)
{
    (void)state;
    scenario *s = load_or_fail(SCENARIO);
    after_action *aa = after_action_new(s, 4, NULL);
    feed(aa, 0, 0, EV_EXERCISE_STATE, NULL, 0, "running", NULL);
    feed(aa, 10, 2, EV_ANSWER, "who", 0, "ws", "a");
    feed(aa, 20, 4, EV_ANSWER, "who", 0, "ws", "b");
    feed(aa, 30, 1, EV_PENALTY, "rules", 2, NULL, "instructor");
    after_action_finish(aa);
    assert_int_equal(aa->teams[1].rank, 1);
    assert_int_equal(aa->teams[3].rank, 1);
    assert_int_equal(aa->teams[2].rank, 3);
    assert_int_equal(aa->teams[0].rank, 4);
    assert_true(aa->median_total == 2.5); /* -2, 0, 5, 5 */
    /* No member for an instructor's action; the penalty is a line of team 1. */
    assert_int_equal(aa->teams[0].nmembers, 0);
    assert_int_equal(last_entry(aa, 1)->delta, -2);
    /* Nobody achieved c2: no median. */
    assert_true(aa->summary[C2].median_response_ms < 0);
    after_action_free(aa);
    scenario_free(s);
}

static void events_of_other_teams_change_nothing(void **state)
{
    (void)state;
    scenario *s = load_or_fail(SCENARIO);
    after_action *aa = after_action_new(s, 1, NULL);
    feed(aa, 0, 0, EV_EXERCISE_STATE, NULL, 0, "running", NULL);
    feed(aa, 10, 7, EV_ANSWER, "who", 0, "ws", "x");
    feed(aa, 20, 1, EV_INJECT_BEGIN, "infect", 0, NULL, NULL);
    after_action_finish(aa);
    assert_int_equal(aa->teams[0].nentries, 1); /* STARTEX only: begin is no line */
    assert_int_equal(aa->teams[0].nmembers, 0);
    after_action_free(aa);
    after_action_free(NULL);
    scenario_free(s);
}

/* STARTEX, a pause, a resume, a change of speed and ENDEX are lines; the
 * same phase at the same speed again is none. */
static void exercise_changes_are_lines(void **state)
{
    (void)state;
    scenario *s = load_or_fail(SCENARIO);
    after_action *aa = after_action_new(s, 1, NULL);
    feed(aa, 5, 0, EV_EXERCISE_STATE, NULL, 1000, "running", NULL);
    feed(aa, 5, 0, EV_EXERCISE_STATE, NULL, 1000, "running", NULL);
    feed(aa, 50, 0, EV_EXERCISE_STATE, NULL, 1000, "paused", NULL);
    feed(aa, 50, 0, EV_EXERCISE_STATE, NULL, 1000, "running", NULL);
    feed(aa, 60, 0, EV_EXERCISE_STATE, NULL, 4000, "running", NULL);
    feed(aa, 90, 0, EV_EXERCISE_STATE, NULL, 4000, "ended", NULL);
    after_action_finish(aa);
    static const char *const lines[] = {"started (STARTEX)", "paused", "resumed", "speed",
                                        "ended (ENDEX)"};
    const aa_team *at = &aa->teams[0];
    assert_int_equal(at->nentries, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(at->entries[i].state, lines[i]);
    assert_int_equal(at->entries[3].value, 4000);
    assert_int_equal(aa->startex_ms, 5000);
    assert_int_equal(aa->endex_ms, 90000);
    after_action_free(aa);
    scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clocks_start_at_the_related_inject),
        cmocka_unit_test(equal_totals_share_a_rank),
        cmocka_unit_test(events_of_other_teams_change_nothing),
        cmocka_unit_test(exercise_changes_are_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
