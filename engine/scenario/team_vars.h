/*
 * Each team's template values (see template.h): the addresses, subnets and
 * gateways of its own network, built from the range (its plan, or the state
 * store of a range that is up). They are stored as JSON in the exercise
 * ledger's meta at the start of a run, so `enshu score --db` grades
 * templated answers without the range, and consoles show message texts as
 * each team sees them.
 */
#ifndef ENSHU_TEAM_VARS_H
#define ENSHU_TEAM_VARS_H

#include "range_plan.h"
#include "scenario.h"

typedef struct team_vars team_vars;

/* Every team's values from a range plan. */
team_vars *team_vars_from_plan(const range_plan *plan);

/* The values of range name, which runs scenario s (its state store gives the
 * team count and address blocks). Reports and returns a negative code when
 * the range is not there. */
int team_vars_from_range(const scenario *s, const char *name, team_vars **out)
    __attribute__((warn_unused_result));

/* JSON: {"teams": [{"team": 1, "vars": {"addr ws1": "10.80.0.10", ...}}, ...]}. */
char *team_vars_to_json(const team_vars *v);
/* ENSHU_EINVAL when json is not what team_vars_to_json writes. */
int team_vars_from_json(const char *json, team_vars **out) __attribute__((warn_unused_result));

void team_vars_free(team_vars *v);

unsigned team_vars_teams(const team_vars *v);

/* The value of key ("addr ws1 office", see template.h) for team; NULL when
 * unknown. "team" is always known. */
const char *team_vars_get(const team_vars *v, int team, const char *key);

/* text as team sees it, every template filled in (caller frees). With v
 * NULL only {{team}} is filled in; unknown templates stay as written. */
char *team_vars_expand(const team_vars *v, int team, const char *text);

#endif
