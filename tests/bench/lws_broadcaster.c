/*
 * The fan-out benchmarks' baseline broadcaster (see lws_broadcaster.h).
 */
#include "lws_broadcaster.h"
#include "alloc.h"

#include <libwebsockets.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

struct lws_broadcaster {
    struct lws_context *lws;
    pthread_t thread;
    atomic_bool stop;
    atomic_int connections;
    pthread_mutex_t lock;
    char *msgs; /* max_messages slots of max_bytes */
    size_t *lens;
    int count, max_messages;
    size_t max_bytes;
    unsigned char *scratch; /* LWS_PRE + max_bytes, the service thread's */
};

typedef struct broadcaster_conn {
    int next; /* the next message this connection sends */
} broadcaster_conn;

static int broadcaster_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                                void *in, size_t len)
{
    lws_broadcaster *b = lws_context_user(lws_get_context(wsi));
    broadcaster_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        c->next = 0;
        atomic_fetch_add(&b->connections, 1);
        break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        lws_callback_on_writable_all_protocol(lws_get_context(wsi), lws_get_protocol(wsi));
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        pthread_mutex_lock(&b->lock);
        int count = b->count;
        pthread_mutex_unlock(&b->lock);
        if (c->next >= count)
            break;
        /* slots are written once, before count covers them */
        size_t n = b->lens[c->next];
        memcpy(b->scratch + LWS_PRE, b->msgs + (size_t)c->next * b->max_bytes, n);
        if (lws_write(wsi, b->scratch + LWS_PRE, n, LWS_WRITE_TEXT) < (int)n)
            return -1;
        c->next++;
        if (c->next < count)
            lws_callback_on_writable(wsi);
        break;
    }
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols broadcaster_protocols[] = {
    {"enshu.v1", broadcaster_callback, sizeof(broadcaster_conn), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *service_main(void *arg)
{
    lws_broadcaster *b = arg;
    while (!atomic_load(&b->stop))
        if (lws_service(b->lws, 0) < 0)
            break;
    return NULL;
}

lws_broadcaster *lws_broadcaster_new(int max_messages, size_t max_bytes)
{
    lws_broadcaster *b = xcalloc(1, sizeof(lws_broadcaster));
    pthread_mutex_init(&b->lock, NULL);
    b->max_messages = max_messages;
    b->max_bytes = max_bytes;
    b->msgs = xcalloc((size_t)max_messages, max_bytes);
    b->lens = xcalloc((size_t)max_messages, sizeof(size_t));
    b->scratch = xmalloc(LWS_PRE + max_bytes);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = 0;
    info.iface = "127.0.0.1";
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.protocols = broadcaster_protocols;
    info.user = b;
    b->lws = lws_create_context(&info);
    if (!b->lws) {
        free(b->msgs);
        free(b->lens);
        free(b->scratch);
        free(b);
        return NULL;
    }
    pthread_create(&b->thread, NULL, service_main, b);
    return b;
}

int lws_broadcaster_port(lws_broadcaster *b)
{
    return lws_get_vhost_listen_port(lws_get_vhost_by_name(b->lws, "default"));
}

int lws_broadcaster_connections(lws_broadcaster *b)
{
    return atomic_load(&b->connections);
}

void lws_broadcaster_publish(lws_broadcaster *b, const char *msg, size_t len)
{
    pthread_mutex_lock(&b->lock);
    if (b->count < b->max_messages && len <= b->max_bytes) {
        memcpy(b->msgs + (size_t)b->count * b->max_bytes, msg, len);
        b->lens[b->count] = len;
        b->count++;
    }
    pthread_mutex_unlock(&b->lock);
    lws_cancel_service(b->lws);
}

void lws_broadcaster_free(lws_broadcaster *b)
{
    if (!b)
        return;
    atomic_store(&b->stop, true);
    lws_cancel_service(b->lws);
    pthread_join(b->thread, NULL);
    lws_context_destroy(b->lws);
    pthread_mutex_destroy(&b->lock);
    free(b->msgs);
    free(b->lens);
    free(b->scratch);
    free(b);
}
