/*
 * A running exercise: the exercise clock, one timeline per team, the live
 * grader and the event ledger, driven by exercise_step(). Every decision is
 * recorded in the ledger before it is acted on, so exercise_resume() can
 * rebuild everything after a crash: the clock at the right position, the
 * timelines, the scores, and no inject run twice (one that was interrupted
 * is recorded as failed, not run again).
 *
 * How injects and checks touch the guests is given as hooks, so the same
 * engine runs against real guests (guest agent) and in tests.
 */
#ifndef ENSHU_EXERCISE_H
#define ENSHU_EXERCISE_H

#include "event_store.h"
#include "grader.h"
#include "scenario.h"
#include "timeline.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct exercise_hooks {
    /* Runs inj's action for team; 0 on success, negative on failure.
     * *output (may stay NULL) is recorded with the result. */
    int (*run_inject)(void *ctx, int team, const inject *inj, char **output);
    /* Runs check c on team's guest; sets *passing. Negative: it could not run. */
    int (*run_check)(void *ctx, int team, const check *c, bool *passing, char **output);
    /* Wall clock in milliseconds. */
    int64_t (*wall_ms)(void *ctx);
    /* Told about every event the exercise records (for a live log); may be NULL. */
    void (*on_event)(void *ctx, const event *ev);
    void *ctx;
} exercise_hooks;

typedef enum exercise_phase {
    PHASE_READY,   /* before STARTEX */
    PHASE_RUNNING,
    PHASE_PAUSED,
    PHASE_ENDED,
} exercise_phase;

typedef struct exercise exercise;

/* s, ledger and hooks must outlive the exercise. */
exercise *exercise_new(const scenario *s, unsigned nteams, event_store *ledger,
                       const exercise_hooks *hooks);
void exercise_free(exercise *ex);

/* Rebuilds state from the ledger, writing nothing (to look at an exercise). */
int exercise_replay(exercise *ex) __attribute__((warn_unused_result));

/* Rebuilds state from the ledger to carry on after a restart: also records
 * as failed every inject a crash cut off. */
int exercise_resume(exercise *ex) __attribute__((warn_unused_result));

int exercise_start(exercise *ex) __attribute__((warn_unused_result));
int exercise_pause(exercise *ex) __attribute__((warn_unused_result));
int exercise_continue(exercise *ex) __attribute__((warn_unused_result));
int exercise_set_speed(exercise *ex, double speed) __attribute__((warn_unused_result));
int exercise_end(exercise *ex) __attribute__((warn_unused_result));

/* Fires every inject due now and runs every check due now, each recorded
 * in the ledger. Returns the wall time at which something may next be due
 * (INT64_MAX: nothing scheduled). */
int64_t exercise_step(exercise *ex);

exercise_phase exercise_get_phase(const exercise *ex);
int64_t exercise_now(const exercise *ex); /* exercise time, ms */
const timeline *exercise_timeline(const exercise *ex, int team);
const grader *exercise_grader(const exercise *ex);

#endif
