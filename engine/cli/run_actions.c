/*
 * A range's actions or a tabletop exercise's (see run_actions.h).
 */
#include "run_actions.h"
#include "alloc.h"
#include "errors.h"
#include "range_actions.h"
#include "tabletop_actions.h"

#include <stdlib.h>

struct run_actions {
    range_actions *range;       /* NULL for a tabletop exercise */
    tabletop_actions *tabletop; /* NULL for a range */
};

run_actions *run_actions_new(const scenario *s, const char *name, unsigned nteams)
{
    run_actions *ra = xcalloc(1, sizeof(run_actions));
    if (s->tabletop)
        ra->tabletop = tabletop_actions_new(s, nteams);
    else if (!(ra->range = range_actions_new(s, name, nteams))) {
        free(ra);
        return NULL;
    }
    return ra;
}

void run_actions_free(run_actions *ra)
{
    if (!ra)
        return;
    range_actions_free(ra->range);
    tabletop_actions_free(ra->tabletop);
    free(ra);
}

const team_vars *run_actions_team_vars(const run_actions *ra)
{
    return ra->range ? range_actions_team_vars(ra->range)
                     : tabletop_actions_team_vars(ra->tabletop);
}

void run_actions_hooks(run_actions *ra, exercise_hooks *hooks)
{
    if (ra->range)
        range_actions_hooks(ra->range, hooks);
    else
        tabletop_actions_hooks(ra->tabletop, hooks);
}
