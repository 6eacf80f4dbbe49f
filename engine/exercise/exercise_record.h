/*
 * An exercise's record in its ledger, beside the events: the scenario's
 * text and path, the team count, each team's template values and the bytes
 * of every attachment of a message or a mail. Written when an exercise first starts; read
 * by every command that works on the ledger alone (score, timeline, answer,
 * grade), so a ledger copied elsewhere is still a whole exercise.
 */
#ifndef ENSHU_EXERCISE_RECORD_H
#define ENSHU_EXERCISE_RECORD_H

#include "event_store.h"
#include "scenario.h"
#include "team_vars.h"

typedef struct exercise_record {
    scenario *s;
    unsigned teams;
    team_vars *vars;     /* NULL when the ledger has none (an older one) */
    char *scenario_path; /* as given when the exercise started; may be NULL */
} exercise_record;

/* Records s (loaded from scenario_file), the team count and vars (may be
 * NULL) in a ledger that has no exercise yet; in one that has, checks that
 * the team count is the same (ENSHU_EINVAL, reported, when not). */
int exercise_record_write(event_store *ledger, const char *scenario_file, const scenario *s,
                          unsigned teams, const team_vars *vars)
    __attribute__((warn_unused_result));

/* Loads the exercise recorded in the ledger (attachments from the ledger,
 * or for an older ledger from the files next to the scenario). Problems are
 * logged (log.h) as "enshu WHO: ..." and the scenario's diagnostics printed
 * to stderr; ENSHU_ENOTFOUND when the ledger holds no exercise,
 * ENSHU_EINVAL when its scenario does not load. */
int exercise_record_read(event_store *ledger, const char *who, exercise_record *out)
    __attribute__((warn_unused_result));

/* Frees what exercise_record_read filled in; the record may be zeroed. */
void exercise_record_fini(exercise_record *r);

#endif
