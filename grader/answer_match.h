/*
 * Whether a team's answer to a question is right: exact, case-insensitive,
 * regular expression (whole answer), numeric range, or one of several.
 * Surrounding white space never counts.
 */
#ifndef ENSHU_ANSWER_MATCH_H
#define ENSHU_ANSWER_MATCH_H

#include "scenario.h"

#include <stdbool.h>

typedef struct answer_matcher answer_matcher;

/* NULL for objectives that are not questions. */
answer_matcher *answer_matcher_new(const objective *o);
void answer_matcher_free(answer_matcher *m);

bool answer_matches(const answer_matcher *m, const char *answer);

#endif
