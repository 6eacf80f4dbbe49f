/*
 * The exercise hooks of a tabletop exercise (scenario.tabletop): no guests,
 * no libvirt. Its injects are messages and notes (message_injects.h),
 * released on the timeline or by the facilitator; it has no checks. Each
 * team's template values hold only its number ({{team}}).
 *
 * Threads: the hooks do no I/O and return at once, so they need no threads
 * of their own (check_workers 0): exercise_step runs them inline.
 */
#ifndef ENSHU_TABLETOP_ACTIONS_H
#define ENSHU_TABLETOP_ACTIONS_H

#include "exercise.h"
#include "scenario.h"
#include "team_vars.h"

typedef struct tabletop_actions tabletop_actions;

/* For teams 1..nteams of s (borrowed: it must outlive the actions). */
tabletop_actions *tabletop_actions_new(const scenario *s, unsigned nteams);
void tabletop_actions_free(tabletop_actions *ta);

/* Each team's template values (live as long as ta). */
const team_vars *tabletop_actions_team_vars(const tabletop_actions *ta);

/* Fills hooks (all but on_event) to act through ta. An inject that is not
 * a message or a note (which a tabletop scenario cannot hold) fails,
 * saying so; a check never passes. */
void tabletop_actions_hooks(tabletop_actions *ta, exercise_hooks *hooks);

#endif
