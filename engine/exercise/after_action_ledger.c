/*
 * An after-action report built from an exercise's ledger: every event, in
 * ledger order, through after_action_apply (after_action.h).
 */
#include "after_action.h"

#include "errors.h"
#include "event_store.h"

static int take(const event *ev, void *arg)
{
    after_action_apply(arg, ev);
    return 0;
}

int after_action_from_ledger(event_store *ledger, const scenario *s, unsigned nteams,
                             const team_vars *vars, const team_names *roster, after_action **out)
{
    after_action *aa = after_action_new(s, nteams, vars);
    if (roster)
        after_action_set_roster(aa, roster);
    int rc = event_store_scan(ledger, 0, take, aa);
    if (rc != ENSHU_OK) {
        after_action_free(aa);
        *out = NULL;
        return rc;
    }
    after_action_finish(aa);
    *out = aa;
    return ENSHU_OK;
}
