/* Guest restarts and reverts off the consoles' thread, on libvirt's test
 * driver: a job runs and reports its end; a second job for a guest with one
 * under way is refused; a missing guest is told; freeing waits for every
 * job, its end callback included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "guest_jobs.h"

#include <pthread.h>
#include <stdbool.h>

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
    guest_jobs *j = guest_jobs_new();
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
}

static void a_missing_guest_is_told(void **state)
{
    guest_jobs *j = guest_jobs_new();
    ending e;
    ending_init(&e, false);
    assert_int_equal(guest_jobs_start(j, HOST, "no-such-guest", false, on_done, &e), ENSHU_OK);
    guest_jobs_free(j);
    assert_int_equal(e.ended, 1);
    assert_int_equal(e.rc, ENSHU_ENOTFOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_job_per_guest_at_a_time),
        cmocka_unit_test(a_missing_guest_is_told),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
