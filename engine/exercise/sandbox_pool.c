/*
 * The sandbox pool of a self-paced course (see sandbox_pool.h): the states
 * of the sandboxes, the trainees' queue, the refill decisions and the
 * queue's estimate, all on time passed in.
 */
#include "sandbox_pool.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"

#include <sodium.h>

#include <stdlib.h>
#include <string.h>

#define TOKEN_BYTES 32
#define HASH_BYTES crypto_generichash_BYTES
#define MAX_HOSTS 64

typedef struct sandbox {
    unsigned id;
    sandbox_state state;
    size_t host;
    int64_t job_started_ms; /* BUILDING, TEARING_DOWN: when its job was handed out */
    /* ALLOCATED */
    char *trainee;
    unsigned ticket; /* the queue ticket it went to (0: granted at once) */
    bool collected;  /* its token was shown (a token hash is set) */
    unsigned char token_hash[HASH_BYTES];
    int64_t allocated_ms, expires_ms;
    /* EXPIRING after failed teardowns: how many, and not again before */
    unsigned failed_teardowns;
    int64_t retry_ms;
} sandbox;

typedef struct waiting {
    unsigned ticket;
    char *name;
    int64_t since_ms;
} waiting;

typedef struct samples {
    int64_t ms[SANDBOX_POOL_SAMPLES];
    unsigned n, next;
    int64_t guess;
} samples;

struct sandbox_pool {
    unsigned char code_hash[HASH_BYTES];
    unsigned warm_target, capacity, max_jobs, host_builds;
    int64_t ttl_ms;
    size_t nhosts;
    unsigned *slots; /* per host */
    unsigned *load;  /* per host: sandboxes there, any state */
    sandbox *items;
    size_t count, cap;
    waiting *queue;
    size_t qlen, qcap;
    unsigned next_id, next_ticket;
    samples builds, teardowns;
    bool draining;          /* sandbox_pool_drain: the course closes */
    unsigned failed_builds; /* in a row */
    int64_t builds_from_ms; /* after failures, no build starts before */
};

static const char *const STATE_NAMES[SANDBOX_STATE_COUNT] = {"building", "warm", "allocated",
                                                             "expiring", "tearing down"};

const char *sandbox_state_name(sandbox_state state)
{
    return state < SANDBOX_STATE_COUNT ? STATE_NAMES[state] : "?";
}

static void hash_text(const char *text, unsigned char out[HASH_BYTES])
{
    crypto_generichash(out, HASH_BYTES, (const unsigned char *)text, strlen(text), NULL, 0);
}

static void samples_add(samples *s, int64_t ms)
{
    s->ms[s->next] = ms < 0 ? 0 : ms;
    s->next = (s->next + 1) % SANDBOX_POOL_SAMPLES;
    if (s->n < SANDBOX_POOL_SAMPLES)
        s->n++;
}

static int64_t samples_mean(const samples *s)
{
    if (s->n == 0)
        return s->guess;
    int64_t sum = 0;
    for (unsigned i = 0; i < s->n; i++)
        sum += s->ms[i];
    return sum / s->n;
}

sandbox_pool *sandbox_pool_new(const sandbox_pool_config *cfg, const unsigned *host_slots,
                               size_t nhosts)
{
    unsigned total = 0;
    for (size_t i = 0; i < nhosts && i < MAX_HOSTS; i++)
        total += host_slots[i];
    const char *why = NULL;
    if (nhosts == 0 || nhosts > MAX_HOSTS)
        why = "it needs between 1 and 64 hosts";
    else if (total == 0)
        why = "its hosts have room for no sandbox";
    else if (!cfg->course_code || !*cfg->course_code || strlen(cfg->course_code) > SANDBOX_NAME_MAX)
        why = "its course code is empty or too long";
    else if (cfg->ttl_ms <= 0)
        why = "its TTL is not positive";
    if (why) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot make the sandbox pool: %s", why);
        return NULL;
    }
    sandbox_pool *p = xcalloc(1, sizeof *p);
    hash_text(cfg->course_code, p->code_hash);
    p->warm_target = cfg->warm;
    p->capacity = cfg->max && cfg->max < total ? cfg->max : total;
    p->max_jobs = cfg->max_jobs ? cfg->max_jobs : 1;
    p->host_builds = cfg->host_builds;
    p->ttl_ms = cfg->ttl_ms;
    p->nhosts = nhosts;
    p->slots = xcalloc(nhosts, sizeof *p->slots);
    memcpy(p->slots, host_slots, nhosts * sizeof *p->slots);
    p->load = xcalloc(nhosts, sizeof *p->load);
    p->next_id = 1;
    p->next_ticket = 1;
    p->builds.guess = cfg->build_guess_ms > 0 ? cfg->build_guess_ms : 30000;
    p->teardowns.guess = cfg->teardown_guess_ms > 0 ? cfg->teardown_guess_ms : 5000;
    return p;
}

void sandbox_pool_free(sandbox_pool *pool)
{
    if (!pool)
        return;
    for (size_t i = 0; i < pool->count; i++)
        free(pool->items[i].trainee);
    for (size_t i = 0; i < pool->qlen; i++)
        free(pool->queue[i].name);
    sodium_memzero(pool->items, pool->cap * sizeof *pool->items);
    free(pool->items);
    free(pool->queue);
    free(pool->slots);
    free(pool->load);
    free(pool);
}

unsigned sandbox_pool_capacity(const sandbox_pool *pool)
{
    return pool->capacity;
}

static sandbox *find(const sandbox_pool *pool, unsigned id)
{
    for (size_t i = 0; i < pool->count; i++)
        if (pool->items[i].id == id)
            return &pool->items[i];
    return NULL;
}

unsigned sandbox_pool_count(const sandbox_pool *pool, sandbox_state state)
{
    if (state == SANDBOX_STATE_COUNT)
        return (unsigned)pool->count;
    unsigned n = 0;
    for (size_t i = 0; i < pool->count; i++)
        n += pool->items[i].state == state;
    return n;
}

unsigned sandbox_pool_host_load(const sandbox_pool *pool, size_t host)
{
    return host < pool->nhosts ? pool->load[host] : 0;
}

unsigned sandbox_pool_queue_length(const sandbox_pool *pool)
{
    return (unsigned)pool->qlen;
}

int64_t sandbox_pool_build_estimate(const sandbox_pool *pool)
{
    return samples_mean(&pool->builds);
}

int sandbox_pool_info(const sandbox_pool *pool, unsigned id, sandbox_info *out)
{
    const sandbox *sb = find(pool, id);
    if (!sb)
        return ENSHU_ENOTFOUND;
    *out = (sandbox_info){.id = sb->id,
                          .state = sb->state,
                          .host = sb->host,
                          .trainee = sb->state == SANDBOX_ALLOCATED ? sb->trainee : NULL,
                          .allocated_ms = sb->allocated_ms,
                          .expires_ms = sb->expires_ms};
    return ENSHU_OK;
}

/* A sandbox stops being a trainee's: its token no longer opens it. */
static void reclaim(sandbox *sb)
{
    sb->state = SANDBOX_EXPIRING;
    sb->collected = false;
    sodium_memzero(sb->token_hash, sizeof sb->token_hash);
    free(sb->trainee);
    sb->trainee = NULL;
}

static void expire_due(sandbox_pool *pool, int64_t now)
{
    for (size_t i = 0; i < pool->count; i++)
        if (pool->items[i].state == SANDBOX_ALLOCATED && pool->items[i].expires_ms <= now)
            reclaim(&pool->items[i]);
}

/* Gives sb to a trainee from now; its token is made when they collect it
 * (grant), at once or by polling with their ticket. */
static void allocate(sandbox_pool *pool, sandbox *sb, const char *name, unsigned ticket,
                     int64_t now)
{
    sb->state = SANDBOX_ALLOCATED;
    sb->trainee = xstrdup(name);
    sb->ticket = ticket;
    sb->collected = false;
    sb->allocated_ms = now;
    sb->expires_ms = now + pool->ttl_ms;
}

/* Makes the token of sb's grant, keeps its hash, and fills *out. */
static void grant(sandbox *sb, sandbox_grant *out)
{
    unsigned char raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    memset(out, 0, sizeof *out);
    sodium_bin2base64(out->token, sizeof out->token, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    hash_text(out->token, sb->token_hash);
    sb->collected = true;
    out->queued = false;
    out->sandbox = sb->id;
    out->host = sb->host;
    out->expires_ms = sb->expires_ms;
}

static unsigned builds_on(const sandbox_pool *pool, size_t host)
{
    unsigned n = 0;
    for (size_t i = 0; i < pool->count; i++)
        n += pool->items[i].host == host && pool->items[i].state == SANDBOX_BUILDING;
    return n;
}

/* The host for one more sandbox: the lowest share of its slots in use,
 * among those with a slot free and room for one more build. SIZE_MAX:
 * none. */
static size_t choose_host(const sandbox_pool *pool)
{
    size_t best = SIZE_MAX;
    for (size_t h = 0; h < pool->nhosts; h++) {
        if (pool->load[h] >= pool->slots[h])
            continue;
        if (pool->host_builds && builds_on(pool, h) >= pool->host_builds)
            continue;
        /* load[h]/slots[h] < load[best]/slots[best], without division */
        if (best == SIZE_MAX || (uint64_t)pool->load[h] * pool->slots[best] <
                                    (uint64_t)pool->load[best] * pool->slots[h])
            best = h;
    }
    return best;
}

bool sandbox_pool_next_action(sandbox_pool *pool, int64_t now, sandbox_action *out)
{
    expire_due(pool, now);
    unsigned jobs =
        sandbox_pool_count(pool, SANDBOX_BUILDING) + sandbox_pool_count(pool, SANDBOX_TEARING_DOWN);
    if (jobs >= pool->max_jobs)
        return false;
    /* Teardowns first: each frees a slot. The oldest sandbox first. */
    for (size_t i = 0; i < pool->count; i++) {
        sandbox *sb = &pool->items[i];
        if (sb->state == SANDBOX_EXPIRING && sb->retry_ms <= now) {
            sb->state = SANDBOX_TEARING_DOWN;
            sb->job_started_ms = now;
            *out = (sandbox_action){.kind = SANDBOX_TEARDOWN, .sandbox = sb->id, .host = sb->host};
            return true;
        }
    }
    if (pool->draining || now < pool->builds_from_ms)
        return false;
    unsigned want = pool->warm_target + (unsigned)pool->qlen;
    unsigned have =
        sandbox_pool_count(pool, SANDBOX_WARM) + sandbox_pool_count(pool, SANDBOX_BUILDING);
    if (have >= want || pool->count >= pool->capacity)
        return false;
    size_t host = choose_host(pool);
    if (host == SIZE_MAX)
        return false;
    XGROW(pool->items, pool->cap, pool->count + 1);
    sandbox *sb = &pool->items[pool->count++];
    *sb = (sandbox){
        .id = pool->next_id++, .state = SANDBOX_BUILDING, .host = host, .job_started_ms = now};
    pool->load[host]++;
    *out = (sandbox_action){.kind = SANDBOX_BUILD, .sandbox = sb->id, .host = host};
    return true;
}

/* The pause after failures failures in a row: the job's mean duration,
 * doubled per further failure, at most SANDBOX_RETRY_MAX_MS. */
static int64_t retry_pause(int64_t mean, unsigned failures)
{
    int64_t pause = mean > 0 ? mean : 1000;
    for (unsigned i = 0; i < failures && pause < SANDBOX_RETRY_MAX_MS; i++)
        pause *= 2;
    return pause < SANDBOX_RETRY_MAX_MS ? pause : SANDBOX_RETRY_MAX_MS;
}

static void queue_remove(sandbox_pool *pool, size_t i)
{
    free(pool->queue[i].name);
    memmove(&pool->queue[i], &pool->queue[i + 1], (pool->qlen - i - 1) * sizeof *pool->queue);
    pool->qlen--;
}

int sandbox_pool_built(sandbox_pool *pool, unsigned id, int64_t now, bool ok)
{
    sandbox *sb = find(pool, id);
    if (!sb || sb->state != SANDBOX_BUILDING)
        return ENSHU_ENOTFOUND;
    if (!ok) {
        reclaim(sb);
        pool->builds_from_ms =
            now + retry_pause(samples_mean(&pool->builds), pool->failed_builds++);
        return ENSHU_OK;
    }
    pool->failed_builds = 0;
    samples_add(&pool->builds, now - sb->job_started_ms);
    if (pool->draining) {
        reclaim(sb);
    } else if (pool->qlen > 0) {
        allocate(pool, sb, pool->queue[0].name, pool->queue[0].ticket, now);
        queue_remove(pool, 0);
    } else {
        sb->state = SANDBOX_WARM;
    }
    return ENSHU_OK;
}

int sandbox_pool_torn_down(sandbox_pool *pool, unsigned id, int64_t now, bool ok)
{
    sandbox *sb = find(pool, id);
    if (!sb || sb->state != SANDBOX_TEARING_DOWN)
        return ENSHU_ENOTFOUND;
    if (!ok) {
        sb->state = SANDBOX_EXPIRING;
        sb->retry_ms = now + retry_pause(samples_mean(&pool->teardowns), sb->failed_teardowns++);
        return ENSHU_OK;
    }
    samples_add(&pool->teardowns, now - sb->job_started_ms);
    pool->load[sb->host]--;
    free(sb->trainee);
    *sb = pool->items[--pool->count];
    return ENSHU_OK;
}

int64_t sandbox_pool_next_wake(const sandbox_pool *pool, int64_t now)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < pool->count; i++) {
        const sandbox *sb = &pool->items[i];
        if (sb->state == SANDBOX_ALLOCATED && sb->expires_ms < next)
            next = sb->expires_ms > now ? sb->expires_ms : now;
        if (sb->state == SANDBOX_EXPIRING && sb->retry_ms > now && sb->retry_ms < next)
            next = sb->retry_ms;
    }
    if (pool->builds_from_ms > now && pool->builds_from_ms < next)
        next = pool->builds_from_ms;
    return next;
}

/* ---- the queue's estimate ---- */

/* Takes the smallest of n times out of t (n > 0) and returns it. */
static int64_t take_min(int64_t *t, size_t *n)
{
    size_t best = 0;
    for (size_t i = 1; i < *n; i++)
        if (t[i] < t[best])
            best = i;
    int64_t v = t[best];
    t[best] = t[--*n];
    return v;
}

static size_t min_index(const int64_t *t, size_t n)
{
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (t[i] < t[best])
            best = i;
    return best;
}

static int64_t later(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* When the trainee at queue position (1-based) gets a sandbox, played
 * forward as sandbox_pool.h describes; minus now. Hosts are taken as one
 * (their slots summed): an estimate, not a promise. */
static int64_t estimate_wait(const sandbox_pool *pool, size_t position, int64_t now)
{
    int64_t build = samples_mean(&pool->builds), teardown = samples_mean(&pool->teardowns);
    size_t njobs = 0, nready = 0, ncap = 0;
    /* Job slots: max_jobs, or fewer when each host builds a bounded number. */
    size_t nslots = pool->max_jobs;
    if (pool->host_builds && pool->host_builds * pool->nhosts < nslots)
        nslots = pool->host_builds * pool->nhosts;
    /* Every sandbox and every queued trainee's may free capacity once. */
    size_t bound = pool->count + position + pool->capacity + 1;
    int64_t *slot = xcalloc(pool->max_jobs, sizeof *slot);
    int64_t *ready = xcalloc(bound, sizeof *ready);
    int64_t *cap = xcalloc(bound, sizeof *cap);
    for (size_t i = 0; i < pool->count; i++) {
        const sandbox *sb = &pool->items[i];
        if (sb->state == SANDBOX_BUILDING) {
            ready[nready++] = later(now, sb->job_started_ms + build);
            slot[njobs++] = ready[nready - 1];
        } else if (sb->state == SANDBOX_TEARING_DOWN) {
            slot[njobs++] = later(now, sb->job_started_ms + teardown);
            cap[ncap++] = slot[njobs - 1];
        } else if (sb->state == SANDBOX_ALLOCATED) {
            cap[ncap++] = later(now, sb->expires_ms) + teardown;
        }
    }
    if (nslots < njobs) /* the jobs under way hold every slot they have */
        nslots = njobs;
    for (size_t i = njobs; i < nslots; i++)
        slot[i] = now;
    for (size_t i = pool->count; i < pool->capacity; i++)
        cap[ncap++] = now;
    for (size_t i = 0; i < pool->count; i++) /* the waiting teardowns take job slots first */
        if (pool->items[i].state == SANDBOX_EXPIRING) {
            size_t s = min_index(slot, nslots);
            slot[s] = later(slot[s], now) + teardown;
            cap[ncap++] = slot[s];
        }
    int64_t at = INT64_MAX;
    for (size_t k = 0; k < position; k++) {
        int64_t when;
        if (nready > 0) {
            when = take_min(ready, &nready);
        } else if (ncap > 0) {
            size_t s = min_index(slot, nslots);
            when = later(take_min(cap, &ncap), slot[s]) + build;
            slot[s] = when;
        } else {
            break;
        }
        /* That trainee's sandbox comes back at its TTL. */
        if (ncap < bound)
            cap[ncap++] = when + pool->ttl_ms + teardown;
        at = when;
    }
    free(slot);
    free(ready);
    free(cap);
    return at == INT64_MAX ? INT64_MAX : later(at - now, 0);
}

/* ---- trainees ---- */

static bool name_taken(const sandbox_pool *pool, const char *name)
{
    for (size_t i = 0; i < pool->qlen; i++)
        if (strcmp(pool->queue[i].name, name) == 0)
            return true;
    for (size_t i = 0; i < pool->count; i++)
        if (pool->items[i].state == SANDBOX_ALLOCATED && strcmp(pool->items[i].trainee, name) == 0)
            return true;
    return false;
}

static void fill_queued(const sandbox_pool *pool, size_t i, int64_t now, sandbox_grant *out)
{
    memset(out, 0, sizeof *out);
    out->queued = true;
    out->ticket = pool->queue[i].ticket;
    out->position = (unsigned)i + 1;
    out->estimate_ms = estimate_wait(pool, i + 1, now);
}

int sandbox_pool_request(sandbox_pool *pool, const char *course_code, const char *name, int64_t now,
                         sandbox_grant *out)
{
    unsigned char h[HASH_BYTES];
    hash_text(course_code ? course_code : "", h);
    if (sodium_memcmp(h, pool->code_hash, HASH_BYTES) != 0 || !name || !*name ||
        strlen(name) > SANDBOX_NAME_MAX)
        return ENSHU_EINVAL;
    if (pool->draining)
        return ENSHU_EPHASE;
    expire_due(pool, now);
    if (name_taken(pool, name))
        return ENSHU_EEXIST;
    if (pool->qlen == 0)
        for (size_t i = 0; i < pool->count; i++)
            if (pool->items[i].state == SANDBOX_WARM) {
                allocate(pool, &pool->items[i], name, 0, now);
                grant(&pool->items[i], out);
                return ENSHU_OK;
            }
    XGROW(pool->queue, pool->qcap, pool->qlen + 1);
    pool->queue[pool->qlen++] =
        (waiting){.ticket = pool->next_ticket++, .name = xstrdup(name), .since_ms = now};
    fill_queued(pool, pool->qlen - 1, now, out);
    return ENSHU_OK;
}

int sandbox_pool_poll(sandbox_pool *pool, unsigned ticket, int64_t now, sandbox_grant *out)
{
    expire_due(pool, now);
    for (size_t i = 0; i < pool->qlen; i++)
        if (pool->queue[i].ticket == ticket) {
            fill_queued(pool, i, now, out);
            return ENSHU_OK;
        }
    for (size_t i = 0; ticket && i < pool->count; i++) {
        sandbox *sb = &pool->items[i];
        if (sb->state == SANDBOX_ALLOCATED && sb->ticket == ticket && !sb->collected) {
            grant(sb, out);
            return ENSHU_OK;
        }
    }
    return ENSHU_ENOTFOUND;
}

int sandbox_pool_leave(sandbox_pool *pool, unsigned ticket)
{
    for (size_t i = 0; i < pool->qlen; i++)
        if (pool->queue[i].ticket == ticket) {
            queue_remove(pool, i);
            return ENSHU_OK;
        }
    return ENSHU_ENOTFOUND;
}

int sandbox_pool_resume(const sandbox_pool *pool, const char *token, int64_t now,
                        unsigned *sandbox_id)
{
    if (!token || strlen(token) != SANDBOX_TOKEN_LEN)
        return ENSHU_ENOTFOUND;
    unsigned char h[HASH_BYTES];
    hash_text(token, h);
    for (size_t i = 0; i < pool->count; i++) {
        const sandbox *sb = &pool->items[i];
        if (sb->state == SANDBOX_ALLOCATED && sb->collected && now < sb->expires_ms &&
            sodium_memcmp(sb->token_hash, h, HASH_BYTES) == 0) {
            *sandbox_id = sb->id;
            return ENSHU_OK;
        }
    }
    return ENSHU_ENOTFOUND;
}

/* ---- instructors ---- */

int sandbox_pool_extend(sandbox_pool *pool, unsigned id, int64_t delta_ms)
{
    sandbox *sb = find(pool, id);
    if (!sb || sb->state != SANDBOX_ALLOCATED)
        return ENSHU_ENOTFOUND;
    sb->expires_ms += delta_ms;
    return ENSHU_OK;
}

int sandbox_pool_revoke(sandbox_pool *pool, unsigned id, int64_t now)
{
    sandbox *sb = find(pool, id);
    if (!sb || sb->state != SANDBOX_ALLOCATED)
        return ENSHU_ENOTFOUND;
    sb->expires_ms = now;
    reclaim(sb);
    return ENSHU_OK;
}

void sandbox_pool_drain(sandbox_pool *pool)
{
    pool->draining = true;
    while (pool->qlen > 0)
        queue_remove(pool, pool->qlen - 1);
    for (size_t i = 0; i < pool->count; i++)
        if (pool->items[i].state == SANDBOX_WARM || pool->items[i].state == SANDBOX_ALLOCATED)
            reclaim(&pool->items[i]);
}
