/* Reports' history, grades and feedback, and the teams' names, as the
 * exercise keeps them: applied from each recorded event, and the same
 * after a restart that replays the ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "exercise.h"
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char SCRIPT[] =
    "enshu: 1\nid: reports\ntitle: Reports\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "objectives:\n"
    "  - {id: q, kind: question, text: '?', answer: {exact: ws}, points: 5}\n"
    "  - {id: r, kind: report, text: 'What happened?',\n"
    "     rubric: [{text: Timeline, points: 5}, {text: Cause, points: 5}]}\n";

static int run_inject(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    return ENSHU_OK;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    *passing = false;
    return ENSHU_OK;
}

static int64_t wall_ms(void *ctx)
{
    return 1000;
}

typedef struct seen {
    int feedback, named;
} seen;

static void on_event(void *ctx, const event *ev)
{
    seen *sn = ctx;
    sn->feedback += ev->kind == EV_FEEDBACK;
    sn->named += ev->kind == EV_TEAM_NAMED;
}

static char *temp_ledger(void)
{
    char dir[] = "/tmp/enshu-team-reports-XXXXXX";
    assert_non_null(mkdtemp(dir));
    return xasprintf("%s/events.db", dir);
}

static int64_t submit_report(exercise *ex, int team, const char *text)
{
    exercise_submission sub = {
        .team = team, .kind = EV_REPORT, .objective = "r", .text = text, .actor = "Aiko"};
    int64_t seq = 0;
    assert_int_equal(exercise_submit(ex, &sub, &seq), ENSHU_OK);
    return seq;
}

static void grade(exercise *ex, int team, const char *item, int points)
{
    exercise_submission sub = {
        .team = team, .kind = EV_GRADE, .objective = "r", .text = item, .value = points};
    assert_int_equal(exercise_submit(ex, &sub, NULL), ENSHU_OK);
}

static void expect_after_restart(exercise *ex, int64_t first, int64_t second)
{
    size_t n;
    const int64_t *seqs = report_book_reports(exercise_reports(ex), 1, 1, &n);
    assert_int_equal(n, 2);
    assert_int_equal(seqs[0], first);
    assert_int_equal(seqs[1], second);
    assert_int_equal(report_book_status(exercise_reports(ex), 1, 1), REPORT_FEEDBACK);
    assert_int_equal(report_book_status(exercise_reports(ex), 2, 1), REPORT_NONE);
    assert_int_equal(grader_team(exercise_grader(ex), 1)->total, 4);
    assert_string_equal(team_names_name(exercise_team_names(ex), 1), "Blue Falcons");
    assert_string_equal(team_names_organisation(exercise_team_names(ex), 1), "Ministry of ICT");
    assert_string_equal(team_names_name(exercise_team_names(ex), 2), "Red Herons");
    assert_null(team_names_organisation(exercise_team_names(ex), 2));
}

static void feedback_and_names_survive_a_restart(void **state)
{
    scenario *s = load_or_fail(SCRIPT);
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    seen sn = {0};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, on_event, &sn, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    team_names *roster = team_names_new(2);
    assert_int_equal(team_names_set(roster, 1, "Falcons", NULL), ENSHU_OK);
    assert_int_equal(team_names_set(roster, 2, "Red Herons", NULL), ENSHU_OK);
    exercise_set_team_names(ex, roster);
    assert_int_equal(exercise_resume(ex), ENSHU_OK);
    assert_int_equal(exercise_start(ex), ENSHU_OK);

    assert_int_equal(report_book_status(exercise_reports(ex), 1, 1), REPORT_NONE);
    int64_t first = submit_report(ex, 1, "It was phishing.");
    assert_int_equal(report_book_status(exercise_reports(ex), 1, 1), REPORT_SUBMITTED);
    grade(ex, 1, "0", 4);
    assert_int_equal(report_book_status(exercise_reports(ex), 1, 1), REPORT_GRADED);
    int64_t second = submit_report(ex, 1, "It was phishing, from a lookalike domain.");
    /* A new report is waiting again. */
    assert_int_equal(report_book_status(exercise_reports(ex), 1, 1), REPORT_SUBMITTED);

    /* Feedback only on a report of that team and objective. */
    int64_t seq = 0;
    assert_int_equal(exercise_feedback(ex, 2, "r", second, "?", "instructor", NULL),
                     ENSHU_ENOTFOUND);
    assert_int_equal(exercise_feedback(ex, 1, "q", second, "?", "instructor", NULL),
                     ENSHU_ENOTFOUND);
    assert_int_equal(exercise_feedback(ex, 1, "r", second + 100, "?", "instructor", NULL),
                     ENSHU_ENOTFOUND);
    assert_int_equal(exercise_feedback(ex, 1, "ghost", second, "?", "instructor", NULL),
                     ENSHU_ENOTFOUND);
    assert_int_equal(exercise_feedback(ex, 1, "r", second, "", "instructor", NULL), ENSHU_EINVAL);
    /* Feedback on the older report leaves the newer one waiting. */
    assert_int_equal(exercise_feedback(ex, 1, "r", first, "Name the sender.", "instructor", &seq),
                     ENSHU_OK);
    assert_true(seq > second);
    assert_int_equal(report_book_status(exercise_reports(ex), 1, 1), REPORT_SUBMITTED);
    assert_int_equal(
        exercise_feedback(ex, 1, "r", second, "Good: now the timeline.", "instructor", NULL),
        ENSHU_OK);
    assert_int_equal(report_book_status(exercise_reports(ex), 1, 1), REPORT_FEEDBACK);
    assert_int_equal(sn.feedback, 2);

    /* Names: checked, unique, and the roster's replaced. */
    assert_int_equal(exercise_name_team(ex, 1, "Red Herons", NULL, "instructor", NULL),
                     ENSHU_EEXIST);
    assert_int_equal(exercise_name_team(ex, 1, "", NULL, "instructor", NULL), ENSHU_EINVAL);
    assert_int_equal(exercise_name_team(ex, 3, "Three", NULL, "instructor", NULL), ENSHU_ENOTFOUND);
    assert_int_equal(
        exercise_name_team(ex, 1, "Blue Falcons", "Ministry of ICT", "instructor", NULL), ENSHU_OK);
    assert_int_equal(sn.named, 1);
    expect_after_restart(ex, first, second);
    exercise_free(ex);
    event_store_free(ledger);

    /* A restart with the same roster: the ledger's name wins, the rest
     * comes back as it was. */
    assert_int_equal(event_store_open(path, false, &ledger), ENSHU_OK);
    ex = exercise_new(s, 2, ledger, &hooks);
    exercise_set_team_names(ex, roster);
    assert_int_equal(exercise_resume(ex), ENSHU_OK);
    expect_after_restart(ex, first, second);
    exercise_free(ex);
    event_store_free(ledger);
    team_names_free(roster);
    unlink(path);
    free(path);
    scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(feedback_and_names_survive_a_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
