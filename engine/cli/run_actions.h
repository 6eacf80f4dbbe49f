/*
 * What the injects and checks of `enshu run` act on: a range's guests
 * (range_actions.h), or, for a tabletop exercise, no guests at all
 * (tabletop_actions.h: messages and notes only, no libvirt connection).
 */
#ifndef ENSHU_RUN_ACTIONS_H
#define ENSHU_RUN_ACTIONS_H

#include "exercise.h"
#include "scenario.h"
#include "team_vars.h"

typedef struct run_actions run_actions;

/* For teams 1..nteams of s (borrowed), on range name's guests unless s is
 * a tabletop exercise. Reports and returns NULL when the range is not up. */
run_actions *run_actions_new(const scenario *s, const char *name, unsigned nteams);
void run_actions_free(run_actions *ra);

/* Each team's template values (live as long as ra). */
const team_vars *run_actions_team_vars(const run_actions *ra);

/* Fills hooks (all but on_event) to act through ra. */
void run_actions_hooks(run_actions *ra, exercise_hooks *hooks);

#endif
