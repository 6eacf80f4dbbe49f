/*
 * An exercise rebuilt from its ledger alone, for the commands that work on
 * a ledger while `enshu run` may hold it too (answer, grade, timeline): the
 * recorded scenario, teams and template values, with hooks that run
 * nothing, since only the running exercise fires injects and checks.
 */
#ifndef ENSHU_LEDGER_EXERCISE_H
#define ENSHU_LEDGER_EXERCISE_H

#include "event_store.h"
#include "exercise.h"
#include "exercise_record.h"

#include <stdbool.h>

typedef struct ledger_exercise {
    event_store *ledger;
    exercise_record rec;
    exercise *ex; /* not replayed yet: the caller calls exercise_replay */
} ledger_exercise;

/* Opens the ledger of exercise name (one that can be written to as well
 * when writable) and builds its exercise. Problems are reported on stderr
 * after "enshu CMD: "; on failure out is left closed (ledger_exercise_close
 * accepts it). */
int ledger_exercise_open(const char *cmd, const char *name, bool writable, ledger_exercise *out)
    __attribute__((warn_unused_result));

/* Frees what ledger_exercise_open made; le may be zeroed. */
void ledger_exercise_close(ledger_exercise *le);

#endif
