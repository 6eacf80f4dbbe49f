/*
 * Setting the addresses of guests addressed through their agent (see
 * range_addressing.h).
 */
#include "range_addressing.h"
#include "alloc.h"
#include "errors.h"
#include "guest_agent.h"
#include "log.h"
#include "provision.h"
#include "range_team_vars.h"

#include <stdlib.h>

struct range_addressing {
    const scenario *s;
    range_plan *plan;
    image_exec *dialect; /* [node] */
    bool *agent;         /* [node]: addressed through the agent */
};

int range_address_guest(virDomainPtr dom, const range_plan *plan, const plan_domain *d,
                        image_exec dialect, int team)
{
    guest_nic_address *nics = xcalloc(d->nnics + 1, sizeof(guest_nic_address));
    for (size_t k = 0; k < d->nnics; k++)
        nics[k] = (guest_nic_address){
            .mac = d->nics[k].mac, .addr = d->nics[k].addr, .prefix = d->nics[k].prefix};
    char *why = NULL;
    int rc = guest_agent_set_addresses(dom, dialect, nics, d->nnics, d->gateway, &why);
    free(nics);
    if (rc != ENSHU_OK) {
        char *planned = plan_domain_addresses(plan, d);
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: team %d: node %s: cannot set its addresses (%s) through the guest "
                   "agent: %s",
                   team, d->node->name, planned, why ? why : "the agent failed");
        free(planned);
    }
    free(why);
    return rc;
}

range_addressing *range_addressing_new(const scenario *s, const char *name, const char *dir)
{
    range_addressing *a = xcalloc(1, sizeof(range_addressing));
    a->s = s;
    a->dialect = xcalloc(s->nnodes + 1, sizeof(image_exec));
    a->agent = xcalloc(s->nnodes + 1, sizeof(bool));
    bool any = false;
    for (size_t i = 0; i < s->nnodes; i++) {
        const custom_image *ci = scenario_custom_image(s, s->nodes[i].image);
        char *error = NULL;
        image_info *img =
            ci && !ci->imported ? NULL : image_store_lookup(dir, s->nodes[i].image, &error);
        a->agent[i] = img && img->addressing == IMAGE_ADDR_AGENT;
        a->dialect[i] = img ? img->exec : IMAGE_EXEC_SH;
        any |= a->agent[i];
        image_info_free(img);
        free(error);
    }
    if (any)
        a->plan = range_plan_of_range(s, name);
    if (!a->plan) {
        range_addressing_free(a);
        return NULL;
    }
    return a;
}

bool range_addressing_wanted(const range_addressing *a, const node *n)
{
    return a && a->agent[n - a->s->nodes];
}

int range_addressing_again(const range_addressing *a, virDomainPtr dom, int team, const node *n)
{
    if (!range_addressing_wanted(a, n) || team < 1 || (size_t)team > a->plan->nteams)
        return ENSHU_OK;
    const plan_team *t = &a->plan->teams[team - 1];
    for (size_t i = 0; i < t->ndomains; i++)
        if (t->domains[i].node == n)
            return range_address_guest(dom, a->plan, &t->domains[i], a->dialect[n - a->s->nodes],
                                       team);
    return ENSHU_OK;
}

void range_addressing_free(range_addressing *a)
{
    if (!a)
        return;
    range_plan_free(a->plan);
    free(a->dialect);
    free(a->agent);
    free(a);
}
