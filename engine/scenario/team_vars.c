/*
 * Per-team template values (see team_vars.h).
 */
#include "team_vars.h"
#include "alloc.h"
#include "errors.h"
#include "range_files.h"
#include "state_store.h"
#include "template.h"
#include "units.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct var {
    char *key;
    char *value;
} var;

typedef struct team_values {
    int team;
    char number[16];
    var *vars;
    size_t count, cap;
} team_values;

struct team_vars {
    team_values *teams;
    unsigned nteams;
};

static void put(team_values *tv, const char *key, const char *value)
{
    XGROW(tv->vars, tv->cap, tv->count + 1);
    tv->vars[tv->count].key = xstrdup(key);
    tv->vars[tv->count].value = xstrdup(value);
    tv->count++;
}

static team_vars *team_vars_alloc(unsigned nteams)
{
    team_vars *v = xcalloc(1, sizeof(team_vars));
    v->nteams = nteams;
    v->teams = xcalloc(nteams + 1, sizeof(team_values));
    for (unsigned t = 0; t < nteams; t++) {
        v->teams[t].team = (int)t + 1;
        snprintf(v->teams[t].number, sizeof v->teams[t].number, "%u", t + 1);
    }
    return v;
}

team_vars *team_vars_from_plan(const range_plan *plan)
{
    const scenario *s = plan->scenario;
    team_vars *v = team_vars_alloc((unsigned)plan->nteams);
    for (size_t t = 0; t < plan->nteams; t++) {
        const plan_team *pt = &plan->teams[t];
        team_values *tv = &v->teams[t];
        char addr[16], *key;
        for (size_t i = 0; i < pt->nnetworks; i++) {
            const plan_network *n = &pt->networks[i];
            const char *seg = s->segments[n->segment].name;
            format_ipv4(n->subnet, addr);
            char cidr[24];
            snprintf(cidr, sizeof cidr, "%s/%u", addr, n->prefix);
            key = xasprintf("subnet %s", seg);
            put(tv, key, cidr);
            free(key);
        }
        for (size_t d = 0; d < pt->ndomains; d++) {
            const plan_domain *dom = &pt->domains[d];
            for (size_t j = 0; j < dom->nnics; j++) {
                const char *seg = s->segments[dom->nics[j].segment].name;
                format_ipv4(dom->nics[j].addr, addr);
                if (j == 0) {
                    key = xasprintf("addr %s", dom->node->name);
                    put(tv, key, addr);
                    free(key);
                }
                key = xasprintf("addr %s %s", dom->node->name, seg);
                put(tv, key, addr);
                free(key);
                const char *gw = s->segments[dom->nics[j].segment].router;
                if (gw && !strcmp(gw, dom->node->name)) {
                    key = xasprintf("gateway %s", seg);
                    put(tv, key, addr);
                    free(key);
                }
            }
        }
    }
    return v;
}

int team_vars_from_range(const scenario *s, const char *name, team_vars **out)
{
    *out = NULL;
    char *path = range_db_path(name);
    state_store *st = NULL;
    if (access(path, F_OK) != 0 || state_store_open(path, false, &st) != ENSHU_OK) {
        fprintf(stderr, "enshu: range '%s' is not up (no %s)\n", name, path);
        free(path);
        return ENSHU_ENOTFOUND;
    }
    free(path);
    char *teams = state_store_get_meta(st, "teams");
    char *block = state_store_get_meta(st, "block_base");
    state_store_free(st);
    char *end1 = NULL, *end2 = NULL;
    unsigned long nteams = teams ? strtoul(teams, &end1, 10) : 0;
    unsigned long base = block ? strtoul(block, &end2, 10) : 0;
    int rc = ENSHU_OK;
    if (!teams || !block || *end1 || *end2 || nteams < 1 || nteams > SCENARIO_MAX_TEAMS ||
        base + nteams > range_pool_blocks(s)) {
        fprintf(stderr, "enshu: the state store of range '%s' has no usable team count and "
                        "address block\n", name);
        rc = ENSHU_EIO;
    } else {
        range_plan *plan = range_plan_new(s, name, (unsigned)nteams, (unsigned)base);
        *out = team_vars_from_plan(plan);
        range_plan_free(plan);
    }
    free(teams);
    free(block);
    return rc;
}

char *team_vars_to_json(const team_vars *v)
{
    json_t *root = json_object(), *teams = json_array();
    for (unsigned t = 0; t < v->nteams; t++) {
        json_t *one = json_object(), *vars = json_object();
        for (size_t i = 0; i < v->teams[t].count; i++)
            json_object_set_new(vars, v->teams[t].vars[i].key,
                                json_string(v->teams[t].vars[i].value));
        json_object_set_new(one, "team", json_integer(v->teams[t].team));
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
    team_vars *v = team_vars_alloc((unsigned)json_array_size(teams));
    int rc = ENSHU_OK;
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
        json_object_foreach(vars, key, value) {
            if (!json_is_string(value)) {
                rc = ENSHU_EINVAL;
                break;
            }
            put(&v->teams[t], key, json_string_value(value));
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

void team_vars_free(team_vars *v)
{
    if (!v)
        return;
    for (unsigned t = 0; t < v->nteams; t++) {
        for (size_t i = 0; i < v->teams[t].count; i++) {
            free(v->teams[t].vars[i].key);
            free(v->teams[t].vars[i].value);
        }
        free(v->teams[t].vars);
    }
    free(v->teams);
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
    const team_values *tv = &v->teams[team - 1];
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
} lookup_ctx;

static const char *lookup(void *arg, const char *key)
{
    lookup_ctx *c = arg;
    if (!strcmp(key, "team"))
        return c->number;
    return team_vars_get(c->v, c->team, key);
}

char *team_vars_expand(const team_vars *v, int team, const char *text)
{
    lookup_ctx c = {.v = v, .team = team};
    snprintf(c.number, sizeof c.number, "%d", team);
    return template_expand(text, lookup, &c);
}
