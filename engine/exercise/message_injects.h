/*
 * Injects that touch no guest: a message to the team and a note to the
 * instructors. Recording them is all they need; what is recorded is the
 * text as the team sees it (its templates filled in for the team), so the
 * live log and the ledger say what was sent. The range's actions and a
 * tabletop exercise's both run them here.
 */
#ifndef ENSHU_MESSAGE_INJECTS_H
#define ENSHU_MESSAGE_INJECTS_H

#include "scenario.h"
#include "team_vars.h"

#include <stdbool.h>

/* Whether inj is a message or a note. */
bool message_inject_is(const inject *inj);

/* Runs message or note inj for team: *output (caller frees) becomes what
 * is recorded with its result ("from SENDER: SUBJECT [attachment: NAME]",
 * or the note), in the scenario's default language, with v's values (may
 * be NULL: {{team}} only). ENSHU_EINVAL for any other inject. */
int message_inject_run(const scenario *s, const team_vars *v, int team, const inject *inj,
                       char **output) __attribute__((warn_unused_result));

#endif
