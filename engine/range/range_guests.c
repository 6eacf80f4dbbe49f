/*
 * A running range's guests for the consoles (see range_guests.h): the
 * state store's nodes, one connection cache for the power state watcher
 * and the restart and revert jobs.
 */
#include "range_guests.h"
#include "alloc.h"
#include "errors.h"
#include "guest_accounts.h"
#include "guest_agent.h"
#include "guest_jobs.h"
#include "guest_states.h"
#include "libvirt_conn.h"
#include "log.h"
#include "monotonic_clock.h"
#include "range_addressing.h"
#include "range_files.h"
#include "range_images.h"
#include "range_team_vars.h"
#include "state_store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Power states shown are at most this old (a restart or revert asks at once). */
#define STATES_MS 2000
/* How long a guest started again has for its agent to answer, so that its
 * accounts can be made again: as long as `enshu up` waits by default. */
#define AGENT_WAIT_MS (5 * 60 * 1000)
/* The workers of conn_cache: the restarts and reverts, the state watcher. */
enum { CONN_JOBS = 1, CONN_STATES = 2 };

struct range_guests {
    const scenario *s;
    team_vars *vars;  /* each team's passwords; NULL without guests */
    bool *runs_linux; /* [node]: its image runs Linux; NULL without guests */
    bool *graphical;  /* [node]: its image offers a screen; NULL without guests */
    /* NULL: no node is addressed through the agent */
    range_addressing *addressing;
    range_guest *guests;
    size_t count;
    size_t slots_cap; /* a course's set (range_guests_new_slots): room for every slot; else 0 */
    conn_cache *conns;
    guest_jobs *jobs;     /* restarts and reverts under way */
    guest_states *states; /* NULL without guests */
};

/* Adds range name's guests: of teams 1..nteams as they are, or with
 * as_team > 0 its team 1's as team as_team (a course's sandbox). */
static void load(range_guests *g, const scenario *s, unsigned nteams, const char *name, int as_team)
{
    char *path = range_db_path(name);
    state_store *st = NULL;
    stored_node *nodes = NULL;
    size_t n = 0;
    if (access(path, F_OK) == 0 && state_store_open(path, false, &st) == ENSHU_OK &&
        state_store_nodes(st, &nodes, &n) == ENSHU_OK) {
        if (!g->slots_cap)
            g->guests = xcalloc(n + 1, sizeof(range_guest));
        for (size_t i = 0; i < n; i++) {
            const node *nd = scenario_node(s, nodes[i].node);
            if (!nd || nodes[i].team < 1 || (unsigned)nodes[i].team > nteams)
                continue;
            if (g->slots_cap && g->count == g->slots_cap)
                break;
            g->guests[g->count++] =
                (range_guest){as_team > 0 ? as_team : nodes[i].team, nd, xstrdup(nodes[i].domain),
                              xstrdup(nodes[i].host_uri)};
            if (as_team > 0)
                guest_states_watch(g->states, nodes[i].host_uri, nodes[i].domain);
        }
    }
    stored_nodes_free(nodes, n);
    state_store_free(st);
    free(path);
}

/* After a restart or revert: the guest's addresses (where the agent sets
 * them) and accounts again, once its agent answers (the BusyBox images lose
 * them with every boot, a revert with its disk). Guests without either are
 * not waited for. */
static int set_again(void *ctx, const char *host_uri, virDomainPtr dom)
{
    range_guests *g = ctx;
    const char *domain = virDomainGetName(dom);
    const range_guest *guest = NULL;
    for (size_t i = 0; i < g->count; i++)
        if (!strcmp(g->guests[i].domain, domain) && !strcmp(g->guests[i].host_uri, host_uri))
            guest = &g->guests[i];
    if (!guest)
        return ENSHU_OK;
    bool runs_linux = g->runs_linux && g->runs_linux[guest->node - g->s->nodes];
    bool accounts = g->vars && guest_accounts_on_node(g->s, guest->node, runs_linux);
    if (!accounts && !range_addressing_wanted(g->addressing, guest->node))
        return ENSHU_OK;
    int64_t deadline = monotonic_ms() + AGENT_WAIT_MS;
    while (guest_agent_ping(dom, 2) != ENSHU_OK) {
        if (monotonic_ms() > deadline) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: team %d: the guest agent of %s did not answer within %d s after "
                       "it started again: its addresses and accounts are not set",
                       guest->team, domain, AGENT_WAIT_MS / 1000);
            return ENSHU_ETIMEOUT;
        }
        usleep(500 * 1000);
    }
    int rc = range_addressing_again(g->addressing, dom, guest->team, guest->node);
    if (rc == ENSHU_OK && accounts)
        rc = guest_accounts_make(dom, g->s, g->vars, guest->team, guest->node, runs_linux);
    return rc;
}

range_guests *range_guests_new(const scenario *s, unsigned nteams, const char *name)
{
    range_guests *g = xcalloc(1, sizeof(range_guests));
    g->s = s;
    g->conns = conn_cache_new();
    g->jobs = guest_jobs_new(g->conns, CONN_JOBS);
    if (name)
        load(g, s, nteams, name, 0);
    if (g->count && s->nusers) {
        g->runs_linux = range_images_linux(s, range_image_dir());
        if (team_vars_from_range(s, name, &g->vars) != ENSHU_OK)
            g->vars = NULL;
    }
    if (g->count)
        g->addressing = range_addressing_new(s, name, range_image_dir());
    if (g->vars || g->addressing)
        guest_jobs_set_then(g->jobs, set_again, g);
    if (g->count)
        g->graphical = range_images_graphical(s, range_image_dir());
    if (g->count) {
        g->states = guest_states_new(g->conns, CONN_STATES, STATES_MS);
        for (size_t i = 0; i < g->count; i++)
            guest_states_watch(g->states, g->guests[i].host_uri, g->guests[i].domain);
        guest_states_start(g->states);
    }
    return g;
}

range_guests *range_guests_new_slots(const scenario *s, unsigned nteams)
{
    range_guests *g = xcalloc(1, sizeof(range_guests));
    g->s = s;
    g->slots_cap = (size_t)nteams * s->nnodes + 1;
    g->guests = xcalloc(g->slots_cap, sizeof(range_guest));
    g->conns = conn_cache_new();
    g->jobs = guest_jobs_new(g->conns, CONN_JOBS);
    if (s->nusers)
        g->runs_linux = range_images_linux(s, range_image_dir());
    g->graphical = range_images_graphical(s, range_image_dir());
    g->states = guest_states_new(g->conns, CONN_STATES, STATES_MS);
    guest_states_start(g->states);
    return g;
}

int range_guests_add_range(range_guests *g, int team, const char *name)
{
    if (!g->slots_cap)
        return ENSHU_EINVAL;
    for (size_t i = 0; i < g->count; i++)
        if (g->guests[i].team == team)
            return ENSHU_EEXIST;
    size_t before = g->count;
    load(g, g->s, 1, name, team);
    return g->count > before ? ENSHU_OK : ENSHU_ENOTFOUND;
}

size_t range_guests_count(const range_guests *g)
{
    return g ? g->count : 0;
}

const range_guest *range_guests_find(const range_guests *g, int team, const char *node_name)
{
    for (size_t i = 0; g && i < g->count; i++)
        if (g->guests[i].team == team && strcmp(g->guests[i].node->name, node_name) == 0)
            return &g->guests[i];
    return NULL;
}

const char *range_guests_state(const range_guests *g, const range_guest *guest)
{
    if (!g || !g->states || !guest)
        return "unknown";
    return guest_states_get(g->states, guest->host_uri, guest->domain);
}

const bool *range_guests_linux(const range_guests *g)
{
    return g ? g->runs_linux : NULL;
}

const bool *range_guests_graphical(const range_guests *g)
{
    return g ? g->graphical : NULL;
}

void range_guests_refresh_soon(range_guests *g)
{
    if (g && g->states)
        guest_states_refresh_soon(g->states);
}

int range_guests_restart(range_guests *g, const range_guest *guest, bool revert,
                         range_guest_done done, void *ctx)
{
    return guest_jobs_start(g->jobs, guest->host_uri, guest->domain, revert, done, ctx);
}

void range_guests_free(range_guests *g)
{
    if (!g)
        return;
    guest_jobs_free(g->jobs);
    guest_states_free(g->states);
    team_vars_free(g->vars);
    free(g->runs_linux);
    range_addressing_free(g->addressing);
    free(g->graphical);
    for (size_t i = 0; i < g->count; i++) {
        free((char *)g->guests[i].domain);
        free((char *)g->guests[i].host_uri);
    }
    free(g->guests);
    conn_cache_free(g->conns);
    free(g);
}
