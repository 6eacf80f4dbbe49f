/*
 * ws_server alone as a broadcaster, for the fan-out benchmarks (see
 * ws_server_broadcaster.h).
 */
#include "ws_server_broadcaster.h"
#include "alloc.h"
#include "bench_util.h"
#include "ws_server.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct ws_server_broadcaster {
    ws_server *srv;
    pthread_mutex_t lock;
    uint64_t *sessions;
    int max_sessions;
    atomic_int nsessions;
    long failures; /* the publishing thread's */
};

static void on_open(void *ctx, uint64_t session, const char *peer)
{
    ws_server_broadcaster *b = ctx;
    pthread_mutex_lock(&b->lock);
    int i = atomic_load(&b->nsessions);
    if (i < b->max_sessions) {
        b->sessions[i] = session;
        atomic_store(&b->nsessions, i + 1);
    }
    pthread_mutex_unlock(&b->lock);
}

ws_server_broadcaster *ws_server_broadcaster_new(int max_sessions)
{
    ws_server_broadcaster *b = xcalloc(1, sizeof(ws_server_broadcaster));
    pthread_mutex_init(&b->lock, NULL);
    b->max_sessions = max_sessions;
    b->sessions = xcalloc((size_t)max_sessions, sizeof(uint64_t));
    /* The transport alone: nobody logs in, so no session may be held to the
     * login deadline or the cap on sessions that have not logged in. */
    ws_server_config cfg = {.listen = "127.0.0.1:0",
                            .max_sessions = (unsigned)max_sessions,
                            .max_unadmitted = (unsigned)max_sessions,
                            .login_secs = 24 * 3600,
                            .on_open = on_open,
                            .ctx = b};
    if (ws_server_start(&cfg, &b->srv) != 0) {
        free(b->sessions);
        free(b);
        return NULL;
    }
    return b;
}

int ws_server_broadcaster_port(ws_server_broadcaster *b)
{
    return ws_server_port(b->srv);
}

int ws_server_broadcaster_connections(ws_server_broadcaster *b)
{
    return atomic_load(&b->nsessions);
}

void ws_server_broadcaster_publish(ws_server_broadcaster *b, const char *msg, size_t len)
{
    int n = atomic_load(&b->nsessions);
    ws_message *shared = ws_message_new(msg, len, false); /* one copy for every session */
    for (int k = 0; k < n; k++)
        if (ws_server_send_message(b->srv, b->sessions[k], shared) != 0)
            b->failures++;
    ws_message_unref(shared);
}

long ws_server_broadcaster_failures(ws_server_broadcaster *b)
{
    return b->failures;
}

void ws_server_broadcaster_free(ws_server_broadcaster *b)
{
    if (!b)
        return;
    ws_server_free(b->srv);
    pthread_mutex_destroy(&b->lock);
    free(b->sessions);
    free(b);
}

int fanout_message(char *buf, size_t bytes, int seq, const char *type)
{
    int n = snprintf(buf, bytes + 64, "{\"t\":%" PRId64 ",\"seq\":%d,\"type\":\"%s\",\"pad\":\"",
                     bench_now_us(), seq, type);
    while ((size_t)n + 2 < bytes)
        buf[n++] = 'x';
    buf[n++] = '"';
    buf[n++] = '}';
    buf[n] = '\0';
    return n;
}
