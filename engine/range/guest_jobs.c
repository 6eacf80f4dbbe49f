/*
 * Guest restarts and reverts off the consoles' thread (see guest_jobs.h).
 * Each job is a detached thread; the running ones are listed (by host and
 * guest) under the lock, and guest_jobs_free waits until the list is empty.
 */
#include "guest_jobs.h"
#include "alloc.h"
#include "errors.h"
#include "guest_revert.h"
#include "libvirt_conn.h"
#include "log.h"

#include <libvirt/libvirt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct guest_job {
    guest_jobs *owner;
    char *host_uri, *domain;
    bool revert;
    guest_job_done done;
    void *ctx;
    struct guest_job *next;
} guest_job;

struct guest_jobs {
    conn_cache *conns;
    unsigned worker;
    guest_job_then then; /* or NULL */
    void *then_ctx;
    pthread_mutex_t lock;
    pthread_cond_t idle; /* signalled when a job leaves the list */
    guest_job *running;
};

guest_jobs *guest_jobs_new(conn_cache *conns, unsigned worker)
{
    guest_jobs *j = xcalloc(1, sizeof(guest_jobs));
    j->conns = conns;
    j->worker = worker;
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->idle, NULL);
    return j;
}

void guest_jobs_set_then(guest_jobs *j, guest_job_then then, void *ctx)
{
    j->then = then;
    j->then_ctx = ctx;
}

static int run_job(const guest_job *job)
{
    virConnectPtr conn = conn_cache_get(job->owner->conns, job->host_uri, job->owner->worker);
    if (!conn)
        return ENSHU_ELIBVIRT;
    virDomainPtr dom = virDomainLookupByName(conn, job->domain);
    int rc;
    if (!dom) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot find guest %s on %s: %s", job->domain,
                   job->host_uri, libvirt_error());
        rc = ENSHU_ENOTFOUND;
    } else {
        rc = job->revert ? guest_revert(dom) : guest_restart(dom);
        if (rc == ENSHU_OK && job->owner->then)
            rc = job->owner->then(job->owner->then_ctx, job->host_uri, dom);
        virDomainFree(dom);
    }
    return rc;
}

static void *job_main(void *arg)
{
    guest_job *job = arg;
    int rc = run_job(job);
    job->done(job->ctx, rc);
    guest_jobs *j = job->owner;
    pthread_mutex_lock(&j->lock);
    for (guest_job **p = &j->running; *p; p = &(*p)->next) {
        if (*p == job) {
            *p = job->next;
            break;
        }
    }
    pthread_cond_broadcast(&j->idle);
    pthread_mutex_unlock(&j->lock);
    free(job->host_uri);
    free(job->domain);
    free(job);
    return NULL;
}

int guest_jobs_start(guest_jobs *j, const char *host_uri, const char *domain, bool revert,
                     guest_job_done done, void *ctx)
{
    pthread_mutex_lock(&j->lock);
    for (guest_job *r = j->running; r; r = r->next) {
        if (strcmp(r->host_uri, host_uri) == 0 && strcmp(r->domain, domain) == 0) {
            pthread_mutex_unlock(&j->lock);
            return ENSHU_EEXIST;
        }
    }
    guest_job *job = xcalloc(1, sizeof(guest_job));
    job->owner = j;
    job->host_uri = xstrdup(host_uri);
    job->domain = xstrdup(domain);
    job->revert = revert;
    job->done = done;
    job->ctx = ctx;
    job->next = j->running;
    j->running = job;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int failed = pthread_create(&thread, &attr, job_main, job);
    pthread_attr_destroy(&attr);
    if (failed) {
        j->running = job->next;
        pthread_mutex_unlock(&j->lock);
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot start a thread to %s guest %s",
                   revert ? "revert" : "restart", domain);
        free(job->host_uri);
        free(job->domain);
        free(job);
        return ENSHU_ECAPACITY;
    }
    pthread_mutex_unlock(&j->lock);
    return ENSHU_OK;
}

void guest_jobs_free(guest_jobs *j)
{
    if (!j)
        return;
    pthread_mutex_lock(&j->lock);
    while (j->running)
        pthread_cond_wait(&j->idle, &j->lock);
    pthread_mutex_unlock(&j->lock);
    pthread_cond_destroy(&j->idle);
    pthread_mutex_destroy(&j->lock);
    free(j);
}
