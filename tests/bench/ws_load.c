/*
 * A light websocket load for the fan-out benchmarks (see ws_load.h).
 *
 * Each connection: a blocking connect and handshake on the caller's thread,
 * then non-blocking, read by one of the threads (client % nthreads) through
 * epoll. Bytes go into the connection's buffer; whole frames are taken from
 * its front. Text and continuation frames make a message; a ping is
 * answered with a pong; a close ends the connection. Writes (a message, a
 * pong) take the connection's lock, as the caller and the reading thread
 * both write.
 */
#include "ws_load.h"
#include "alloc.h"
#include "bench_util.h"
#include "ws_client_frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { READ_CHUNK = 64 * 1024, EVENTS_PER_WAIT = 256, WRITE_WAIT_MS = 5000 };
/* Clients per loopback source address, under the server's per-address cap
 * of sessions (64): client i comes from 127.0.0.1 + i / CLIENTS_PER_ADDRESS. */
enum { CLIENTS_PER_ADDRESS = 32 };

typedef struct load_conn {
    int fd;
    pthread_mutex_t write_lock;
    unsigned char *in; /* bytes read, frames not yet taken */
    size_t in_len, in_cap;
    char *msg; /* a message arriving in several frames */
    size_t msg_len, msg_cap;
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

/* Writes all of it, waiting while the socket is full. */
static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && errno == EAGAIN) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            if (poll(&pfd, 1, WRITE_WAIT_MS) <= 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* A masked client frame. */
static int send_frame(load_conn *c, int opcode, const char *data, size_t len)
{
    static const unsigned char mask[4] = {0x3a, 0x91, 0x5c, 0xe7};
    unsigned char *frame = xmalloc(len + WS_CLIENT_FRAME_HEAD_MAX);
    size_t n = ws_client_frame(frame, opcode, true, data, len, mask);
    pthread_mutex_lock(&c->write_lock);
    int rc = c->gone ? -1 : write_all(c->fd, frame, n);
    pthread_mutex_unlock(&c->write_lock);
    free(frame);
    return rc;
}

static void append(unsigned char **buf, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = xrealloc(*buf, *cap);
    }
    memcpy(*buf + *len, p, n);
    *len += n;
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

/* Takes the whole frames at the front of c->in. */
static void take_frames(ws_load *l, int client, load_conn *c, int64_t at)
{
    size_t off = 0;
    while (!c->gone && c->in_len - off >= 2) {
        const unsigned char *f = c->in + off;
        size_t avail = c->in_len - off, head = 2;
        uint64_t len = f[1] & 0x7f;
        if (len == 126) {
            if (avail < 4)
                break;
            len = ((uint64_t)f[2] << 8) | f[3];
            head = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = (len << 8) | f[2 + i];
            head = 10;
        }
        if (f[1] & 0x80)
            head += 4; /* a server does not mask; skipped all the same */
        if (avail < head || avail - head < len)
            break;
        const char *payload = (const char *)f + head;
        int opcode = f[0] & 0x0f;
        bool fin = f[0] & 0x80;
        if (opcode == 0x1 || opcode == 0x0) {
            if (opcode == 0x1 && fin && c->msg_len == 0) {
                /* Whole in one frame: terminated in place for the reader
                 * (the buffer keeps a spare byte past what was read). */
                char *end = (char *)payload + len, saved = *end;
                *end = '\0';
                l->on_message(l->ctx, client, payload, (size_t)len, at);
                *end = saved;
            } else {
                append((unsigned char **)&c->msg, &c->msg_len, &c->msg_cap, payload, (size_t)len);
                if (fin) {
                    c->msg[c->msg_len] = '\0';
                    l->on_message(l->ctx, client, c->msg, c->msg_len, at);
                    c->msg_len = 0;
                }
            }
        } else if (opcode == 0x9) {
            if (send_frame(c, 0xA, payload, (size_t)len) < 0)
                conn_gone(l, c);
        } else if (opcode == 0x8) {
            conn_gone(l, c);
        }
        off += head + (size_t)len;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

static void read_conn(ws_load *l, int client)
{
    load_conn *c = &l->conns[client];
    for (;;) {
        if (c->in_cap - c->in_len < READ_CHUNK + 1) {
            c->in_cap = c->in_len + READ_CHUNK + 1 + c->in_cap;
            c->in = xrealloc(c->in, c->in_cap);
        }
        ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
        if (n > 0) {
            c->in_len += (size_t)n;
            take_frames(l, client, c, bench_now_us());
            if (c->gone)
                return;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        conn_gone(l, c); /* end of stream or an error */
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
        if (l->conns[i].in_len)
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
                epoll_ctl(t->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
        }
    }
    return NULL;
}

/* Whether c->in starts with a whole frame. */
static bool has_frame(const load_conn *c)
{
    if (c->in_len < 2)
        return false;
    size_t head = 2;
    uint64_t len = c->in[1] & 0x7f;
    if (len == 126) {
        if (c->in_len < 4)
            return false;
        len = ((uint64_t)c->in[2] << 8) | c->in[3];
        head = 4;
    } else if (len == 127) {
        if (c->in_len < 10)
            return false;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | c->in[2 + i];
        head = 10;
    }
    return c->in_len - head >= len;
}

/* A blocking connect and handshake, then first (if any) sent and its first
 * answer awaited; the bytes read past the response stay in c->in. */
static int connect_one(load_conn *c, int client, int port, const char *first)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    struct sockaddr_in from = {.sin_family = AF_INET};
    from.sin_addr.s_addr = htonl(INADDR_LOOPBACK + (uint32_t)(client / CLIENTS_PER_ADDRESS));
    if (bind(c->fd, (struct sockaddr *)&from, sizeof from) < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: enshu.v1\r\n"
                     "Origin: http://127.0.0.1:%d\r\n\r\n",
                     port, port);
    if (write_all(c->fd, (unsigned char *)req, (size_t)n) < 0)
        return -1;
    c->in_cap = READ_CHUNK + 1;
    c->in = xmalloc(c->in_cap);
    for (;;) {
        ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
        if (r <= 0)
            return -1;
        c->in_len += (size_t)r;
        c->in[c->in_len] = '\0';
        char *end = strstr((char *)c->in, "\r\n\r\n");
        if (!end)
            continue;
        if (strncmp((char *)c->in, "HTTP/1.1 101", 12) != 0)
            return -1;
        size_t head = (size_t)(end + 4 - (char *)c->in);
        memmove(c->in, c->in + head, c->in_len - head);
        c->in_len -= head;
        break;
    }
    if (!first)
        return 0;
    if (send_frame(c, 0x1, first, strlen(first)) < 0)
        return -1;
    /* Its answer (a login's welcome) before the next client connects: the
     * server holds only so many sessions that have not logged in. The
     * reading thread takes it from c->in. */
    while (!has_frame(c)) {
        if (c->in_cap - c->in_len < READ_CHUNK + 1) {
            c->in_cap = c->in_len + READ_CHUNK + 1 + c->in_cap;
            c->in = xrealloc(c->in, c->in_cap);
        }
        ssize_t r = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1);
        if (r <= 0)
            return -1;
        c->in_len += (size_t)r;
    }
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
        l->conns[i].fd = -1;
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
            fcntl(l->conns[i].fd, F_SETFL, fcntl(l->conns[i].fd, F_GETFL) | O_NONBLOCK) < 0) {
            fprintf(stderr, "ws_load: client %d of %d could not connect to 127.0.0.1:%d: %s\n",
                    i + 1, nclients, port, errno ? strerror(errno) : "the handshake failed");
            goto fail;
        }
    }
    /* Threads start once all are connected: each reads only its own. */
    for (int t = 0; t < nthreads; t++) {
        for (int i = t; i < nclients; i += nthreads) {
            struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
            epoll_ctl(l->threads[t].epoll_fd, EPOLL_CTL_ADD, l->conns[i].fd, &ev);
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
    return send_frame(&l->conns[client], 0x1, text, len);
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
        load_conn *c = &l->conns[i];
        if (c->fd >= 0)
            close(c->fd);
        free(c->in);
        free(c->msg);
        pthread_mutex_destroy(&c->write_lock);
    }
    free(l->conns);
    free(l->threads);
    close(l->stop_fd);
    free(l);
}
