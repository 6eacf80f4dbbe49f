/* A self-paced course's exercise: each team slot's timeline runs on its
 * own clock from the moment its trainee starts, stands while they are away
 * when the scenario says so, and every clock comes back from the ledger
 * after a crash. Fake guests and an injected wall clock: no sleeps. */
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

#define MIN 60000

/* A mail at 5m of the team's time and a question; while_away filled in. */
static const char SCRIPT[] =
    "enshu: 1\nid: course\ntitle: Course\n"
    "self_paced: {while_away: %s}\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "injects:\n"
    "  - {id: mail, at: 5m, message: {from: a, subject: s, body: b}}\n"
    "objectives:\n"
    "  - {id: q, kind: question, text: '?', answer: {exact: ws}, points: 5}\n";

typedef struct fake {
    int64_t wall;
    int64_t fired_wall[3]; /* per team: wall time its mail was sent, -1 not yet */
} fake;

static int run_inject(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    fake *f = ctx;
    (void)inj;
    f->fired_wall[team] = f->wall;
    out->output = xstrdup("sent");
    return ENSHU_OK;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    (void)ctx, (void)team, (void)c, (void)output;
    *passing = false;
    return ENSHU_OK;
}

static int64_t wall_ms(void *ctx)
{
    return ((fake *)ctx)->wall;
}

typedef struct course {
    scenario *s;
    char *path;
    event_store *ledger;
    fake f;
    exercise_hooks hooks;
    exercise *ex;
} course;

static void course_open(course *c, const char *while_away)
{
    char *text = xasprintf(SCRIPT, while_away);
    c->s = load_or_fail(text);
    free(text);
    char dir[] = "/tmp/enshu-course-XXXXXX";
    assert_non_null(mkdtemp(dir));
    c->path = xasprintf("%s/events.db", dir);
    assert_int_equal(event_store_open(c->path, true, &c->ledger), ENSHU_OK);
    c->f = (fake){.fired_wall = {-1, -1, -1}};
    c->hooks = (exercise_hooks){run_inject, run_check, wall_ms, NULL, &c->f, 0};
    c->ex = exercise_new(c->s, 2, c->ledger, &c->hooks);
    exercise_set_self_paced(c->ex);
}

static void course_close(course *c)
{
    exercise_free(c->ex);
    event_store_free(c->ledger);
    unlink(c->path);
    free(c->path);
    scenario_free(c->s);
}

/* Steps as the engine's loop would, waking when exercise_step says. */
static void run_until(course *c, int64_t wall)
{
    while (c->f.wall < wall) {
        int64_t next = exercise_step(c->ex);
        c->f.wall = next < wall ? (next > c->f.wall ? next : c->f.wall + 1) : wall;
    }
    exercise_step(c->ex);
}

static int answer(exercise *ex, int team)
{
    exercise_submission sub = {
        .team = team, .kind = EV_ANSWER, .objective = "q", .text = "nope", .actor = "trainee"};
    return exercise_submit(ex, &sub, NULL);
}

static void each_team_runs_on_its_own_clock(void **state)
{
    (void)state;
    course c;
    course_open(&c, "run");
    /* Nobody has started: nothing is due, and nobody may answer. */
    assert_int_equal(exercise_step(c.ex), INT64_MAX);
    assert_int_equal(answer(c.ex, 1), ENSHU_EPHASE);
    /* Trainee 1 begins at 1m, trainee 2 at 4m of the wall. */
    c.f.wall = 1 * MIN;
    assert_int_equal(exercise_team_control(c.ex, 1, EXERCISE_START, "ann"), ENSHU_OK);
    assert_int_equal(exercise_team_phase(c.ex, 1), PHASE_RUNNING);
    assert_int_equal(exercise_team_phase(c.ex, 2), PHASE_READY);
    assert_int_equal(exercise_step(c.ex), 6 * MIN); /* team 1's mail, at its 5m */
    assert_int_equal(answer(c.ex, 1), ENSHU_OK);
    assert_int_equal(answer(c.ex, 2), ENSHU_EPHASE);
    /* Starting twice is refused. */
    assert_int_equal(exercise_team_control(c.ex, 1, EXERCISE_START, "ann"), ENSHU_EINVAL);
    c.f.wall = 4 * MIN;
    assert_int_equal(exercise_team_control(c.ex, 2, EXERCISE_START, "bob"), ENSHU_OK);
    assert_int_equal(exercise_team_now(c.ex, 1), 3 * MIN);
    assert_int_equal(exercise_team_now(c.ex, 2), 0);
    run_until(&c, 6 * MIN);
    assert_int_equal(c.f.fired_wall[1], 6 * MIN);
    assert_int_equal(c.f.fired_wall[2], -1);
    run_until(&c, 9 * MIN);
    assert_int_equal(c.f.fired_wall[2], 9 * MIN);
    /* The class's clock never moved: the course is not a class. */
    assert_int_equal(exercise_get_phase(c.ex), PHASE_READY);
    /* Ending one trainee's clock leaves the other's running. */
    assert_int_equal(exercise_team_control(c.ex, 1, EXERCISE_END, "ann"), ENSHU_OK);
    assert_int_equal(answer(c.ex, 1), ENSHU_EPHASE);
    assert_int_equal(answer(c.ex, 2), ENSHU_OK);
    /* Closing the course (the class's END) ends every team. */
    assert_int_equal(exercise_control(c.ex, EXERCISE_END, 0, "teacher"), ENSHU_OK);
    assert_int_equal(exercise_team_phase(c.ex, 2), PHASE_ENDED);
    assert_int_equal(answer(c.ex, 2), ENSHU_EPHASE);
    assert_int_equal(exercise_step(c.ex), INT64_MAX);
    course_close(&c);
}

/* A ledger's timestamps are each team's own time: team 2's mail is at its 5m. */
static int find_mail(const event *ev, void *arg)
{
    int64_t *at = arg;
    if (ev->kind == EV_INJECT_FIRED && ev->team == 2)
        *at = ev->at_ms;
    return 0;
}

static void events_carry_the_teams_time(void **state)
{
    (void)state;
    course c;
    course_open(&c, "run");
    c.f.wall = 10 * MIN;
    assert_int_equal(exercise_team_control(c.ex, 2, EXERCISE_START, "bob"), ENSHU_OK);
    run_until(&c, 16 * MIN);
    assert_int_equal(c.f.fired_wall[2], 15 * MIN);
    assert_int_equal(c.f.fired_wall[1], -1);
    int64_t at = -1;
    assert_int_equal(event_store_scan(c.ledger, 0, find_mail, &at), ENSHU_OK);
    assert_int_equal(at, 5 * MIN);
    course_close(&c);
}

static void away_pauses_when_the_scenario_says_so(void **state)
{
    (void)state;
    course c;
    course_open(&c, "pause");
    assert_int_equal(exercise_team_control(c.ex, 1, EXERCISE_START, "ann"), ENSHU_OK);
    c.f.wall = 2 * MIN;
    assert_int_equal(exercise_team_away(c.ex, 1, true, "ann"), ENSHU_OK);
    assert_int_equal(exercise_team_phase(c.ex, 1), PHASE_PAUSED);
    assert_int_equal(exercise_team_away(c.ex, 1, true, "ann"), ENSHU_EEXIST);
    assert_int_equal(exercise_step(c.ex), INT64_MAX); /* the only clock stands */
    run_until(&c, 10 * MIN);
    assert_int_equal(c.f.fired_wall[1], -1);
    assert_int_equal(answer(c.ex, 1), ENSHU_EPHASE);
    assert_int_equal(exercise_team_away(c.ex, 1, false, "ann"), ENSHU_OK);
    assert_int_equal(exercise_team_now(c.ex, 1), 2 * MIN);
    run_until(&c, 14 * MIN);
    assert_int_equal(c.f.fired_wall[1], 13 * MIN);
    /* A trainee who never started has no clock to pause. */
    assert_int_equal(exercise_team_away(c.ex, 2, true, "bob"), ENSHU_EEXIST);
    course_close(&c);
}

static void away_runs_on_by_default(void **state)
{
    (void)state;
    course c;
    course_open(&c, "run");
    assert_int_equal(exercise_team_control(c.ex, 1, EXERCISE_START, "ann"), ENSHU_OK);
    c.f.wall = 2 * MIN;
    assert_int_equal(exercise_team_away(c.ex, 1, true, "ann"), ENSHU_EEXIST);
    run_until(&c, 6 * MIN);
    assert_int_equal(c.f.fired_wall[1], 5 * MIN);
    course_close(&c);
}

static void clocks_come_back_from_the_ledger(void **state)
{
    (void)state;
    course c;
    course_open(&c, "pause");
    assert_int_equal(exercise_team_control(c.ex, 1, EXERCISE_START, "ann"), ENSHU_OK);
    c.f.wall = 3 * MIN;
    assert_int_equal(exercise_team_control(c.ex, 2, EXERCISE_START, "bob"), ENSHU_OK);
    c.f.wall = 4 * MIN;
    assert_int_equal(exercise_team_away(c.ex, 2, true, "bob"), ENSHU_OK);
    /* The engine stops; a new one reads the ledger at 7m. */
    exercise_free(c.ex);
    c.f.wall = 7 * MIN;
    c.ex = exercise_new(c.s, 2, c.ledger, &c.hooks);
    exercise_set_self_paced(c.ex);
    assert_int_equal(exercise_resume(c.ex), ENSHU_OK);
    assert_int_equal(exercise_team_phase(c.ex, 1), PHASE_RUNNING);
    assert_int_equal(exercise_team_phase(c.ex, 2), PHASE_PAUSED);
    assert_int_equal(exercise_team_now(c.ex, 1), 7 * MIN);
    assert_int_equal(exercise_team_now(c.ex, 2), 1 * MIN);
    assert_int_equal(exercise_get_phase(c.ex), PHASE_READY);
    /* Team 1's mail was due at 5m of its time: it is sent at once. */
    run_until(&c, 7 * MIN);
    assert_int_equal(c.f.fired_wall[1], 7 * MIN);
    assert_int_equal(c.f.fired_wall[2], -1);
    course_close(&c);
}

static void a_class_has_no_team_clocks(void **state)
{
    (void)state;
    course c;
    course_open(&c, "pause");
    exercise_free(c.ex);
    c.ex = exercise_new(c.s, 2, c.ledger, &c.hooks); /* not set self-paced */
    assert_false(exercise_self_paced(c.ex));
    assert_int_equal(exercise_team_control(c.ex, 1, EXERCISE_START, "ann"), ENSHU_EINVAL);
    assert_int_equal(exercise_team_away(c.ex, 1, true, "ann"), ENSHU_EEXIST);
    assert_int_equal(exercise_team_control(c.ex, 0, EXERCISE_START, "teacher"), ENSHU_OK);
    assert_int_equal(exercise_team_phase(c.ex, 1), PHASE_RUNNING);
    c.f.wall = 2 * MIN;
    assert_int_equal(exercise_team_now(c.ex, 2), 2 * MIN);
    run_until(&c, 5 * MIN);
    assert_int_equal(c.f.fired_wall[1], 5 * MIN);
    assert_int_equal(c.f.fired_wall[2], 5 * MIN);
    course_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_team_runs_on_its_own_clock),
        cmocka_unit_test(events_carry_the_teams_time),
        cmocka_unit_test(away_pauses_when_the_scenario_says_so),
        cmocka_unit_test(away_runs_on_by_default),
        cmocka_unit_test(clocks_come_back_from_the_ledger),
        cmocka_unit_test(a_class_has_no_team_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
