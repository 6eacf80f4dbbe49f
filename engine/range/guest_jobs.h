/*
 * Restarts and reverts of guests asked for from the instructor console,
 * each on a thread of its own: the consoles' thread, which serves every session, never waits for a
 * guest to stop, its disk to be recreated or it to start again. One job at a time per guest.
 */
#ifndef ENSHU_GUEST_JOBS_H
#define ENSHU_GUEST_JOBS_H

#include "libvirt_conn.h"

#include <libvirt/libvirt.h>
#include <stdbool.h>

typedef struct guest_jobs guest_jobs;

/* Called on the job's thread when it ends: rc is 0 or a negative code (the
 * failure already logged, naming the guest). */
typedef void (*guest_job_done)(void *ctx, int rc);

/* Jobs take their connections from conns, as worker (borrowed). */
guest_jobs *guest_jobs_new(conn_cache *conns, unsigned worker);

/* Called on the job's thread once its guest has started again, before
 * done: what the guest gets back that starting it does not give it (the
 * scenario's accounts). Returns 0 or a negative code (reported), which
 * becomes the job's. */
typedef int (*guest_job_then)(void *ctx, const char *host_uri, virDomainPtr dom);

/* Sets the step after every restart or revert (none by default). Call
 * before the first guest_jobs_start; ctx must outlive j. */
void guest_jobs_set_then(guest_jobs *j, guest_job_then then, void *ctx);

/* Starts restarting (or, with revert, reverting) guest domain on host_uri.
 * ENSHU_EEXIST when that guest has a job running; then done is not called.
 * Strings are copied. */
int guest_jobs_start(guest_jobs *j, const char *host_uri, const char *domain, bool revert,
                     guest_job_done done, void *ctx) __attribute__((warn_unused_result));

/* Waits for the running jobs (their done callbacks included), then frees. */
void guest_jobs_free(guest_jobs *j);

#endif
