/*
 * A running range's guests for the consoles (see range_guests.h): the
 * state store's nodes, one connection cache for the power state watcher
 * and the restart and revert jobs.
 */
#include "range_guests.h"
#include "alloc.h"
#include "errors.h"
#include "guest_jobs.h"
#include "guest_states.h"
#include "libvirt_conn.h"
#include "range_files.h"
#include "state_store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Power states shown are at most this old (a restart or revert asks at once). */
#define STATES_MS 2000
/* The workers of conn_cache: the restarts and reverts, the state watcher. */
enum { CONN_JOBS = 1, CONN_STATES = 2 };

struct range_guests {
    range_guest *guests;
    size_t count;
    conn_cache *conns;
    guest_jobs *jobs;     /* restarts and reverts under way */
    guest_states *states; /* NULL without guests */
};

static void load(range_guests *g, const scenario *s, unsigned nteams, const char *name)
{
    char *path = range_db_path(name);
    state_store *st = NULL;
    stored_node *nodes = NULL;
    size_t n = 0;
    if (access(path, F_OK) == 0 && state_store_open(path, false, &st) == ENSHU_OK &&
        state_store_nodes(st, &nodes, &n) == ENSHU_OK) {
        g->guests = xcalloc(n + 1, sizeof(range_guest));
        for (size_t i = 0; i < n; i++) {
            const node *nd = scenario_node(s, nodes[i].node);
            if (!nd || nodes[i].team < 1 || (unsigned)nodes[i].team > nteams)
                continue;
            g->guests[g->count++] = (range_guest){nodes[i].team, nd, xstrdup(nodes[i].domain),
                                                  xstrdup(nodes[i].host_uri)};
        }
    }
    stored_nodes_free(nodes, n);
    state_store_free(st);
    free(path);
}

range_guests *range_guests_new(const scenario *s, unsigned nteams, const char *name)
{
    range_guests *g = xcalloc(1, sizeof(range_guests));
    g->conns = conn_cache_new();
    g->jobs = guest_jobs_new(g->conns, CONN_JOBS);
    if (name)
        load(g, s, nteams, name);
    if (g->count) {
        g->states = guest_states_new(g->conns, CONN_STATES, STATES_MS);
        for (size_t i = 0; i < g->count; i++)
            guest_states_watch(g->states, g->guests[i].host_uri, g->guests[i].domain);
        guest_states_start(g->states);
    }
    return g;
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
    for (size_t i = 0; i < g->count; i++) {
        free((char *)g->guests[i].domain);
        free((char *)g->guests[i].host_uri);
    }
    free(g->guests);
    conn_cache_free(g->conns);
    free(g);
}
