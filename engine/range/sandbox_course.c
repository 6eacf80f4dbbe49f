/*
 * A self-paced course's sandboxes, running (see sandbox_course.h).
 *
 * One lock guards the pool, the job queue and the counters. The pump
 * thread is the only one that takes actions from the pool: it wakes on a
 * change (a call, a finished job, a tick) or at the pool's next wake, and
 * queues every action it is given for the workers. A worker runs a job
 * without the lock, then reports it to the pool under the lock and wakes
 * the pump.
 */
#include "sandbox_course.h"
#include "alloc.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "log.h"
#include "monotonic_cond.h"
#include "sandbox_hosts.h"
#include "wall_clock.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sandbox_course {
    char *scenario_path, *prefix;
    int64_t ready_timeout_ms;
    bool warm_restore;
    int64_t (*wall_ms)(void *ctx);
    void *clock_ctx;
    int (*on_range)(void *ctx, unsigned sandbox, sandbox_range_event what);
    void *range_ctx;
    host_list *hosts;
    conn_cache *conns; /* shared by the workers: it hands each its connection */

    pthread_mutex_t lock;
    pthread_cond_t changed; /* the pump: something may be due */
    pthread_cond_t work;    /* the workers: a job is queued, or stopping */
    pthread_cond_t settled; /* wait_idle and close: a pump or a job ended */
    sandbox_pool *pool;
    sandbox_action *queue; /* jobs not yet taken by a worker */
    size_t qlen, qcap;
    unsigned running;         /* jobs a worker is carrying out */
    uint64_t changes, pumped; /* pumped == changes: the pump saw every change */
    unsigned failures;
    bool stopping;

    pthread_t pump;
    pthread_t *workers;
    unsigned nworkers;
};

static int64_t now_of(const sandbox_course *c)
{
    return c->wall_ms ? c->wall_ms(c->clock_ctx) : wall_clock_ms(NULL);
}

/* Under the lock: wake the pump. */
static void changed(sandbox_course *c)
{
    c->changes++;
    pthread_cond_signal(&c->changed);
}

static void *pump_main(void *arg)
{
    sandbox_course *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->stopping) {
        uint64_t seen = c->changes;
        int64_t now = now_of(c);
        sandbox_action a;
        while (sandbox_pool_next_action(c->pool, now, &a)) {
            XGROW(c->queue, c->qcap, c->qlen + 1);
            c->queue[c->qlen++] = a;
            pthread_cond_signal(&c->work);
        }
        c->pumped = seen;
        pthread_cond_broadcast(&c->settled);
        if (c->changes != seen)
            continue;
        int64_t wake = sandbox_pool_next_wake(c->pool, now);
        if (wake == INT64_MAX) {
            pthread_cond_wait(&c->changed, &c->lock);
        } else {
            struct timespec until = monotonic_deadline(wake - now);
            pthread_cond_timedwait(&c->changed, &c->lock, &until);
        }
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static void *worker_main(void *arg)
{
    sandbox_course *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (c->qlen == 0 && !c->stopping)
            pthread_cond_wait(&c->work, &c->lock);
        if (c->qlen == 0)
            break; /* stopping, and nothing left to do */
        sandbox_action a = c->queue[0];
        memmove(&c->queue[0], &c->queue[1], (c->qlen - 1) * sizeof *c->queue);
        c->qlen--;
        c->running++;
        pthread_mutex_unlock(&c->lock);
        int rc;
        if (a.kind == SANDBOX_BUILD) {
            rc = sandbox_range_build(c->scenario_path, c->prefix, a.sandbox,
                                     c->hosts->items[a.host].uri, c->ready_timeout_ms,
                                     c->warm_restore, c->conns);
            if (rc == ENSHU_OK && c->on_range &&
                c->on_range(c->range_ctx, a.sandbox, SANDBOX_RANGE_READY) != ENSHU_OK)
                rc = ENSHU_EINVAL;
        } else {
            if (c->on_range)
                (void)c->on_range(c->range_ctx, a.sandbox, SANDBOX_RANGE_GONE);
            rc = sandbox_range_teardown(c->prefix, a.sandbox, c->conns);
        }
        pthread_mutex_lock(&c->lock);
        int64_t now = now_of(c);
        if (rc != ENSHU_OK) {
            c->failures++;
            log_printf(ENSHU_LOG_WARNING, "enshu: %s of sandbox %u on %s failed; %s",
                       a.kind == SANDBOX_BUILD ? "the build" : "the teardown", a.sandbox,
                       c->hosts->items[a.host].uri,
                       a.kind == SANDBOX_BUILD ? "it is torn down, and builds pause a while"
                                               : "it is tried again");
        }
        int reported = a.kind == SANDBOX_BUILD
                           ? sandbox_pool_built(c->pool, a.sandbox, now, rc == ENSHU_OK)
                           : sandbox_pool_torn_down(c->pool, a.sandbox, now, rc == ENSHU_OK);
        (void)reported; /* the pool handed this job out: it knows the sandbox */
        c->running--;
        changed(c);
        pthread_cond_broadcast(&c->settled);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

sandbox_course *sandbox_course_open(const sandbox_course_config *cfg)
{
    if (!cfg->prefix || strlen(cfg->prefix) > SANDBOX_PREFIX_MAX) {
        log_printf(ENSHU_LOG_ERROR, "enshu: a course's range prefix has 1 to %d characters",
                   SANDBOX_PREFIX_MAX);
        return NULL;
    }
    sandbox_course *c = xcalloc(1, sizeof *c);
    c->conns = conn_cache_new();
    unsigned *slots = NULL;
    if (sandbox_hosts_slots(cfg->scenario_path, cfg->hosts_path, c->conns, &c->hosts, &slots) < 0) {
        conn_cache_free(c->conns);
        free(c);
        return NULL;
    }
    c->pool = sandbox_pool_new(&cfg->pool, slots, c->hosts->count);
    free(slots);
    if (!c->pool) {
        host_list_free(c->hosts);
        conn_cache_free(c->conns);
        free(c);
        return NULL;
    }
    c->scenario_path = xstrdup(cfg->scenario_path);
    c->prefix = xstrdup(cfg->prefix);
    c->ready_timeout_ms = cfg->ready_timeout_ms;
    c->warm_restore = cfg->warm_restore;
    c->wall_ms = cfg->wall_ms;
    c->clock_ctx = cfg->clock_ctx;
    c->on_range = cfg->on_range;
    c->range_ctx = cfg->range_ctx;
    pthread_mutex_init(&c->lock, NULL);
    monotonic_cond_init(&c->changed);
    pthread_cond_init(&c->work, NULL);
    pthread_cond_init(&c->settled, NULL);
    c->changes = 1; /* the pool fills at once */
    c->nworkers = cfg->pool.max_jobs ? cfg->pool.max_jobs : 1;
    c->workers = xcalloc(c->nworkers, sizeof *c->workers);
    for (unsigned i = 0; i < c->nworkers; i++)
        if (pthread_create(&c->workers[i], NULL, worker_main, c) != 0)
            abort(); /* as an allocation that fails */
    if (pthread_create(&c->pump, NULL, pump_main, c) != 0)
        abort();
    return c;
}

/* Under the lock: the pump saw every change, no job waits or runs. */
static bool idle(const sandbox_course *c)
{
    return c->pumped == c->changes && c->qlen == 0 && c->running == 0;
}

void sandbox_course_wait_idle(sandbox_course *c)
{
    pthread_mutex_lock(&c->lock);
    while (!idle(c))
        pthread_cond_wait(&c->settled, &c->lock);
    pthread_mutex_unlock(&c->lock);
}

void sandbox_course_close(sandbox_course *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    sandbox_pool_drain(c->pool);
    changed(c);
    /* A failed teardown is tried again at the pump's next wake. */
    while (!idle(c) || sandbox_pool_count(c->pool, SANDBOX_STATE_COUNT) > 0)
        pthread_cond_wait(&c->settled, &c->lock);
    c->stopping = true;
    pthread_cond_broadcast(&c->work);
    pthread_cond_signal(&c->changed);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->pump, NULL);
    for (unsigned i = 0; i < c->nworkers; i++)
        pthread_join(c->workers[i], NULL);
    pthread_cond_destroy(&c->changed);
    pthread_cond_destroy(&c->work);
    pthread_cond_destroy(&c->settled);
    pthread_mutex_destroy(&c->lock);
    sandbox_pool_free(c->pool);
    host_list_free(c->hosts);
    conn_cache_free(c->conns);
    free(c->workers);
    free(c->queue);
    free(c->scenario_path);
    free(c->prefix);
    free(c);
}

int sandbox_course_request(sandbox_course *c, const char *course_code, const char *name,
                           sandbox_grant *out)
{
    pthread_mutex_lock(&c->lock);
    int rc = sandbox_pool_request(c->pool, course_code, name, now_of(c), out);
    changed(c);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int sandbox_course_poll(sandbox_course *c, unsigned ticket, sandbox_grant *out)
{
    pthread_mutex_lock(&c->lock);
    int rc = sandbox_pool_poll(c->pool, ticket, now_of(c), out);
    changed(c);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int sandbox_course_leave(sandbox_course *c, unsigned ticket)
{
    pthread_mutex_lock(&c->lock);
    int rc = sandbox_pool_leave(c->pool, ticket);
    changed(c);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int sandbox_course_resume(sandbox_course *c, const char *token, unsigned *sandbox)
{
    pthread_mutex_lock(&c->lock);
    int rc = sandbox_pool_resume(c->pool, token, now_of(c), sandbox);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int sandbox_course_extend(sandbox_course *c, unsigned sandbox, int64_t delta_ms)
{
    pthread_mutex_lock(&c->lock);
    int rc = sandbox_pool_extend(c->pool, sandbox, delta_ms);
    changed(c);
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int sandbox_course_revoke(sandbox_course *c, unsigned sandbox)
{
    pthread_mutex_lock(&c->lock);
    int rc = sandbox_pool_revoke(c->pool, sandbox, now_of(c));
    changed(c);
    pthread_mutex_unlock(&c->lock);
    if (rc == ENSHU_OK && c->on_range)
        (void)c->on_range(c->range_ctx, sandbox, SANDBOX_RANGE_REVOKED);
    return rc;
}

int sandbox_course_info_of(sandbox_course *c, unsigned sandbox, sandbox_course_info *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&c->lock);
    int rc = sandbox_pool_info(c->pool, sandbox, &out->info);
    if (rc == ENSHU_OK && out->info.trainee)
        snprintf(out->trainee, sizeof out->trainee, "%s", out->info.trainee);
    out->info.trainee = NULL; /* valid only under the lock */
    pthread_mutex_unlock(&c->lock);
    return rc;
}

unsigned sandbox_course_queue_length(sandbox_course *c)
{
    pthread_mutex_lock(&c->lock);
    unsigned n = sandbox_pool_queue_length(c->pool);
    pthread_mutex_unlock(&c->lock);
    return n;
}

int64_t sandbox_course_now(const sandbox_course *c)
{
    return now_of(c);
}

char *sandbox_course_range(const sandbox_course *c, unsigned sandbox)
{
    return sandbox_range_name(c->prefix, sandbox);
}

unsigned sandbox_course_count(sandbox_course *c, sandbox_state state)
{
    pthread_mutex_lock(&c->lock);
    unsigned n = sandbox_pool_count(c->pool, state);
    pthread_mutex_unlock(&c->lock);
    return n;
}

void sandbox_course_tick(sandbox_course *c)
{
    pthread_mutex_lock(&c->lock);
    changed(c);
    pthread_mutex_unlock(&c->lock);
}

unsigned sandbox_course_failures(sandbox_course *c)
{
    pthread_mutex_lock(&c->lock);
    unsigned n = c->failures;
    pthread_mutex_unlock(&c->lock);
    return n;
}
