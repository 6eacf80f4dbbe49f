/*
 * The running exercise (see exercise.h).
 *
 * One rule keeps live running and crash recovery the same: state changes
 * only by recording an event and then applying it (apply_event), and
 * exercise_resume() applies the ledger's events through that same function.
 */
#include "exercise.h"
#include "alloc.h"
#include "errors.h"
#include "exercise_clock.h"
#include "log.h"
#include "node_ref.h"
#include "monotonic_cond.h"
#include "report_book.h"
#include "team_clocks.h"
#include "team_names.h"

#include <assert.h>
#include <limits.h>
#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct exercise {
    const scenario *s;
    unsigned nteams;
    event_store *ledger;
    exercise_hooks hooks;
    /* The class's clock (team 0), and in a self-paced course each team's
     * own; ex->phase is the class's. */
    team_clocks *clocks;
    exercise_phase phase;
    timeline **timelines; /* per team */
    grader *grader;
    const team_vars *vars;   /* each team's values (exercise_set_team_vars), or NULL */
    report_book *reports;    /* every report, grade and feedback, per team and objective */
    team_names *names;       /* the roster's, then as instructors renamed them */
    bool *begun;             /* [team][inject]: an inject.begin is recorded */
    unsigned *attempt;       /* [team][inject]: its retries so far (0: the first attempt) */
    int64_t *next_check;     /* [team][check]: exercise time of the next probe */
    signed char *last_check; /* [team][check]: -1 unknown, 0 failing, 1 passing */
    /* [team][check]: what the latest probes saw, and how many in a row saw
     * it; a new state is recorded once `confirm` probes in a row saw it. */
    signed char *seen_check;
    unsigned char *seen_streak;
    int64_t *team_next; /* [team]: next exercise time something may be due */
    /* Teams step in parallel, and consoles act from other threads: every
     * read or change of the state above (phase, clock, timelines, grader)
     * happens under this lock; guest actions run outside it. */
    pthread_mutex_t lock;
    /* Events other processes append to the ledger (enshu answer, grade...)
     * are picked up by exercise_poll_ledger(); it must know which events
     * this process applied already. */
    int64_t polled_seq; /* every event up to this seq is applied */
    unsigned inflight;  /* own appends not yet applied */
    int64_t *own;       /* seqs > polled_seq applied by record() */
    size_t nown, own_cap;
    /* With hooks.check_workers, each team has threads of its own (a lane):
     * one fires its injects, others probe its checks. So no team waits for
     * another, a slow check never holds back an inject, nor a slow inject
     * the checks. A due probe is queued on its team's lane, and its slot
     * stays "probing" until it is done. NULL: everything runs inline. */
    struct team_lane *lanes; /* per team */
    bool stopping;           /* exercise_free: the lanes' threads end */
    /* exercise_wait() returns early once changes moves past what the last
     * exercise_step() saw: a lane finished work, or an instructor changed
     * what is due. */
    pthread_cond_t changed;
    uint64_t changes, changes_seen;
    bool *probing; /* [team][check] queued or running */
    bool *forced;  /* [team][check] an inject fired meanwhile: probe again at once */
};

typedef struct probe_job {
    size_t check;
    struct probe_job *next;
} probe_job;

/* One team's threads. The fields they share are read and written under
 * ex->lock; the threads themselves are started and joined by one thread. */
typedef struct team_lane {
    exercise *ex;
    int team;
    pthread_t injector;
    bool has_injector;
    pthread_cond_t inject_work;
    bool fire_wanted; /* handed over by exercise_step, not yet taken */
    bool busy;        /* handed over and not yet done: never handed over twice */
    size_t *due;      /* exercise_step's scratch */
    pthread_t *probers;
    unsigned nprobers;
    pthread_cond_t probe_work;
    probe_job *probe_head, *probe_tail;
} team_lane;

static bool lanes_start(exercise *ex, unsigned probers_per_team);
static void lanes_stop(exercise *ex);

static const char *const PHASE_NAMES[] = {"ready", "running", "paused", "ended"};

const char *exercise_phase_name(exercise_phase phase)
{
    return phase < PHASE_COUNT ? PHASE_NAMES[phase] : "?";
}

exercise *exercise_new(const scenario *s, unsigned nteams, event_store *ledger,
                       const exercise_hooks *hooks)
{
    exercise *ex = xcalloc(1, sizeof(exercise));
    ex->s = s;
    ex->nteams = nteams;
    ex->ledger = ledger;
    ex->hooks = *hooks;
    ex->clocks = team_clocks_new(nteams, false);
    ex->phase = PHASE_READY;
    ex->timelines = xcalloc(nteams, sizeof(timeline *));
    for (unsigned t = 0; t < nteams; t++)
        ex->timelines[t] = timeline_new(s);
    ex->grader = grader_new(s, nteams);
    ex->reports = report_book_new(s, nteams);
    ex->names = team_names_new(nteams);
    for (unsigned t = 0; t < nteams; t++)
        timeline_watch_progress(ex->timelines[t], grader_team(ex->grader, (int)t + 1));
    ex->begun = xcalloc((size_t)nteams * s->ninjects + 1, sizeof(bool));
    ex->attempt = xcalloc((size_t)nteams * s->ninjects + 1, sizeof(unsigned));
    ex->next_check = xcalloc((size_t)nteams * s->nchecks + 1, sizeof(int64_t));
    ex->last_check = xmalloc((size_t)nteams * s->nchecks + 1);
    memset(ex->last_check, -1, (size_t)nteams * s->nchecks + 1);
    ex->seen_check = xmalloc((size_t)nteams * s->nchecks + 1);
    memset(ex->seen_check, -1, (size_t)nteams * s->nchecks + 1);
    ex->seen_streak = xcalloc((size_t)nteams * s->nchecks + 1, 1);
    ex->team_next = xcalloc(nteams + 1, sizeof(int64_t));
    pthread_mutex_init(&ex->lock, NULL);
    size_t slots = (size_t)nteams * s->nchecks + 1;
    ex->probing = xcalloc(slots, sizeof(bool));
    ex->forced = xcalloc(slots, sizeof(bool));
    monotonic_cond_init(&ex->changed);
    unsigned per_team = hooks->check_workers < 8 ? hooks->check_workers : 8;
    if (per_team && nteams && !lanes_start(ex, s->nchecks ? per_team : 0))
        log_printf(ENSHU_LOG_WARNING,
                   "enshu: no threads for the teams' injects and checks: they run one "
                   "team after another, and a slow one holds back the others");
    return ex;
}

void exercise_free(exercise *ex)
{
    if (!ex)
        return;
    lanes_stop(ex); /* an action or probe under way ends first, within its timeout */
    free(ex->probing);
    free(ex->forced);
    pthread_cond_destroy(&ex->changed);
    for (unsigned t = 0; t < ex->nteams; t++)
        timeline_free(ex->timelines[t]);
    free(ex->timelines);
    grader_free(ex->grader);
    report_book_free(ex->reports);
    team_names_free(ex->names);
    free(ex->begun);
    free(ex->attempt);
    free(ex->next_check);
    free(ex->last_check);
    free(ex->seen_check);
    free(ex->seen_streak);
    free(ex->team_next);
    free(ex->own);
    team_clocks_free(ex->clocks);
    pthread_mutex_destroy(&ex->lock);
    free(ex);
}

static size_t inject_index(const scenario *s, const char *id)
{
    const inject *inj = id ? scenario_inject(s, id) : NULL;
    return inj ? (size_t)(inj - s->injects) : SIZE_MAX;
}

static size_t check_index(const scenario *s, const char *id)
{
    const check *c = id ? scenario_check(s, id) : NULL;
    return c ? (size_t)(c - s->checks) : SIZE_MAX;
}

static exercise_phase phase_parse(const char *text)
{
    for (int p = 0; p < 4; p++)
        if (text && strcmp(text, PHASE_NAMES[p]) == 0)
            return (exercise_phase)p;
    return PHASE_READY;
}

/* A team's phase and its clock's share one order of names. */
static_assert((int)TEAM_READY == (int)PHASE_READY && (int)TEAM_RUNNING == (int)PHASE_RUNNING &&
                  (int)TEAM_PAUSED == (int)PHASE_PAUSED && (int)TEAM_ENDED == (int)PHASE_ENDED,
              "team_phase and exercise_phase differ");

/* The phase team plays in: the class's, or in a course its own clock's
 * (team 0: the class's). A course closed (the class's ENDED) ends every
 * team. Called with the lock held. */
static exercise_phase team_phase_locked(const exercise *ex, int team)
{
    if (team == 0 || !team_clocks_per_team(ex->clocks) || ex->phase == PHASE_ENDED)
        return ex->phase;
    return (exercise_phase)team_clocks_phase(ex->clocks, team);
}

/* A team's time (its own clock's in a course); team 0: the class's. */
static int64_t team_now(const exercise *ex, int team)
{
    int64_t wall = ex->hooks.wall_ms(ex->hooks.ctx);
    exercise *mut = (exercise *)ex; /* the lock only */
    pthread_mutex_lock(&mut->lock);
    int64_t now = team_clocks_now(ex->clocks, team, wall);
    pthread_mutex_unlock(&mut->lock);
    return now;
}

/* A team request asked or decided: the grader decides whether it is
 * approved now (auto, or an instructor's yes to an ask that waited), and
 * an approval releases the injects it fires. Part of apply_event. */
static void apply_request(exercise *ex, timeline *tl, const event *ev)
{
    const team_request *r = ev->subject ? scenario_request(ex->s, ev->subject) : NULL;
    const request_score *rs =
        r ? &grader_team(ex->grader, ev->team)->requests[r - ex->s->requests] : NULL;
    int approved = rs ? rs->approved : 0;
    grader_apply(ex->grader, ev);
    for (size_t k = 0; rs && rs->approved > approved && k < r->nfires; k++) {
        size_t i = inject_index(ex->s, r->fires[k]);
        if (i != SIZE_MAX)
            timeline_release(tl, i);
    }
}

/* The one place state changes (see the comment at the top). */
static void apply_event(exercise *ex, const event *ev)
{
    if (ev->kind == EV_EXERCISE_STATE) {
        /* Team 0: the class's clock and phase; team t: t's own clock in a
         * course (a class has none: team_clocks ignores it). */
        team_clocks_apply(ex->clocks, ev);
        if (ev->team == 0)
            ex->phase = phase_parse(ev->text);
        return;
    }
    if (ev->team < 1 || (unsigned)ev->team > ex->nteams)
        return;
    timeline *tl = ex->timelines[ev->team - 1];
    size_t team = (size_t)ev->team - 1, i;
    report_book_apply(ex->reports, ev);
    team_names_apply(ex->names, ev);
    switch (ev->kind) {
    case EV_INJECT_BEGIN:
        if ((i = inject_index(ex->s, ev->subject)) != SIZE_MAX)
            ex->begun[team * ex->s->ninjects + i] = true;
        break;
    case EV_INJECT_FIRED:
    case EV_INJECT_FAILED:
    case EV_INJECT_SKIPPED:
        if ((i = inject_index(ex->s, ev->subject)) != SIZE_MAX)
            timeline_inject_done(tl, i,
                                 ev->kind == EV_INJECT_FIRED    ? INJECT_FIRED
                                 : ev->kind == EV_INJECT_FAILED ? INJECT_FAILED
                                                                : INJECT_SKIPPED,
                                 ev->at_ms);
        break;
    case EV_INJECT_HELD:
        if ((i = inject_index(ex->s, ev->subject)) != SIZE_MAX)
            timeline_hold(tl, i, ev->value != 0);
        break;
    case EV_INJECT_RETRIED:
        /* Its next attempt: pending again, due at once, and fired under a
         * key of its own (inject_key). */
        if ((i = inject_index(ex->s, ev->subject)) != SIZE_MAX && ev->value > 0) {
            ex->attempt[team * ex->s->ninjects + i] = (unsigned)ev->value;
            ex->begun[team * ex->s->ninjects + i] = false;
            timeline_retry(tl, i);
        }
        break;
    case EV_INJECT_RELEASED:
        if ((i = inject_index(ex->s, ev->subject)) != SIZE_MAX)
            timeline_release(tl, i);
        break;
    case EV_CHECK_RESULT:
        if ((i = check_index(ex->s, ev->subject)) != SIZE_MAX) {
            timeline_check_result(tl, i, ev->value != 0, ev->at_ms);
            ex->last_check[team * ex->s->nchecks + i] = ev->value != 0;
        }
        break;
    case EV_NODE_STATE: {
        const node *nd = ev->subject ? scenario_node(ex->s, ev->subject) : NULL;
        if (nd)
            timeline_node_up(tl, (size_t)(nd - ex->s->nodes), ev->value != 0);
        break;
    }
    case EV_REQUEST:
    case EV_REQUEST_DECIDED:
        apply_request(ex, tl, ev);
        return;
    default:
        break;
    }
    grader_apply(ex->grader, ev);
}

static void mark_own(exercise *ex, int64_t seq)
{
    if (seq <= ex->polled_seq)
        return;
    if (ex->nown == ex->own_cap) {
        ex->own_cap = ex->own_cap ? ex->own_cap * 2 : 64;
        ex->own = xrealloc(ex->own, ex->own_cap * sizeof(int64_t));
    }
    ex->own[ex->nown++] = seq;
}

static bool is_own(const exercise *ex, int64_t seq)
{
    if (seq <= ex->polled_seq)
        return true;
    for (size_t i = 0; i < ex->nown; i++)
        if (ex->own[i] == seq)
            return true;
    return false;
}

/* Wakes exercise_wait(). Called with the lock held. */
static void changed_locked(exercise *ex)
{
    ex->changes++;
    pthread_cond_broadcast(&ex->changed);
}

/* What teams do and instructors decide moves the team's progress, which
 * conditions of injects wait on (progress_condition.h). */
static bool moves_progress(event_kind kind)
{
    return kind == EV_ANSWER || kind == EV_REPORT || kind == EV_HINT || kind == EV_GRADE ||
           kind == EV_REQUEST || kind == EV_REQUEST_DECIDED;
}

/* Makes ev durable, then applies it. once_key: see event_store_append. */
static int record(exercise *ex, event *ev, const char *once_key)
{
    if (!ev->wall_ms)
        ev->wall_ms = ex->hooks.wall_ms(ex->hooks.ctx);
    pthread_mutex_lock(&ex->lock);
    ex->inflight++;
    pthread_mutex_unlock(&ex->lock);
    int rc = event_store_append(ex->ledger, ev, once_key, &ev->seq);
    pthread_mutex_lock(&ex->lock);
    ex->inflight--;
    if (rc == ENSHU_OK) {
        apply_event(ex, ev);
        mark_own(ex, ev->seq);
        if (ex->hooks.on_event)
            ex->hooks.on_event(ex->hooks.ctx, ev);
        /* An instructor's release, hold or skip, or a new phase or speed,
         * changes what is due: step again at once. (What the teams'
         * threads record they announce once done.) */
        if (ev->kind == EV_EXERCISE_STATE || ev->kind == EV_INJECT_RELEASED ||
            ev->kind == EV_INJECT_HELD || ev->kind == EV_INJECT_SKIPPED || moves_progress(ev->kind))
            changed_locked(ex);
    }
    pthread_mutex_unlock(&ex->lock);
    return rc;
}

static int apply_foreign(const event *ev, void *arg)
{
    exercise *ex = arg;
    if (!is_own(ex, ev->seq)) {
        apply_event(ex, ev);
        if (ex->hooks.on_event)
            ex->hooks.on_event(ex->hooks.ctx, ev);
    }
    if (ev->seq > ex->polled_seq)
        ex->polled_seq = ev->seq;
    return 0;
}

int exercise_poll_ledger(exercise *ex)
{
    int rc = ENSHU_OK;
    pthread_mutex_lock(&ex->lock);
    /* With no own append in flight (and none able to start while the lock
     * is held), every committed event of this process is applied and
     * marked: whatever else the ledger holds came from elsewhere. */
    if (ex->inflight == 0) {
        rc = event_store_scan(ex->ledger, ex->polled_seq, apply_foreign, ex);
        /* Everything committed is applied now. */
        for (size_t i = 0; i < ex->nown; i++)
            if (ex->own[i] > ex->polled_seq)
                ex->polled_seq = ex->own[i];
        ex->nown = 0;
    }
    pthread_mutex_unlock(&ex->lock);
    return rc;
}

static int replay(const event *ev, void *arg)
{
    exercise *ex = arg;
    apply_event(ex, ev);
    if (ev->seq > ex->polled_seq)
        ex->polled_seq = ev->seq;
    return 0;
}

int exercise_replay(exercise *ex)
{
    pthread_mutex_lock(&ex->lock);
    int rc = event_store_scan(ex->ledger, 0, replay, ex);
    pthread_mutex_unlock(&ex->lock);
    return rc;
}

int exercise_resume(exercise *ex)
{
    int rc = exercise_replay(ex);
    if (rc != ENSHU_OK)
        return rc;
    /* An inject that began but never finished was cut off by the crash. It
     * may have had effects: record it failed rather than run it again. */
    for (unsigned t = 0; t < ex->nteams && rc == ENSHU_OK; t++) {
        int64_t now = team_now(ex, (int)t + 1);
        for (size_t i = 0; i < ex->s->ninjects && rc == ENSHU_OK; i++) {
            if (!ex->begun[t * ex->s->ninjects + i] ||
                timeline_state(ex->timelines[t], i) != INJECT_PENDING)
                continue;
            event ev = {.at_ms = now,
                        .team = (int)t + 1,
                        .kind = EV_INJECT_FAILED,
                        .subject = ex->s->injects[i].id,
                        .text = "interrupted by a restart of the engine; not run again"};
            rc = record(ex, &ev, NULL);
        }
    }
    return rc;
}

/* Records a phase change when allowed(current phase); ENSHU_EINVAL if not.
 * The check and the clock reading are taken under the lock; two consoles
 * racing may both record, which the ledger keeps in order. */
static int change_phase(exercise *ex, bool (*allowed)(exercise_phase), exercise_phase phase,
                        double speed, const char *actor)
{
    int64_t wall = ex->hooks.wall_ms(ex->hooks.ctx);
    pthread_mutex_lock(&ex->lock);
    bool ok = allowed(ex->phase);
    bool speed_only = phase == PHASE_COUNT;
    if (speed_only)
        phase = ex->phase; /* keep the phase (a change of speed) */
    const exercise_clock *clock = team_clocks_of(ex->clocks, 0);
    if (speed <= 0)
        speed = clock->speed;
    event ev = {.at_ms = exercise_clock_now(clock, wall),
                .wall_ms = wall,
                .kind = EV_EXERCISE_STATE,
                .value = (int64_t)(speed * 1000.0 + 0.5),
                .text = PHASE_NAMES[phase],
                /* so that consoles say "speed x2", not the phase again */
                .subject = speed_only ? "speed" : NULL,
                .actor = actor};
    pthread_mutex_unlock(&ex->lock);
    return ok ? record(ex, &ev, NULL) : ENSHU_EINVAL;
}

static bool is_ready(exercise_phase p)
{
    return p == PHASE_READY;
}
static bool is_running(exercise_phase p)
{
    return p == PHASE_RUNNING;
}
static bool is_paused(exercise_phase p)
{
    return p == PHASE_PAUSED;
}
static bool is_not_ended(exercise_phase p)
{
    return p != PHASE_ENDED;
}

int exercise_start(exercise *ex)
{
    return change_phase(ex, is_ready, PHASE_RUNNING, 0, NULL);
}

int exercise_pause(exercise *ex)
{
    return change_phase(ex, is_running, PHASE_PAUSED, 0, NULL);
}

int exercise_continue(exercise *ex)
{
    return change_phase(ex, is_paused, PHASE_RUNNING, 0, NULL);
}

int exercise_set_speed(exercise *ex, double speed)
{
    if (!(speed > 0) || speed > 1000)
        return ENSHU_EINVAL;
    return change_phase(ex, is_not_ended, PHASE_COUNT, speed, NULL);
}

int exercise_end(exercise *ex)
{
    return change_phase(ex, is_not_ended, PHASE_ENDED, 0, NULL);
}

int exercise_control(exercise *ex, exercise_command cmd, double speed, const char *actor)
{
    switch (cmd) {
    case EXERCISE_START:
        return change_phase(ex, is_ready, PHASE_RUNNING, 0, actor);
    case EXERCISE_PAUSE:
        return change_phase(ex, is_running, PHASE_PAUSED, 0, actor);
    case EXERCISE_RESUME:
        return change_phase(ex, is_paused, PHASE_RUNNING, 0, actor);
    case EXERCISE_END:
        return change_phase(ex, is_not_ended, PHASE_ENDED, 0, actor);
    case EXERCISE_SPEED:
        if (!(speed > 0) || speed > 1000)
            return ENSHU_EINVAL;
        return change_phase(ex, is_not_ended, PHASE_COUNT, speed, actor);
    }
    return ENSHU_EINVAL;
}

/* ---- a team's own clock in a self-paced course ---- */

static int record_team_clock(exercise *ex, int team, team_phase to, team_phase only_from,
                             const char *actor)
{
    int64_t wall = ex->hooks.wall_ms(ex->hooks.ctx);
    event ev;
    pthread_mutex_lock(&ex->lock);
    int rc = team < 1 || (unsigned)team > ex->nteams ? ENSHU_ENOTFOUND
             : ex->phase == PHASE_ENDED              ? ENSHU_EINVAL /* the course closed */
             : only_from != TEAM_PHASE_COUNT && team_clocks_phase(ex->clocks, team) != only_from
                 ? ENSHU_EINVAL
                 : team_clocks_change(ex->clocks, team, to, wall, actor, &ev);
    pthread_mutex_unlock(&ex->lock);
    return rc == ENSHU_OK ? record(ex, &ev, NULL) : rc;
}

int exercise_team_control(exercise *ex, int team, exercise_command cmd, const char *actor)
{
    if (team == 0)
        return exercise_control(ex, cmd, 0, actor);
    if (!team_clocks_per_team(ex->clocks))
        return ENSHU_EINVAL; /* a class: teams read the class's clock */
    switch (cmd) {
    case EXERCISE_START:
        return record_team_clock(ex, team, TEAM_RUNNING, TEAM_READY, actor);
    case EXERCISE_PAUSE:
        return record_team_clock(ex, team, TEAM_PAUSED, TEAM_RUNNING, actor);
    case EXERCISE_RESUME:
        return record_team_clock(ex, team, TEAM_RUNNING, TEAM_PAUSED, actor);
    case EXERCISE_END:
        return record_team_clock(ex, team, TEAM_ENDED, TEAM_PHASE_COUNT, actor);
    case EXERCISE_SPEED:
        break; /* a trainee's clock runs at the speed of the world */
    }
    return ENSHU_EINVAL;
}

int exercise_team_away(exercise *ex, int team, bool away, const char *actor)
{
    if (team < 1 || (unsigned)team > ex->nteams)
        return ENSHU_ENOTFOUND;
    if (!team_clocks_per_team(ex->clocks))
        return ENSHU_EEXIST;
    int64_t wall = ex->hooks.wall_ms(ex->hooks.ctx);
    event ev;
    pthread_mutex_lock(&ex->lock);
    int rc = ex->phase == PHASE_ENDED ? ENSHU_EEXIST
                                      : team_clocks_away(ex->clocks, team, away,
                                                         ex->s->pause_while_away, wall, actor, &ev);
    pthread_mutex_unlock(&ex->lock);
    return rc == ENSHU_OK ? record(ex, &ev, NULL) : rc;
}

/* ---- instructor actions on injects ---- */

/* The idempotence key of an inject's attempt for a team: firing it and
 * skipping it share it, so only one of them ever happens. The first
 * attempt's key has no number (as in ledgers from before retries). */
static void inject_key(exercise *ex, int team, size_t i, char *key, size_t size)
{
    pthread_mutex_lock(&ex->lock);
    unsigned attempt = ex->attempt[(size_t)(team - 1) * ex->s->ninjects + i];
    pthread_mutex_unlock(&ex->lock);
    if (attempt)
        snprintf(key, size, "inject/%d/%s/%u", team, ex->s->injects[i].id, attempt);
    else
        snprintf(key, size, "inject/%d/%s", team, ex->s->injects[i].id);
}

/* Records a failed inject's next attempt. Two instructors retrying at once
 * record it once: the second gets ENSHU_EEXIST. */
static int retry_inject(exercise *ex, int team, size_t i, const char *actor)
{
    const inject *inj = &ex->s->injects[i];
    size_t slot = (size_t)(team - 1) * ex->s->ninjects + i;
    pthread_mutex_lock(&ex->lock);
    inject_state st = timeline_state(ex->timelines[team - 1], i);
    exercise_phase phase = team_phase_locked(ex, team);
    unsigned next = ex->attempt[slot] + 1;
    pthread_mutex_unlock(&ex->lock);
    if (st != INJECT_FAILED)
        return ENSHU_EINVAL;
    if (phase == PHASE_ENDED)
        return ENSHU_EPHASE;
    char key[128];
    snprintf(key, sizeof key, "inject/%d/%s/retry/%u", team, inj->id, next);
    event ev = {.at_ms = team_now(ex, team),
                .team = team,
                .kind = EV_INJECT_RETRIED,
                .subject = inj->id,
                .value = next,
                .actor = actor};
    return record(ex, &ev, key);
}

/* Applies one instructor action to one team's inject. */
static int inject_action(exercise *ex, int team, size_t i, inject_action_kind what,
                         const char *actor)
{
    const inject *inj = &ex->s->injects[i];
    if (what == INJECT_RETRY)
        return retry_inject(ex, team, i, actor);
    pthread_mutex_lock(&ex->lock);
    bool pending = timeline_state(ex->timelines[team - 1], i) == INJECT_PENDING &&
                   !ex->begun[(size_t)(team - 1) * ex->s->ninjects + i];
    pthread_mutex_unlock(&ex->lock);
    if (!pending)
        return ENSHU_EEXIST;
    event ev = {.at_ms = team_now(ex, team), .team = team, .subject = inj->id, .actor = actor};
    char key[128];
    switch (what) {
    case INJECT_RELEASE:
        ev.kind = EV_INJECT_RELEASED;
        return record(ex, &ev, NULL);
    case INJECT_HOLD:
    case INJECT_UNHOLD:
        ev.kind = EV_INJECT_HELD;
        ev.value = what == INJECT_HOLD;
        return record(ex, &ev, NULL);
    case INJECT_SKIP:
        /* The same idempotence key as firing it: whichever comes first
         * wins, so a skipped inject can never run, nor a run one be
         * recorded as skipped. */
        ev.kind = EV_INJECT_SKIPPED;
        ev.text = "skipped by an instructor";
        inject_key(ex, team, i, key, sizeof key);
        return record(ex, &ev, key);
    case INJECT_RETRY:
        break; /* above */
    }
    return ENSHU_EINVAL;
}

int exercise_inject_action(exercise *ex, int team, const char *inject_id, inject_action_kind what,
                           const char *actor)
{
    size_t i = inject_index(ex->s, inject_id);
    if (i == SIZE_MAX)
        return ENSHU_ENOTFOUND;
    if (team < 0 || (unsigned)team > ex->nteams)
        return ENSHU_ENOTFOUND;
    if (team > 0)
        return inject_action(ex, team, i, what, actor);
    /* Every team: those for which it is still pending (or failed, for a
     * retry: the others are not counted against it). */
    int skip = what == INJECT_RETRY ? ENSHU_EINVAL : ENSHU_EEXIST;
    int rc = skip;
    for (unsigned t = 1; t <= ex->nteams; t++) {
        int one = inject_action(ex, (int)t, i, what, actor);
        if (one == ENSHU_OK || (one != skip && rc == skip))
            rc = one;
    }
    return rc;
}

static void fire(exercise *ex, int team, size_t i);

typedef struct fired_inject {
    size_t inject;
    int64_t at_ms;
} fired_inject;

static int by_fired_at(const void *a, const void *b)
{
    const fired_inject *x = a, *y = b;
    return x->at_ms < y->at_ms   ? -1
           : x->at_ms > y->at_ms ? 1
                                 : (x->inject > y->inject) - (x->inject < y->inject);
}

int exercise_rerun_on_new_guests(exercise *ex, const char *actor)
{
    const scenario *s = ex->s;
    fired_inject *list = xcalloc(s->ninjects + 1, sizeof(fired_inject));
    int rc = ENSHU_OK;
    for (unsigned t = 1; t <= ex->nteams && rc == ENSHU_OK; t++) {
        size_t n = 0;
        pthread_mutex_lock(&ex->lock);
        for (size_t i = 0; i < s->ninjects; i++) {
            action_kind k = s->injects[i].action.kind;
            if (k != ACTION_MESSAGE && k != ACTION_NOTE &&
                timeline_state(ex->timelines[t - 1], i) == INJECT_FIRED)
                list[n++] = (fired_inject){i, timeline_done_at(ex->timelines[t - 1], i)};
        }
        pthread_mutex_unlock(&ex->lock);
        qsort(list, n, sizeof *list, by_fired_at);
        for (size_t k = 0; k < n && rc == ENSHU_OK; k++) {
            size_t i = list[k].inject;
            pthread_mutex_lock(&ex->lock);
            unsigned next = ex->attempt[(size_t)(t - 1) * s->ninjects + i] + 1;
            pthread_mutex_unlock(&ex->lock);
            char key[128];
            snprintf(key, sizeof key, "inject/%u/%s/retry/%u", t, s->injects[i].id, next);
            event ev = {.at_ms = team_now(ex, (int)t),
                        .team = (int)t,
                        .kind = EV_INJECT_RETRIED,
                        .subject = s->injects[i].id,
                        .value = next,
                        .text = "run again on the range's new guests",
                        .actor = actor};
            rc = record(ex, &ev, key);
            if (rc == ENSHU_OK)
                fire(ex, (int)t, i);
        }
    }
    free(list);
    return rc;
}

/* ---- what teams and instructors submit ---- */

/* Answers, reports and hints are part of playing: taken only while the
 * exercise runs, so nothing is scored before STARTEX, while the clock
 * stands still, or after ENDEX. Grades are the instructors' work on what
 * teams handed in, which goes on while paused and after the end. */
static bool taken_in(event_kind kind, exercise_phase phase)
{
    return kind == EV_GRADE || phase == PHASE_RUNNING;
}

const char *exercise_phase_refusal(exercise_phase phase)
{
    switch (phase) {
    case PHASE_READY:
        return "the exercise has not started";
    case PHASE_PAUSED:
        return "the exercise is paused";
    case PHASE_ENDED:
        return "the exercise has ended";
    default:
        return "the exercise was not running";
    }
}

int exercise_submit(exercise *ex, const exercise_submission *sub, int64_t *seq)
{
    if (sub->team < 1 || (unsigned)sub->team > ex->nteams)
        return ENSHU_ENOTFOUND;
    const objective *o = scenario_objective(ex->s, sub->objective);
    if (!o)
        return ENSHU_ENOTFOUND;
    size_t oi = (size_t)(o - ex->s->objectives);
    event ev = {.team = sub->team,
                .kind = sub->kind,
                .subject = o->id,
                .text = sub->text,
                .value = sub->value,
                .actor = sub->actor};
    pthread_mutex_lock(&ex->lock);
    const objective_score *os = &grader_team(ex->grader, sub->team)->objectives[oi];
    int rc = ENSHU_OK;
    bool now = taken_in(sub->kind, team_phase_locked(ex, sub->team));
    switch (sub->kind) {
    case EV_ANSWER:
        if (o->kind != OBJ_QUESTION || !sub->text)
            rc = ENSHU_EINVAL;
        else if (!now)
            rc = ENSHU_EPHASE;
        else if (os->achieved || (o->attempts && os->attempts >= o->attempts))
            rc = ENSHU_EEXIST; /* nothing more to answer */
        break;
    case EV_REPORT:
        if (o->kind != OBJ_REPORT || !sub->text)
            rc = ENSHU_EINVAL;
        else if (!now)
            rc = ENSHU_EPHASE;
        break;
    case EV_HINT:
        if (sub->value < 0 || (size_t)sub->value >= o->nhints)
            rc = ENSHU_ENOTFOUND;
        else if (!now)
            rc = ENSHU_EPHASE;
        else if (os->hints_taken & (1ull << sub->value))
            rc = ENSHU_EEXIST;
        break;
    case EV_GRADE:
        if (o->kind != OBJ_REPORT)
            rc = ENSHU_EINVAL;
        else if (!sub->text || strtoul(sub->text, NULL, 10) >= o->nrubric)
            rc = ENSHU_ENOTFOUND;
        else if (sub->value < 0 || sub->value > o->rubric[strtoul(sub->text, NULL, 10)].points)
            rc = ENSHU_EINVAL;
        break;
    default:
        rc = ENSHU_EINVAL;
    }
    pthread_mutex_unlock(&ex->lock);
    if (rc != ENSHU_OK)
        return rc;
    ev.at_ms = team_now(ex, sub->team);
    rc = record(ex, &ev, NULL);
    if (rc == ENSHU_OK && seq)
        *seq = ev.seq;
    return rc;
}

int exercise_broadcast(exercise *ex, int team, const char *text, const char *actor)
{
    if (team < 0 || (unsigned)team > ex->nteams)
        return ENSHU_ENOTFOUND;
    if (!text || !*text)
        return ENSHU_EINVAL;
    event ev = {.at_ms = team_now(ex, team),
                .team = team,
                .kind = EV_INSTRUCTOR,
                .subject = "broadcast",
                .text = text,
                .actor = actor};
    return record(ex, &ev, NULL);
}

/* ---- team requests ---- */

int exercise_request_ask(exercise *ex, int team, const char *request_id, const char *note,
                         const char *actor, int64_t *seq)
{
    const team_request *r = request_id ? scenario_request(ex->s, request_id) : NULL;
    if (team < 1 || (unsigned)team > ex->nteams || !r)
        return ENSHU_ENOTFOUND;
    pthread_mutex_lock(&ex->lock);
    const request_score *rs = &grader_team(ex->grader, team)->requests[r - ex->s->requests];
    int rc = team_phase_locked(ex, team) != PHASE_RUNNING ? ENSHU_EPHASE
             : rs->pending                                ? ENSHU_EEXIST
             : rs->asked - rs->refused >= r->limit        ? ENSHU_EEXIST
                                                          : ENSHU_OK;
    /* Two members asking at once: the ledger takes one ask with this number. */
    char key[160];
    snprintf(key, sizeof key, "request/%d/%s/ask/%d", team, r->id, rs->asked + 1);
    pthread_mutex_unlock(&ex->lock);
    if (rc != ENSHU_OK)
        return rc;
    event ev = {.at_ms = team_now(ex, team),
                .team = team,
                .kind = EV_REQUEST,
                .subject = r->id,
                .text = note && *note ? note : NULL,
                .actor = actor};
    rc = record(ex, &ev, key);
    if (rc == ENSHU_OK && seq)
        *seq = ev.seq;
    return rc;
}

int exercise_request_decide(exercise *ex, int team, const char *request_id, bool approve,
                            const char *note, const char *actor)
{
    const team_request *r = request_id ? scenario_request(ex->s, request_id) : NULL;
    if (team < 1 || (unsigned)team > ex->nteams || !r)
        return ENSHU_ENOTFOUND;
    pthread_mutex_lock(&ex->lock);
    const request_score *rs = &grader_team(ex->grader, team)->requests[r - ex->s->requests];
    bool pending = rs->pending;
    /* Two instructors deciding at once: the ledger takes one decision of
     * this ask (the one numbered asked). */
    char key[160];
    snprintf(key, sizeof key, "request/%d/%s/decision/%d", team, r->id, rs->asked);
    pthread_mutex_unlock(&ex->lock);
    if (!pending)
        return ENSHU_EEXIST; /* decided already, or never asked */
    event ev = {.at_ms = team_now(ex, team),
                .team = team,
                .kind = EV_REQUEST_DECIDED,
                .subject = r->id,
                .value = approve,
                .text = note && *note ? note : NULL,
                .actor = actor};
    return record(ex, &ev, key);
}

/* ---- reports' feedback and the teams' names ---- */

int exercise_feedback(exercise *ex, int team, const char *objective_id, int64_t report,
                      const char *text, const char *actor, int64_t *seq)
{
    const objective *o = objective_id ? scenario_objective(ex->s, objective_id) : NULL;
    if (team < 1 || (unsigned)team > ex->nteams || !o)
        return ENSHU_ENOTFOUND;
    if (!text || !*text)
        return ENSHU_EINVAL;
    pthread_mutex_lock(&ex->lock);
    bool known = report_book_has(ex->reports, team, (size_t)(o - ex->s->objectives), report);
    pthread_mutex_unlock(&ex->lock);
    if (!known)
        return ENSHU_ENOTFOUND;
    event ev = {.at_ms = team_now(ex, team),
                .team = team,
                .kind = EV_FEEDBACK,
                .subject = o->id,
                .value = report,
                .text = text,
                .actor = actor};
    int rc = record(ex, &ev, NULL);
    if (rc == ENSHU_OK && seq)
        *seq = ev.seq;
    return rc;
}

int exercise_name_team(exercise *ex, int team, const char *name, const char *organisation,
                       const char *actor, int64_t *seq)
{
    if (team < 1 || (unsigned)team > ex->nteams)
        return ENSHU_ENOTFOUND;
    if (team_name_problem(name, organisation))
        return ENSHU_EINVAL;
    pthread_mutex_lock(&ex->lock);
    bool taken = team_names_find(ex->names, name, team) != 0;
    pthread_mutex_unlock(&ex->lock);
    if (taken)
        return ENSHU_EEXIST;
    event ev = {.at_ms = team_now(ex, team),
                .team = team,
                .kind = EV_TEAM_NAMED,
                .subject = name,
                .text = organisation && *organisation ? organisation : NULL,
                .actor = actor};
    int rc = record(ex, &ev, NULL);
    if (rc == ENSHU_OK && seq)
        *seq = ev.seq;
    return rc;
}

void exercise_set_team_names(exercise *ex, const team_names *roster)
{
    pthread_mutex_lock(&ex->lock);
    team_names_copy(ex->names, roster);
    pthread_mutex_unlock(&ex->lock);
}

const team_names *exercise_team_names(const exercise *ex)
{
    return ex->names;
}

const report_book *exercise_reports(const exercise *ex)
{
    return ex->reports;
}

static void fire(exercise *ex, int team, size_t i)
{
    const inject *inj = &ex->s->injects[i];
    char key[128];
    inject_key(ex, team, i, key, sizeof key);
    /* Recorded at the time it really begins (not when it fell due): a
     * team's injects run one after another, and the log shows them so. */
    event begin = {
        .at_ms = team_now(ex, team), .team = team, .kind = EV_INJECT_BEGIN, .subject = inj->id};
    if (record(ex, &begin, key) != ENSHU_OK)
        return; /* already begun once (EEXIST), or the ledger failed: never run it */
    inject_outcome out = INJECT_OUTCOME_INIT;
    int rc = ex->hooks.run_inject(ex->hooks.ctx, team, inj, &out);
    char *failure = rc == ENSHU_OK ? NULL : inject_failure_text(&out, rc);
    event done = {.at_ms = team_now(ex, team),
                  .team = team,
                  .kind = rc == ENSHU_OK ? EV_INJECT_FIRED : EV_INJECT_FAILED,
                  .subject = inj->id,
                  .value = rc == ENSHU_OK ? 0 : inject_failure_value(&out, rc),
                  .text = rc == ENSHU_OK ? out.output : failure};
    if (record(ex, &done, NULL) != ENSHU_OK)
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: team %d: inject %s ran but its result could not be recorded", team,
                   inj->id);
    free(failure);
    inject_outcome_fini(&out);
    /* A start or reboot that timed out waiting for the guest's agent did
     * power it on (see exercise_hooks.run_inject). */
    bool powered = rc == ENSHU_OK || (rc == ENSHU_ETIMEOUT && inj->action.power != POWER_STOP);
    /* The node under its own name: the team's, when a variable chose it,
     * so that the ledger alone says which guest was stopped. */
    const char *node_name = node_ref_name(ex->vars, team, inj->target);
    if (inj->action.kind == ACTION_POWER && powered && node_name) {
        /* Injects aimed at a stopped guest wait until it is started again;
         * aimed at a started one whose agent does not answer, they run and
         * their own failures show it. */
        event node_ev = {.at_ms = team_now(ex, team),
                         .team = team,
                         .kind = EV_NODE_STATE,
                         .subject = node_name,
                         .value = inj->action.power != POWER_STOP};
        if (record(ex, &node_ev, NULL) != ENSHU_OK)
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: team %d: the power state of %s could not be recorded", team,
                       node_name);
    }
    /* The inject may have changed what the checks see: probe them all at once
     * and record what they see even if it looks the same as before. Otherwise
     * a team that undoes the attack between two probes would leave no trace
     * of having done it after the inject. */
    int64_t after = team_now(ex, team);
    pthread_mutex_lock(&ex->lock);
    for (size_t c = 0; c < ex->s->nchecks; c++) {
        size_t slot = (size_t)(team - 1) * ex->s->nchecks + c;
        ex->last_check[slot] = -1;
        ex->next_check[slot] = after;
        if (ex->probing[slot])
            ex->forced[slot] = true; /* that probe may have looked before the inject */
    }
    pthread_mutex_unlock(&ex->lock);
}

static void probe(exercise *ex, int team, size_t i, int64_t now)
{
    const check *c = &ex->s->checks[i];
    size_t slot = (size_t)(team - 1) * ex->s->nchecks + i;
    pthread_mutex_lock(&ex->lock);
    ex->next_check[slot] = now + c->interval_ms;
    pthread_mutex_unlock(&ex->lock);
    bool passing = false;
    char *output = NULL;
    int rc = ex->hooks.run_check(ex->hooks.ctx, team, c, &passing, &output);
    pthread_mutex_lock(&ex->lock);
    signed char last = ex->last_check[slot];
    bool confirmed = false;
    if (rc == ENSHU_OK) {
        /* The run of probes that agree goes on across an inject's forced
         * probe: a state seen long enough already is recorded again at once. */
        if (ex->seen_check[slot] != (signed char)passing) {
            ex->seen_check[slot] = (signed char)passing;
            ex->seen_streak[slot] = 0;
        }
        if (ex->seen_streak[slot] < UCHAR_MAX)
            ex->seen_streak[slot]++;
        confirmed = ex->seen_streak[slot] >= (c->confirm > 1 ? c->confirm : 1);
    }
    pthread_mutex_unlock(&ex->lock);
    if (rc == ENSHU_OK && confirmed && last != (signed char)passing) {
        /* Only changes are events: a check that stays the same says nothing new. */
        event ev = {.at_ms = now,
                    .team = team,
                    .kind = EV_CHECK_RESULT,
                    .subject = c->id,
                    .value = passing,
                    .text = output};
        if (record(ex, &ev, NULL) != ENSHU_OK)
            log_printf(ENSHU_LOG_ERROR, "enshu: team %d: check %s could not be recorded", team,
                       c->id);
    }
    free(output);
}

static bool is_stopping(exercise *ex)
{
    pthread_mutex_lock(&ex->lock);
    bool stopping = ex->stopping;
    pthread_mutex_unlock(&ex->lock);
    return stopping;
}

/* Fires the team's due injects until none is due: firing one can make the
 * next due at once (after, delay 0). Between two injects it gives up when
 * the exercise is being freed. due: scratch of ninjects + 1. */
static void fire_due(exercise *ex, int team, size_t *due)
{
    timeline *tl = ex->timelines[team - 1];
    for (size_t round = 0; round <= ex->s->ninjects; round++) {
        int64_t now = team_now(ex, team);
        pthread_mutex_lock(&ex->lock);
        size_t n = team_phase_locked(ex, team) == PHASE_RUNNING
                       ? timeline_due(tl, now, due, ex->s->ninjects)
                       : 0;
        pthread_mutex_unlock(&ex->lock);
        for (size_t k = 0; k < n; k++) {
            if (is_stopping(ex))
                return;
            fire(ex, team, due[k]);
        }
        if (n == 0)
            break;
    }
}

/* ---- inline: everything in exercise_step's thread, one team after another ---- */

/* One team's share of an inline step; sets team_next. */
static void step_team_inline(exercise *ex, int team, size_t *due)
{
    size_t t = (size_t)team - 1;
    pthread_mutex_lock(&ex->lock);
    bool running = team_phase_locked(ex, team) == PHASE_RUNNING;
    if (!running)
        ex->team_next[t] = INT64_MAX; /* its clock stands: nothing falls due */
    pthread_mutex_unlock(&ex->lock);
    if (!running)
        return;
    fire_due(ex, team, due);
    int64_t now = team_now(ex, team), next = INT64_MAX;
    for (size_t c = 0; c < ex->s->nchecks; c++) {
        size_t slot = t * ex->s->nchecks + c;
        pthread_mutex_lock(&ex->lock);
        bool is_due = ex->next_check[slot] <= now;
        pthread_mutex_unlock(&ex->lock);
        if (is_due)
            probe(ex, team, c, now);
        pthread_mutex_lock(&ex->lock);
        if (ex->next_check[slot] < next)
            next = ex->next_check[slot];
        pthread_mutex_unlock(&ex->lock);
    }
    now = team_now(ex, team);
    pthread_mutex_lock(&ex->lock);
    int64_t wake = timeline_next_wakeup(ex->timelines[t], now);
    ex->team_next[t] = wake < next ? wake : next;
    pthread_mutex_unlock(&ex->lock);
}

/* ---- lanes: each team's own threads ---- */

static void *injector_main(void *arg)
{
    team_lane *lane = arg;
    exercise *ex = lane->ex;
    size_t *due = xcalloc(ex->s->ninjects + 1, sizeof(size_t));
    pthread_mutex_lock(&ex->lock);
    for (;;) {
        while (!lane->fire_wanted && !ex->stopping)
            pthread_cond_wait(&lane->inject_work, &ex->lock);
        if (ex->stopping)
            break;
        lane->fire_wanted = false;
        pthread_mutex_unlock(&ex->lock);
        fire_due(ex, lane->team, due);
        pthread_mutex_lock(&ex->lock);
        lane->busy = false;
        changed_locked(ex); /* what comes next for this team is known again */
    }
    pthread_mutex_unlock(&ex->lock);
    free(due);
    return NULL;
}

static void *prober_main(void *arg)
{
    team_lane *lane = arg;
    exercise *ex = lane->ex;
    pthread_mutex_lock(&ex->lock);
    for (;;) {
        while (!lane->probe_head && !ex->stopping)
            pthread_cond_wait(&lane->probe_work, &ex->lock);
        if (ex->stopping)
            break;
        probe_job *job = lane->probe_head;
        lane->probe_head = job->next;
        if (!lane->probe_head)
            lane->probe_tail = NULL;
        pthread_mutex_unlock(&ex->lock);
        probe(ex, lane->team, job->check, team_now(ex, lane->team));
        size_t slot = (size_t)(lane->team - 1) * ex->s->nchecks + job->check;
        int64_t now = team_now(ex, lane->team);
        pthread_mutex_lock(&ex->lock);
        ex->probing[slot] = false;
        if (ex->forced[slot]) {
            /* What that probe recorded it saw before the inject: the probe
             * again at once records what it sees, even the same state. */
            ex->forced[slot] = false;
            ex->last_check[slot] = -1;
            ex->next_check[slot] = now;
        }
        free(job);
        changed_locked(ex); /* its next probe is due at a time the last step did not count */
    }
    pthread_mutex_unlock(&ex->lock);
    return NULL;
}

/* Starts every team's injector and probers_per_team probers; false (and
 * no thread left) if one could not start. */
static bool lanes_start(exercise *ex, unsigned probers_per_team)
{
    ex->lanes = xcalloc(ex->nteams, sizeof(team_lane));
    for (unsigned t = 0; t < ex->nteams; t++) {
        team_lane *lane = &ex->lanes[t];
        lane->ex = ex;
        lane->team = (int)t + 1;
        lane->due = xcalloc(ex->s->ninjects + 1, sizeof(size_t));
        pthread_cond_init(&lane->inject_work, NULL);
        pthread_cond_init(&lane->probe_work, NULL);
        lane->probers = xcalloc(probers_per_team + 1, sizeof(pthread_t));
    }
    for (unsigned t = 0; t < ex->nteams; t++) {
        team_lane *lane = &ex->lanes[t];
        if (pthread_create(&lane->injector, NULL, injector_main, lane) != 0)
            goto fail;
        lane->has_injector = true;
        for (; lane->nprobers < probers_per_team; lane->nprobers++)
            if (pthread_create(&lane->probers[lane->nprobers], NULL, prober_main, lane) != 0)
                goto fail;
    }
    return true;
fail:
    lanes_stop(ex);
    ex->stopping = false; /* inline from now on */
    return false;
}

/* Ends and frees the lanes. An action under way ends first (within its
 * timeout); a team's due injects not yet begun are left for a restart. */
static void lanes_stop(exercise *ex)
{
    if (!ex->lanes)
        return;
    pthread_mutex_lock(&ex->lock);
    ex->stopping = true;
    for (unsigned t = 0; t < ex->nteams; t++) {
        pthread_cond_broadcast(&ex->lanes[t].inject_work);
        pthread_cond_broadcast(&ex->lanes[t].probe_work);
    }
    pthread_cond_broadcast(&ex->changed);
    pthread_mutex_unlock(&ex->lock);
    for (unsigned t = 0; t < ex->nteams; t++) {
        team_lane *lane = &ex->lanes[t];
        if (lane->has_injector)
            pthread_join(lane->injector, NULL);
        for (unsigned i = 0; i < lane->nprobers; i++)
            pthread_join(lane->probers[i], NULL);
        for (probe_job *j = lane->probe_head, *next; j; j = next) {
            next = j->next;
            free(j);
        }
        free(lane->probers);
        free(lane->due);
        pthread_cond_destroy(&lane->inject_work);
        pthread_cond_destroy(&lane->probe_work);
    }
    free(ex->lanes);
    ex->lanes = NULL;
}

/* Queues the lane's due probes; returns the earliest time a probe that is
 * not under way is due. Called with the lock held. */
static int64_t queue_probes_locked(exercise *ex, team_lane *lane, int64_t now)
{
    int64_t next = INT64_MAX;
    for (size_t c = 0; c < ex->s->nchecks; c++) {
        size_t slot = (size_t)(lane->team - 1) * ex->s->nchecks + c;
        if (ex->probing[slot])
            continue;
        if (ex->next_check[slot] <= now) {
            probe_job *job = xcalloc(1, sizeof(probe_job));
            job->check = c;
            if (lane->probe_tail)
                lane->probe_tail->next = job;
            else
                lane->probe_head = job;
            lane->probe_tail = job;
            ex->probing[slot] = true;
            pthread_cond_signal(&lane->probe_work);
            continue;
        }
        if (ex->next_check[slot] < next)
            next = ex->next_check[slot];
    }
    return next;
}

/* One team's share of a step with lanes: hands its due injects to its
 * injector unless that one is still busy, and queues its due probes. Sets
 * team_next to what is known now: a busy team's next injects are not (its
 * injector tells exercise_wait when it is done). Called with the lock held;
 * never waits. */
static void step_lane_locked(exercise *ex, team_lane *lane, int64_t wall)
{
    size_t t = (size_t)lane->team - 1;
    timeline *tl = ex->timelines[t];
    int64_t next = INT64_MAX;
    if (team_phase_locked(ex, lane->team) != PHASE_RUNNING) {
        ex->team_next[t] = INT64_MAX; /* its clock stands: nothing falls due */
        return;
    }
    int64_t now = team_clocks_now(ex->clocks, lane->team, wall);
    if (!lane->busy) {
        if (timeline_due(tl, now, lane->due, ex->s->ninjects) > 0) {
            lane->busy = lane->fire_wanted = true;
            pthread_cond_signal(&lane->inject_work);
        } else {
            next = timeline_next_wakeup(tl, now);
        }
    }
    if (lane->nprobers) {
        int64_t probe_next = queue_probes_locked(ex, lane, now);
        if (probe_next < next)
            next = probe_next;
    }
    ex->team_next[t] = next;
}

int64_t exercise_step(exercise *ex)
{
    /* What changes from here on wakes exercise_wait(). */
    pthread_mutex_lock(&ex->lock);
    ex->changes_seen = ex->changes;
    /* A class runs while its clock does; a course's teams each run on
     * their own clock until the course is closed (the class's ENDED). */
    bool running =
        team_clocks_per_team(ex->clocks) ? ex->phase != PHASE_ENDED : ex->phase == PHASE_RUNNING;
    pthread_mutex_unlock(&ex->lock);
    if (!running)
        return INT64_MAX;
    if (ex->lanes) {
        int64_t wall = ex->hooks.wall_ms(ex->hooks.ctx);
        pthread_mutex_lock(&ex->lock);
        for (unsigned t = 0; t < ex->nteams; t++)
            step_lane_locked(ex, &ex->lanes[t], wall);
        pthread_mutex_unlock(&ex->lock);
    } else {
        size_t *due = xcalloc(ex->s->ninjects + 1, sizeof(size_t));
        for (unsigned t = 0; t < ex->nteams; t++)
            step_team_inline(ex, (int)t + 1, due);
        free(due);
    }
    /* Each team's next due time is in its own time: the step wakes at the
     * earliest of them in wall time. */
    pthread_mutex_lock(&ex->lock);
    int64_t wake = INT64_MAX;
    for (unsigned t = 0; t < ex->nteams; t++) {
        if (ex->team_next[t] == INT64_MAX)
            continue;
        int64_t at = team_clocks_wall_at(ex->clocks, (int)t + 1, ex->team_next[t]);
        if (at < wake)
            wake = at;
    }
    pthread_mutex_unlock(&ex->lock);
    return wake;
}

void exercise_wait(exercise *ex, int64_t max_ms)
{
    struct timespec until = monotonic_deadline(max_ms);
    pthread_mutex_lock(&ex->lock);
    while (max_ms > 0 && ex->changes == ex->changes_seen && !ex->stopping)
        if (pthread_cond_timedwait(&ex->changed, &ex->lock, &until) != 0)
            break;
    pthread_mutex_unlock(&ex->lock);
}

exercise_phase exercise_get_phase(const exercise *ex)
{
    exercise *mut = (exercise *)ex; /* the lock only */
    pthread_mutex_lock(&mut->lock);
    exercise_phase phase = ex->phase;
    pthread_mutex_unlock(&mut->lock);
    return phase;
}

int64_t exercise_now(const exercise *ex)
{
    return team_now(ex, 0);
}

int64_t exercise_team_now(const exercise *ex, int team)
{
    return team_now(ex, team);
}

exercise_phase exercise_team_phase(const exercise *ex, int team)
{
    exercise *mut = (exercise *)ex; /* the lock only */
    pthread_mutex_lock(&mut->lock);
    exercise_phase phase = team_phase_locked(ex, team);
    pthread_mutex_unlock(&mut->lock);
    return phase;
}

bool exercise_self_paced(const exercise *ex)
{
    return team_clocks_per_team(ex->clocks);
}

void exercise_set_self_paced(exercise *ex)
{
    pthread_mutex_lock(&ex->lock);
    team_clocks_free(ex->clocks);
    ex->clocks = team_clocks_new(ex->nteams, true);
    pthread_mutex_unlock(&ex->lock);
}

double exercise_speed(const exercise *ex)
{
    exercise *mut = (exercise *)ex;
    pthread_mutex_lock(&mut->lock);
    double speed = team_clocks_of(ex->clocks, 0)->speed;
    pthread_mutex_unlock(&mut->lock);
    return speed;
}

void exercise_lock(exercise *ex)
{
    pthread_mutex_lock(&ex->lock);
}

void exercise_unlock(exercise *ex)
{
    pthread_mutex_unlock(&ex->lock);
}

unsigned exercise_teams(const exercise *ex)
{
    return ex->nteams;
}

const scenario *exercise_scenario(const exercise *ex)
{
    return ex->s;
}

const timeline *exercise_timeline(const exercise *ex, int team)
{
    return team >= 1 && (unsigned)team <= ex->nteams ? ex->timelines[team - 1] : NULL;
}

void exercise_set_team_vars(exercise *ex, const team_vars *v)
{
    ex->vars = v;
    grader_set_team_vars(ex->grader, v);
    for (unsigned t = 0; t < ex->nteams; t++)
        timeline_use_vars(ex->timelines[t], v, (int)t + 1);
}

const grader *exercise_grader(const exercise *ex)
{
    return ex->grader;
}
