/*
 * One team's timeline: which injects of a scenario are due, given what has
 * happened to that team so far (injects fired, check results, nodes up or
 * down, instructor holds and releases), all in exercise time. It also says,
 * for every pending inject, why it has not fired yet. Pure: no clock, no
 * I/O; the runtime feeds it events and asks it questions.
 */
#ifndef ENSHU_TIMELINE_H
#define ENSHU_TIMELINE_H

#include "grader.h"
#include "scenario.h"
#include "team_vars.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum inject_state {
    INJECT_PENDING,
    INJECT_FIRED,
    INJECT_FAILED,  /* its action ran and failed: it does not run again */
    INJECT_SKIPPED, /* the instructor skipped it: it never happens */
} inject_state;

typedef struct timeline timeline;

/* s must be checked and outlive the timeline. */
timeline *timeline_new(const scenario *s);
void timeline_free(timeline *tl);

/* Conditions on the team's progress (objectives, answers, reports, hints,
 * requests) read the team's score ts, kept up to date by the caller's
 * grader; ts must outlive the timeline. Without it they never hold. */
void timeline_watch_progress(timeline *tl, const team_score *ts);

/* Injects whose target a per-team variable chooses ({{var NAME}},
 * node_ref.h) wait on the node that v's values of team pick; v must
 * outlive the timeline. Without it such an inject waits on no node. */
void timeline_use_vars(timeline *tl, const team_vars *v, int team);

/* ---- what happened (all times in exercise milliseconds) ---- */
void timeline_inject_done(timeline *tl, size_t inject_i, inject_state state, int64_t ex_ms);
void timeline_check_result(timeline *tl, size_t check_i, bool passing, int64_t ex_ms);
void timeline_node_up(timeline *tl, size_t node_i, bool up);
/* An instructor holds an inject back (or lets it go again). */
void timeline_hold(timeline *tl, size_t inject_i, bool held);
/* An instructor releases an inject by hand: it is due at once. */
void timeline_release(timeline *tl, size_t inject_i);
/* An inject that failed (or fired, to run it again on new guests) is
 * retried: pending again, and due at once (its trigger was met before). */
void timeline_retry(timeline *tl, size_t inject_i);

inject_state timeline_state(const timeline *tl, size_t inject_i);
/* When it fired, failed or was skipped (exercise ms); -1 while pending. */
int64_t timeline_done_at(const timeline *tl, size_t inject_i);
/* Whether an instructor holds it back. */
bool timeline_held(const timeline *tl, size_t inject_i);

/* ---- questions ---- */

/* Writes the indexes of injects due at ex_ms to out (at most cap) and
 * returns how many are due. */
size_t timeline_due(const timeline *tl, int64_t ex_ms, size_t *out, size_t cap);

/* The earliest exercise time after ex_ms at which an inject may become due
 * with no further event, or INT64_MAX. The runtime sleeps until then. */
int64_t timeline_next_wakeup(const timeline *tl, int64_t ex_ms);

/* Where the exercise's clock is, for timeline_explain. */
typedef enum timeline_clock {
    TIMELINE_RUNNING,
    TIMELINE_PAUSED, /* also before STARTEX */
    TIMELINE_ENDED,  /* after ENDEX: a pending inject will never fire */
} timeline_clock;

/* Why inject i has not fired yet at exercise time now, as one English
 * sentence (caller frees); after ENDEX, that it did not fire and what it
 * was waiting for then. */
char *timeline_explain(const timeline *tl, size_t i, int64_t now, timeline_clock clock);

/* Why a pending inject has not fired, as data, so that consoles can say it
 * in their users' language (timeline_explain says it in English). */
typedef enum timeline_wait {
    TIMELINE_WAIT_HELD,      /* an instructor holds it */
    TIMELINE_WAIT_NODE_DOWN, /* ref: its target node, which is down */
    TIMELINE_WAIT_DUE,       /* due now: it fires at the next step */
    TIMELINE_WAIT_MANUAL,    /* waits to be released by an instructor */
    TIMELINE_WAIT_AFTER,     /* ref: the inject it follows, in ref_state, not fired */
    TIMELINE_WAIT_WHEN,      /* its condition (timeline_condition_text) does not hold yet */
    TIMELINE_WAIT_UNTIL,     /* at_ms; ref and delay_ms when it is delay_ms after inject ref */
} timeline_wait;

typedef struct timeline_reason {
    timeline_wait wait;
    const char *ref; /* borrowed from the scenario; NULL when none */
    inject_state ref_state;
    int64_t at_ms, delay_ms;
    bool paused; /* the clock does not run (TIMELINE_PAUSED) */
} timeline_reason;

/* The reason pending inject i (i < ninjects) waits at now, as running
 * (clock: TIMELINE_ENDED is told apart by the caller). */
void timeline_reason_of(const timeline *tl, size_t i, int64_t now, timeline_clock clock,
                        timeline_reason *out);
/* The condition a `when` inject waits for, as the scenario names its
 * parts (check, objective and inject ids; English words between them). */
char *timeline_condition_text(const timeline *tl, size_t i, int64_t now);

#endif
