/*
 * Conditions on a team's progress (scenario.h: COND_OBJECTIVE and after):
 * an objective achieved, a question answered (at all, right or wrong), a
 * report handed in, a hint taken, a team request asked, approved or
 * refused. They are read from the team's score as the grader keeps it,
 * which the exercise builds from the ledger alone: a live run and a
 * recovery from the ledger see the same progress at the same times.
 * Pure: no clock, no I/O.
 */
#ifndef ENSHU_PROGRESS_CONDITION_H
#define ENSHU_PROGRESS_CONDITION_H

#include "grader.h"
#include "scenario.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Whether c (a progress condition) holds for the team whose score is ts;
 * when it does, *since_ms is the exercise time it first did. False for a
 * condition of another kind or a name the scenario does not have. */
bool progress_condition_holds(const scenario *s, const team_score *ts, const condition *c,
                              int64_t *since_ms);

/* Writes c in words, with whether it happened ("objective x achieved",
 * "request y not approved"), to f; for timeline_explain. */
void progress_condition_describe(const scenario *s, const team_score *ts, const condition *c,
                                 FILE *f);

#endif
