/*
 * Due injects and their explanations for one team (see timeline.h).
 *
 * Conditions are evaluated to (holds, since): whether they hold now and the
 * exercise time their value last changed, so "for: 20m" is simply
 * holds && now - since >= 20m, and the time it will hold is since + 20m.
 */
#include "timeline.h"
#include "alloc.h"
#include "node_ref.h"
#include "progress_condition.h"
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct inject_status {
    inject_state state;
    int64_t done_ms;
    bool held;
    bool released;
} inject_status;

typedef struct check_status {
    bool known;
    bool passing;
    int64_t since_ms;
} check_status;

struct timeline {
    const scenario *s;
    inject_status *injects;
    check_status *checks;
    bool *node_down;
    size_t *after_index;        /* resolved 'after' references; SIZE_MAX when none */
    const team_score *progress; /* the team's score, or NULL */
    const team_vars *vars;      /* the team's values, for targets chosen by a variable */
    int team;
};

static size_t inject_index(const scenario *s, const char *id)
{
    for (size_t i = 0; i < s->ninjects; i++)
        if (s->injects[i].id && strcmp(s->injects[i].id, id) == 0)
            return i;
    return SIZE_MAX;
}

static size_t check_index(const scenario *s, const char *id)
{
    for (size_t i = 0; i < s->nchecks; i++)
        if (s->checks[i].id && strcmp(s->checks[i].id, id) == 0)
            return i;
    return SIZE_MAX;
}

timeline *timeline_new(const scenario *s)
{
    timeline *tl = xcalloc(1, sizeof(timeline));
    tl->s = s;
    tl->injects = xcalloc(s->ninjects, sizeof(inject_status));
    tl->checks = xcalloc(s->nchecks, sizeof(check_status));
    tl->node_down = xcalloc(s->nnodes, sizeof(bool));
    tl->after_index = xcalloc(s->ninjects, sizeof(size_t));
    for (size_t i = 0; i < s->ninjects; i++)
        tl->after_index[i] = s->injects[i].trigger == TRIGGER_AFTER && s->injects[i].after
                                 ? inject_index(s, s->injects[i].after)
                                 : SIZE_MAX;
    return tl;
}

void timeline_free(timeline *tl)
{
    if (!tl)
        return;
    free(tl->injects);
    free(tl->checks);
    free(tl->node_down);
    free(tl->after_index);
    free(tl);
}

void timeline_watch_progress(timeline *tl, const team_score *ts)
{
    tl->progress = ts;
}

void timeline_use_vars(timeline *tl, const team_vars *v, int team)
{
    tl->vars = v;
    tl->team = team;
}

void timeline_inject_done(timeline *tl, size_t inject_i, inject_state state, int64_t ex_ms)
{
    if (inject_i >= tl->s->ninjects || tl->injects[inject_i].state != INJECT_PENDING)
        return; /* an inject happens at most once */
    tl->injects[inject_i].state = state;
    tl->injects[inject_i].done_ms = ex_ms;
}

void timeline_check_result(timeline *tl, size_t check_i, bool passing, int64_t ex_ms)
{
    if (check_i >= tl->s->nchecks)
        return;
    check_status *c = &tl->checks[check_i];
    if (!c->known || c->passing != passing)
        c->since_ms = ex_ms;
    c->known = true;
    c->passing = passing;
}

void timeline_node_up(timeline *tl, size_t node_i, bool up)
{
    if (node_i < tl->s->nnodes)
        tl->node_down[node_i] = !up;
}

int64_t timeline_done_at(const timeline *tl, size_t inject_i)
{
    return tl->injects[inject_i].state == INJECT_PENDING ? -1 : tl->injects[inject_i].done_ms;
}

bool timeline_held(const timeline *tl, size_t inject_i)
{
    return tl->injects[inject_i].held;
}

void timeline_hold(timeline *tl, size_t inject_i, bool held)
{
    if (inject_i < tl->s->ninjects)
        tl->injects[inject_i].held = held;
}

void timeline_release(timeline *tl, size_t inject_i)
{
    if (inject_i < tl->s->ninjects)
        tl->injects[inject_i].released = true;
}

void timeline_retry(timeline *tl, size_t inject_i)
{
    if (inject_i >= tl->s->ninjects || (tl->injects[inject_i].state != INJECT_FAILED &&
                                        tl->injects[inject_i].state != INJECT_FIRED))
        return;
    tl->injects[inject_i].state = INJECT_PENDING;
    tl->injects[inject_i].done_ms = -1;
    tl->injects[inject_i].released = true;
}

inject_state timeline_state(const timeline *tl, size_t inject_i)
{
    return inject_i < tl->s->ninjects ? tl->injects[inject_i].state : INJECT_SKIPPED;
}

/* ---- conditions ---- */

typedef struct cond_value {
    bool known; /* false while a check it needs has no result yet */
    bool holds;
    int64_t since_ms; /* when the value last changed (as far as we know) */
} cond_value;

static cond_value evaluate(const timeline *tl, const condition *c, int64_t now);

/* The condition's own value before its "for" and "within" apply. */
static cond_value evaluate_raw(const timeline *tl, const condition *c, int64_t now)
{
    cond_value v = {true, false, 0};
    switch (c->kind) {
    case COND_CHECK: {
        size_t i = check_index(tl->s, c->ref);
        v.known = i != SIZE_MAX && tl->checks[i].known;
        if (v.known) {
            v.holds = tl->checks[i].passing;
            v.since_ms = tl->checks[i].since_ms;
        }
        break;
    }
    case COND_INJECT: {
        size_t i = inject_index(tl->s, c->ref);
        if (i != SIZE_MAX && tl->injects[i].state == INJECT_FIRED) {
            v.holds = true;
            v.since_ms = tl->injects[i].done_ms;
        }
        break;
    }
    case COND_NOT:
        if (c->nkids) {
            v = evaluate(tl, c->kids[0], now);
            v.holds = v.known && !v.holds; /* not (unknown) is still unknown */
        }
        break;
    case COND_ALL:
        v.holds = true;
        for (size_t i = 0; i < c->nkids; i++) {
            cond_value k = evaluate(tl, c->kids[i], now);
            v.known = v.known && k.known;
            v.holds = v.holds && k.holds;
            if (k.since_ms > v.since_ms)
                v.since_ms = k.since_ms;
        }
        break;
    case COND_ANY: {
        int64_t earliest = INT64_MAX;
        for (size_t i = 0; i < c->nkids; i++) {
            cond_value k = evaluate(tl, c->kids[i], now);
            if (k.holds && k.since_ms < earliest)
                earliest = k.since_ms;
        }
        v.holds = earliest != INT64_MAX;
        v.since_ms = v.holds ? earliest : 0;
        for (size_t i = 0; i < c->nkids && !v.holds; i++)
            v.known = v.known && evaluate(tl, c->kids[i], now).known;
        break;
    }
    default: /* the team's progress */
        v.holds = progress_condition_holds(tl->s, tl->progress, c, &v.since_ms);
        break;
    }
    return v;
}

static cond_value evaluate(const timeline *tl, const condition *c, int64_t now)
{
    cond_value v = evaluate_raw(tl, c, now);
    if (v.holds && c->hold_ms && now - v.since_ms < c->hold_ms)
        v.holds = false;
    else if (v.holds && c->hold_ms)
        v.since_ms += c->hold_ms;
    if (c->within_ms && now > c->within_ms)
        v.holds = false;
    return v;
}

/* When a condition that is not yet true will become true if nothing else
 * changes (a "for" running out); INT64_MAX if it needs an event. */
static int64_t condition_wakeup(const timeline *tl, const condition *c, int64_t now)
{
    cond_value raw = evaluate_raw(tl, c, now);
    if (c->hold_ms && raw.holds && now - raw.since_ms < c->hold_ms) {
        int64_t at = raw.since_ms + c->hold_ms;
        return c->within_ms && at > c->within_ms ? INT64_MAX : at;
    }
    int64_t best = INT64_MAX;
    if (c->kind == COND_ALL || c->kind == COND_ANY)
        for (size_t i = 0; i < c->nkids; i++) {
            int64_t k = condition_wakeup(tl, c->kids[i], now);
            if (k < best)
                best = k;
        }
    return best;
}

/* ---- due injects ---- */

/* The node inject i waits to be up, the team's own when a variable
 * chooses it; NULL for one that brings it up itself (power: start or
 * reboot). */
static const node *target_node(const timeline *tl, size_t inject_i, size_t *index_out)
{
    const action *a = &tl->s->injects[inject_i].action;
    if (a->kind == ACTION_POWER && a->power != POWER_STOP)
        return NULL;
    const node *nd = node_ref_node(tl->s, tl->vars, tl->team, tl->s->injects[inject_i].target);
    if (nd)
        *index_out = (size_t)(nd - tl->s->nodes);
    return nd;
}

/* Exercise time at which inject i is due on its own trigger; INT64_MAX if
 * it waits for an event. */
static int64_t due_at(const timeline *tl, size_t i, int64_t now)
{
    const inject *inj = &tl->s->injects[i];
    if (tl->injects[i].released)
        return 0;
    switch (inj->trigger) {
    case TRIGGER_AT:
        return inj->at_ms;
    case TRIGGER_AFTER: {
        size_t a = tl->after_index[i];
        if (a == SIZE_MAX || tl->injects[a].state != INJECT_FIRED)
            return INT64_MAX;
        return tl->injects[a].done_ms + inj->delay_ms;
    }
    case TRIGGER_WHEN:
        if (inj->when && evaluate(tl, inj->when, now).holds)
            return now;
        return inj->when ? condition_wakeup(tl, inj->when, now) : INT64_MAX;
    default:
        return INT64_MAX;
    }
}

static bool blocked(const timeline *tl, size_t i)
{
    size_t node_i;
    if (tl->injects[i].state != INJECT_PENDING || tl->injects[i].held)
        return true;
    return target_node(tl, i, &node_i) && tl->node_down[node_i];
}

size_t timeline_due(const timeline *tl, int64_t ex_ms, size_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < tl->s->ninjects; i++) {
        if (blocked(tl, i) || due_at(tl, i, ex_ms) > ex_ms)
            continue;
        if (n < cap)
            out[n] = i;
        n++;
    }
    return n;
}

int64_t timeline_next_wakeup(const timeline *tl, int64_t ex_ms)
{
    int64_t best = INT64_MAX;
    for (size_t i = 0; i < tl->s->ninjects; i++) {
        if (blocked(tl, i))
            continue;
        int64_t at = due_at(tl, i, ex_ms);
        if (at > ex_ms && at < best)
            best = at;
    }
    return best;
}

/* ---- explanations ---- */

/* An exercise time for people: whole seconds (sub-second only near 0). */
static void format_moment(int64_t ms, char *buf, size_t size)
{
    format_duration(ms >= 1000 ? ms - ms % 1000 : ms, buf, size);
}

static void describe_condition(const timeline *tl, const condition *c, int64_t now, FILE *f)
{
    static const char *const joins[] = {[COND_ALL] = " and ", [COND_ANY] = " or "};
    char dur[32];
    switch (c->kind) {
    case COND_CHECK: {
        size_t i = check_index(tl->s, c->ref);
        const check_status *st = i == SIZE_MAX ? NULL : &tl->checks[i];
        if (!st || !st->known) {
            fprintf(f, "check %s has no result yet", c->ref);
        } else {
            format_moment(st->since_ms, dur, sizeof dur);
            fprintf(f, "check %s %s since T+%s", c->ref, st->passing ? "passing" : "failing", dur);
        }
        break;
    }
    case COND_INJECT:
        fprintf(f, "inject %s %s", c->ref,
                timeline_state(tl, inject_index(tl->s, c->ref)) == INJECT_FIRED ? "fired"
                                                                                : "not fired");
        break;
    case COND_NOT:
        fputs("not (", f);
        if (c->nkids)
            describe_condition(tl, c->kids[0], now, f);
        fputc(')', f);
        break;
    case COND_ALL:
    case COND_ANY:
        fputc('(', f);
        for (size_t i = 0; i < c->nkids; i++) {
            if (i)
                fputs(joins[c->kind], f);
            describe_condition(tl, c->kids[i], now, f);
        }
        fputc(')', f);
        break;
    default:
        progress_condition_describe(tl->s, tl->progress, c, f);
        break;
    }
    if (c->hold_ms) {
        format_duration(c->hold_ms, dur, sizeof dur);
        fprintf(f, " for %s", dur);
    }
    if (c->within_ms) {
        format_duration(c->within_ms, dur, sizeof dur);
        fprintf(f, " within T+%s", dur);
    }
}

static const char *state_word(inject_state st)
{
    switch (st) {
    case INJECT_FIRED:
        return "fired";
    case INJECT_FAILED:
        return "failed";
    case INJECT_SKIPPED:
        return "skipped";
    default:
        return "pending";
    }
}

void timeline_reason_of(const timeline *tl, size_t i, int64_t now, timeline_clock clock,
                        timeline_reason *out)
{
    memset(out, 0, sizeof *out);
    out->paused = clock == TIMELINE_PAUSED;
    const inject *inj = &tl->s->injects[i];
    const inject_status *st = &tl->injects[i];
    if (st->held) {
        out->wait = TIMELINE_WAIT_HELD;
        return;
    }
    size_t node_i;
    const node *target = target_node(tl, i, &node_i);
    int64_t at = due_at(tl, i, now);
    if (target && tl->node_down[node_i]) {
        out->wait = TIMELINE_WAIT_NODE_DOWN;
        out->ref = target->name;
    } else if (at <= now) {
        out->wait = TIMELINE_WAIT_DUE;
    } else if (inj->trigger == TRIGGER_MANUAL) {
        out->wait = TIMELINE_WAIT_MANUAL;
    } else if (inj->trigger == TRIGGER_AFTER && at == INT64_MAX) {
        out->wait = TIMELINE_WAIT_AFTER;
        out->ref = inj->after;
        out->ref_state = timeline_state(tl, tl->after_index[i]);
    } else if (inj->trigger == TRIGGER_WHEN && at == INT64_MAX) {
        out->wait = TIMELINE_WAIT_WHEN;
    } else {
        out->wait = TIMELINE_WAIT_UNTIL;
        out->at_ms = at >= 1000 ? at - at % 1000 : at;
        if (inj->trigger == TRIGGER_AFTER) {
            out->ref = inj->after;
            out->delay_ms = inj->delay_ms;
        }
    }
}

char *timeline_condition_text(const timeline *tl, size_t i, int64_t now)
{
    const inject *inj = &tl->s->injects[i];
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("?");
    if (inj->when)
        describe_condition(tl, inj->when, now, f);
    fclose(f);
    return buf;
}

/* The English sentence of a pending inject's reason (not after ENDEX). */
static void explain_pending(const timeline *tl, size_t i, int64_t now, timeline_clock clock,
                            FILE *f)
{
    timeline_reason r;
    timeline_reason_of(tl, i, now, clock, &r);
    char dur[32];
    switch (r.wait) {
    case TIMELINE_WAIT_HELD:
        fputs("held by an instructor", f);
        return; /* held: the pause is beside the point */
    case TIMELINE_WAIT_NODE_DOWN:
        fprintf(f, "its target node %s is down", r.ref);
        break;
    case TIMELINE_WAIT_DUE:
        fputs("due now", f);
        break;
    case TIMELINE_WAIT_MANUAL:
        fputs("waiting to be released by an instructor", f);
        break;
    case TIMELINE_WAIT_AFTER:
        fprintf(f, "waiting for inject %s (%s)", r.ref, state_word(r.ref_state));
        if (r.ref_state == INJECT_SKIPPED || r.ref_state == INJECT_FAILED)
            fputs("; release or skip this one too", f);
        break;
    case TIMELINE_WAIT_WHEN: {
        char *cond = timeline_condition_text(tl, i, now);
        fprintf(f, "waiting for %s", cond);
        free(cond);
        break;
    }
    case TIMELINE_WAIT_UNTIL:
        format_moment(r.at_ms, dur, sizeof dur);
        fprintf(f, "waiting until T+%s", dur);
        if (r.ref) {
            char delay[32];
            format_duration(r.delay_ms, delay, sizeof delay);
            fprintf(f, " (%s after %s)", delay, r.ref);
        }
        break;
    }
    if (r.paused)
        fputs("; the exercise is paused", f);
}

char *timeline_explain(const timeline *tl, size_t i, int64_t now, timeline_clock clock)
{
    if (i >= tl->s->ninjects)
        return xstrdup("no such inject");
    const inject_status *st = &tl->injects[i];
    char dur[32];
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return xstrdup("?");
    if (st->state != INJECT_PENDING) {
        format_moment(st->done_ms, dur, sizeof dur);
        fprintf(f, "%s at T+%s", state_word(st->state), dur);
    } else if (clock == TIMELINE_ENDED) {
        /* It never will: say so, and what held it back at the end. */
        char *then = timeline_explain(tl, i, now, TIMELINE_RUNNING);
        if (strcmp(then, "due now") == 0)
            fputs("did not fire: the exercise ended when it was due", f);
        else if (strncmp(then, "its ", 4) == 0) /* its target node is down */
            fprintf(f, "did not fire: the exercise ended first (%s)", then);
        else
            fprintf(f, "did not fire: the exercise ended first (it was %s)", then);
        free(then);
    } else {
        explain_pending(tl, i, now, clock, f);
    }
    fclose(f);
    return buf;
}
