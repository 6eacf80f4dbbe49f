/*
 * Each team's template values built from a range (see range_team_vars.h):
 * the addresses its plan gives every team's networks and guests.
 */
#include "range_team_vars.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"
#include "range_files.h"
#include "state_store.h"
#include "units.h"
#include "variation.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define META_SEED "variation_seed"

int range_variation_seed(state_store *st, const char *wanted, char **seed)
{
    bool want = wanted && variation_seed_valid(wanted);
    *seed = state_store_get_meta(st, META_SEED);
    if (*seed && variation_seed_valid(*seed)) {
        if (want && strcmp(*seed, wanted) != 0)
            log_printf(ENSHU_LOG_WARNING,
                       "enshu: this range's guests were given other per-team values than the "
                       "ledger's: answers that use {{var ...}} follow the range's");
        return ENSHU_OK;
    }
    free(*seed);
    if (want) {
        *seed = xstrdup(wanted);
    } else {
        *seed = xmalloc(VARIATION_SEED_SIZE);
        variation_seed_new(*seed);
    }
    if (state_store_set_meta(st, META_SEED, *seed) == ENSHU_OK)
        return ENSHU_OK;
    free(*seed);
    *seed = NULL;
    return ENSHU_EIO;
}

team_vars *team_vars_from_plan(const range_plan *plan)
{
    const scenario *s = plan->scenario;
    team_vars *v = team_vars_new((unsigned)plan->nteams);
    for (size_t t = 0; t < plan->nteams; t++) {
        const plan_team *pt = &plan->teams[t];
        char addr[16], *key;
        for (size_t i = 0; i < pt->nnetworks; i++) {
            const plan_network *n = &pt->networks[i];
            const char *seg = s->segments[n->segment].name;
            format_ipv4(n->subnet, addr);
            char cidr[24];
            snprintf(cidr, sizeof cidr, "%s/%u", addr, n->prefix);
            key = xasprintf("subnet %s", seg);
            team_vars_set(v, (int)t + 1, key, cidr);
            free(key);
        }
        for (size_t d = 0; d < pt->ndomains; d++) {
            const plan_domain *dom = &pt->domains[d];
            for (size_t j = 0; j < dom->nnics; j++) {
                const char *seg = s->segments[dom->nics[j].segment].name;
                format_ipv4(dom->nics[j].addr, addr);
                if (j == 0) {
                    key = xasprintf("addr %s", dom->node->name);
                    team_vars_set(v, (int)t + 1, key, addr);
                    free(key);
                }
                if (j == 0 && dom->node->ndns) {
                    key = xasprintf("name %s", dom->node->name);
                    team_vars_set(v, (int)t + 1, key, dom->node->dns[0]);
                    free(key);
                }
                key = xasprintf("addr %s %s", dom->node->name, seg);
                team_vars_set(v, (int)t + 1, key, addr);
                free(key);
                const char *gw = s->segments[dom->nics[j].segment].router;
                if (gw && !strcmp(gw, dom->node->name)) {
                    key = xasprintf("gateway %s", seg);
                    team_vars_set(v, (int)t + 1, key, addr);
                    free(key);
                }
            }
        }
    }
    if (plan->variation_seed && variation_fill(v, s, plan->variation_seed) != ENSHU_OK)
        log_printf(ENSHU_LOG_ERROR, "enshu: the variation seed of range '%s' is damaged",
                   plan->exercise);
    return v;
}

range_plan *range_plan_of_range(const scenario *s, const char *name)
{
    char *path = range_db_path(name);
    state_store *st = NULL;
    if (access(path, F_OK) != 0 || state_store_open(path, false, &st) != ENSHU_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu: range '%s' is not up (no %s)", name, path);
        free(path);
        return NULL;
    }
    free(path);
    char *teams = state_store_get_meta(st, "teams");
    char *block = state_store_get_meta(st, "block_base");
    char *seed = state_store_get_meta(st, META_SEED);
    state_store_free(st);
    char *end1 = NULL, *end2 = NULL;
    unsigned long nteams = teams ? strtoul(teams, &end1, 10) : 0;
    unsigned long base = block ? strtoul(block, &end2, 10) : 0;
    range_plan *plan = NULL;
    if (!teams || !block || *end1 || *end2 || nteams < 1 || nteams > SCENARIO_MAX_TEAMS ||
        base + nteams > range_pool_blocks(s))
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: the state store of range '%s' has no usable team count and "
                   "address block",
                   name);
    else
        plan = range_plan_new(s, name, (unsigned)nteams, (unsigned)base);
    if (plan) {
        plan->variation_seed = seed;
        seed = NULL;
    }
    free(teams);
    free(block);
    free(seed);
    return plan;
}

int team_vars_from_range(const scenario *s, const char *name, team_vars **out)
{
    range_plan *plan = range_plan_of_range(s, name);
    *out = plan ? team_vars_from_plan(plan) : NULL;
    range_plan_free(plan);
    return *out ? ENSHU_OK : ENSHU_EIO;
}
