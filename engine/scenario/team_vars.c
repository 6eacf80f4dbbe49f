/*
 * Per-team template values (see team_vars.h).
 */
#include "team_vars.h"
#include "alloc.h"
#include "errors.h"
#include "template.h"
#include "time_template.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct var {
    char *key;
    char *value;
} var;

typedef struct team_values {
    int team;
    char number[16];
    var *vars;
    size_t count, cap;
    struct team_values *retired_next; /* once replaced by team_vars_adopt */
} team_values;

/* Each team's values sit behind a pointer of their own, so that
 * team_vars_adopt can replace one team's at once while other threads read:
 * readers load it with acquire, the new block is published with release,
 * and the one it replaced is kept (on the retired list) until the table
 * is freed, since a reader may still hold its strings. */
struct team_vars {
    char *seed;
    team_values **teams;
    unsigned nteams;
    team_values *retired;
};

static const team_values *team_of(const team_vars *v, unsigned t)
{
    return __atomic_load_n(&v->teams[t], __ATOMIC_ACQUIRE);
}

static void put(team_values *tv, const char *key, const char *value)
{
    XGROW(tv->vars, tv->cap, tv->count + 1);
    tv->vars[tv->count].key = xstrdup(key);
    tv->vars[tv->count].value = xstrdup(value);
    tv->count++;
}

team_vars *team_vars_new(unsigned nteams)
{
    team_vars *v = xcalloc(1, sizeof(team_vars));
    v->nteams = nteams;
    v->teams = xcalloc(nteams + 1, sizeof(team_values *));
    for (unsigned t = 0; t < nteams; t++) {
        v->teams[t] = xcalloc(1, sizeof(team_values));
        v->teams[t]->team = (int)t + 1;
        snprintf(v->teams[t]->number, sizeof v->teams[t]->number, "%u", t + 1);
    }
    return v;
}

void team_vars_set(team_vars *v, int team, const char *key, const char *value)
{
    if (team >= 1 && (unsigned)team <= v->nteams)
        put(v->teams[team - 1], key, value);
}

void team_vars_adopt(team_vars *v, int team, const team_vars *from, int from_team)
{
    if (team < 1 || (unsigned)team > v->nteams)
        return;
    team_values *fresh = xcalloc(1, sizeof(team_values));
    fresh->team = team;
    snprintf(fresh->number, sizeof fresh->number, "%d", team);
    const team_values *src = from_team >= 1 && (unsigned)from_team <= team_vars_teams(from)
                                 ? team_of(from, (unsigned)from_team - 1)
                                 : NULL;
    for (size_t i = 0; src && i < src->count; i++)
        put(fresh, src->vars[i].key, src->vars[i].value);
    team_values *old = __atomic_exchange_n(&v->teams[team - 1], fresh, __ATOMIC_ACQ_REL);
    team_values *head = __atomic_load_n(&v->retired, __ATOMIC_RELAXED);
    do
        old->retired_next = head;
    while (!__atomic_compare_exchange_n(&v->retired, &head, old, true, __ATOMIC_RELEASE,
                                        __ATOMIC_RELAXED));
}

void team_vars_set_seed(team_vars *v, const char *seed)
{
    free(v->seed);
    v->seed = seed ? xstrdup(seed) : NULL;
}

const char *team_vars_seed(const team_vars *v)
{
    return v ? v->seed : NULL;
}

char *team_vars_to_json(const team_vars *v)
{
    json_t *root = json_object(), *teams = json_array();
    if (v->seed)
        json_object_set_new(root, "seed", json_string(v->seed));
    for (unsigned t = 0; t < v->nteams; t++) {
        json_t *one = json_object(), *vars = json_object();
        const team_values *tv = team_of(v, t);
        for (size_t i = 0; i < tv->count; i++)
            json_object_set_new(vars, tv->vars[i].key, json_string(tv->vars[i].value));
        json_object_set_new(one, "team", json_integer(tv->team));
        json_object_set_new(one, "vars", vars);
        json_array_append_new(teams, one);
    }
    json_object_set_new(root, "teams", teams);
    char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    char *copy = xstrdup(text ? text : "{}");
    free(text);
    return copy;
}

int team_vars_from_json(const char *json, team_vars **out)
{
    *out = NULL;
    json_error_t error;
    json_t *root = json ? json_loads(json, 0, &error) : NULL;
    json_t *teams = root ? json_object_get(root, "teams") : NULL;
    if (!json_is_array(teams) || json_array_size(teams) > SCENARIO_MAX_TEAMS) {
        json_decref(root);
        return ENSHU_EINVAL;
    }
    team_vars *v = team_vars_new((unsigned)json_array_size(teams));
    int rc = ENSHU_OK;
    json_t *seed = json_object_get(root, "seed");
    if (seed && !json_is_string(seed))
        rc = ENSHU_EINVAL;
    else if (seed)
        v->seed = xstrdup(json_string_value(seed));
    for (size_t t = 0; t < json_array_size(teams) && rc == ENSHU_OK; t++) {
        json_t *one = json_array_get(teams, t);
        json_t *vars = json_object_get(one, "vars");
        if (json_integer_value(json_object_get(one, "team")) != (json_int_t)t + 1 ||
            !json_is_object(vars)) {
            rc = ENSHU_EINVAL;
            break;
        }
        const char *key;
        json_t *value;
        json_object_foreach(vars, key, value)
        {
            if (!json_is_string(value)) {
                rc = ENSHU_EINVAL;
                break;
            }
            put(v->teams[t], key, json_string_value(value));
        }
    }
    json_decref(root);
    if (rc != ENSHU_OK) {
        team_vars_free(v);
        return rc;
    }
    *out = v;
    return ENSHU_OK;
}

static void values_free(team_values *tv)
{
    for (size_t i = 0; i < tv->count; i++) {
        free(tv->vars[i].key);
        free(tv->vars[i].value);
    }
    free(tv->vars);
    free(tv);
}

void team_vars_free(team_vars *v)
{
    if (!v)
        return;
    for (unsigned t = 0; t < v->nteams; t++)
        values_free(v->teams[t]);
    while (v->retired) {
        team_values *next = v->retired->retired_next;
        values_free(v->retired);
        v->retired = next;
    }
    free(v->teams);
    free(v->seed);
    free(v);
}

unsigned team_vars_teams(const team_vars *v)
{
    return v ? v->nteams : 0;
}

const char *team_vars_get(const team_vars *v, int team, const char *key)
{
    if (!v || team < 1 || (unsigned)team > v->nteams)
        return NULL;
    const team_values *tv = team_of(v, (unsigned)team - 1);
    if (!strcmp(key, "team"))
        return tv->number;
    for (size_t i = 0; i < tv->count; i++)
        if (!strcmp(tv->vars[i].key, key))
            return tv->vars[i].value;
    return NULL;
}

typedef struct lookup_ctx {
    const team_vars *v;
    int team;
    char number[16];
    bool timed; /* time templates are filled with wall_ms in time_zone */
    int64_t wall_ms;
    const char *time_zone;
    char time[TIME_TEMPLATE_MAX];
} lookup_ctx;

static const char *lookup(void *arg, const char *key)
{
    lookup_ctx *c = arg;
    if (!strcmp(key, "team"))
        return c->number;
    if (time_template_is(key))
        return c->timed && time_template_format(key, c->wall_ms, c->time_zone, c->time,
                                                sizeof c->time) == ENSHU_OK
                   ? c->time
                   : NULL;
    return team_vars_get(c->v, c->team, key);
}

char *team_vars_expand(const team_vars *v, int team, const char *text)
{
    lookup_ctx c = {.v = v, .team = team};
    snprintf(c.number, sizeof c.number, "%d", team);
    return template_expand(text, lookup, &c);
}

char *team_vars_expand_at(const team_vars *v, int team, const char *text, int64_t wall_ms,
                          const char *time_zone)
{
    lookup_ctx c = {
        .v = v, .team = team, .timed = true, .wall_ms = wall_ms, .time_zone = time_zone};
    snprintf(c.number, sizeof c.number, "%d", team);
    return template_expand(text, lookup, &c);
}
