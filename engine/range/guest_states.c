/*
 * Guests' power states, watched on a thread (see guest_states.h). Per
 * round and host one virConnectGetAllDomainStats(STATE) call. The table is written only by
 * the watcher (under the lock) and read by anyone (under the lock).
 */
#include "guest_states.h"
#include "alloc.h"
#include "libvirt_conn.h"
#include "monotonic_clock.h"
#include "monotonic_cond.h"

#include <libvirt/libvirt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

enum { HOST_RETRY_MS = 30000 };

typedef struct watched {
    char *host_uri, *domain;
    int state; /* a virDomainState, or -1: unknown */
} watched;

struct guest_states {
    conn_cache *conns;
    unsigned worker;
    unsigned interval_ms;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stopping, soon, started;
    pthread_t thread;
    watched *guests;
    size_t nguests, cap;
    char **hosts;      /* each once */
    int64_t *retry_at; /* a host that did not answer is asked again from then */
    size_t nhosts;
};

guest_states *guest_states_new(conn_cache *conns, unsigned worker, unsigned interval_ms)
{
    guest_states *g = xcalloc(1, sizeof(guest_states));
    g->conns = conns;
    g->worker = worker;
    g->interval_ms = interval_ms ? interval_ms : 1000;
    pthread_mutex_init(&g->lock, NULL);
    monotonic_cond_init(&g->wake);
    return g;
}

void guest_states_watch(guest_states *g, const char *host_uri, const char *domain)
{
    pthread_mutex_lock(&g->lock);
    XGROW(g->guests, g->cap, g->nguests + 1);
    g->guests[g->nguests++] = (watched){xstrdup(host_uri), xstrdup(domain), -1};
    bool known = false;
    for (size_t i = 0; i < g->nhosts && !known; i++)
        known = strcmp(g->hosts[i], host_uri) == 0;
    if (!known) {
        g->hosts = xrealloc(g->hosts, (g->nhosts + 1) * sizeof(char *));
        g->retry_at = xrealloc(g->retry_at, (g->nhosts + 1) * sizeof(int64_t));
        g->retry_at[g->nhosts] = 0;
        g->hosts[g->nhosts++] = xstrdup(host_uri);
    }
    /* Watched after the start: its state is asked for at once. */
    g->soon = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
}

const char *guest_state_name(int state)
{
    switch (state) {
    case VIR_DOMAIN_RUNNING:
    case VIR_DOMAIN_BLOCKED:
        return "running";
    case VIR_DOMAIN_PAUSED:
    case VIR_DOMAIN_PMSUSPENDED:
        return "paused";
    case VIR_DOMAIN_SHUTDOWN:
    case VIR_DOMAIN_SHUTOFF:
        return "shut off";
    case VIR_DOMAIN_CRASHED:
        return "crashed";
    default:
        return "unknown";
    }
}

static void set_state_locked(guest_states *g, const char *host_uri, const char *domain, int state)
{
    for (size_t i = 0; i < g->nguests; i++)
        if (strcmp(g->guests[i].domain, domain) == 0 &&
            strcmp(g->guests[i].host_uri, host_uri) == 0)
            g->guests[i].state = state;
}

/* The states of every guest on host h (uri): all unknown when it does not
 * answer; a watched guest it does not report is unknown too. Hosts are
 * only ever added, so h stays host uri's index. */
static void look_at_host(guest_states *g, size_t h, const char *uri)
{
    pthread_mutex_lock(&g->lock);
    int64_t retry_at = g->retry_at[h];
    pthread_mutex_unlock(&g->lock);
    if (monotonic_ms() < retry_at)
        return; /* said once it does not answer; not every round */
    virConnectPtr conn = conn_cache_get(g->conns, uri, g->worker);
    virDomainStatsRecordPtr *recs = NULL;
    int n = conn ? virConnectGetAllDomainStats(conn, VIR_DOMAIN_STATS_STATE, &recs, 0) : -1;
    pthread_mutex_lock(&g->lock);
    if (!conn)
        g->retry_at[h] = monotonic_ms() + HOST_RETRY_MS;
    for (size_t i = 0; i < g->nguests; i++)
        if (strcmp(g->guests[i].host_uri, uri) == 0)
            g->guests[i].state = -1;
    for (int r = 0; r < n; r++) {
        int state = -1;
        for (int p = 0; p < recs[r]->nparams; p++)
            if (strcmp(recs[r]->params[p].field, "state.state") == 0 &&
                recs[r]->params[p].type == VIR_TYPED_PARAM_INT)
                state = recs[r]->params[p].value.i;
        set_state_locked(g, uri, virDomainGetName(recs[r]->dom), state);
    }
    pthread_mutex_unlock(&g->lock);
    if (recs)
        virDomainStatsRecordListFree(recs);
}

/* Guests may be watched meanwhile (guest_states_watch): each host's URI is
 * copied under the lock. */
static void look(guest_states *g)
{
    for (size_t h = 0;; h++) {
        pthread_mutex_lock(&g->lock);
        char *uri = h < g->nhosts ? xstrdup(g->hosts[h]) : NULL;
        pthread_mutex_unlock(&g->lock);
        if (!uri)
            return;
        look_at_host(g, h, uri);
        free(uri);
    }
}

static void *watch_main(void *arg)
{
    guest_states *g = arg;
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        struct timespec until = monotonic_deadline(g->interval_ms);
        while (!g->stopping && !g->soon && pthread_cond_timedwait(&g->wake, &g->lock, &until) == 0)
            ;
        if (g->stopping)
            break;
        g->soon = false;
        pthread_mutex_unlock(&g->lock);
        look(g);
        pthread_mutex_lock(&g->lock);
    }
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

void guest_states_start(guest_states *g)
{
    look(g);
    g->started = pthread_create(&g->thread, NULL, watch_main, g) == 0;
}

const char *guest_states_get(guest_states *g, const char *host_uri, const char *domain)
{
    int state = -1;
    pthread_mutex_lock(&g->lock);
    for (size_t i = 0; i < g->nguests; i++)
        if (strcmp(g->guests[i].domain, domain) == 0 &&
            strcmp(g->guests[i].host_uri, host_uri) == 0)
            state = g->guests[i].state;
    pthread_mutex_unlock(&g->lock);
    return guest_state_name(state);
}

void guest_states_refresh_soon(guest_states *g)
{
    pthread_mutex_lock(&g->lock);
    g->soon = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
}

void guest_states_free(guest_states *g)
{
    if (!g)
        return;
    if (g->started) {
        pthread_mutex_lock(&g->lock);
        g->stopping = true;
        pthread_cond_signal(&g->wake);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->thread, NULL);
    }
    for (size_t i = 0; i < g->nguests; i++) {
        free(g->guests[i].host_uri);
        free(g->guests[i].domain);
    }
    free(g->guests);
    for (size_t i = 0; i < g->nhosts; i++)
        free(g->hosts[i]);
    free(g->hosts);
    free(g->retry_at);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}
