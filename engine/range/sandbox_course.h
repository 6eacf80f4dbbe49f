/*
 * A self-paced course's sandboxes, running: the pool's decisions
 * (sandbox_pool.h) carried out on its hosts (sandbox_hosts.h) by threads
 * of its own, while trainees and instructors call in from any thread.
 *
 * Threads. sandbox_course_open starts one thread that takes the pool's
 * actions (after every call that changes something, after every job, and
 * when a TTL falls due) and max_jobs worker threads that build and tear
 * down ranges, one job each at a time. Every call below takes the
 * course's lock for a moment and never waits for libvirt, so the consoles'
 * service thread may call it. sandbox_course_close drains the course,
 * waits for every sandbox to be torn down and ends the threads.
 *
 * Time comes from config.wall_ms (a fake clock in tests and benchmarks);
 * after moving a fake clock, call sandbox_course_tick.
 */
#ifndef ENSHU_SANDBOX_COURSE_H
#define ENSHU_SANDBOX_COURSE_H

#include "sandbox_pool.h"

#include <stdint.h>

/* What becomes of a sandbox's range, as sandbox_course_config.on_range
 * hears it. */
typedef enum sandbox_range_event {
    SANDBOX_RANGE_READY,   /* built: a worker, before the pool hands it out */
    SANDBOX_RANGE_REVOKED, /* revoked: the thread that called sandbox_course_revoke */
    SANDBOX_RANGE_GONE,    /* its teardown begins: a worker, before its guests go */
} sandbox_range_event;

typedef struct sandbox_course_config {
    const char *scenario_path;
    const char *hosts_path; /* NULL: the local host only */
    const char *prefix;     /* the ranges are PREFIX-sN: at most SANDBOX_PREFIX_MAX characters */
    /* The pool's settings; the hosts' slots are read from their capacity. */
    sandbox_pool_config pool;
    int64_t ready_timeout_ms; /* each build waits for its guests this long (0: not at all) */
    bool warm_restore;        /* guests restored from saved templates (warm_restore.h) */
    /* Wall milliseconds; NULL: the system's. */
    int64_t (*wall_ms)(void *ctx);
    void *clock_ctx;
    /* Told about each sandbox's range (NULL: nobody is told), without the
     * course's lock: on READY it may block (a worker calls it; non-zero
     * makes the build count as failed, and the sandbox is torn down), on
     * REVOKED it must not (a consoles' thread may call it). Each sandbox
     * is READY at most once and GONE once after it, as ids are never
     * reused; GONE comes also for a build that failed. */
    int (*on_range)(void *ctx, unsigned sandbox, sandbox_range_event what);
    void *range_ctx;
} sandbox_course_config;

typedef struct sandbox_course sandbox_course;

/* Reads the hosts' slots, makes the pool and starts the threads; the
 * pool starts filling at once. NULL, reported, when a host cannot be
 * probed or the configuration is bad. cfg's strings are copied. */
sandbox_course *sandbox_course_open(const sandbox_course_config *cfg)
    __attribute__((warn_unused_result));

/* Drains the course (every sandbox torn down), ends its threads, frees it.
 * NULL: nothing. Returns after the last teardown; a teardown that keeps
 * failing is tried again (see sandbox_pool_torn_down) until it succeeds. */
void sandbox_course_close(sandbox_course *c);

/* As the sandbox_pool calls of the same names, at the course's clock. */
int sandbox_course_request(sandbox_course *c, const char *course_code, const char *name,
                           sandbox_grant *out) __attribute__((warn_unused_result));
int sandbox_course_poll(sandbox_course *c, unsigned ticket, sandbox_grant *out)
    __attribute__((warn_unused_result));
int sandbox_course_leave(sandbox_course *c, unsigned ticket) __attribute__((warn_unused_result));
int sandbox_course_resume(sandbox_course *c, const char *token, unsigned *sandbox)
    __attribute__((warn_unused_result));
int sandbox_course_extend(sandbox_course *c, unsigned sandbox, int64_t delta_ms)
    __attribute__((warn_unused_result));
int sandbox_course_revoke(sandbox_course *c, unsigned sandbox) __attribute__((warn_unused_result));

/* A sandbox as the consoles show it: sandbox_pool_info, its trainee's name
 * copied (empty unless allocated). ENSHU_ENOTFOUND: no sandbox id (any more). */
typedef struct sandbox_course_info {
    sandbox_info info; /* info.trainee: NULL, see trainee */
    char trainee[SANDBOX_NAME_MAX + 1];
} sandbox_course_info;
int sandbox_course_info_of(sandbox_course *c, unsigned sandbox, sandbox_course_info *out)
    __attribute__((warn_unused_result));

/* Trainees waiting in the queue. */
unsigned sandbox_course_queue_length(sandbox_course *c);

/* The course's clock (config.wall_ms), milliseconds. */
int64_t sandbox_course_now(const sandbox_course *c);

/* The range name of a sandbox (malloc'd), for the consoles. */
char *sandbox_course_range(const sandbox_course *c, unsigned sandbox);

/* Sandboxes in state (SANDBOX_STATE_COUNT: all), under the lock. */
unsigned sandbox_course_count(sandbox_course *c, sandbox_state state);

/* The clock moved (a fake one): TTLs due by now are acted on. */
void sandbox_course_tick(sandbox_course *c);

/* Waits until no job is under way and the pool wants none now (tests and
 * benchmarks: no sleeps). Jobs that keep failing make it wait on. */
void sandbox_course_wait_idle(sandbox_course *c);

/* Jobs that failed so far (builds and teardowns). */
unsigned sandbox_course_failures(sandbox_course *c);

#endif
