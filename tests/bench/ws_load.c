/*
 * A light websocket load for the fan-out benchmarks (see ws_load.h).
 *
 * Each connection: a blocking connect and handshake on the caller's thread,
 * then non-blocking, read by one of the threads (client % nthreads) through
 * epoll. The handshake, the frames and their reader are the tests' own
 * client's (tests/support/ws_test_client.h): the thread feeds the
 * connection's reader and takes whole messages from its front; a ping is
 * answered with a pong; a close ends the connection. Writes (a message, a
 * pong) take the connection's lock, as the caller and the reading thread
 * both write.
 */
#include "ws_load.h"
#include "alloc.h"
#include "bench_util.h"
#include "errors.h"
#include "ws_test_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

enum { EVENTS_PER_WAIT = 256, WRITE_WAIT_MS = 5000 };
/* Clients per loopback source address, under the server's per-address cap
 * of sessions (64): client i comes from 127.0.0.1 + i / CLIENTS_PER_ADDRESS. */
enum { CLIENTS_PER_ADDRESS = 32 };

typedef struct load_conn {
    ws_test_client ws; /* its reader: bytes read, frames not yet taken */
    pthread_mutex_t write_lock;
    bool gone;
} load_conn;

typedef struct load_thread {
    ws_load *owner;
    int epoll_fd;
    pthread_t thread;
} load_thread;

struct ws_load {
    int nclients, nthreads;
    int running; /* threads started */
    load_conn *conns;
    load_thread *threads;
    int stop_fd; /* an eventfd: readable once the threads are to stop */
    ws_load_on_message on_message;
    void *ctx;
    atomic_int closed;
};

static bool raise_open_files(int nclients)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    /* Both ends of every connection live in this process, and margin. */
    rlim_t need = (rlim_t)nclients * 2 + 256;
    if (rl.rlim_cur >= need)
        return true;
    rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur >= need)
        return true;
    fprintf(stderr, "ws_load: %d clients need %lu open files; the limit is %lu.\n", nclients,
            (unsigned long)need, (unsigned long)rl.rlim_cur);
    return false;
}

/* A masked client frame: c's lock, as the caller and the reading thread
 * both write. */
static int send_frame(load_conn *c, int opcode, const char *data, size_t len)
{
    pthread_mutex_lock(&c->write_lock);
    int rc = c->gone ? -1 : ws_test_client_send(&c->ws, opcode, true, data, len) < 0 ? -1 : 0;
    pthread_mutex_unlock(&c->write_lock);
    return rc;
}

static void conn_gone(ws_load *l, load_conn *c)
{
    if (c->gone)
        return;
    pthread_mutex_lock(&c->write_lock);
    c->gone = true;
    pthread_mutex_unlock(&c->write_lock);
    atomic_fetch_add(&l->closed, 1);
}

/* Takes the whole messages and control frames at the front of c->ws.in. */
static void take_frames(ws_load *l, int client, load_conn *c, int64_t at)
{
    ws_frame m;
    int rc;
    while (!c->gone && (rc = ws_reader_message(&c->ws.in, &m)) != 0) {
        if (rc < 0 || m.opcode == WS_OP_CLOSE)
            conn_gone(l, c);
        else if (m.opcode == WS_OP_TEXT)
            l->on_message(l->ctx, client, m.payload, m.len, at);
        else if (m.opcode == WS_OP_PING && send_frame(c, WS_OP_PONG, m.payload, m.len) < 0)
            conn_gone(l, c);
    }
}

static void read_conn(ws_load *l, int client)
{
    load_conn *c = &l->conns[client];
    for (;;) {
        ssize_t n = ws_test_client_fill(&c->ws, 0);
        if (n > 0) {
            take_frames(l, client, c, bench_now_us());
            if (c->gone)
                return;
            continue;
        }
        if (n != ENSHU_ETIMEOUT) /* not just nothing more to read now */
            conn_gone(l, c);
        return;
    }
}

static void *thread_main(void *arg)
{
    load_thread *t = arg;
    ws_load *l = t->owner;
    struct epoll_event events[EVENTS_PER_WAIT];
    /* Bytes that came with a handshake: epoll reports only new ones. */
    for (int i = (int)(t - l->threads); i < l->nclients; i += l->nthreads)
        take_frames(l, i, &l->conns[i], bench_now_us());
    for (;;) {
        int n = epoll_wait(t->epoll_fd, events, EVENTS_PER_WAIT, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (int i = 0; i < n; i++) {
            int client = events[i].data.u32 == UINT32_MAX ? -1 : (int)events[i].data.u32;
            if (client < 0)
                return NULL; /* the stop eventfd */
            load_conn *c = &l->conns[client];
            if (c->gone)
                continue;
            read_conn(l, client);
            if (c->gone)
                epoll_ctl(t->epoll_fd, EPOLL_CTL_DEL, c->ws.fd, NULL);
        }
    }
    return NULL;
}

/* A blocking connect and handshake, then first (if any) sent and its first
 * answer awaited; the bytes read past the response stay in c->ws.in. */
static int connect_one(load_conn *c, int client, int port, const char *first)
{
    char from[INET_ADDRSTRLEN], headers[128];
    struct in_addr a = {htonl(INADDR_LOOPBACK + (uint32_t)(client / CLIENTS_PER_ADDRESS))};
    inet_ntop(AF_INET, &a, from, sizeof from);
    snprintf(headers, sizeof headers, "Host: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n", port,
             port);
    ws_test_source source = {.address = from, .nodelay = true};
    ws_test_upgrade upgrade = {.headers = headers, .subprotocol = "enshu.v1"};
    if (ws_test_client_open(&c->ws, port, &source, &upgrade) != 101)
        return -1;
    c->ws.write_wait_ms = WRITE_WAIT_MS;
    if (!first)
        return 0;
    if (send_frame(c, WS_OP_TEXT, first, strlen(first)) < 0)
        return -1;
    /* Its answer (a login's welcome) before the next client connects: the
     * server holds only so many sessions that have not logged in. The
     * reading thread takes it from c->ws.in. */
    while (!ws_reader_has_frame(&c->ws.in))
        if (ws_test_client_fill(&c->ws, WRITE_WAIT_MS) <= 0)
            return -1;
    return 0;
}

ws_load *ws_load_new(int port, int nclients, int nthreads, ws_load_on_message on_message,
                     ws_load_first_message first, void *ctx)
{
    if (nclients < 1 || nthreads < 1 || !raise_open_files(nclients))
        return NULL;
    ws_load *l = xcalloc(1, sizeof(ws_load));
    l->nclients = nclients;
    l->nthreads = nthreads;
    l->on_message = on_message;
    l->ctx = ctx;
    l->conns = xcalloc((size_t)nclients, sizeof(load_conn));
    l->threads = xcalloc((size_t)nthreads, sizeof(load_thread));
    l->stop_fd = eventfd(0, EFD_CLOEXEC);
    for (int i = 0; i < nclients; i++) {
        ws_test_client_init(&l->conns[i].ws, -1);
        pthread_mutex_init(&l->conns[i].write_lock, NULL);
    }
    for (int t = 0; t < nthreads; t++) {
        l->threads[t].owner = l;
        l->threads[t].epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = UINT32_MAX};
        epoll_ctl(l->threads[t].epoll_fd, EPOLL_CTL_ADD, l->stop_fd, &ev);
    }
    for (int i = 0; i < nclients; i++) {
        errno = 0;
        if (connect_one(&l->conns[i], i, port, first ? first(ctx, i) : NULL) < 0 ||
            fcntl(l->conns[i].ws.fd, F_SETFL, fcntl(l->conns[i].ws.fd, F_GETFL) | O_NONBLOCK) < 0) {
            fprintf(stderr, "ws_load: client %d of %d could not connect to 127.0.0.1:%d: %s\n",
                    i + 1, nclients, port, errno ? strerror(errno) : "the handshake failed");
            goto fail;
        }
    }
    /* Threads start once all are connected: each reads only its own. */
    for (int t = 0; t < nthreads; t++) {
        for (int i = t; i < nclients; i += nthreads) {
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
            epoll_ctl(l->threads[t].epoll_fd, EPOLL_CTL_ADD, l->conns[i].ws.fd, &ev);
        }
        pthread_create(&l->threads[t].thread, NULL, thread_main, &l->threads[t]);
        l->running++;
    }
    return l;
fail:
    ws_load_free(l);
    return NULL;
}

int ws_load_send(ws_load *l, int client, const char *text, size_t len)
{
    if (client < 0 || client >= l->nclients)
        return -1;
    return send_frame(&l->conns[client], WS_OP_TEXT, text, len);
}

int ws_load_closed(ws_load *l)
{
    return atomic_load(&l->closed);
}

void ws_load_free(ws_load *l)
{
    if (!l)
        return;
    uint64_t one = 1;
    if (write(l->stop_fd, &one, sizeof one) < 0)
        perror("ws_load: eventfd");
    for (int t = 0; t < l->running; t++)
        pthread_join(l->threads[t].thread, NULL);
    for (int t = 0; t < l->nthreads; t++)
        close(l->threads[t].epoll_fd);
    for (int i = 0; i < l->nclients; i++) {
        ws_test_client_close(&l->conns[i].ws);
        pthread_mutex_destroy(&l->conns[i].write_lock);
    }
    free(l->conns);
    free(l->threads);
    close(l->stop_fd);
    free(l);
}
