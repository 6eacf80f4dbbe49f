/*
 * Whether a team's answer to a question is right: exact, case-insensitive,
 * regular expression (whole answer), numeric range, one of several, or a
 * time of day near when an inject fired.
 * Surrounding white space never counts.
 */
#ifndef ENSHU_ANSWER_MATCH_H
#define ENSHU_ANSWER_MATCH_H

#include "scenario.h"
#include "team_vars.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct answer_matcher answer_matcher;

/* NULL for objectives that are not questions. */
answer_matcher *answer_matcher_new(const objective *o);
/* The same, with the objective's templated answers as team sees them. */
answer_matcher *answer_matcher_new_for_team(const objective *o, const team_vars *v, int team);
void answer_matcher_free(answer_matcher *m);

bool answer_matches(const answer_matcher *m, const char *answer);

/* Whether answer, a UTC time of day "HH:MM" or "HH:MM:SS", is within
 * tolerance_ms of wall_ms (an answer in minutes covers its whole minute). */
bool answer_time_matches(const char *answer, int64_t wall_ms, int64_t tolerance_ms);

#endif
