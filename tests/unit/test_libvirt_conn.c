/* The libvirt connection cache: a host that does not answer holds back no
 * caller that wants another host, and callers racing to connect to one
 * host share one connection. The "dead host" is a listener on 127.0.0.1
 * that accepts and never says a word; the other host is libvirt's test
 * driver. No daemon is needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "libvirt_conn.h"
#include "monotonic_cond.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct getter {
    conn_cache *cache;
    const char *uri;
    pthread_mutex_t *lock;
    pthread_cond_t *done_cond;
    bool done;
    virConnectPtr conn;
} getter;

static void *get_main(void *arg)
{
    getter *g = arg;
    virConnectPtr conn = conn_cache_get(g->cache, g->uri, 0);
    pthread_mutex_lock(g->lock);
    g->conn = conn;
    g->done = true;
    pthread_cond_broadcast(g->done_cond);
    pthread_mutex_unlock(g->lock);
    return NULL;
}

/* Waits (10 s at most: a bound, not a measurement) until g is done. */
static bool wait_done(getter *g)
{
    struct timespec until = monotonic_deadline(10000);
    pthread_mutex_lock(g->lock);
    while (!g->done && pthread_cond_timedwait(g->done_cond, g->lock, &until) == 0)
        ;
    bool done = g->done;
    pthread_mutex_unlock(g->lock);
    return done;
}

static bool is_done(getter *g)
{
    pthread_mutex_lock(g->lock);
    bool done = g->done;
    pthread_mutex_unlock(g->lock);
    return done;
}

static void a_host_that_does_not_answer_holds_back_no_other_host(void **state)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(listener >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(listener, 1), 0);
    socklen_t len = sizeof addr;
    assert_int_equal(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
    /* Static: should an assertion fail, the stuck thread outlives this frame. */
    static char dead_uri[96];
    snprintf(dead_uri, sizeof dead_uri, "qemu+tcp://127.0.0.1:%d/system", ntohs(addr.sin_port));

    conn_cache *cache = conn_cache_new();
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static pthread_cond_t done_cond;
    monotonic_cond_init(&done_cond);
    static getter stuck, other;
    stuck = (getter){cache, dead_uri, &lock, &done_cond, false, NULL};
    other = (getter){cache, "test:///default", &lock, &done_cond, false, NULL};
    pthread_t stuck_thread, other_thread;
    assert_int_equal(pthread_create(&stuck_thread, NULL, get_main, &stuck), 0);
    /* The connection is under way once the "host" has accepted it; it then
     * waits for an answer that never comes. */
    int accepted = accept(listener, NULL, NULL);
    assert_true(accepted >= 0);
    assert_int_equal(pthread_create(&other_thread, NULL, get_main, &other), 0);
    bool other_done = wait_done(&other);
    bool stuck_done = is_done(&stuck);
    /* Let the stuck caller go (its host hangs up) before asserting, so a
     * failure ends the test instead of hanging it. */
    close(accepted);
    close(listener);
    assert_true(other_done);
    assert_false(stuck_done);
    assert_non_null(other.conn);
    assert_true(wait_done(&stuck));
    assert_null(stuck.conn); /* the host hung up: no connection, reported */
    pthread_join(stuck_thread, NULL);
    pthread_join(other_thread, NULL);
    /* The test host's connection is cached: the next caller gets it. */
    assert_ptr_equal(conn_cache_get(cache, "test:///default", 3), other.conn);
    conn_cache_free(cache);
    pthread_cond_destroy(&done_cond);
}

static void callers_racing_to_connect_share_one_connection(void **state)
{
    enum { CALLERS = 8 };
    conn_cache *cache = conn_cache_new();
    pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t done_cond;
    monotonic_cond_init(&done_cond);
    getter g[CALLERS];
    pthread_t threads[CALLERS];
    for (int i = 0; i < CALLERS; i++) {
        g[i] = (getter){cache, "test:///default", &lock, &done_cond, false, NULL};
        assert_int_equal(pthread_create(&threads[i], NULL, get_main, &g[i]), 0);
    }
    for (int i = 0; i < CALLERS; i++)
        pthread_join(threads[i], NULL);
    assert_non_null(g[0].conn);
    for (int i = 1; i < CALLERS; i++)
        assert_ptr_equal(g[i].conn, g[0].conn);
    /* The connection kept is a live one: the others were closed, not it. */
    assert_int_equal(virConnectIsAlive(g[0].conn), 1);
    conn_cache_free(cache);
    pthread_cond_destroy(&done_cond);
}

int main(void)
{
    libvirt_setup();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_host_that_does_not_answer_holds_back_no_other_host),
        cmocka_unit_test(callers_racing_to_connect_share_one_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
