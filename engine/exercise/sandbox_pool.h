/*
 * The sandbox pool of a self-paced course: sandboxes (each one team slot
 * on its own range) kept warm ahead of the trainees, handed out on demand,
 * reclaimed at their TTL, and refilled in the background.
 *
 * Pure: the pool decides and the caller acts. Time is passed in (wall
 * milliseconds), nothing here does I/O or reads a clock, so the tests and
 * the benchmark run it on a fake clock. The only outside call is libsodium
 * for resume tokens (random bytes, hashing).
 *
 * A sandbox's life:
 *
 *     BUILDING --built--> WARM --request--> ALLOCATED --TTL/revoke--> EXPIRING
 *        |                                                               |
 *        +--build failed--> EXPIRING --teardown handed out--> TEARING_DOWN --torn down--> (gone)
 *
 * The caller's loop: after anything changes (a request, a job finished,
 * time passed), take actions with sandbox_pool_next_action() until it says
 * there are none, start each (range up or down, on the host it names), and
 * report its end with sandbox_pool_built() or sandbox_pool_torn_down().
 * Sleep until sandbox_pool_next_wake() at most.
 *
 * Capacity. Each host takes at most its slots' worth of sandboxes in any
 * state (a sandbox being torn down still holds its memory); the hosts'
 * slots come from their capacity (sandbox_hosts.h reads it). The pool
 * keeps config.warm sandboxes warm plus one for every trainee waiting,
 * within that capacity and config.max, and builds or tears down at most
 * config.max_jobs sandboxes at once (teardowns first: they free capacity).
 * A build goes to the host with the lowest share of its slots in use
 * among those with room, and with fewer than config.host_builds builds
 * under way when that is set.
 *
 * Trainees. A request with the course's code and a name gets a warm
 * sandbox at once, or else a place in a FIFO queue and an estimate of the
 * wait, never an error for lack of room. When a sandbox becomes warm it
 * goes to the head of the queue; the trainee collects it by polling with
 * the ticket. A grant carries a resume token: 32 random bytes, shown once
 * (URL-safe base64); the pool keeps only its hash, and honours it until
 * the sandbox's TTL, which runs from the grant and which an instructor may
 * extend or cut short (revoke).
 *
 * The estimate: the queued trainee's sandbox is the one that becomes warm
 * in their turn. The pool plays the future forward: builds under way end
 * at their start plus the mean of the recently observed build durations;
 * further builds start when a job slot and a unit of capacity are both
 * free; capacity comes back when an allocated sandbox reaches its TTL and
 * has been torn down (the mean observed teardown).
 *
 * Threads: none of its own; a pool is used by one thread at a time (the
 * caller holds its lock). Strings passed in are copied.
 */
#ifndef ENSHU_SANDBOX_POOL_H
#define ENSHU_SANDBOX_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum sandbox_state {
    SANDBOX_BUILDING,
    SANDBOX_WARM,
    SANDBOX_ALLOCATED,
    SANDBOX_EXPIRING, /* reclaimed (TTL, revoked, or a failed build): waits for its teardown */
    SANDBOX_TEARING_DOWN,
    SANDBOX_STATE_COUNT
} sandbox_state;

const char *sandbox_state_name(sandbox_state state);

/* A resume token as text: 32 bytes in URL-safe base64 without padding. */
#define SANDBOX_TOKEN_LEN 43
/* Most bytes of a trainee's name and of a course code. */
#define SANDBOX_NAME_MAX 64
/* Build and teardown durations the estimate averages (the latest ones). */
#define SANDBOX_POOL_SAMPLES 16
/* The longest pause after failed jobs. */
#define SANDBOX_RETRY_MAX_MS (10 * 60 * 1000)

typedef struct sandbox_pool_config {
    const char *course_code; /* what trainees must enter (non-empty) */
    unsigned warm;           /* sandboxes kept warm ahead of demand (--pool) */
    unsigned max;            /* most sandboxes at once in any state (--max); 0: the hosts' slots */
    unsigned max_jobs;       /* builds and teardowns under way at once; 0: 1 */
    /* Builds under way at once on one host; 0: no bound but max_jobs. 1
     * on real hosts: a range chooses its addresses from the networks its
     * host has, so two builds planned at once on one host could choose the
     * same ones (and under TCG they only slow each other down). */
    unsigned host_builds;
    int64_t ttl_ms; /* a grant's life (--ttl), > 0 */
    /* Until durations are observed, the estimate assumes these. */
    int64_t build_guess_ms;
    int64_t teardown_guess_ms;
} sandbox_pool_config;

typedef struct sandbox_pool sandbox_pool;

/*
 * A pool over nhosts hosts (at most 64), host i taking host_slots[i]
 * sandboxes. NULL (reported) for a bad configuration: no hosts, no slot at
 * all, an empty course code, ttl_ms <= 0. libsodium must be initialised
 * (sodium_init) before.
 */
sandbox_pool *sandbox_pool_new(const sandbox_pool_config *cfg, const unsigned *host_slots,
                               size_t nhosts) __attribute__((warn_unused_result));
void sandbox_pool_free(sandbox_pool *pool);

/* The most sandboxes that may exist at once: min(max, the hosts' slots). */
unsigned sandbox_pool_capacity(const sandbox_pool *pool);

/* ---- the caller's jobs ---- */

typedef enum sandbox_action_kind {
    SANDBOX_BUILD,    /* bring up sandbox id on host */
    SANDBOX_TEARDOWN, /* take sandbox id down from host */
} sandbox_action_kind;

typedef struct sandbox_action {
    sandbox_action_kind kind;
    unsigned sandbox; /* its id: unique for the pool's life, from 1 */
    size_t host;      /* index into the pool's hosts */
} sandbox_action;

/* Reclaims what reached its TTL by now, then hands out the next job the
 * pool wants done, if any (true), marking its sandbox BUILDING or
 * TEARING_DOWN. */
bool sandbox_pool_next_action(sandbox_pool *pool, int64_t now, sandbox_action *out);

/* A build ended. On success the sandbox becomes warm, or goes straight to
 * the trainee at the head of the queue, and the duration joins the
 * estimate's samples; on failure it is reclaimed (torn down: it may have
 * left half a range), and no build starts for a while: the mean build
 * time after one failure, doubled after each further failure in a row, at
 * most SANDBOX_RETRY_MAX_MS (a broken image or host does not make the
 * pool churn). ENSHU_ENOTFOUND: no sandbox id is building. */
int sandbox_pool_built(sandbox_pool *pool, unsigned id, int64_t now, bool ok)
    __attribute__((warn_unused_result));

/* A teardown ended. On success the sandbox is gone and its slot free; on
 * failure it goes back to EXPIRING, to be tried again after a pause (the
 * mean teardown, doubled per further failure of it, at most
 * SANDBOX_RETRY_MAX_MS). ENSHU_ENOTFOUND: no sandbox id is being torn
 * down. */
int sandbox_pool_torn_down(sandbox_pool *pool, unsigned id, int64_t now, bool ok)
    __attribute__((warn_unused_result));

/* The earliest time after now at which a grant reaches its TTL, or builds
 * or a teardown may start again after failures (INT64_MAX: none). Jobs and requests are
 * events of their own. */
int64_t sandbox_pool_next_wake(const sandbox_pool *pool, int64_t now);

/* ---- trainees ---- */

typedef struct sandbox_grant {
    bool queued;
    /* Queued: poll with the ticket; position 1 is next. The estimate is
     * the expected wait from now, in milliseconds. */
    unsigned ticket;
    unsigned position;
    int64_t estimate_ms;
    /* Granted: the sandbox, its host, when it expires, and the resume
     * token (shown here once; the pool keeps only its hash). */
    unsigned sandbox;
    size_t host;
    int64_t expires_ms;
    char token[SANDBOX_TOKEN_LEN + 1];
} sandbox_grant;

/*
 * A trainee asks for a sandbox. ENSHU_EINVAL: a wrong course code, an
 * empty name or one longer than SANDBOX_NAME_MAX. ENSHU_EEXIST: a trainee
 * of that name holds a live sandbox or waits already (they resume with
 * their token or poll with their ticket). ENSHU_EPHASE: the pool is
 * drained (sandbox_pool_drain). Otherwise 0, and *out says
 * whether the trainee got a sandbox or a place in the queue.
 */
int sandbox_pool_request(sandbox_pool *pool, const char *course_code, const char *name, int64_t now,
                         sandbox_grant *out) __attribute__((warn_unused_result));

/*
 * Where a queued trainee stands: still queued (position and estimate), or
 * granted (the token, once). ENSHU_ENOTFOUND: no such ticket, or its
 * grant was collected already, or its sandbox reached its TTL uncollected.
 */
int sandbox_pool_poll(sandbox_pool *pool, unsigned ticket, int64_t now, sandbox_grant *out)
    __attribute__((warn_unused_result));

/* A queued trainee gives up their place. ENSHU_ENOTFOUND: not queued. */
int sandbox_pool_leave(sandbox_pool *pool, unsigned ticket) __attribute__((warn_unused_result));

/*
 * A trainee comes back: the sandbox their token opens, if it has not
 * reached its TTL by now nor been revoked. ENSHU_ENOTFOUND otherwise
 * (one answer for every refusal: a guess learns nothing).
 */
int sandbox_pool_resume(const sandbox_pool *pool, const char *token, int64_t now, unsigned *sandbox)
    __attribute__((warn_unused_result));

/* ---- instructors ---- */

/* Moves an allocated sandbox's TTL by delta_ms (negative shortens it; a
 * TTL moved to now or before reclaims it at the next action).
 * ENSHU_ENOTFOUND: no allocated sandbox id. */
int sandbox_pool_extend(sandbox_pool *pool, unsigned id, int64_t delta_ms)
    __attribute__((warn_unused_result));

/* Ends an allocated sandbox now (also when its trainee finished): its
 * token stops working and it is torn down. ENSHU_ENOTFOUND: no allocated
 * sandbox id. */
int sandbox_pool_revoke(sandbox_pool *pool, unsigned id, int64_t now)
    __attribute__((warn_unused_result));

/* The course closes: nothing more is built, every sandbox is reclaimed
 * and torn down (one under construction when its build ends), the queue
 * is emptied, and requests are refused with ENSHU_EPHASE from now on. The
 * caller takes actions until sandbox_pool_count(pool, SANDBOX_STATE_COUNT)
 * is 0. */
void sandbox_pool_drain(sandbox_pool *pool);

/* ---- looking at it (course view, tests) ---- */

typedef struct sandbox_info {
    unsigned id;
    sandbox_state state;
    size_t host;
    const char *trainee;  /* NULL unless allocated; valid until the pool changes */
    int64_t allocated_ms; /* when granted */
    int64_t expires_ms;
} sandbox_info;

/* Sandboxes in state, or all of them for SANDBOX_STATE_COUNT. */
unsigned sandbox_pool_count(const sandbox_pool *pool, sandbox_state state);
/* Sandboxes (in any state) on host. */
unsigned sandbox_pool_host_load(const sandbox_pool *pool, size_t host);
unsigned sandbox_pool_queue_length(const sandbox_pool *pool);
/* ENSHU_ENOTFOUND: no sandbox id (any more). */
int sandbox_pool_info(const sandbox_pool *pool, unsigned id, sandbox_info *out)
    __attribute__((warn_unused_result));
/* The mean of the latest observed build durations (the guess before any). */
int64_t sandbox_pool_build_estimate(const sandbox_pool *pool);

#endif
