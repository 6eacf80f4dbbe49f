/* The console websocket transport, driven by the tests' own websocket
 * client (tests/support/ws_test_client.h) over real sockets: echo, order,
 * sends from other threads, the inbound limits and their close codes, slow
 * and dead clients, static files and TLS. Waits are on conditions with
 * generous deadlines, never on sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "monotonic_clock.h"
#include "ws_test_client.h"
#include "ws_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 15000

/* ---- what the server reports, recorded for the test thread ---- */

typedef struct received {
    uint64_t session;
    char *text;
    size_t len;
} received;

typedef struct recorder {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    ws_server *srv;
    bool echo;
    uint64_t opened[64];
    char peers[64][64];
    int nopened;
    uint64_t closed[64];
    int nclosed;
    received msgs[64];
    int nmsgs;
    int drained;
    /* Run on the service thread for each message before the echo, e.g. to
     * queue sends while that thread writes nothing. */
    void (*hook)(ws_server *srv, uint64_t session, const char *text);
    int hooked; /* hooks that returned */
    int errors; /* seen in callbacks, which must not fail the test from the service thread */
} recorder;

static recorder rec;

static void on_open(void *ctx, uint64_t session, const char *peer)
{
    recorder *r = ctx;
    pthread_mutex_lock(&r->lock);
    if (r->nopened < 64) {
        snprintf(r->peers[r->nopened], sizeof(r->peers[0]), "%s", peer);
        r->opened[r->nopened++] = session;
    }
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void on_message(void *ctx, uint64_t session, const char *text, size_t len)
{
    recorder *r = ctx;
    pthread_mutex_lock(&r->lock);
    if (!text || text[len] != '\0')
        r->errors++;
    if (r->nmsgs < 64)
        r->msgs[r->nmsgs++] = (received){session, xstrndup(text, len), len};
    bool echo = r->echo;
    void (*hook)(ws_server *, uint64_t, const char *) = r->hook;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    if (hook) {
        hook(r->srv, session, text);
        pthread_mutex_lock(&r->lock);
        r->hooked++;
        pthread_cond_broadcast(&r->cond);
        pthread_mutex_unlock(&r->lock);
    }
    if (echo &&
        ws_server_send(r->srv, session, text, len, false) != 0) { /* from the service thread */
        pthread_mutex_lock(&r->lock);
        r->errors++;
        pthread_mutex_unlock(&r->lock);
    }
}

static void on_close(void *ctx, uint64_t session)
{
    recorder *r = ctx;
    pthread_mutex_lock(&r->lock);
    if (r->nclosed < 64)
        r->closed[r->nclosed++] = session;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void on_drain(void *ctx, uint64_t session)
{
    recorder *r = ctx;
    pthread_mutex_lock(&r->lock);
    r->drained++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void rec_reset(void)
{
    assert_int_equal(rec.errors, 0);
    for (int i = 0; i < rec.nmsgs; i++)
        free(rec.msgs[i].text);
    rec.nopened = rec.nclosed = rec.nmsgs = rec.drained = rec.hooked = 0;
    rec.echo = true;
    rec.hook = NULL;
    rec.srv = NULL;
}

/* Waits until *counter (guarded by rec.lock) reaches at least n. */
static bool wait_count(int *counter, int n)
{
    int64_t deadline = monotonic_ms() + WAIT_MS;
    pthread_mutex_lock(&rec.lock);
    while (*counter < n && monotonic_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&rec.cond, &rec.lock, &ts);
    }
    bool ok = *counter >= n;
    pthread_mutex_unlock(&rec.lock);
    return ok;
}

static int count_of(int *counter)
{
    pthread_mutex_lock(&rec.lock);
    int n = *counter;
    pthread_mutex_unlock(&rec.lock);
    return n;
}

static bool was_closed(uint64_t session)
{
    pthread_mutex_lock(&rec.lock);
    bool found = false;
    for (int i = 0; i < rec.nclosed; i++)
        found = found || rec.closed[i] == session;
    pthread_mutex_unlock(&rec.lock);
    return found;
}

static ws_server *start(ws_server_config cfg)
{
    rec_reset();
    cfg.listen = cfg.listen ? cfg.listen : "127.0.0.1:0";
    cfg.on_open = on_open;
    cfg.on_message = on_message;
    cfg.on_close = on_close;
    cfg.on_drain = on_drain;
    cfg.ctx = &rec;
    ws_server *srv;
    assert_int_equal(ws_server_start(&cfg, &srv), 0);
    assert_true(ws_server_port(srv) > 0);
    rec.srv = srv;
    return srv;
}

/* ---- a websocket client (tests/support/ws_test_client.h), over TLS or not ---- */

typedef struct wsc {
    ws_test_client ws;
    SSL_CTX *tls;
    SSL *ssl;
} wsc;

enum {
    OP_CONT = WS_OP_CONTINUATION,
    OP_TEXT = WS_OP_TEXT,
    OP_BINARY = WS_OP_BINARY,
    OP_CLOSE = WS_OP_CLOSE
};

/* From this loopback address (127.0.0.1 unless a test names another). */
static const char *client_address = "127.0.0.1";

/* A connection from client_address with this receive buffer (0: the default). */
static int tcp_connect(int port, int rcvbuf)
{
    ws_test_source source = {.address = client_address, .rcvbuf = rcvbuf};
    int fd = ws_test_connect(port, &source);
    assert_true(fd >= 0);
    return fd;
}

/* The TLS stream as the client's transport. */
static ssize_t tls_read(void *ctx, void *buf, size_t len, int timeout_ms)
{
    wsc *c = ctx;
    if (!SSL_pending(c->ssl)) {
        struct pollfd p = {.fd = c->ws.fd, .events = POLLIN};
        if (poll(&p, 1, timeout_ms) == 0)
            return ENSHU_ETIMEOUT;
    }
    int n = SSL_read(c->ssl, buf, len > INT_MAX ? INT_MAX : (int)len);
    if (n > 0)
        return n;
    int err = SSL_get_error(c->ssl, n);
    if (err == SSL_ERROR_WANT_READ)
        return ENSHU_ETIMEOUT; /* a record not whole yet, or only a session ticket */
    return err == SSL_ERROR_ZERO_RETURN ? 0 : ENSHU_EIO;
}

static int tls_write(void *ctx, const void *buf, size_t len)
{
    wsc *c = ctx;
    return SSL_write(c->ssl, buf, (int)len) == (int)len ? 0 : ENSHU_EIO;
}

/* Opens a websocket with these header lines (Host, Origin...); returns the
 * HTTP status (101 when upgraded, with the right Sec-WebSocket-Accept). */
static int wsc_open_as(wsc *c, int port, const char *path, const char *subprotocol, bool tls,
                       int rcvbuf, const char *headers)
{
    memset(c, 0, sizeof(*c));
    ws_test_client_init(&c->ws, tcp_connect(port, rcvbuf));
    if (tls) {
        c->tls = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(c->tls, SSL_VERIFY_NONE, NULL);
        c->ssl = SSL_new(c->tls);
        SSL_set_fd(c->ssl, c->ws.fd);
        struct timeval tv = {.tv_sec = 10};
        setsockopt(c->ws.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        if (SSL_connect(c->ssl) != 1)
            return -1;
        c->ws.io = (ws_test_transport){.read = tls_read, .write = tls_write, .ctx = c};
    }
    ws_test_upgrade u = {
        .path = path, .headers = headers, .subprotocol = subprotocol, .timeout_ms = WAIT_MS};
    return ws_test_client_upgrade(&c->ws, &u);
}

/* As a client that is not a browser: no Origin. */
static int wsc_open(wsc *c, int port, const char *path, const char *subprotocol, bool tls,
                    int rcvbuf)
{
    return wsc_open_as(c, port, path, subprotocol, tls, rcvbuf, "Host: 127.0.0.1\r\n");
}

static void wsc_close(wsc *c)
{
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->tls)
        SSL_CTX_free(c->tls);
    c->ssl = NULL;
    c->tls = NULL;
    ws_test_client_close(&c->ws);
}

/* Sends a frame; a server that closed shows when reading. */
static void wsc_send_frame(wsc *c, int opcode, bool fin, const void *data, size_t len)
{
    (void)ws_test_client_send(&c->ws, opcode, fin, data, len);
}

static void wsc_send_text(wsc *c, const char *text)
{
    wsc_send_frame(c, OP_TEXT, true, text, strlen(text));
}

/* Reads the next data or close frame, fragments one by one (answering
 * pings). Returns its opcode, or negative on timeout or end of stream;
 * *f is valid until the next read. */
static int wsc_recv(wsc *c, ws_frame *f, int timeout_ms)
{
    int op = ws_test_client_recv_frame(&c->ws, f, timeout_ms);
    assert_int_not_equal(op, ENSHU_EINVAL);
    if (op >= 0)
        assert_false(f->masked); /* servers do not mask */
    return op;
}

/* Reads until the close frame; returns its code and copies its reason. */
static int wsc_expect_close(wsc *c, char *reason, size_t reason_size)
{
    return ws_test_client_expect_close(&c->ws, reason, reason_size, WAIT_MS);
}

static void expect_text(wsc *c, const char *want)
{
    ws_frame f;
    assert_int_equal(wsc_recv(c, &f, WAIT_MS), OP_TEXT);
    assert_int_equal(f.len, strlen(want));
    assert_memory_equal(f.payload, want, f.len);
}

static uint64_t last_opened(void)
{
    pthread_mutex_lock(&rec.lock);
    uint64_t id = rec.nopened ? rec.opened[rec.nopened - 1] : 0;
    pthread_mutex_unlock(&rec.lock);
    return id;
}

/* ---- the cases ---- */

static void echo_and_sessions(void **state)
{
    ws_server *srv = start((ws_server_config){0});
    int port = ws_server_port(srv);
    wsc a, b, other;
    assert_int_equal(wsc_open(&a, port, "/ws", "enshu.v1", false, 0), 101);
    assert_int_equal(wsc_open(&b, port, "/ws", NULL, false, 0), 101); /* no subprotocol */
    assert_true(wait_count(&rec.nopened, 2));
    assert_string_equal(rec.peers[0], "127.0.0.1");
    assert_true(rec.opened[1] > rec.opened[0]);

    wsc_send_text(&a, "hello");
    expect_text(&a, "hello");
    wsc_send_text(&b, "from b");
    expect_text(&b, "from b");
    assert_true(wait_count(&rec.nmsgs, 2));
    assert_int_equal(rec.msgs[0].session, rec.opened[0]);
    assert_string_equal(rec.msgs[0].text, "hello");

    /* fragments are reassembled into one message */
    wsc_send_frame(&a, OP_TEXT, false, "ab", 2);
    wsc_send_frame(&a, OP_CONT, false, "cd", 2);
    wsc_send_frame(&a, OP_CONT, true, "ef", 2);
    expect_text(&a, "abcdef");

    /* an empty message is delivered, and echoed as an empty frame */
    wsc_send_text(&a, "");
    expect_text(&a, "");
    assert_true(wait_count(&rec.nmsgs, 4));
    assert_int_equal(rec.msgs[3].len, 0);
    assert_string_equal(rec.msgs[3].text, "");

    /* only /ws upgrades (a query is fine) */
    assert_int_not_equal(wsc_open(&other, port, "/elsewhere", "enshu.v1", false, 0), 101);
    wsc_close(&other);
    assert_int_not_equal(wsc_open(&other, port, "/ws/x", "enshu.v1", false, 0), 101);
    wsc_close(&other);

    /* a closed session's id is gone and not given again */
    uint64_t first = rec.opened[0];
    wsc_close(&a);
    assert_true(wait_count(&rec.nclosed, 1));
    assert_int_equal(rec.closed[0], first);
    assert_int_equal(ws_server_send(srv, first, "x", 1, false), ENSHU_ENOTFOUND);
    assert_int_equal(ws_server_queued(srv, first), 0);
    assert_true(wsc_open(&a, port, "/ws", "enshu.v1", false, 0) == 101);
    assert_true(wait_count(&rec.nopened, 3));
    assert_true(rec.opened[2] > rec.opened[1]);
    wsc query;
    assert_int_equal(wsc_open(&query, port, "/ws?resume=12", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 4));

    /* free closes the open sessions, each with on_close */
    ws_server_free(srv);
    assert_int_equal(rec.nclosed, 4);
    wsc_close(&query);
    char reason[128];
    assert_int_equal(wsc_expect_close(&b, reason, sizeof(reason)), 1001);
    wsc_close(&a);
    wsc_close(&b);
    ws_server_free(NULL);
}

typedef struct sender {
    ws_server *srv;
    uint64_t session;
    int count;
    int failures;
} sender;

static void *send_many(void *arg)
{
    sender *s = arg;
    for (int i = 0; i < s->count; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof(msg), "%d", i);
        if (ws_server_send(s->srv, s->session, msg, (size_t)n, false) != 0)
            s->failures++;
    }
    return NULL;
}

static void order_from_another_thread(void **state)
{
    ws_server *srv = start((ws_server_config){0});
    wsc c;
    assert_int_equal(wsc_open(&c, ws_server_port(srv), "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 1));
    sender s = {srv, last_opened(), 10000, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, send_many, &s), 0);
    for (int i = 0; i < s.count; i++) {
        char want[32];
        ws_frame f;
        snprintf(want, sizeof(want), "%d", i);
        assert_int_equal(wsc_recv(&c, &f, WAIT_MS), OP_TEXT);
        if (strcmp(f.payload, want) != 0)
            fail_msg("message %d arrived as \"%s\"", i, f.payload);
    }
    pthread_join(t, NULL);
    assert_int_equal(s.failures, 0);

    /* binary frames out; a large message (several frames) arrives whole */
    size_t big = 300 * 1024;
    char *payload = xmalloc(big);
    for (size_t i = 0; i < big; i++)
        payload[i] = (char)('a' + i % 26);
    assert_int_equal(ws_server_send(srv, s.session, "\x01\x02", 2, true), 0);
    assert_int_equal(ws_server_send(srv, s.session, payload, big, false), 0);
    ws_frame f;
    assert_int_equal(wsc_recv(&c, &f, WAIT_MS), OP_BINARY);
    assert_int_equal(f.len, 2);
    int op = wsc_recv(&c, &f, WAIT_MS);
    size_t got = 0;
    assert_int_equal(op, OP_TEXT);
    for (;;) { /* the first frame, then continuations until FIN (our reader gives each) */
        assert_memory_equal(f.payload, payload + got, f.len);
        got += f.len;
        if (got == big)
            break;
        assert_int_equal(wsc_recv(&c, &f, WAIT_MS), OP_CONT);
    }
    free(payload);
    assert_true(wait_count(&rec.nopened, 1));
    assert_int_equal(ws_server_queued(srv, s.session), 0);
    wsc_close(&c);
    ws_server_free(srv);
}

/* One shared message to three sessions: each gets it whole, frame by frame
 * (a large one goes out in several frames, and lws writes each frame's
 * header in front of the bytes it is given: the shared bytes must come out
 * unchanged for the next session), in order with the session's own sends. */
static void shared_message_to_many(void **state)
{
    ws_server *srv = start((ws_server_config){0});
    wsc c[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(wsc_open(&c[i], ws_server_port(srv), "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 3));
    size_t big = 300 * 1024;
    char *payload = xmalloc(big);
    for (size_t i = 0; i < big; i++)
        payload[i] = (char)('a' + (i * 7 + i / 1000) % 26);
    ws_message *shared = ws_message_new(payload, big, false);
    ws_message *small = ws_message_new("hello all", 9, false);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(ws_server_send_message(srv, rec.opened[i], small), ENSHU_OK);
        assert_int_equal(ws_server_send(srv, rec.opened[i], "own", 3, false), ENSHU_OK);
        assert_int_equal(ws_server_send_message(srv, rec.opened[i], shared), ENSHU_OK);
    }
    ws_message_unref(small); /* the queues keep what they need */
    assert_int_equal(ws_server_send_message(srv, 999999, shared), ENSHU_ENOTFOUND);
    ws_message_unref(shared);
    ws_message_unref(NULL);
    for (int i = 0; i < 3; i++) {
        ws_frame f;
        assert_int_equal(wsc_recv(&c[i], &f, WAIT_MS), OP_TEXT);
        assert_string_equal(f.payload, "hello all");
        assert_int_equal(wsc_recv(&c[i], &f, WAIT_MS), OP_TEXT);
        assert_string_equal(f.payload, "own");
        size_t got = 0;
        assert_int_equal(wsc_recv(&c[i], &f, WAIT_MS), OP_TEXT);
        for (;;) {
            assert_true(got + f.len <= big);
            assert_memory_equal(f.payload, payload + got, f.len);
            got += f.len;
            if (got == big)
                break;
            assert_int_equal(wsc_recv(&c[i], &f, WAIT_MS), OP_CONT);
        }
    }
    free(payload);
    for (int i = 0; i < 3; i++)
        wsc_close(&c[i]);
    ws_server_free(srv);
}

static void close_from_another_thread(void **state)
{
    ws_server *srv = start((ws_server_config){0});
    wsc c;
    assert_int_equal(wsc_open(&c, ws_server_port(srv), "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 1));
    uint64_t id = last_opened();
    assert_int_equal(ws_server_send(srv, id, "last words", 10, false), 0);
    ws_server_close(srv, id, 4000, "exercise over");
    assert_int_equal(ws_server_send(srv, id, "too late", 8, false), ENSHU_ENOTFOUND);
    expect_text(&c, "last words");
    char reason[128];
    assert_int_equal(wsc_expect_close(&c, reason, sizeof(reason)), 4000);
    assert_string_equal(reason, "exercise over");
    assert_true(wait_count(&rec.nclosed, 1));
    wsc_close(&c);

    /* a code that must not be sent becomes 1000 */
    assert_int_equal(wsc_open(&c, ws_server_port(srv), "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 2));
    ws_server_close(srv, last_opened(), 1005, "no status");
    assert_int_equal(wsc_expect_close(&c, reason, sizeof(reason)), 1000);
    wsc_close(&c);
    ws_server_free(srv);
}

static void expect_closed_for(ws_server_config cfg, void (*misbehave)(wsc *), int code,
                              const char *why)
{
    ws_server *srv = start(cfg);
    wsc c, good;
    assert_int_equal(wsc_open(&c, ws_server_port(srv), "/ws", "enshu.v1", false, 0), 101);
    assert_int_equal(wsc_open(&good, ws_server_port(srv), "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 2));
    misbehave(&c);
    char reason[128];
    assert_int_equal(wsc_expect_close(&c, reason, sizeof(reason)), code);
    if (why)
        assert_string_equal(reason, why);
    assert_true(wait_count(&rec.nclosed, 1));
    assert_int_equal(rec.closed[0], rec.opened[0]);
    wsc_send_text(&good, "still here"); /* others are unaffected */
    expect_text(&good, "still here");
    wsc_close(&c);
    wsc_close(&good);
    ws_server_free(srv);
}

static void send_binary(wsc *c)
{
    wsc_send_frame(c, OP_BINARY, true, "\x00\x01", 2);
}

static void send_oversize(wsc *c)
{
    char part[700];
    memset(part, 'x', sizeof(part));
    wsc_send_frame(c, OP_TEXT, false, part, sizeof(part));
    wsc_send_frame(c, OP_CONT, false, part, sizeof(part));
    wsc_send_frame(c, OP_CONT, true, part, sizeof(part));
}

static void send_flood(wsc *c)
{
    for (int i = 0; i < 200; i++)
        wsc_send_text(c, "{}");
}

static void send_bad_utf8(wsc *c)
{
    wsc_send_frame(c, OP_TEXT, true, "{\"a\":\"\xff\xfe\"}", 10);
}

static void invalid_utf8_refused(void **state)
{
    expect_closed_for((ws_server_config){0}, send_bad_utf8, 1007, NULL);
}

static void binary_frame_refused(void **state)
{
    expect_closed_for((ws_server_config){0}, send_binary, 1003, "binary frames are not accepted");
}

/* Binary messages, with on_binary: delivered whole (fragments joined, any
 * bytes), on a budget of their own. */
static unsigned char binary_got[256];
static size_t binary_len;
static int binary_count;

static void on_binary(void *ctx, uint64_t session, const void *data, size_t len)
{
    recorder *r = ctx;
    pthread_mutex_lock(&r->lock);
    if (len <= sizeof binary_got) {
        memcpy(binary_got, data, len);
        binary_len = len;
    }
    binary_count++;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void send_binary_flood(wsc *c)
{
    for (int i = 0; i < 400; i++)
        wsc_send_frame(c, OP_BINARY, true, "\x01", 1);
}

static void binary_messages_to_on_binary(void **state)
{
    binary_count = 0;
    ws_server *srv = start((ws_server_config){
        .on_binary = on_binary, .max_messages_per_sec = 5, .max_binary_per_sec = 100});
    /* No echo: the text message below only shows the session still open, and
     * an echo could race the close at the end. */
    rec.echo = false;
    wsc c;
    assert_int_equal(wsc_open(&c, ws_server_port(srv), "/ws", "enshu.v1", false, 0), 101);
    wsc_send_frame(&c, OP_BINARY, false,
                   "\x05"
                   "a\x00",
                   3);
    wsc_send_frame(&c, OP_CONT, true, "\xff\xfe", 2);
    assert_true(wait_count(&binary_count, 1));
    assert_int_equal(binary_len, 5);
    assert_memory_equal(binary_got,
                        "\x05"
                        "a\x00\xff\xfe",
                        5);
    /* 60 binary messages spend nothing of the 5-a-second text budget. */
    for (int i = 0; i < 60; i++)
        wsc_send_frame(&c, OP_BINARY, true, "\x02", 1);
    assert_true(wait_count(&binary_count, 61));
    wsc_send_text(&c, "still here");
    assert_true(wait_count(&rec.nmsgs, 1));
    assert_int_equal(count_of(&rec.nclosed), 0);
    wsc_close(&c);
    ws_server_free(srv);
    /* Past its own budget, the session closes as a text flood does. */
    expect_closed_for((ws_server_config){.on_binary = on_binary, .max_binary_per_sec = 100},
                      send_binary_flood, 1008, "too many messages");
}

static void oversize_refused(void **state)
{
    expect_closed_for((ws_server_config){.max_message = 1024}, send_oversize, 1009,
                      "message too big");
}

static void flood_refused(void **state)
{
    expect_closed_for((ws_server_config){.max_messages_per_sec = 10}, send_flood, 1008,
                      "too many messages");
    /* a burst of twice the rate is fine */
    ws_server *srv = start((ws_server_config){.max_messages_per_sec = 10});
    rec.echo = false;
    wsc c;
    assert_int_equal(wsc_open(&c, ws_server_port(srv), "/ws", "enshu.v1", false, 0), 101);
    for (int i = 0; i < 19; i++)
        wsc_send_text(&c, "{}");
    assert_true(wait_count(&rec.nmsgs, 19));
    assert_int_equal(count_of(&rec.nclosed), 0);
    wsc_close(&c);
    ws_server_free(srv);
}

/* Queues 1 KiB messages to the session until three quarters of the bound
 * are queued, on the service thread: while this runs it writes nothing, so
 * the queue only grows (from the test thread, the service thread may empty
 * it into the sockets meanwhile and report a drain before the test reads). */
enum { FILL_CHUNK = 1024, FILL_LIMIT = 64 * 1024 };
static int fill_failures;

static void fill_queue(ws_server *srv, uint64_t session, const char *text)
{
    if (strcmp(text, "fill") != 0)
        return;
    static char chunk[FILL_CHUNK];
    memset(chunk, 'q', sizeof(chunk));
    while (ws_server_queued(srv, session) < FILL_LIMIT * 3 / 4)
        if (ws_server_send(srv, session, chunk, sizeof(chunk), false) != 0)
            fill_failures++;
}

static void slow_reader_closed(void **state)
{
    size_t limit = FILL_LIMIT;
    ws_server *srv = start((ws_server_config){.queue_limit = limit});
    rec.echo = false;
    rec.hook = fill_queue;
    fill_failures = 0;
    int port = ws_server_port(srv);
    wsc slow, good;
    assert_int_equal(wsc_open(&slow, port, "/ws", "enshu.v1", false, 4096), 101);
    assert_true(wait_count(&rec.nopened, 1));
    uint64_t id = last_opened();
    assert_int_equal(wsc_open(&good, port, "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 2));

    char chunk[FILL_CHUNK];
    memset(chunk, 'q', sizeof(chunk));
    /* Above half of the bound, with no drain before the client reads. */
    wsc_send_text(&slow, "fill");
    assert_true(wait_count(&rec.hooked, 1));
    assert_int_equal(fill_failures, 0);
    int sent = 0;
    /* Reading brings it under a quarter: on_drain (which may come after the
     * last frame is read, so running out of frames is no failure; the socket
     * may also have taken all of it). */
    int64_t deadline = monotonic_ms() + WAIT_MS;
    while (count_of(&rec.drained) == 0 && monotonic_ms() < deadline) {
        ws_frame f;
        int op = wsc_recv(&slow, &f, 100);
        if (op < 0)
            continue;
        assert_int_equal(op, OP_TEXT);
        assert_int_equal(f.len, sizeof(chunk));
    }
    assert_true(wait_count(&rec.drained, 1));
    assert_true(ws_server_queued(srv, id) < limit / 4);

    /* Not reading again: the send that would pass the bound closes it. */
    int rc;
    while ((rc = ws_server_send(srv, id, chunk, sizeof(chunk), false)) == 0) {
        sent++;
        assert_true(sent < 2000000);
    }
    assert_int_equal(rc, ENSHU_ENOTFOUND);
    assert_int_equal(ws_server_send(srv, id, chunk, sizeof(chunk), false), ENSHU_ENOTFOUND);

    /* the server keeps serving others meanwhile */
    assert_int_equal(ws_server_send(srv, rec.opened[1], "alive", 5, false), 0);
    expect_text(&good, "alive");

    /* The client reads what reached it, then the close. */
    char reason[128];
    assert_int_equal(wsc_expect_close(&slow, reason, sizeof(reason)), 1008);
    assert_string_equal(reason, "too slow: reconnect to resume");
    assert_true(wait_count(&rec.nclosed, 1));
    assert_true(was_closed(id));
    assert_false(was_closed(rec.opened[1]));
    /* a single message above the bound is refused without closing */
    assert_int_equal(ws_server_send(srv, rec.opened[1], NULL, limit + 1, false), ENSHU_EINVAL);
    assert_int_equal(ws_server_send(srv, rec.opened[1], "still", 5, false), 0);
    expect_text(&good, "still");
    wsc_close(&slow);
    wsc_close(&good);
    ws_server_free(srv);
}

static void dead_client_dropped(void **state)
{
    ws_server *srv = start((ws_server_config){.ping_secs = 1, .hangup_secs = 2});
    int port = ws_server_port(srv);
    wsc dead, live;
    assert_int_equal(wsc_open(&dead, port, "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 1));
    uint64_t dead_id = last_opened();
    assert_int_equal(wsc_open(&live, port, "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 2));
    uint64_t live_id = last_opened();

    /* The live client answers pings; the dead one neither reads nor answers. */
    int64_t start_ms = monotonic_ms(), deadline = start_ms + WAIT_MS;
    int pings_seen = 0;
    while (!was_closed(dead_id) && monotonic_ms() < deadline) {
        ws_frame f;
        (void)wsc_recv(&live, &f, 100);
        pings_seen++;
    }
    assert_true(was_closed(dead_id));
    /* Keep the live one a while past the hangup time, answering. */
    int64_t until = monotonic_ms() + 3000;
    while (monotonic_ms() < until) {
        ws_frame f;
        (void)wsc_recv(&live, &f, 100);
    }
    assert_false(was_closed(live_id));
    wsc_send_text(&live, "ping me");
    expect_text(&live, "ping me");
    printf("# dead client dropped after %lld ms\n", (long long)(monotonic_ms() - start_ms));
    wsc_close(&dead);
    wsc_close(&live);
    ws_server_free(srv);
}

/* A raw HTTP exchange: the whole response (until the server closes). */
static int http_raw(int port, const char *request, char *resp, size_t size)
{
    ws_test_client c;
    ws_test_client_init(&c, tcp_connect(port, 0));
    (void)ws_test_client_write(&c, request, strlen(request));
    ws_test_client_read_to_end(&c, resp, size, WAIT_MS);
    ws_test_client_close(&c);
    int status = 0;
    if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
        return -1;
    return status;
}

static int http_get(int port, const char *path, char *body, size_t body_size, char *ctype,
                    size_t ctype_size)
{
    char req[512];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
             path);
    static char resp[65536];
    int status = http_raw(port, req, resp, sizeof(resp));
    if (status < 0)
        return status;
    char *ct = strcasestr(resp, "\r\ncontent-type: ");
    snprintf(ctype, ctype_size, "%.*s", ct ? (int)strcspn(ct + 16, "\r") : 0, ct ? ct + 16 : "");
    char *b = strstr(resp, "\r\n\r\n");
    snprintf(body, body_size, "%s", b ? b + 4 : "");
    return status;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void static_files(void **state)
{
    char dir[] = "/tmp/enshu-ws-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *web = xasprintf("%s/web", dir), *p;
    assert_int_equal(mkdir(web, 0755), 0);
    write_file(p = xasprintf("%s/index.html", web), "<h1>console</h1>");
    free(p);
    char *js = xasprintf("%s/js", web);
    assert_int_equal(mkdir(js, 0755), 0);
    free(js);
    write_file(p = xasprintf("%s/js/app.mjs", web), "export const x = 1;");
    free(p);
    write_file(p = xasprintf("%s/secret.txt", dir), "TOPSECRET");
    free(p);

    ws_server *srv = start((ws_server_config){.static_dir = web});
    int port = ws_server_port(srv);
    char body[4096], ctype[128];
    assert_int_equal(http_get(port, "/", body, sizeof(body), ctype, sizeof(ctype)), 200);
    assert_string_equal(body, "<h1>console</h1>");
    assert_non_null(strstr(ctype, "text/html"));
    assert_int_equal(http_get(port, "/js/app.mjs", body, sizeof(body), ctype, sizeof(ctype)), 200);
    assert_string_equal(body, "export const x = 1;");
    assert_non_null(strstr(ctype, "text/javascript"));
    assert_int_equal(http_get(port, "/missing.js", body, sizeof(body), ctype, sizeof(ctype)), 404);
    const char *escapes[] = {"/../secret.txt", "/%2e%2e/secret.txt", "/a/../../secret.txt",
                             "/..%2fsecret.txt", "/%2e%2e%2fsecret.txt"};
    for (size_t i = 0; i < sizeof(escapes) / sizeof(escapes[0]); i++) {
        int status = http_get(port, escapes[i], body, sizeof(body), ctype, sizeof(ctype));
        if (status == 200 || strstr(body, "TOPSECRET"))
            fail_msg("%s escaped the static directory (status %d)", escapes[i], status);
    }
    /* the websocket still works beside the files */
    wsc c;
    assert_int_equal(wsc_open(&c, port, "/ws", "enshu.v1", false, 0), 101);
    wsc_send_text(&c, "hi");
    expect_text(&c, "hi");
    wsc_close(&c);
    ws_server_free(srv);

    /* without a static directory there are no files */
    srv = start((ws_server_config){0});
    assert_int_equal(http_get(ws_server_port(srv), "/", body, sizeof(body), ctype, sizeof(ctype)),
                     404);
    ws_server_free(srv);
    char *cmd = xasprintf("rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(web);
}

static void tls_only(void **state)
{
    if (system("command -v openssl >/dev/null 2>&1") != 0) {
        printf("# skipped: the openssl command is missing, so no certificate can be made\n");
        skip();
    }
    char dir[] = "/tmp/enshu-ws-tls-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *cert = xasprintf("%s/cert.pem", dir), *key = xasprintf("%s/key.pem", dir);
    char *cmd = xasprintf("openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 "
                          "-keyout %s -out %s >/dev/null 2>&1",
                          key, cert);
    assert_int_equal(system(cmd), 0);
    free(cmd);

    ws_server *srv = start((ws_server_config){.cert_path = cert, .key_path = key});
    int port = ws_server_port(srv);
    wsc c;
    assert_int_equal(wsc_open(&c, port, "/ws", "enshu.v1", true, 0), 101);
    wsc_send_text(&c, "over tls");
    expect_text(&c, "over tls");
    wsc_close(&c);
    /* plain websocket on the TLS port is refused */
    wsc plain;
    assert_int_not_equal(wsc_open(&plain, port, "/ws", "enshu.v1", false, 0), 101);
    wsc_close(&plain);
    ws_server_free(srv);

    /* a certificate without its key is a usage error */
    ws_server *none;
    ws_server_config half = {.listen = "127.0.0.1:0", .cert_path = cert};
    assert_int_equal(ws_server_start(&half, &none), ENSHU_EINVAL);
    assert_null(none);
    cmd = xasprintf("rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(cert);
    free(key);
}

static void bad_listen_refused(void **state)
{
    ws_server *srv;
    ws_server_config cfg = {.listen = "127.0.0.1"};
    assert_int_equal(ws_server_start(&cfg, &srv), ENSHU_EINVAL);
    cfg.listen = "127.0.0.1:99999";
    assert_int_equal(ws_server_start(&cfg, &srv), ENSHU_EINVAL);
    cfg.listen = "127.0.0.1:0";
    cfg.static_dir = "/nonexistent/enshu-web";
    assert_int_equal(ws_server_start(&cfg, &srv), ENSHU_EIO);
}

/* ---- who may connect ---- */

/* Opens /ws with a Host and an Origin (NULL: none); returns the status. */
static int open_from(int port, const char *host, const char *origin)
{
    char headers[512];
    snprintf(headers, sizeof(headers), "Host: %s\r\n%s%s%s", host, origin ? "Origin: " : "",
             origin ? origin : "", origin ? "\r\n" : "");
    wsc c;
    int status = wsc_open_as(&c, port, "/ws", "enshu.v1", false, 0, headers);
    wsc_close(&c);
    return status;
}

static void origin_and_host_checked(void **state)
{
    ws_server *srv = start((ws_server_config){0});
    int port = ws_server_port(srv);
    char self[64], self_host[64], localhost[64], localhost_host[64], evil[64], evil_host[64];
    snprintf(self_host, sizeof(self_host), "127.0.0.1:%d", port);
    snprintf(self, sizeof(self), "http://127.0.0.1:%d", port);
    snprintf(localhost_host, sizeof(localhost_host), "localhost:%d", port);
    snprintf(localhost, sizeof(localhost), "http://localhost:%d", port);
    snprintf(evil_host, sizeof(evil_host), "evil.example:%d", port);
    snprintf(evil, sizeof(evil), "http://evil.example:%d", port);

    /* the page's own origin, with either name of loopback; no Origin (not a browser) */
    assert_int_equal(open_from(port, self_host, self), 101);
    assert_int_equal(open_from(port, localhost_host, localhost), 101);
    assert_int_equal(open_from(port, self_host, NULL), 101);
    assert_true(wait_count(&rec.nopened, 3));
    /* another origin, an opaque one, the other scheme, another port */
    assert_int_equal(open_from(port, self_host, "http://evil.example"), 403);
    assert_int_equal(open_from(port, self_host, "null"), 403);
    char other[64];
    snprintf(other, sizeof(other), "https://127.0.0.1:%d", port);
    assert_int_equal(open_from(port, self_host, other), 403);
    snprintf(other, sizeof(other), "http://127.0.0.1:%d", port + 1);
    assert_int_equal(open_from(port, self_host, other), 403);
    /* DNS rebinding: a page of evil.example whose name now points at us is
     * same-origin with itself, but its Host is not this server */
    assert_int_equal(open_from(port, evil_host, evil), 403);
    assert_int_equal(open_from(port, evil_host, NULL), 403);
    assert_int_equal(open_from(port, "", NULL), 403);
    /* no refused upgrade became a session */
    assert_int_equal(count_of(&rec.nopened), 3);
    ws_server_free(srv);

    /* behind a reverse proxy: its origin is allowed, whatever Host it forwards */
    const char *allowed[] = {"https://Range.example/", NULL};
    srv = start((ws_server_config){.allow_origins = allowed});
    port = ws_server_port(srv);
    snprintf(self_host, sizeof(self_host), "127.0.0.1:%d", port);
    assert_int_equal(open_from(port, "range.example", "https://range.example"), 101);
    assert_int_equal(open_from(port, self_host, "https://range.example"), 101);
    assert_int_equal(open_from(port, "range.example", "http://range.example"), 101); /* its own */
    assert_int_equal(open_from(port, "range.example", "http://evil.example"), 403);
    assert_int_equal(open_from(port, "range.example", "https://other.example"), 403);
    assert_int_equal(open_from(port, "other.example", "https://range.example"), 403);
    ws_server_free(srv);
}

static void assert_security_headers(const char *resp)
{
    char *head = xstrndup(resp, strstr(resp, "\r\n\r\n") ? (size_t)(strstr(resp, "\r\n\r\n") - resp)
                                                         : strlen(resp));
    char *csp = strcasestr(head, "\r\ncontent-security-policy: ");
    assert_non_null(csp);
    csp += strlen("\r\ncontent-security-policy: ");
    size_t n = strcspn(csp, "\r");
    assert_int_equal(n, strlen(WS_SERVER_CSP));
    assert_memory_equal(csp, WS_SERVER_CSP, n);
    assert_non_null(strstr(csp, "frame-ancestors 'none'"));
    assert_non_null(strstr(csp, "script-src 'self';"));
    assert_non_null(strcasestr(head, "\r\nx-content-type-options: nosniff\r\n"));
    assert_non_null(strcasestr(head, "\r\nreferrer-policy: no-referrer\r\n"));
    free(head);
}

static void http_headers_and_files(void **state)
{
    char dir[] = "/tmp/enshu-ws-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *dirs[] = {"js", "vendor", "vendor/xterm", "node_modules", "node_modules/x"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char *d = xasprintf("%s/%s", dir, dirs[i]);
        assert_int_equal(mkdir(d, 0755), 0);
        free(d);
    }
    const char *files[] = {"index.html",
                           "trainee.html",
                           "js/ui.js",
                           "vendor/xterm/xterm.js",
                           "vendor/xterm/LICENSE",
                           "package.json",
                           "package-lock.json",
                           "README.md",
                           "PROTOCOL.md",
                           "node_modules/x/index.js",
                           "js/.hidden.js",
                           "js/notes.txt"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *p = xasprintf("%s/%s", dir, files[i]);
        write_file(p, files[i]);
        free(p);
    }
    ws_server *srv = start((ws_server_config){.static_dir = dir});
    int port = ws_server_port(srv);
    static char resp[65536];
    const char *served[] = {"/", "/trainee.html", "/js/ui.js", "/vendor/xterm/xterm.js"};
    for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
        char req[256];
        snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", served[i]);
        if (http_raw(port, req, resp, sizeof(resp)) != 200)
            fail_msg("%s was not served: %.200s", served[i], resp);
        assert_security_headers(resp);
    }
    const char *hidden[] = {"/package.json", "/package-lock.json",       "/README.md",
                            "/PROTOCOL.md",  "/node_modules/x/index.js", "/js/.hidden.js",
                            "/js/notes.txt", "/vendor/xterm/LICENSE",    "/js/",
                            "/js",           "/vendor/../package.json",  "/js/%2e%2e/package.json",
                            "/index.html/"};
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++) {
        char req[256];
        snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", hidden[i]);
        int status = http_raw(port, req, resp, sizeof(resp));
        if (status != 404)
            fail_msg("%s: status %d, not 404", hidden[i], status);
        /* on refusals too; the body is lws's page, not the file */
        assert_security_headers(resp);
        assert_non_null(strstr(resp, "<h1>404</h1>"));
    }
    /* a Host that is not this server gets no file; other methods none either */
    assert_int_equal(http_raw(port,
                              "GET / HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
                              resp, sizeof(resp)),
                     403);
    assert_security_headers(resp);
    assert_int_equal(http_raw(port,
                              "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                              "Connection: close\r\n\r\n",
                              resp, sizeof(resp)),
                     405);
    ws_server_free(srv);
    char *cmd = xasprintf("rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

static void h2c_not_switched(void **state)
{
    ws_server *srv = start((ws_server_config){0});
    int port = ws_server_port(srv);
    static char resp[8192];
    /* the upgrade (RFC 7540 3.2), on a file and on the websocket's path */
    const char *paths[] = {"/", "/ws"};
    for (size_t i = 0; i < 2; i++) {
        char req[512];
        snprintf(req, sizeof(req),
                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                 "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
                 paths[i]);
        int status = http_raw(port, req, resp, sizeof(resp));
        if (status != 403)
            fail_msg("h2c upgrade on %s: status %d", paths[i], status);
        assert_null(strcasestr(resp, "upgrade: h2c"));
        assert_security_headers(resp);
    }
    /* HTTP/2 with prior knowledge (RFC 7540 3.4): not spoken either; an h2
     * server would answer with a SETTINGS frame (type 4 in byte 3). */
    int n = http_raw(port, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", resp, sizeof(resp));
    assert_false(strlen(resp) >= 9 && resp[3] == 4);
    assert_true(n == -1 || n >= 400);
    assert_int_equal(count_of(&rec.nopened), 0);
    ws_server_free(srv);
}

/* ---- caps ---- */

static void per_address_cap(void **state)
{
    ws_server *srv = start((ws_server_config){.max_sessions_per_address = 3});
    int port = ws_server_port(srv);
    wsc c[4];
    for (int i = 0; i < 3; i++)
        assert_int_equal(wsc_open(&c[i], port, "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 3));
    assert_int_equal(wsc_open(&c[3], port, "/ws", "enshu.v1", false, 0), 503);
    wsc_close(&c[3]);
    /* another address is not held back */
    client_address = "127.0.0.2";
    assert_int_equal(wsc_open(&c[3], port, "/ws", "enshu.v1", false, 0), 101);
    client_address = "127.0.0.1";
    assert_true(wait_count(&rec.nopened, 4));
    /* one closed leaves room for one */
    wsc_close(&c[0]);
    assert_true(wait_count(&rec.nclosed, 1));
    assert_int_equal(wsc_open(&c[0], port, "/ws", "enshu.v1", false, 0), 101);
    wsc_send_text(&c[0], "in");
    expect_text(&c[0], "in");
    for (int i = 0; i < 4; i++)
        wsc_close(&c[i]);
    ws_server_free(srv);
}

static void unadmitted_cap_and_all_sessions_cap(void **state)
{
    ws_server *srv = start((ws_server_config){.max_unadmitted = 2, .max_sessions = 3});
    int port = ws_server_port(srv);
    wsc c[4];
    assert_int_equal(wsc_open(&c[0], port, "/ws", "enshu.v1", false, 0), 101);
    assert_int_equal(wsc_open(&c[1], port, "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 2));
    assert_int_equal(wsc_open(&c[2], port, "/ws", "enshu.v1", false, 0), 503);
    wsc_close(&c[2]);
    /* once one logged in, another may come and log in */
    ws_server_admit(srv, rec.opened[0]);
    ws_server_admit(srv, rec.opened[0]); /* twice: no effect */
    assert_int_equal(wsc_open(&c[2], port, "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 3));
    ws_server_admit(srv, rec.opened[2]);
    /* three are open: the cap on all sessions */
    assert_int_equal(wsc_open(&c[3], port, "/ws", "enshu.v1", false, 0), 503);
    wsc_close(&c[3]);
    /* a session that closed before logging in leaves room */
    wsc_close(&c[1]);
    assert_true(wait_count(&rec.nclosed, 1));
    assert_int_equal(wsc_open(&c[1], port, "/ws", "enshu.v1", false, 0), 101);
    ws_server_admit(srv, 999999); /* none such: no effect */
    for (int i = 0; i < 3; i++)
        wsc_close(&c[i]);
    ws_server_free(srv);
}

static void login_deadline_closes(void **state)
{
    ws_server *srv = start((ws_server_config){.login_secs = 1});
    rec.echo = false;
    int port = ws_server_port(srv);
    wsc in, late;
    /* the one that logs in opens first, so its deadline has passed too when
     * the other's closes it */
    assert_int_equal(wsc_open(&in, port, "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 1));
    ws_server_admit(srv, rec.opened[0]);
    assert_int_equal(wsc_open(&late, port, "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 2));
    wsc_send_text(&late, "hello?"); /* talking is not logging in */
    char reason[128];
    assert_int_equal(wsc_expect_close(&late, reason, sizeof(reason)), 1008);
    assert_string_equal(reason, "log in within 1 s");
    assert_true(wait_count(&rec.nclosed, 1));
    assert_int_equal(rec.closed[0], rec.opened[1]);
    assert_int_equal(ws_server_send(srv, rec.opened[0], "still in", 8, false), 0);
    expect_text(&in, "still in");
    assert_false(was_closed(rec.opened[0]));
    wsc_close(&in);
    wsc_close(&late);
    ws_server_free(srv);
}

/* On the service thread (nothing is written meanwhile): 40 KiB to the
 * first session, then to the second until a send fails. */
static int total_cap_sent[2], total_cap_rc;

static void fill_two(ws_server *srv, uint64_t session, const char *text)
{
    if (strcmp(text, "fill") != 0)
        return;
    static char chunk[1024];
    memset(chunk, 'z', sizeof(chunk));
    for (int i = 0; i < 40; i++)
        if (ws_server_send(srv, rec.opened[0], chunk, sizeof(chunk), false) == 0)
            total_cap_sent[0]++;
    while ((total_cap_rc = ws_server_send(srv, rec.opened[1], chunk, sizeof(chunk), false)) == 0)
        total_cap_sent[1]++;
}

static void total_queued_cap(void **state)
{
    /* each session may queue 48 KiB, all of them 64 KiB */
    ws_server *srv =
        start((ws_server_config){.queue_limit = 48 * 1024, .max_queued_total = 64 * 1024});
    rec.echo = false;
    rec.hook = fill_two;
    total_cap_sent[0] = total_cap_sent[1] = 0;
    int port = ws_server_port(srv);
    wsc a, b;
    assert_int_equal(wsc_open(&a, port, "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 1));
    assert_int_equal(wsc_open(&b, port, "/ws", "enshu.v1", false, 0), 101);
    assert_true(wait_count(&rec.nopened, 2));
    wsc_send_text(&a, "fill");
    assert_true(wait_count(&rec.hooked, 1));
    assert_int_equal(total_cap_sent[0], 40);
    /* the second passed the overall bound at 24 KiB, under its own */
    assert_int_equal(total_cap_sent[1], 24);
    assert_int_equal(total_cap_rc, ENSHU_ENOTFOUND);
    char reason[128];
    assert_int_equal(wsc_expect_close(&b, reason, sizeof(reason)), 1008);
    assert_string_equal(reason, "too slow: reconnect to resume");
    /* the first gets all of its messages and stays */
    for (int i = 0; i < 40; i++) {
        ws_frame f;
        assert_int_equal(wsc_recv(&a, &f, WAIT_MS), OP_TEXT);
        assert_int_equal(f.len, 1024);
    }
    assert_true(wait_count(&rec.nclosed, 1));
    assert_int_equal(rec.closed[0], rec.opened[1]);
    assert_int_equal(ws_server_send(srv, rec.opened[0], "more", 4, false), 0);
    expect_text(&a, "more");
    wsc_close(&a);
    wsc_close(&b);
    ws_server_free(srv);
}

static int setup(void **state)
{
    pthread_mutex_init(&rec.lock, NULL);
    pthread_cond_init(&rec.cond, NULL);
    return 0;
}

static int teardown(void **state)
{
    rec_reset();
    return 0;
}

/* An argument runs only the cases it names (a cmocka pattern, e.g.
 * slow_reader_closed), to repeat one. */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(echo_and_sessions),
        cmocka_unit_test(order_from_another_thread),
        cmocka_unit_test(shared_message_to_many),
        cmocka_unit_test(close_from_another_thread),
        cmocka_unit_test(binary_frame_refused),
        cmocka_unit_test(binary_messages_to_on_binary),
        cmocka_unit_test(invalid_utf8_refused),
        cmocka_unit_test(oversize_refused),
        cmocka_unit_test(flood_refused),
        cmocka_unit_test(slow_reader_closed),
        cmocka_unit_test(dead_client_dropped),
        cmocka_unit_test(static_files),
        cmocka_unit_test(tls_only),
        cmocka_unit_test(bad_listen_refused),
        cmocka_unit_test(origin_and_host_checked),
        cmocka_unit_test(http_headers_and_files),
        cmocka_unit_test(h2c_not_switched),
        cmocka_unit_test(per_address_cap),
        cmocka_unit_test(unadmitted_cap_and_all_sessions_cap),
        cmocka_unit_test(login_deadline_closes),
        cmocka_unit_test(total_queued_cap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
