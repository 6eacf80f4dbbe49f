/* The running exercise on fake guests and an injected clock: firing,
 * per-team triggers, pause, and recovery from a crash without running any
 * inject twice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "exercise.h"
#include "monotonic_cond.h"
#include "node_ref.h"
#include "test_support.h"
#include "variation.h"

#include <pthread.h>
#include <sqlite3.h>
#include <time.h>
#include <stdio.h>
#include <unistd.h>

#define MIN 60000

static const char SCRIPT[] =
    "enshu: 1\nid: run\ntitle: Run\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "injects:\n"
    "  - {id: mail, at: 5m, message: {from: a, subject: s, body: b}}\n"
    "  - {id: malware, after: mail, target: ws, run: 'start beacon'}\n"
    "  - {id: leak, when: {check: beacon, for: 10m}, target: ws, run: 'send data'}\n"
    "checks:\n"
    "  - {id: beacon, node: ws, command: 'pgrep beacon', interval: 1m}\n"
    "objectives:\n"
    "  - {id: stop, kind: check, check: stopped, after: malware, points: 20}\n"
    "  - {id: q, kind: question, text: '?', answer: {exact: ws}, points: 5}\n";

/* Appended to SCRIPT's checks by the loader: a check objective needs one. */
static const char EXTRA_CHECK[] = "  - {id: stopped, node: ws, command: '! pgrep beacon'}\n";

typedef struct fake {
    int64_t wall;
    bool instant_defense[3]; /* per team: undoes the malware before any probe */
    int runs[3][3];          /* [team][inject] */
    bool beacon[3];          /* per team: is the beacon running? */
    int events;
    int answers_seen; /* EV_ANSWER events told to on_event */
    int releases_seen;
} fake;

static int run_inject(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    fake *f = ctx;
    size_t i = strcmp(inj->id, "mail") == 0 ? 0 : strcmp(inj->id, "malware") == 0 ? 1 : 2;
    f->runs[team][i]++;
    if (i == 1)
        f->beacon[team] = !f->instant_defense[team];
    out->output = xstrdup("done");
    return ENSHU_OK;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    fake *f = ctx;
    *passing = strcmp(c->id, "beacon") == 0 ? f->beacon[team] : !f->beacon[team];
    return ENSHU_OK;
}

static int64_t wall_ms(void *ctx)
{
    return ((fake *)ctx)->wall;
}

static void on_event(void *ctx, const event *ev)
{
    fake *f = ctx;
    f->events++;
    f->answers_seen += ev->kind == EV_ANSWER;
    f->releases_seen += ev->kind == EV_INJECT_RELEASED;
}

static scenario *load_script(void)
{
    char *text = xasprintf("%s%s", SCRIPT, "");
    char *at = strstr(text, "objectives:");
    char *full = xasprintf("%.*s%s%s", (int)(at - text), text, EXTRA_CHECK, at);
    scenario *s = load_or_fail(full);
    free(text);
    free(full);
    return s;
}

static char *temp_ledger(void)
{
    char dir[] = "/tmp/enshu-exercise-XXXXXX";
    assert_non_null(mkdtemp(dir));
    return xasprintf("%s/events.db", dir);
}

static void run_until(exercise *ex, fake *f, int64_t wall)
{
    while (f->wall < wall) {
        int64_t next = exercise_step(ex);
        f->wall = next < wall ? (next > f->wall ? next : f->wall + 1) : wall;
    }
    exercise_step(ex);
}

static void injects_fire_per_team_on_time(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    fake f = {0};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, on_event, &f, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_step(ex), INT64_MAX); /* nothing before STARTEX */
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    assert_int_equal(exercise_start(ex), ENSHU_EINVAL);
    run_until(ex, &f, 4 * MIN);
    assert_int_equal(f.runs[1][0], 0);
    run_until(ex, &f, 5 * MIN);
    /* The mail, then at once the malware chained after it, for each team. */
    for (int t = 1; t <= 2; t++) {
        assert_int_equal(f.runs[t][0], 1);
        assert_int_equal(f.runs[t][1], 1);
    }
    /* Team 2 stops its beacon at 8m; team 1 does not: only team 1 leaks. */
    run_until(ex, &f, 8 * MIN);
    f.beacon[2] = false;
    run_until(ex, &f, 20 * MIN);
    assert_int_equal(f.runs[1][2], 1);
    assert_int_equal(f.runs[2][2], 0);
    assert_int_equal(grader_team(exercise_grader(ex), 2)->total, 20);
    assert_int_equal(grader_team(exercise_grader(ex), 1)->total, 0);
    char *why = timeline_explain(exercise_timeline(ex, 2), 2, exercise_now(ex), TIMELINE_RUNNING);
    assert_non_null(strstr(why, "check beacon failing since"));
    free(why);
    assert_true(f.events > 10);
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

static void a_defense_faster_than_the_probes_still_counts(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    fake f = {.instant_defense = {[2] = true}};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, NULL, &f, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    run_until(ex, &f, 6 * MIN);
    /* Team 1's beacon runs; team 2 stopped it before any check could see it. */
    assert_int_equal(grader_team(exercise_grader(ex), 1)->total, 0);
    assert_int_equal(grader_team(exercise_grader(ex), 2)->total, 20);
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

static void pause_shifts_what_is_pending(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    fake f = {.wall = 1000};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, NULL, &f, 0};
    exercise *ex = exercise_new(s, 1, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    run_until(ex, &f, 1000 + 3 * MIN);
    assert_int_equal(exercise_pause(ex), ENSHU_OK);
    run_until(ex, &f, 1000 + 60 * MIN); /* an hour of pause: nothing happens */
    assert_int_equal(f.runs[1][0], 0);
    assert_int_equal(exercise_now(ex), 3 * MIN);
    assert_int_equal(exercise_continue(ex), ENSHU_OK);
    assert_int_equal(exercise_set_speed(ex, 60.0), ENSHU_OK);
    run_until(ex, &f, 1000 + 60 * MIN + 1999);
    assert_int_equal(f.runs[1][0], 0);
    run_until(ex, &f, 1000 + 60 * MIN + 2000); /* 2 min of exercise time at x60 */
    assert_int_equal(f.runs[1][0], 1);
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

static void a_restart_resumes_and_runs_nothing_twice(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    fake f = {0};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, NULL, &f, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    run_until(ex, &f, 6 * MIN);
    event answer = {.at_ms = 6 * MIN,
                    .wall_ms = 6 * MIN,
                    .team = 1,
                    .kind = EV_ANSWER,
                    .subject = "q",
                    .text = "ws"};
    assert_int_equal(event_store_append(ledger, &answer, NULL, NULL), ENSHU_OK);
    /* The engine dies while team 2's leak is under way: its begin is recorded. */
    event begin = {.at_ms = 7 * MIN,
                   .wall_ms = 7 * MIN,
                   .team = 2,
                   .kind = EV_INJECT_BEGIN,
                   .subject = "leak"};
    assert_int_equal(event_store_append(ledger, &begin, "inject/2/leak", NULL), ENSHU_OK);
    exercise_free(ex);
    event_store_free(ledger);

    /* Restart on the same ledger, 2 minutes of wall time later. */
    f.wall = 9 * MIN;
    int runs_before[3][3];
    memcpy(runs_before, f.runs, sizeof runs_before);
    assert_int_equal(event_store_open(path, false, &ledger), ENSHU_OK);
    ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_resume(ex), ENSHU_OK);
    assert_int_equal(exercise_get_phase(ex), PHASE_RUNNING);
    assert_int_equal(exercise_now(ex), 9 * MIN);                     /* the clock kept running */
    assert_int_equal(grader_team(exercise_grader(ex), 1)->total, 5); /* nothing lost */
    assert_int_equal(timeline_state(exercise_timeline(ex, 2), 2), INJECT_FAILED);
    run_until(ex, &f, 40 * MIN);
    assert_int_equal(memcmp(runs_before[2], f.runs[2], 2 * sizeof(int)), 0);
    assert_int_equal(f.runs[2][2], 0); /* the interrupted leak never runs again */
    assert_int_equal(f.runs[1][0], 1); /* nor does anything that already ran */
    assert_int_equal(f.runs[1][2], 1); /* team 1's leak comes at its time */
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

/* The malware inject fails for a team while fail_left[team] > 0: killed by
 * SIGKILL with a long stderr. */
typedef struct failing_fake {
    fake f;
    int fail_left[3];
} failing_fake;

static int run_inject_failing(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    failing_fake *ff = ctx;
    if (strcmp(inj->id, "malware") == 0 && ff->fail_left[team] > 0) {
        ff->fail_left[team]--;
        ff->f.runs[team][1]++;
        out->signal = 9;
        out->err = xstrdup("");
        for (int i = 1; i <= 12; i++) {
            char *more = xasprintf("%sbeacon: step %d\n", out->err, i);
            free(out->err);
            out->err = more;
        }
        return ENSHU_EAGENT;
    }
    return run_inject(&ff->f, team, inj, out);
}

static int64_t wall_ms_failing(void *ctx)
{
    return ((failing_fake *)ctx)->f.wall;
}

static int run_check_failing(void *ctx, int team, const check *c, bool *passing, char **output)
{
    return run_check(&((failing_fake *)ctx)->f, team, c, passing, output);
}

typedef struct failure_seen {
    int count;
    int64_t value;
    char text[512];
} failure_seen;

static int find_failure(const event *ev, void *arg)
{
    failure_seen *seen = arg;
    if (ev->kind == EV_INJECT_FAILED && ev->team == 1 && strcmp(ev->subject, "malware") == 0) {
        seen->count++;
        seen->value = ev->value;
        snprintf(seen->text, sizeof seen->text, "%s", ev->text ? ev->text : "");
    }
    return 0;
}

/* A failed inject is recorded with its signal by name and the tail of its
 * stderr; an instructor retries it and it runs again, once; a restart
 * rebuilds all of it from the ledger; after ENDEX nothing is retried. */
static void a_failed_inject_is_recorded_and_can_be_retried(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    failing_fake ff = {.fail_left = {0, 1, 5}};
    exercise_hooks hooks = {run_inject_failing, run_check_failing, wall_ms_failing, NULL, &ff, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    run_until(ex, &ff.f, 6 * MIN);
    assert_int_equal(timeline_state(exercise_timeline(ex, 1), 1), INJECT_FAILED);
    failure_seen seen = {0};
    assert_int_equal(event_store_scan(ledger, 0, find_failure, &seen), ENSHU_OK);
    assert_int_equal(seen.count, 1);
    assert_int_equal(seen.value, INJECT_FAILURE_SIGNAL_BASE + 9);
    const char *head = "killed by signal 9 (SIGKILL); stderr (last 10 lines):\nbeacon: step 3\n";
    assert_memory_equal(seen.text, head, strlen(head));
    assert_non_null(strstr(seen.text, "beacon: step 12"));

    /* Only a failed inject is retried: not one that fired. */
    assert_int_equal(exercise_inject_action(ex, 1, "mail", INJECT_RETRY, "instructor"),
                     ENSHU_EINVAL);
    assert_int_equal(exercise_inject_action(ex, 1, "malware", INJECT_RETRY, "instructor"),
                     ENSHU_OK);
    assert_int_equal(timeline_state(exercise_timeline(ex, 1), 1), INJECT_PENDING);
    /* Pending again: a second retry has nothing to retry. */
    assert_int_equal(exercise_inject_action(ex, 1, "malware", INJECT_RETRY, "instructor"),
                     ENSHU_EINVAL);
    run_until(ex, &ff.f, 7 * MIN);
    assert_int_equal(ff.f.runs[1][1], 2);
    assert_int_equal(timeline_state(exercise_timeline(ex, 1), 1), INJECT_FIRED);
    assert_int_equal(exercise_inject_action(ex, 2, "malware", INJECT_RETRY, NULL), ENSHU_OK);
    run_until(ex, &ff.f, 8 * MIN);
    assert_int_equal(ff.f.runs[2][1], 2); /* failed again */
    assert_int_equal(timeline_state(exercise_timeline(ex, 2), 1), INJECT_FAILED);
    exercise_free(ex);
    event_store_free(ledger);

    /* A restart: the retries are replayed, nothing runs again. */
    assert_int_equal(event_store_open(path, false, &ledger), ENSHU_OK);
    ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_resume(ex), ENSHU_OK);
    assert_int_equal(timeline_state(exercise_timeline(ex, 1), 1), INJECT_FIRED);
    assert_int_equal(timeline_state(exercise_timeline(ex, 2), 1), INJECT_FAILED);
    run_until(ex, &ff.f, 9 * MIN);
    assert_int_equal(ff.f.runs[1][1], 2);
    assert_int_equal(ff.f.runs[2][1], 2);
    /* Its third attempt gets a key of its own: it runs. */
    assert_int_equal(exercise_inject_action(ex, 0, "malware", INJECT_RETRY, NULL), ENSHU_OK);
    run_until(ex, &ff.f, 10 * MIN);
    assert_int_equal(ff.f.runs[2][1], 3);
    assert_int_equal(exercise_end(ex), ENSHU_OK);
    assert_int_equal(exercise_inject_action(ex, 2, "malware", INJECT_RETRY, NULL), ENSHU_EPHASE);
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

static int count_retries(const event *ev, void *arg)
{
    *(int *)arg +=
        ev->kind == EV_INJECT_RETRIED && ev->actor && strcmp(ev->actor, "enshu run --resume") == 0;
    return 0;
}

/* On new guests (--resume after the range was taken down), what acted on the
 * old ones runs again, once, in the order it fired; messages are not sent
 * again; a later restart runs nothing more. */
static void injects_run_again_on_new_guests(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    fake f = {0};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, NULL, &f, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    run_until(ex, &f, 6 * MIN);
    assert_int_equal(f.runs[1][1], 1);
    exercise_free(ex);
    event_store_free(ledger);

    memset(f.beacon, 0, sizeof f.beacon); /* new guests: no beacon */
    assert_int_equal(event_store_open(path, false, &ledger), ENSHU_OK);
    ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_resume(ex), ENSHU_OK);
    assert_int_equal(exercise_rerun_on_new_guests(ex, "enshu run --resume"), ENSHU_OK);
    for (int t = 1; t <= 2; t++) {
        assert_int_equal(f.runs[t][0], 1); /* the mail: not again */
        assert_int_equal(f.runs[t][1], 2); /* the malware: again */
        assert_true(f.beacon[t]);
        assert_int_equal(timeline_state(exercise_timeline(ex, t), 1), INJECT_FIRED);
    }
    int retries = 0;
    assert_int_equal(event_store_scan(ledger, 0, count_retries, &retries), ENSHU_OK);
    assert_int_equal(retries, 2);
    exercise_free(ex);
    event_store_free(ledger);

    assert_int_equal(event_store_open(path, false, &ledger), ENSHU_OK);
    ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_resume(ex), ENSHU_OK);
    run_until(ex, &f, 7 * MIN);
    assert_int_equal(f.runs[1][1], 2);
    assert_int_equal(f.runs[2][1], 2);
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

/* Instructors steer one team's injects: release fires at once, hold keeps
 * back, skip makes it never happen (and cannot undo a firing). */
static void instructors_release_hold_and_skip(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    fake f = {0};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, on_event, &f, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    run_until(ex, &f, 1 * MIN);
    /* Release the 5m mail for team 1 only: it fires now, and the malware after it. */
    assert_int_equal(exercise_inject_action(ex, 1, "mail", INJECT_RELEASE, "instructor"), ENSHU_OK);
    run_until(ex, &f, 1 * MIN + 10);
    assert_int_equal(f.runs[1][0], 1);
    assert_int_equal(f.runs[1][1], 1);
    assert_int_equal(f.runs[2][0], 0);
    /* Once begun, it cannot be skipped or released again. */
    assert_int_equal(exercise_inject_action(ex, 1, "mail", INJECT_SKIP, "instructor"),
                     ENSHU_EEXIST);
    assert_int_equal(exercise_inject_action(ex, 1, "mail", INJECT_RELEASE, "instructor"),
                     ENSHU_EEXIST);
    /* Team 2: the mail is held past its time, then let go. */
    assert_int_equal(exercise_inject_action(ex, 2, "mail", INJECT_HOLD, "instructor"), ENSHU_OK);
    run_until(ex, &f, 6 * MIN);
    assert_int_equal(f.runs[2][0], 0);
    assert_int_equal(exercise_inject_action(ex, 2, "mail", INJECT_UNHOLD, "instructor"), ENSHU_OK);
    run_until(ex, &f, 6 * MIN + 10);
    assert_int_equal(f.runs[2][0], 1);
    /* Skip the leak for every team where it is pending: it never runs. */
    assert_int_equal(exercise_inject_action(ex, 0, "leak", INJECT_SKIP, "instructor"), ENSHU_OK);
    run_until(ex, &f, 60 * MIN);
    assert_int_equal(f.runs[1][2], 0);
    assert_int_equal(f.runs[2][2], 0);
    assert_int_equal(timeline_state(exercise_timeline(ex, 1), 2), INJECT_SKIPPED);
    assert_int_equal(exercise_inject_action(ex, 1, "nope", INJECT_SKIP, NULL), ENSHU_ENOTFOUND);
    assert_int_equal(exercise_inject_action(ex, 3, "mail", INJECT_SKIP, NULL), ENSHU_ENOTFOUND);
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

/* Answers within their attempts, hints once, grades within the rubric. */
static void submissions_are_checked_then_recorded(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    fake f = {0};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, on_event, &f, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    exercise_submission wrong = {
        .team = 1, .kind = EV_ANSWER, .objective = "q", .text = "gw", .actor = "Aiko"};
    int64_t seq = 0;
    assert_int_equal(exercise_submit(ex, &wrong, &seq), ENSHU_OK);
    assert_true(seq > 0);
    exercise_submission right = wrong;
    right.text = "ws";
    assert_int_equal(exercise_submit(ex, &right, NULL), ENSHU_OK);
    assert_int_equal(grader_team(exercise_grader(ex), 1)->total, 5);
    /* Answered: no more answers taken. */
    assert_int_equal(exercise_submit(ex, &right, NULL), ENSHU_EEXIST);
    exercise_submission report = {.team = 1, .kind = EV_REPORT, .objective = "q", .text = "x"};
    assert_int_equal(exercise_submit(ex, &report, NULL), ENSHU_EINVAL); /* not a report */
    exercise_submission ghost = {.team = 1, .kind = EV_ANSWER, .objective = "ghost", .text = "x"};
    assert_int_equal(exercise_submit(ex, &ghost, NULL), ENSHU_ENOTFOUND);
    ghost.team = 7;
    assert_int_equal(exercise_submit(ex, &ghost, NULL), ENSHU_ENOTFOUND);
    exercise_submission take_hint = {.team = 2, .kind = EV_HINT, .objective = "q", .value = 0};
    assert_int_equal(exercise_submit(ex, &take_hint, NULL), ENSHU_ENOTFOUND); /* q has no hints */
    assert_int_equal(exercise_broadcast(ex, 0, "Lunch at noon", "instructor"), ENSHU_OK);
    assert_int_equal(exercise_broadcast(ex, 0, "", "instructor"), ENSHU_EINVAL);
    /* Who did it is in the ledger. */
    exercise_free(ex);
    event_store_free(ledger);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM events WHERE actor = 'Aiko'", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 2);
    sqlite3_finalize(st);
    sqlite3_close(db);
    unlink(path);
    free(path);
    scenario_free(s);
}

/* Answers, reports and hints are taken only while the exercise runs; the
 * refusal says which phase stopped them. Grades are taken in every phase. */
static void submissions_are_taken_only_while_running(void **state)
{
    scenario *s =
        load_or_fail("enshu: 1\nid: phases\ntitle: Phases\n"
                     "network: {segments: [{name: lan}]}\n"
                     "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
                     "objectives:\n"
                     "  - {id: q, kind: question, text: '?', answer: {exact: ws}, points: 5,\n"
                     "     hints: [{text: Look, cost: 1}, {text: Closer, cost: 1}]}\n"
                     "  - {id: r, kind: report, text: 'What happened?', rubric: [{text: Timeline, "
                     "points: 5}]}\n");
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    fake f = {0};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, on_event, &f, 0};
    exercise *ex = exercise_new(s, 1, ledger, &hooks);
    exercise_submission answer = {.team = 1, .kind = EV_ANSWER, .objective = "q", .text = "gw"};
    exercise_submission report = {.team = 1, .kind = EV_REPORT, .objective = "r", .text = "x"};
    exercise_submission take_hint = {.team = 1, .kind = EV_HINT, .objective = "q", .value = 0};
    exercise_submission grade = {
        .team = 1, .kind = EV_GRADE, .objective = "r", .text = "0", .value = 3};
    exercise_submission *played[] = {&answer, &report, &take_hint};

    /* Before STARTEX. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(exercise_submit(ex, played[i], NULL), ENSHU_EPHASE);
    assert_string_equal(exercise_phase_refusal(exercise_get_phase(ex)),
                        "the exercise has not started");
    /* What does not apply is said first, whatever the phase. */
    exercise_submission wrong_kind = report;
    wrong_kind.objective = "q";
    assert_int_equal(exercise_submit(ex, &wrong_kind, NULL), ENSHU_EINVAL);
    assert_int_equal(exercise_submit(ex, &grade, NULL), ENSHU_OK);
    assert_int_equal(f.events, 1);

    assert_int_equal(exercise_start(ex), ENSHU_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(exercise_submit(ex, played[i], NULL), ENSHU_OK);

    assert_int_equal(exercise_pause(ex), ENSHU_OK);
    take_hint.value = 1;
    int before = f.events;
    for (int i = 0; i < 3; i++)
        assert_int_equal(exercise_submit(ex, played[i], NULL), ENSHU_EPHASE);
    assert_string_equal(exercise_phase_refusal(exercise_get_phase(ex)), "the exercise is paused");
    assert_int_equal(f.events, before); /* nothing recorded */
    /* Grading goes on while paused. */
    assert_int_equal(exercise_submit(ex, &grade, NULL), ENSHU_OK);

    assert_int_equal(exercise_continue(ex), ENSHU_OK);
    assert_int_equal(exercise_submit(ex, &take_hint, NULL), ENSHU_OK);
    assert_int_equal(exercise_end(ex), ENSHU_OK);
    answer.text = "ws";
    before = f.events;
    for (int i = 0; i < 3; i++)
        assert_int_equal(exercise_submit(ex, played[i], NULL), ENSHU_EPHASE);
    assert_string_equal(exercise_phase_refusal(exercise_get_phase(ex)), "the exercise has ended");
    assert_int_equal(f.events, before);
    /* And after ENDEX. */
    grade.value = 5;
    assert_int_equal(exercise_submit(ex, &grade, NULL), ENSHU_OK);
    const team_score *ts = grader_team(exercise_grader(ex), 1);
    assert_int_equal(ts->objectives[0].attempts, 1);
    assert_int_equal(ts->objectives[1].points, 5);
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

/* Another process (enshu answer, a second engine handle) appends to the
 * ledger: the running exercise applies those events once, and only those. */
static void events_from_elsewhere_are_picked_up_once(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger, *other;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    fake f = {0};
    exercise_hooks hooks = {run_inject, run_check, wall_ms, on_event, &f, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    assert_int_equal(exercise_poll_ledger(ex), ENSHU_OK);
    assert_int_equal(event_store_open(path, false, &other), ENSHU_OK);
    event answer = {
        .at_ms = 1, .wall_ms = 1, .team = 2, .kind = EV_ANSWER, .subject = "q", .text = "ws"};
    assert_int_equal(event_store_append(other, &answer, NULL, NULL), ENSHU_OK);
    event release = {
        .at_ms = 1, .wall_ms = 1, .team = 1, .kind = EV_INJECT_RELEASED, .subject = "mail"};
    assert_int_equal(event_store_append(other, &release, NULL, NULL), ENSHU_OK);
    /* Own events in between are not applied twice. */
    run_until(ex, &f, 30000);
    assert_int_equal(exercise_poll_ledger(ex), ENSHU_OK);
    assert_int_equal(f.answers_seen, 1);
    assert_int_equal(f.releases_seen, 1);
    assert_int_equal(grader_team(exercise_grader(ex), 2)->total, 5);
    assert_int_equal(exercise_poll_ledger(ex), ENSHU_OK);
    assert_int_equal(grader_team(exercise_grader(ex), 2)->total, 5);
    assert_int_equal(f.answers_seen, 1);
    run_until(ex, &f, 31000);
    assert_int_equal(f.runs[1][0], 1); /* the release reached team 1's timeline */
    assert_int_equal(f.runs[2][0], 0);
    int seen = f.events;
    assert_int_equal(exercise_poll_ledger(ex), ENSHU_OK);
    assert_int_equal(f.events, seen); /* nothing new: nothing told twice */
    event_store_free(other);
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

/* Each team's injects and checks on threads of its own: a check that hangs
 * (a guest slow to answer) holds back no inject, a probe under way when an
 * inject fires is followed by another at once, and an inject that hangs
 * holds back no other team. The fake guests and the fake wall clock are
 * shared with those threads: every access goes under the fake's lock. */
typedef struct slow_fake {
    fake f;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool hold;                 /* probes wait while set */
    int probes;                /* finished probes */
    int waiting;               /* probes waiting now */
    bool hold_team1;           /* team 1's actions wait while set */
    int team1_waiting;         /* team 1's actions waiting now */
    int fired;                 /* actions done */
    int recorded[3][3];        /* [team][inject]: fired events told to on_event */
    int64_t recorded_at[3][3]; /* and their exercise time */
} slow_fake;

static void slow_fake_init(slow_fake *sf)
{
    pthread_mutex_init(&sf->lock, NULL);
    monotonic_cond_init(&sf->changed);
}

static void slow_fake_fini(slow_fake *sf)
{
    pthread_cond_destroy(&sf->changed);
    pthread_mutex_destroy(&sf->lock);
}

static int run_check_slow(void *ctx, int team, const check *c, bool *passing, char **output)
{
    slow_fake *sf = ctx;
    pthread_mutex_lock(&sf->lock);
    sf->waiting++;
    pthread_cond_broadcast(&sf->changed);
    while (sf->hold)
        pthread_cond_wait(&sf->changed, &sf->lock);
    sf->waiting--;
    sf->probes++;
    pthread_cond_broadcast(&sf->changed);
    int rc = run_check(&sf->f, team, c, passing, output);
    pthread_mutex_unlock(&sf->lock);
    return rc;
}

static int run_inject_slow(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    slow_fake *sf = ctx;
    pthread_mutex_lock(&sf->lock);
    if (team == 1 && sf->hold_team1) {
        sf->team1_waiting++;
        pthread_cond_broadcast(&sf->changed);
        while (sf->hold_team1)
            pthread_cond_wait(&sf->changed, &sf->lock);
        sf->team1_waiting--;
    }
    int rc = run_inject(&sf->f, team, inj, out);
    sf->fired++;
    pthread_cond_broadcast(&sf->changed);
    pthread_mutex_unlock(&sf->lock);
    return rc;
}

static int64_t wall_ms_slow(void *ctx)
{
    slow_fake *sf = ctx;
    pthread_mutex_lock(&sf->lock);
    int64_t wall = sf->f.wall;
    pthread_mutex_unlock(&sf->lock);
    return wall;
}

static void set_wall(slow_fake *sf, int64_t wall)
{
    pthread_mutex_lock(&sf->lock);
    sf->f.wall = wall;
    pthread_mutex_unlock(&sf->lock);
}

/* Called with the exercise's lock held; takes only the fake's. */
static void on_event_slow(void *ctx, const event *ev)
{
    slow_fake *sf = ctx;
    if (ev->kind != EV_INJECT_FIRED || ev->team < 1 || ev->team > 2)
        return;
    size_t i = strcmp(ev->subject, "first") == 0 ? 0 : strcmp(ev->subject, "second") == 0 ? 1 : 2;
    pthread_mutex_lock(&sf->lock);
    sf->recorded[ev->team][i]++;
    sf->recorded_at[ev->team][i] = ev->at_ms;
    pthread_cond_broadcast(&sf->changed);
    pthread_mutex_unlock(&sf->lock);
}

/* Waits (10 s at most: a bound, not a measurement) until *counter >= n. */
static bool wait_count(slow_fake *sf, int *counter, int n)
{
    struct timespec until = monotonic_deadline(10000);
    pthread_mutex_lock(&sf->lock);
    while (*counter < n && pthread_cond_timedwait(&sf->changed, &sf->lock, &until) == 0)
        ;
    bool ok = *counter >= n;
    pthread_mutex_unlock(&sf->lock);
    return ok;
}

typedef struct passing_count {
    const char *check;
    int count;
} passing_count;

static int count_passing_result(const event *ev, void *arg)
{
    passing_count *pc = arg;
    if (ev->kind == EV_CHECK_RESULT && !strcmp(ev->subject, pc->check) && ev->value == 1)
        pc->count++;
    return 0;
}

/* How many passing results of check check_id the ledger holds. */
static int passing_results(event_store *ledger, const char *check_id)
{
    passing_count pc = {check_id, 0};
    assert_int_equal(event_store_scan(ledger, 0, count_passing_result, &pc), ENSHU_OK);
    return pc.count;
}

/* Lets the hung probes go on. */
static void release_probes(slow_fake *sf)
{
    pthread_mutex_lock(&sf->lock);
    sf->hold = false;
    pthread_cond_broadcast(&sf->changed);
    pthread_mutex_unlock(&sf->lock);
}

static int read_count(slow_fake *sf, const int *counter)
{
    pthread_mutex_lock(&sf->lock);
    int n = *counter;
    pthread_mutex_unlock(&sf->lock);
    return n;
}

/* Steps the exercise (which queues the probes made again) until n probes
 * ended. */
static void step_until_probed(exercise *ex, slow_fake *sf, int n)
{
    for (int round = 0; round < 1000 && read_count(sf, &sf->probes) < n; round++) {
        exercise_step(ex);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    assert_true(wait_count(sf, &sf->probes, n));
}

static void a_hanging_check_holds_back_no_inject(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    slow_fake sf = {.hold = true};
    slow_fake_init(&sf);
    exercise_hooks hooks = {run_inject_slow, run_check_slow, wall_ms_slow, NULL, &sf, 2};
    exercise *ex = exercise_new(s, 1, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    exercise_step(ex); /* queues both checks of team 1; both hang */
    assert_true(wait_count(&sf, &sf.waiting, 2));
    /* Time passes; the mail and the malware chained after it fire (on the
     * team's own thread). */
    set_wall(&sf, 5 * MIN);
    exercise_step(ex);
    assert_true(wait_count(&sf, &sf.fired, 2));
    pthread_mutex_lock(&sf.lock);
    assert_int_equal(sf.f.runs[1][0], 1);
    assert_int_equal(sf.f.runs[1][1], 1);
    assert_int_equal(sf.probes, 0); /* all that while, the checks still hung */
    pthread_mutex_unlock(&sf.lock);
    release_probes(&sf);
    assert_true(wait_count(&sf, &sf.probes, 2));
    /* Those probes began before the malware: each is followed by another
     * at once, which sees the beacon. */
    step_until_probed(ex, &sf, 4);
    exercise_free(ex); /* joins the probers */
    /* Seen by the probe that began before the malware (the fake answers as
     * the guest is when released), and recorded again by the one made after
     * it: the ledger holds an observation that began after the inject. */
    assert_int_equal(passing_results(ledger, "beacon"), 2);
    event_store_free(ledger);
    slow_fake_fini(&sf);
    unlink(path);
    free(path);
    scenario_free(s);
}

/* Power: the workstation is stopped at 1m, a command aimed at it is due at
 * 2m, and it is started at 3m, where its agent does not answer in time
 * (ETIMEOUT: powered on, not answering). The command waits while the guest
 * is off, and runs once it is on. */
static const char POWER_SCRIPT[] =
    "enshu: 1\nid: power\ntitle: Power\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "injects:\n"
    "  - {id: off, at: 1m, target: ws, power: stop}\n"
    "  - {id: mark, at: 2m, target: ws, run: 'touch /tmp/marked'}\n"
    "  - {id: on, at: 3m, target: ws, power: start}\n";

typedef struct power_fake {
    int64_t wall;
    int64_t mark_ran_at; /* -1: not yet */
} power_fake;

static int run_inject_power(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    power_fake *f = ctx;
    if (strcmp(inj->id, "mark") == 0)
        f->mark_ran_at = f->wall;
    if (strcmp(inj->id, "on") == 0) {
        out->output = xstrdup("ws did not answer within the timeout after start");
        return ENSHU_ETIMEOUT;
    }
    return ENSHU_OK;
}

static int run_check_none(void *ctx, int team, const check *c, bool *passing, char **output)
{
    *passing = false;
    return ENSHU_OK;
}

static int64_t wall_ms_power(void *ctx)
{
    return ((power_fake *)ctx)->wall;
}

static void a_guest_started_without_its_agent_counts_as_up(void **state)
{
    scenario *s = load_or_fail(POWER_SCRIPT);
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    power_fake f = {.mark_ran_at = -1};
    exercise_hooks hooks = {run_inject_power, run_check_none, wall_ms_power, NULL, &f, 0};
    exercise *ex = exercise_new(s, 1, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    while (f.wall < 10 * MIN) {
        int64_t next = exercise_step(ex);
        f.wall = next < 10 * MIN ? (next > f.wall ? next : f.wall + 1) : 10 * MIN;
        if (f.wall > 2 * MIN + 30000 && f.wall < 3 * MIN) {
            char *why =
                timeline_explain(exercise_timeline(ex, 1), 1, exercise_now(ex), TIMELINE_RUNNING);
            assert_non_null(strstr(why, "down"));
            free(why);
        }
    }
    exercise_step(ex);
    assert_true(f.mark_ran_at >= 3 * MIN); /* not while the guest was off */
    assert_true(f.mark_ran_at < 4 * MIN);
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
}

/* Patient zero differs per team: a variable chooses the node that is
 * stopped, probed and started again. Guests are modelled per team and per
 * node; the fake acts on the node the team's own value names, as the range
 * does (node_ref.h). */
static const char CHOSEN_SCRIPT[] =
    "enshu: 1\nid: chosen\ntitle: Chosen\n"
    "variables:\n"
    "  pz: {one_of: [ws1, ws2]}\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes:\n"
    "  - {name: ws1, image: workstation, interfaces: [{segment: lan}]}\n"
    "  - {name: ws2, image: workstation, interfaces: [{segment: lan}]}\n"
    "injects:\n"
    "  - {id: off, at: 1m, target: '{{var pz}}', power: stop}\n"
    "  - {id: mark, at: 2m, target: ws1, run: 'touch /tmp/marked'}\n"
    "  - {id: mine, at: 2m, target: '{{var pz}}', run: 'touch /tmp/mine'}\n"
    "  - {id: on, at: 3m, target: '{{var pz}}', power: start}\n"
    "checks:\n"
    "  - {id: down, node: '{{var pz}}', power: stopped, interval: 10s}\n";

typedef struct chosen_fake {
    int64_t wall;
    const scenario *s;
    const team_vars *vars;
    bool off[3][2];           /* [team][node]: stopped */
    const char *ran_on[3][4]; /* [team][inject]: the node it acted on */
    int64_t ran_at[3][4];     /* [team][inject] */
    bool seen_down[3][2];     /* [team][node]: a probe saw it stopped */
} chosen_fake;

static int run_inject_chosen(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    chosen_fake *f = ctx;
    const node *nd = node_ref_node(f->s, f->vars, team, inj->target);
    if (!nd)
        return ENSHU_ENOTFOUND;
    size_t i = (size_t)(inj - f->s->injects), n = (size_t)(nd - f->s->nodes);
    f->ran_on[team][i] = nd->name;
    f->ran_at[team][i] = f->wall;
    if (inj->action.kind == ACTION_POWER)
        f->off[team][n] = inj->action.power == POWER_STOP;
    out->output = xstrdup(nd->name);
    return ENSHU_OK;
}

static int run_check_chosen(void *ctx, int team, const check *c, bool *passing, char **output)
{
    chosen_fake *f = ctx;
    const node *nd = node_ref_node(f->s, f->vars, team, c->node);
    if (!nd)
        return ENSHU_ENOTFOUND;
    size_t n = (size_t)(nd - f->s->nodes);
    *passing = f->off[team][n];
    f->seen_down[team][n] |= *passing;
    return ENSHU_OK;
}

static int64_t wall_ms_chosen(void *ctx)
{
    return ((chosen_fake *)ctx)->wall;
}

typedef struct node_states {
    char subject[3][8]; /* [team]: the node of its first node.state */
    int count;
} node_states;

static int find_node_states(const event *ev, void *arg)
{
    node_states *ns = arg;
    if (ev->kind == EV_NODE_STATE && ev->team >= 1 && ev->team <= 2) {
        if (!ns->subject[ev->team][0])
            snprintf(ns->subject[ev->team], sizeof ns->subject[0], "%s", ev->subject);
        ns->count++;
    }
    return 0;
}

static void a_variable_chooses_each_teams_node(void **state)
{
    scenario *s = load_or_fail(CHOSEN_SCRIPT);
    team_vars *vars = team_vars_new(2);
    assert_int_equal(variation_fill(vars, s, "00112233445566778899aabbccddeeff"), ENSHU_OK);
    const char *pz[3] = {NULL, team_vars_get(vars, 1, "var pz"), team_vars_get(vars, 2, "var pz")};
    /* Two choices, two teams: each team has its own patient zero. */
    assert_string_not_equal(pz[1], pz[2]);
    int ws1_team = strcmp(pz[1], "ws1") == 0 ? 1 : 2, other = 3 - ws1_team;

    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    chosen_fake f = {.s = s, .vars = vars};
    exercise_hooks hooks = {run_inject_chosen, run_check_chosen, wall_ms_chosen, NULL, &f, 0};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    exercise_set_team_vars(ex, vars);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    while (f.wall < 2 * MIN + 30000) {
        int64_t next = exercise_step(ex);
        f.wall = next < 2 * MIN + 30000 ? (next > f.wall ? next : f.wall + 1) : 2 * MIN + 30000;
    }
    exercise_step(ex);
    for (int t = 1; t <= 2; t++) {
        /* Stopped and probed: the team's own node, and only it. */
        assert_string_equal(f.ran_on[t][0], pz[t]);
        size_t own = strcmp(pz[t], "ws1") == 0 ? 0 : 1;
        assert_true(f.off[t][own]);
        assert_false(f.off[t][1 - own]);
        assert_true(f.seen_down[t][own]);
        assert_false(f.seen_down[t][1 - own]);
        /* An inject aimed at the team's own node waits while it is stopped. */
        assert_null(f.ran_on[t][2]);
        char *why =
            timeline_explain(exercise_timeline(ex, t), 2, exercise_now(ex), TIMELINE_RUNNING);
        char *expected = xasprintf("its target node %s is down", pz[t]);
        assert_non_null(strstr(why, expected));
        free(expected);
        free(why);
    }
    /* ws1, named as written, is down only for the team whose patient zero
     * it is: the other team's mark ran on time. */
    assert_null(f.ran_on[ws1_team][1]);
    assert_string_equal(f.ran_on[other][1], "ws1");
    assert_int_equal(f.ran_at[other][1], 2 * MIN);
    /* The ledger names the node each team's guest really was. */
    node_states ns = {0};
    assert_int_equal(event_store_scan(ledger, 0, find_node_states, &ns), ENSHU_OK);
    assert_int_equal(ns.count, 2);
    assert_string_equal(ns.subject[1], pz[1]);
    assert_string_equal(ns.subject[2], pz[2]);
    exercise_free(ex);
    event_store_free(ledger);

    /* Recovery from the ledger alone knows which node is down for whom. */
    assert_int_equal(event_store_open(path, false, &ledger), ENSHU_OK);
    ex = exercise_new(s, 2, ledger, &hooks);
    exercise_set_team_vars(ex, vars);
    assert_int_equal(exercise_resume(ex), ENSHU_OK);
    exercise_step(ex); /* nothing is due: all of it waits */
    assert_null(f.ran_on[1][2]);
    assert_null(f.ran_on[ws1_team][1]);
    while (f.wall < 5 * MIN) {
        int64_t next = exercise_step(ex);
        f.wall = next < 5 * MIN ? (next > f.wall ? next : f.wall + 1) : 5 * MIN;
    }
    exercise_step(ex);
    for (int t = 1; t <= 2; t++) {
        assert_string_equal(f.ran_on[t][3], pz[t]); /* started again */
        assert_string_equal(f.ran_on[t][2], pz[t]); /* then what waited for it */
        assert_true(f.ran_at[t][2] >= 3 * MIN);
    }
    assert_string_equal(f.ran_on[ws1_team][1], "ws1");
    assert_true(f.ran_at[ws1_team][1] >= 3 * MIN);
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    team_vars_free(vars);
    scenario_free(s);
}

static int feed_grader(const event *ev, void *arg)
{
    grader_apply(arg, ev);
    return 0;
}

/* A team that undid the malware at once: the probes under way when it fired
 * saw "stopped" before it (which earns nothing: the grader counts what was
 * seen after the inject), and the probes made again at once record what
 * they see, though it is the same: "stopped", which earns the points. */
static void a_probe_under_way_at_an_inject_is_made_and_recorded_again(void **state)
{
    scenario *s = load_script();
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    slow_fake sf = {.hold = true};
    sf.f.instant_defense[1] = true;
    slow_fake_init(&sf);
    exercise_hooks hooks = {run_inject_slow, run_check_slow, wall_ms_slow, NULL, &sf, 2};
    exercise *ex = exercise_new(s, 1, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    exercise_step(ex); /* both checks begin at T+0 and hang */
    assert_true(wait_count(&sf, &sf.waiting, 2));
    set_wall(&sf, 5 * MIN);
    exercise_step(ex); /* the mail, then the malware, undone at once */
    assert_true(wait_count(&sf, &sf.fired, 2));
    assert_int_equal(read_count(&sf, &sf.f.runs[1][1]), 1);
    release_probes(&sf);
    step_until_probed(ex, &sf, 4);
    exercise_free(ex);
    /* from T+0, then again after the malware */
    assert_int_equal(passing_results(ledger, "stopped"), 2);
    /* The score, from the ledger alone. */
    grader *g = grader_new(s, 1);
    assert_int_equal(event_store_scan(ledger, 0, feed_grader, g), ENSHU_OK);
    assert_int_equal(grader_team(g, 1)->total, 20);
    grader_free(g);
    event_store_free(ledger);
    slow_fake_fini(&sf);
    unlink(path);
    free(path);
    scenario_free(s);
}

typedef struct kind_count {
    event_kind kind;
    int count;
} kind_count;

static int count_kind(const event *ev, void *arg)
{
    kind_count *kc = arg;
    kc->count += ev->kind == kc->kind;
    return 0;
}

static int events_of_kind(event_store *ledger, event_kind kind)
{
    kind_count kc = {kind, 0};
    assert_int_equal(event_store_scan(ledger, 0, count_kind, &kc), ENSHU_OK);
    return kc.count;
}

/* Two injects for every team; team 1's first hangs (its guest does not
 * answer) until the test lets it go. */
static const char TWO_INJECTS[] =
    "enshu: 1\nid: two\ntitle: Two\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "injects:\n"
    "  - {id: first, at: 1m, note: one}\n"
    "  - {id: second, at: 2m, note: two}\n";

static void a_hanging_inject_of_team_1_holds_back_no_inject_of_team_2(void **state)
{
    scenario *s = load_or_fail(TWO_INJECTS);
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    slow_fake sf = {.hold_team1 = true};
    slow_fake_init(&sf);
    exercise_hooks hooks = {run_inject_slow, run_check_slow, wall_ms_slow, on_event_slow, &sf, 1};
    exercise *ex = exercise_new(s, 2, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    set_wall(&sf, 1 * MIN);
    exercise_step(ex);
    assert_true(wait_count(&sf, &sf.team1_waiting, 1));  /* team 1's first hangs */
    assert_true(wait_count(&sf, &sf.recorded[2][0], 1)); /* team 2's first fired */
    /* The clock reaches team 2's second inject while team 1's first hangs. */
    set_wall(&sf, 2 * MIN);
    exercise_step(ex);
    assert_true(wait_count(&sf, &sf.recorded[2][1], 1));
    pthread_mutex_lock(&sf.lock);
    assert_int_equal(sf.team1_waiting, 1);                      /* still hanging */
    assert_int_equal(sf.recorded_at[2][1], 2 * MIN);            /* team 2's fired when due */
    assert_int_equal(sf.recorded[1][0] + sf.recorded[1][1], 0); /* team 1's wait for it */
    pthread_mutex_unlock(&sf.lock);
    exercise_lock(ex);
    assert_int_equal(timeline_state(exercise_timeline(ex, 1), 0), INJECT_PENDING);
    assert_int_equal(timeline_state(exercise_timeline(ex, 2), 1), INJECT_FIRED);
    exercise_unlock(ex);
    /* Let team 1's guest answer: its first inject ends, then its second
     * (overdue by now) fires after it. */
    pthread_mutex_lock(&sf.lock);
    sf.hold_team1 = false;
    pthread_cond_broadcast(&sf.changed);
    pthread_mutex_unlock(&sf.lock);
    for (int round = 0; round < 1000 && read_count(&sf, &sf.recorded[1][1]) < 1; round++) {
        exercise_step(ex);
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    assert_true(wait_count(&sf, &sf.recorded[1][1], 1));
    assert_int_equal(read_count(&sf, &sf.recorded[1][0]), 1);
    exercise_free(ex);
    /* Each inject ran once per team, recorded before and after its action. */
    assert_int_equal(sf.fired, 4);
    assert_int_equal(events_of_kind(ledger, EV_INJECT_BEGIN), 4);
    assert_int_equal(events_of_kind(ledger, EV_INJECT_FIRED), 4);
    event_store_free(ledger);
    slow_fake_fini(&sf);
    unlink(path);
    free(path);
    scenario_free(s);
}

/* A service check whose guest is slow once: with confirm 2, one failing
 * probe is no outage; two in a row are. */
typedef struct blip_fake {
    int64_t wall;
    int probes;
    int fail_from; /* probes from this one on fail */
    int blip;      /* this one probe fails */
} blip_fake;

static int run_inject_none(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    return ENSHU_OK;
}

static int run_check_blip(void *ctx, int team, const check *c, bool *passing, char **output)
{
    blip_fake *f = ctx;
    f->probes++;
    *passing = f->probes != f->blip && f->probes < f->fail_from;
    return ENSHU_OK;
}

static int64_t wall_ms_blip(void *ctx)
{
    return ((blip_fake *)ctx)->wall;
}

static int penalties_after(const char *confirm, int blip, int fail_from, int64_t until)
{
    char *text = xasprintf("enshu: 1\nid: svc\ntitle: Service\n"
                           "network: {segments: [{name: lan}]}\n"
                           "nodes: [{name: srv, image: server, interfaces: [{segment: lan}]}]\n"
                           "checks:\n"
                           "  - {id: up, node: srv, command: 'true', interval: 1m%s}\n"
                           "penalties: [{id: down, check: up, when: failing, points: 5}]\n",
                           confirm);
    scenario *s = load_or_fail(text);
    free(text);
    char *path = temp_ledger();
    event_store *ledger;
    assert_int_equal(event_store_open(path, true, &ledger), ENSHU_OK);
    blip_fake f = {.blip = blip, .fail_from = fail_from};
    exercise_hooks hooks = {run_inject_none, run_check_blip, wall_ms_blip, NULL, &f, 0};
    exercise *ex = exercise_new(s, 1, ledger, &hooks);
    assert_int_equal(exercise_start(ex), ENSHU_OK);
    while (f.wall < until) {
        int64_t next = exercise_step(ex);
        f.wall = next < until ? (next > f.wall ? next : f.wall + 1) : until;
    }
    exercise_step(ex);
    int penalties = grader_team(exercise_grader(ex), 1)->penalties;
    exercise_free(ex);
    event_store_free(ledger);
    unlink(path);
    free(path);
    scenario_free(s);
    return penalties;
}

static void a_check_with_confirm_records_a_state_seen_in_a_row(void **state)
{
    /* Probes at 0, 1m, 2m...: the third one fails alone. */
    assert_int_equal(penalties_after("", 3, 1000, 10 * MIN), 5);
    assert_int_equal(penalties_after(", confirm: 2", 3, 1000, 10 * MIN), 0);
    /* From the seventh probe on the service is down: confirmed at the eighth. */
    assert_int_equal(penalties_after(", confirm: 2", 3, 7, (int64_t)6 * MIN + 1), 0);
    assert_int_equal(penalties_after(", confirm: 2", 3, 7, 7 * MIN + 1), 5);
    assert_int_equal(penalties_after(", confirm: 3", 3, 7, 7 * MIN + 1), 0);
    assert_int_equal(penalties_after(", confirm: 3", 3, 7, 8 * MIN + 1), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(injects_fire_per_team_on_time),
        cmocka_unit_test(a_defense_faster_than_the_probes_still_counts),
        cmocka_unit_test(pause_shifts_what_is_pending),
        cmocka_unit_test(a_restart_resumes_and_runs_nothing_twice),
        cmocka_unit_test(instructors_release_hold_and_skip),
        cmocka_unit_test(submissions_are_checked_then_recorded),
        cmocka_unit_test(submissions_are_taken_only_while_running),
        cmocka_unit_test(events_from_elsewhere_are_picked_up_once),
        cmocka_unit_test(a_hanging_check_holds_back_no_inject),
        cmocka_unit_test(a_guest_started_without_its_agent_counts_as_up),
        cmocka_unit_test(a_variable_chooses_each_teams_node),
        cmocka_unit_test(a_probe_under_way_at_an_inject_is_made_and_recorded_again),
        cmocka_unit_test(a_hanging_inject_of_team_1_holds_back_no_inject_of_team_2),
        cmocka_unit_test(a_failed_inject_is_recorded_and_can_be_retried),
        cmocka_unit_test(injects_run_again_on_new_guests),
        cmocka_unit_test(a_check_with_confirm_records_a_state_seen_in_a_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
