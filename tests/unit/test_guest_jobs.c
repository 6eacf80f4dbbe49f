/* Guest restarts and reverts off the consoles' thread, and the guests'
 * power states watched on a thread, on libvirt's test driver: a job runs
 * and reports its end; a second job for a guest with one under way is
 * refused; a missing guest is told; freeing waits for every job, its end
 * callback included; a state change is seen once looked at again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "guest_jobs.h"
#include "guest_states.h"
#include "libvirt_conn.h"

#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#define HOST "test:///default"

typedef struct ending {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int ended;
    int rc;
    bool hold; /* the end callback waits until this is cleared */
} ending;

static void on_done(void *ctx, int rc)
{
    ending *e = ctx;
    pthread_mutex_lock(&e->lock);
    while (e->hold)
        pthread_cond_wait(&e->changed, &e->lock);
    e->rc = rc;
    e->ended++;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
}

static void ending_init(ending *e, bool hold)
{
    pthread_mutex_init(&e->lock, NULL);
    pthread_cond_init(&e->changed, NULL);
    e->ended = 0;
    e->rc = 1;
    e->hold = hold;
}

static void release(ending *e)
{
    pthread_mutex_lock(&e->lock);
    e->hold = false;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->lock);
}

static void one_job_per_guest_at_a_time(void **state)
{
    conn_cache *conns = conn_cache_new();
    guest_jobs *j = guest_jobs_new(conns, 1);
    ending first;
    ending_init(&first, true);
    assert_int_equal(guest_jobs_start(j, HOST, "test", false, on_done, &first), ENSHU_OK);
    /* Under way until its end is told: another for that guest is refused. */
    ending second;
    ending_init(&second, false);
    assert_int_equal(guest_jobs_start(j, HOST, "test", true, on_done, &second), ENSHU_EEXIST);
    release(&first);
    guest_jobs_free(j); /* waits for the first, end callback included */
    assert_int_equal(first.ended, 1);
    assert_int_equal(first.rc, ENSHU_OK);
    assert_int_equal(second.ended, 0); /* refused: never told */
    guest_jobs_free(NULL);
    conn_cache_free(conns);
}

static void a_missing_guest_is_told(void **state)
{
    conn_cache *conns = conn_cache_new();
    guest_jobs *j = guest_jobs_new(conns, 1);
    ending e;
    ending_init(&e, false);
    assert_int_equal(guest_jobs_start(j, HOST, "no-such-guest", false, on_done, &e), ENSHU_OK);
    guest_jobs_free(j);
    assert_int_equal(e.ended, 1);
    assert_int_equal(e.rc, ENSHU_ENOTFOUND);
    conn_cache_free(conns);
}

/* The step after a restart: called on the job's thread with the guest,
 * running again, before the end is told; its code becomes the job's. */
typedef struct after_start {
    int calls;
    int running; /* the guest's state when called */
    char host[64], domain[64];
    int rc;
} after_start;

static int then_step(void *ctx, const char *host_uri, virDomainPtr dom)
{
    after_start *a = ctx;
    a->calls++;
    a->running = virDomainIsActive(dom);
    snprintf(a->host, sizeof a->host, "%s", host_uri);
    snprintf(a->domain, sizeof a->domain, "%s", virDomainGetName(dom));
    return a->rc;
}

static void a_step_follows_the_restart(void **state)
{
    conn_cache *conns = conn_cache_new();
    guest_jobs *j = guest_jobs_new(conns, 1);
    after_start a = {.rc = ENSHU_EAGENT};
    guest_jobs_set_then(j, then_step, &a);
    ending e;
    ending_init(&e, false);
    assert_int_equal(guest_jobs_start(j, HOST, "test", false, on_done, &e), ENSHU_OK);
    guest_jobs_free(j);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.running, 1);
    assert_string_equal(a.host, HOST);
    assert_string_equal(a.domain, "test");
    assert_int_equal(e.ended, 1);
    assert_int_equal(e.rc, ENSHU_EAGENT);
    /* A guest that is not found gets no step. */
    j = guest_jobs_new(conns, 1);
    guest_jobs_set_then(j, then_step, &a);
    ending_init(&e, false);
    assert_int_equal(guest_jobs_start(j, HOST, "no-such-guest", false, on_done, &e), ENSHU_OK);
    guest_jobs_free(j);
    assert_int_equal(a.calls, 1);
    assert_int_equal(e.rc, ENSHU_ENOTFOUND);
    conn_cache_free(conns);
}

static bool state_becomes(guest_states *g, const char *domain, const char *want)
{
    for (int i = 0; i < 500; i++) {
        if (strcmp(guest_states_get(g, HOST, domain), want) == 0)
            return true;
        struct timespec ms = {0, 10 * 1000000};
        nanosleep(&ms, NULL);
    }
    return false;
}

static void states_are_watched(void **state)
{
    conn_cache *conns = conn_cache_new();
    guest_states *g = guest_states_new(conns, 2, 60000); /* only when asked, here */
    guest_states_watch(g, HOST, "test");
    guest_states_watch(g, HOST, "no-such-guest");
    assert_string_equal(guest_states_get(g, HOST, "test"), "unknown"); /* not looked yet */
    guest_states_start(g);
    assert_string_equal(guest_states_get(g, HOST, "test"), "running");
    assert_string_equal(guest_states_get(g, HOST, "no-such-guest"), "unknown");
    assert_string_equal(guest_states_get(g, "test:///other", "test"), "unknown");

    /* Stopped behind its back: seen once it looks again. */
    virDomainPtr dom = virDomainLookupByName(conn_cache_get(conns, HOST, 0), "test");
    assert_non_null(dom);
    assert_int_equal(virDomainDestroy(dom), 0);
    guest_states_refresh_soon(g);
    assert_true(state_becomes(g, "test", "shut off"));
    assert_int_equal(virDomainCreate(dom), 0);
    guest_states_refresh_soon(g);
    assert_true(state_becomes(g, "test", "running"));
    virDomainFree(dom);
    guest_states_free(g);
    guest_states_free(NULL);
    conn_cache_free(conns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_job_per_guest_at_a_time),
        cmocka_unit_test(a_missing_guest_is_told),
        cmocka_unit_test(a_step_follows_the_restart),
        cmocka_unit_test(states_are_watched),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
