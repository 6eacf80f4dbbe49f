/* A team's progress: what the grader records of it (questions answered
 * right or wrong, reports, hints, team requests with their costs, decay on
 * questions), the conditions of injects that wait on it (evaluated on an
 * injected exercise time, with for/within and their explanations), and
 * team requests in a running exercise: asked, approved or refused, the
 * injects they fire, and the same state rebuilt from the ledger. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "exercise.h"
#include "grader.h"
#include "test_support.h"
#include "timeline.h"

#include <stdio.h>
#include <unistd.h>

#define MIN 60000

static const char PROGRESS[] =
    "enshu: 1\nid: progress\ntitle: Progress\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "injects:\n"
    "  - {id: infect, at: 1m, target: ws, run: 'start beacon'}\n" /* 0 */
    "  - {id: praise, when: {objective: zero}, note: n}\n"        /* 1 */
    "  - {id: nudge, when: {answered: {objective: zero, right: false}, for: 5m}, note: n}\n"
    "  - {id: tried, when: {answered: zero}, note: n}\n"                           /* 3 */
    "  - {id: reported, when: {report: rep, within: 30m}, note: n}\n"              /* 4 */
    "  - {id: second-hint, when: {hint: {objective: zero, number: 2}}, note: n}\n" /* 5 */
    "  - {id: any-hint, when: {hint: zero}, note: n}\n"                            /* 6 */
    "  - {id: reimaged, manual: true, target: ws, run: 'reimage'}\n"               /* 7 */
    "  - {id: asked, when: {request: {id: reimage, state: asked}}, note: n}\n"     /* 8 */
    "  - {id: refused, when: {request: {id: reimage, state: refused}}, note: n}\n" /* 9 */
    "  - {id: called, when: {request: call}, message: {from: boss, subject: s, body: b}}\n"
    "checks:\n"
    "  - {id: stopped, node: ws, command: '! pgrep beacon'}\n"
    "requests:\n"
    "  - {id: reimage, title: Re-image ws, fires: [reimaged], cost: 4, limit: 2}\n"
    "  - {id: call, title: Call management, approval: auto, cost: 1}\n"
    "objectives:\n"
    "  - id: zero\n"
    "    kind: question\n"
    "    text: 'Patient zero?'\n"
    "    answer: {nocase: ws}\n"
    "    points: 10\n"
    "    decay: {from: infect, full: 10m, zero_at: 30m, floor: 2}\n"
    "    hints: [{text: a, cost: 1}, {text: b, cost: 2}]\n"
    "  - {id: stop, kind: check, check: stopped, points: 5}\n"
    "  - {id: rep, kind: report, rubric: [{text: t, points: 5}]}\n";

enum {
    INFECT,
    PRAISE,
    NUDGE,
    TRIED,
    REPORTED,
    SECOND_HINT,
    ANY_HINT,
    REIMAGED,
    ASKED,
    REFUSED,
    CALLED
};

static event ev(int team, int64_t at, event_kind kind, const char *subject, int64_t value,
                const char *text)
{
    event e = {.team = team,
               .at_ms = at,
               .wall_ms = at,
               .kind = kind,
               .subject = subject,
               .value = value,
               .text = text};
    return e;
}

/* A grader and team 1's timeline watching its score, fed the same events
 * as the exercise feeds them. */
typedef struct world {
    scenario *s;
    grader *g;
    timeline *tl;
} world;

static world world_new(void)
{
    world w = {.s = load_or_fail(PROGRESS)};
    w.g = grader_new(w.s, 2);
    w.tl = timeline_new(w.s);
    timeline_watch_progress(w.tl, grader_team(w.g, 1));
    return w;
}

static void world_free(world *w)
{
    timeline_free(w->tl);
    grader_free(w->g);
    scenario_free(w->s);
}

static void happen(world *w, event e)
{
    if (e.kind == EV_INJECT_FIRED)
        timeline_inject_done(w->tl, (size_t)(scenario_inject(w->s, e.subject) - w->s->injects),
                             INJECT_FIRED, e.at_ms);
    grader_apply(w->g, &e);
}

static bool is_due(const timeline *tl, size_t inject_i, int64_t now)
{
    size_t out[16];
    size_t n = timeline_due(tl, now, out, 16);
    for (size_t k = 0; k < n && k < 16; k++)
        if (out[k] == inject_i)
            return true;
    return false;
}

static void expect_explain(timeline *tl, size_t i, int64_t now, const char *want)
{
    char *why = timeline_explain(tl, i, now, TIMELINE_RUNNING);
    if (strcmp(why, want) != 0)
        fail_msg("inject %zu: '%s', expected '%s'", i, why, want);
    free(why);
}

/* Answers: any answer, a wrong one (held 5 minutes), then the right one. */
static void answers_move_conditions(void **state)
{
    world w = world_new();
    happen(&w, ev(1, 1 * MIN, EV_INJECT_FIRED, "infect", 0, NULL));
    assert_false(is_due(w.tl, TRIED, 2 * MIN));
    expect_explain(w.tl, TRIED, 2 * MIN, "waiting for question zero not answered");
    happen(&w, ev(1, 3 * MIN, EV_ANSWER, "zero", 0, "pc9"));
    assert_true(is_due(w.tl, TRIED, 3 * MIN));
    assert_false(is_due(w.tl, PRAISE, 3 * MIN));
    /* "for: 5m" counts from the wrong answer, and says when it will hold. */
    assert_false(is_due(w.tl, NUDGE, 7 * MIN));
    assert_int_equal(timeline_next_wakeup(w.tl, 7 * MIN), 8 * MIN);
    assert_true(is_due(w.tl, NUDGE, 8 * MIN));
    happen(&w, ev(1, 9 * MIN, EV_ANSWER, "zero", 0, " WS "));
    assert_true(is_due(w.tl, PRAISE, 9 * MIN));
    const objective_score *os = &grader_team(w.g, 1)->objectives[0];
    assert_true(os->answered.happened);
    assert_int_equal(os->answered.at_ms, 3 * MIN); /* the first answer */
    assert_int_equal(os->answered_wrong.at_ms, 3 * MIN);
    assert_int_equal(os->reached.at_ms, 9 * MIN);
    /* Team 2 has done nothing: its progress is its own. */
    assert_false(grader_team(w.g, 2)->objectives[0].answered.happened);
    world_free(&w);
}

/* A right answer at once is never a wrong one. */
static void a_right_first_answer_is_not_wrong(void **state)
{
    world w = world_new();
    happen(&w, ev(1, 2 * MIN, EV_ANSWER, "zero", 0, "ws"));
    assert_true(is_due(w.tl, PRAISE, 2 * MIN));
    assert_true(is_due(w.tl, TRIED, 2 * MIN));
    assert_false(is_due(w.tl, NUDGE, 60 * MIN));
    expect_explain(w.tl, NUDGE, 60 * MIN, "waiting for question zero not answered wrong for 5m");
    world_free(&w);
}

/* Reports (within 30 minutes of STARTEX) and hints (any, or the second). */
static void reports_and_hints_move_conditions(void **state)
{
    world w = world_new();
    happen(&w, ev(1, 10 * MIN, EV_HINT, "zero", 0, NULL));
    assert_true(is_due(w.tl, ANY_HINT, 10 * MIN));
    assert_false(is_due(w.tl, SECOND_HINT, 10 * MIN));
    expect_explain(w.tl, SECOND_HINT, 10 * MIN, "waiting for hint 2 of zero not taken");
    happen(&w, ev(1, 12 * MIN, EV_HINT, "zero", 1, NULL));
    assert_true(is_due(w.tl, SECOND_HINT, 12 * MIN));
    assert_int_equal(grader_team(w.g, 1)->total, -3);
    /* A report handed in after 'within' counts for nothing. */
    happen(&w, ev(1, 31 * MIN, EV_REPORT, "rep", 0, "what we did"));
    assert_true(grader_team(w.g, 1)->objectives[2].reported.happened);
    assert_false(is_due(w.tl, REPORTED, 31 * MIN));
    world_free(&w);
}

static void reports_within_their_time_count(void **state)
{
    world w = world_new();
    happen(&w, ev(1, 20 * MIN, EV_REPORT, "rep", 0, "what we did"));
    assert_true(is_due(w.tl, REPORTED, 20 * MIN));
    /* An objective achieved by a check passing. */
    happen(&w, ev(1, 21 * MIN, EV_CHECK_RESULT, "stopped", 1, NULL));
    assert_true(grader_team(w.g, 1)->objectives[1].reached.happened);
    world_free(&w);
}

/* A question's decay is measured at its first right answer. */
static void questions_decay(void **state)
{
    world w = world_new();
    happen(&w, ev(1, 1 * MIN, EV_INJECT_FIRED, "infect", 0, NULL));
    happen(&w, ev(2, 1 * MIN, EV_INJECT_FIRED, "infect", 0, NULL));
    /* Team 1: 20 minutes after the infection, halfway from full to zero_at. */
    happen(&w, ev(1, 5 * MIN, EV_ANSWER, "zero", 0, "wrong"));
    happen(&w, ev(1, 21 * MIN, EV_ANSWER, "zero", 0, "ws"));
    assert_int_equal(grader_team(w.g, 1)->objectives[0].points, 6);
    /* Team 2, within 'full': every point. */
    happen(&w, ev(2, 11 * MIN, EV_ANSWER, "zero", 0, "ws"));
    assert_int_equal(grader_team(w.g, 2)->objectives[0].points, 10);
    assert_int_equal(grader_decayed_points(&w.s->objectives[0], 29 * MIN), 2);
    world_free(&w);
}

/* Requests: an instructor's one waits, one ask at a time, within its
 * limit (refused asks do not count); approval costs its points; an auto
 * one is approved when asked. */
static void requests_are_asked_then_decided(void **state)
{
    world w = world_new();
    const request_score *rs = &grader_team(w.g, 1)->requests[0];
    assert_false(is_due(w.tl, ASKED, 1 * MIN));
    expect_explain(w.tl, ASKED, 1 * MIN, "waiting for request reimage not asked");
    happen(&w, ev(1, 2 * MIN, EV_REQUEST, "reimage", 0, "ws is lost"));
    assert_true(rs->pending);
    assert_true(is_due(w.tl, ASKED, 2 * MIN));
    happen(&w, ev(1, 3 * MIN, EV_REQUEST, "reimage", 0, NULL)); /* a second ask meanwhile */
    assert_int_equal(rs->asked, 1);
    happen(&w, ev(1, 4 * MIN, EV_REQUEST_DECIDED, "reimage", 0, "not yet"));
    assert_false(rs->pending);
    assert_true(is_due(w.tl, REFUSED, 4 * MIN));
    assert_int_equal(grader_team(w.g, 1)->total, 0);
    happen(&w, ev(1, 5 * MIN, EV_REQUEST_DECIDED, "reimage", 1, NULL)); /* nothing waits */
    assert_int_equal(rs->approved, 0);
    happen(&w, ev(1, 6 * MIN, EV_REQUEST, "reimage", 0, NULL));
    happen(&w, ev(1, 7 * MIN, EV_REQUEST_DECIDED, "reimage", 1, "on its way"));
    assert_int_equal(rs->approved, 1);
    assert_int_equal(rs->first_approved.at_ms, 7 * MIN);
    assert_int_equal(grader_team(w.g, 1)->total, -4);
    /* Limit 2: the refused ask does not count, so one more may come. */
    happen(&w, ev(1, 8 * MIN, EV_REQUEST, "reimage", 0, NULL));
    happen(&w, ev(1, 9 * MIN, EV_REQUEST_DECIDED, "reimage", 1, NULL));
    happen(&w, ev(1, 10 * MIN, EV_REQUEST, "reimage", 0, NULL));
    assert_int_equal(rs->asked, 3);
    assert_false(rs->pending);
    assert_int_equal(grader_team(w.g, 1)->total, -8);
    /* Auto: approved when asked. */
    assert_false(is_due(w.tl, CALLED, 10 * MIN));
    happen(&w, ev(1, 11 * MIN, EV_REQUEST, "call", 0, NULL));
    assert_true(is_due(w.tl, CALLED, 11 * MIN));
    assert_int_equal(grader_team(w.g, 1)->request_cost, 9);
    assert_int_equal(grader_team(w.g, 1)->total, -9);
    world_free(&w);
}

/* ---- in a running exercise ---- */

typedef struct fake {
    const scenario *s;
    int64_t wall;
    int runs[3][16]; /* [team][inject] */
} fake;

static int run_inject(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    fake *f = ctx;
    f->runs[team][inj - f->s->injects]++;
    return ENSHU_OK;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    *passing = false; /* the beacon runs on */
    return ENSHU_OK;
}

static int64_t wall_ms(void *ctx)
{
    return ((fake *)ctx)->wall;
}

static void run_until(exercise *ex, fake *f, int64_t wall)
{
    while (f->wall < wall) {
        int64_t next = exercise_step(ex);
        f->wall = next < wall ? (next > f->wall ? next : f->wall + 1) : wall;
    }
    exercise_step(ex);
}

static char *temp_ledger(void)
{
    char dir[] = "/tmp/enshu-progress-XXXXXX";
    assert_non_null(mkdtemp(dir));
    return xasprintf("%s/events.db", dir);
}

/* Team 1 asks for a re-image: nothing fires until an instructor approves,
 * then the inject it names fires for team 1 only; a second ask waits
 * behind none; team 2's auto request fires its inject at once. A fresh
 * exercise rebuilt from the ledger (the recovery path) sees the same. */
static void requests_fire_injects_live_and_after_recovery(void **state)
{
    scenario *s = load_or_fail(PROGRESS);
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    fake f = {.s = s};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, NULL, &f, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    /* Not before STARTEX. */
    assert_int_equal(exercise_request_ask(ex, 1, "reimage", NULL, "Aiko", NULL), ENSHU_EPHASE);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    run_until(ex, &f, 2 * MIN);
    assert_int_equal(exercise_request_ask(ex, 1, "nope", NULL, "Aiko", NULL), ENSHU_ENOTFOUND);
    assert_int_equal(exercise_request_ask(ex, 3, "reimage", NULL, "Aiko", NULL), ENSHU_ENOTFOUND);
    assert_int_equal(exercise_request_decide(ex, 1, "reimage", true, NULL, "instructor"),
                     ENSHU_EEXIST); /* nothing asked */
    int64_t seq = 0;
    assert_int_equal(exercise_request_ask(ex, 1, "reimage", "ws is lost", "Aiko", &seq), ENSHU_OK);
    assert_true(seq > 0);
    assert_int_equal(exercise_request_ask(ex, 1, "reimage", NULL, "Ken", NULL), ENSHU_EEXIST);
    run_until(ex, &f, 3 * MIN);
    assert_int_equal(f.runs[1][REIMAGED], 0);
    assert_int_equal(f.runs[1][ASKED], 1);
    assert_int_equal(exercise_request_decide(ex, 1, "reimage", true, "on its way", "instructor"),
                     ENSHU_OK);
    run_until(ex, &f, 3 * MIN + 10);
    assert_int_equal(f.runs[1][REIMAGED], 1);
    assert_int_equal(f.runs[2][REIMAGED], 0);
    assert_int_equal(exercise_request_decide(ex, 1, "reimage", false, NULL, "instructor"),
                     ENSHU_EEXIST); /* decided already */
    /* Team 2: an auto request, approved when asked; limit 1. */
    assert_int_equal(exercise_request_ask(ex, 2, "call", NULL, "Mei", NULL), ENSHU_OK);
    run_until(ex, &f, 4 * MIN);
    assert_int_equal(f.runs[2][CALLED], 1);
    assert_int_equal(exercise_request_ask(ex, 2, "call", NULL, "Mei", NULL), ENSHU_EEXIST);
    /* Team 2 answers wrong: 5 minutes later the nudge fires. */
    exercise_submission sub = {.team = 2, .kind = EV_ANSWER, .objective = "zero", .text = "pc"};
    assert_int_equal(exercise_submit(ex, &sub, NULL), ENSHU_OK);
    run_until(ex, &f, 9 * MIN + 10);
    assert_int_equal(f.runs[2][NUDGE], 1);
    assert_int_equal(f.runs[1][NUDGE], 0);
    int total1 = grader_team(exercise_grader(ex), 1)->total;
    int total2 = grader_team(exercise_grader(ex), 2)->total;
    assert_int_equal(total1, -4);
    assert_int_equal(total2, -1);
    exercise_free(ex);

    /* Recovery: the same state from the ledger alone, and nothing runs twice. */
    int runs_before[3][16];
    memcpy(runs_before, f.runs, sizeof runs_before);
    ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_resume(ex), ENSHU_OK);
    for (int t = 1; t <= 2; t++)
        for (size_t i = 0; i < s->ninjects; i++)
            assert_int_equal(timeline_state(exercise_timeline(ex, t), i) == INJECT_FIRED,
                             runs_before[t][i] > 0);
    assert_int_equal(grader_team(exercise_grader(ex), 1)->total, total1);
    assert_int_equal(grader_team(exercise_grader(ex), 2)->total, total2);
    assert_int_equal(grader_team(exercise_grader(ex), 1)->requests[0].approved, 1);
    run_until(ex, &f, 20 * MIN);
    for (int t = 1; t <= 2; t++)
        for (size_t i = 0; i < s->ninjects; i++)
            if (i != PRAISE && i != TRIED)
                assert_int_equal(f.runs[t][i], runs_before[t][i]);
    /* A second ask within the limit, refused: the refusal fires its inject. */
    assert_int_equal(exercise_request_ask(ex, 1, "reimage", NULL, "Aiko", NULL), ENSHU_OK);
    assert_int_equal(exercise_request_decide(ex, 1, "reimage", false, "no", "instructor"),
                     ENSHU_OK);
    run_until(ex, &f, 21 * MIN);
    assert_int_equal(f.runs[1][REFUSED], 1);
    assert_int_equal(f.runs[1][REIMAGED], 1); /* an inject fires once */
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_move_conditions),
        cmocka_unit_test(a_right_first_answer_is_not_wrong),
        cmocka_unit_test(reports_and_hints_move_conditions),
        cmocka_unit_test(reports_within_their_time_count),
        cmocka_unit_test(questions_decay),
        cmocka_unit_test(requests_are_asked_then_decided),
        cmocka_unit_test(requests_fire_injects_live_and_after_recovery),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
