/*
 * Each team's template values (see template.h): the addresses, subnets and
 * gateways of its own network, as a table of keys and values per team. The
 * range builds it (range_team_vars.h); it is stored as JSON in the exercise
 * ledger's meta at the start of a run, so `enshu score --db` grades
 * templated answers without the range, and consoles show message texts as
 * each team sees them.
 */
#ifndef ENSHU_TEAM_VARS_H
#define ENSHU_TEAM_VARS_H

#include <stdint.h>

typedef struct team_vars team_vars;

/* A table for teams 1..nteams, holding only "team" for each. */
team_vars *team_vars_new(unsigned nteams);

/* Adds key's value for team (1..nteams; other teams are ignored); strings
 * are copied. */
void team_vars_set(team_vars *v, int team, const char *key, const char *value);

/* Replaces team's values with from_team's values in from (none when from
 * has no such team); "team" stays team's own number. The one call that
 * may run while other threads read v (get, expand, to_json): they see the
 * old values or the new, whole; strings a reader got stay valid until v is
 * freed. Not concurrent with team_vars_set. A self-paced course takes a
 * trainee's values from their sandbox's range this way. */
void team_vars_adopt(team_vars *v, int team, const team_vars *from, int from_team);

/* The seed the values of the scenario's variables were drawn from
 * (variation.h), kept with them; NULL when none was set. */
void team_vars_set_seed(team_vars *v, const char *seed);
const char *team_vars_seed(const team_vars *v);

/* JSON: {"seed": "...", "teams": [{"team": 1, "vars": {"addr ws1": "10.80.0.10",
 * "var pc": "ws2", ...}}, ...]} ("seed" only when set). */
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

/* team_vars_expand, also filling time templates ({{now ...}},
 * time_template.h) with wall_ms (ms since the epoch) in time_zone (NULL:
 * UTC). */
char *team_vars_expand_at(const team_vars *v, int team, const char *text, int64_t wall_ms,
                          const char *time_zone);

#endif
