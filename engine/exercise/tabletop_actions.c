/*
 * Hooks of a tabletop exercise (see tabletop_actions.h).
 */
#include "tabletop_actions.h"
#include "alloc.h"
#include "errors.h"
#include "message_injects.h"
#include "wall_clock.h"

#include <stdlib.h>

struct tabletop_actions {
    const scenario *s;
    team_vars *vars;
};

tabletop_actions *tabletop_actions_new(const scenario *s, unsigned nteams)
{
    tabletop_actions *ta = xcalloc(1, sizeof(tabletop_actions));
    ta->s = s;
    ta->vars = team_vars_new(nteams);
    return ta;
}

void tabletop_actions_free(tabletop_actions *ta)
{
    if (!ta)
        return;
    team_vars_free(ta->vars);
    free(ta);
}

const team_vars *tabletop_actions_team_vars(const tabletop_actions *ta)
{
    return ta->vars;
}

static int run_inject(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    tabletop_actions *ta = ctx;
    if (message_inject_is(inj))
        return message_inject_run(ta->s, ta->vars, team, inj, &out->output);
    out->output = xstrdup("a tabletop exercise has no guests to act on");
    return ENSHU_EINVAL;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    *passing = false;
    *output = xstrdup("a tabletop exercise has no guests to check");
    return ENSHU_OK;
}

void tabletop_actions_hooks(tabletop_actions *ta, exercise_hooks *hooks)
{
    hooks->run_inject = run_inject;
    hooks->run_check = run_check;
    hooks->wall_ms = wall_clock_ms;
    hooks->ctx = ta;
    hooks->check_workers = 0;
}
