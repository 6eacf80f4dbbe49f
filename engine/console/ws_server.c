/*
 * Websocket transport of the browser consoles (see ws_server.h).
 *
 * One libwebsockets context, serviced by one thread that alone calls lws.
 * Other threads only touch sessions under srv->lock: they append to a
 * session's outbound queue, put the session on the pending list and wake
 * the service thread with lws_cancel_service(); it then asks lws for a
 * WRITEABLE callback on each pending session, and writes one frame per
 * callback, as lws wants. Sessions are created in ESTABLISHED and freed in
 * CLOSED, both on the service thread, so the service thread may hold a
 * session pointer without the lock; other threads find sessions only by id
 * through the table, under the lock.
 *
 * Who may connect is decided before the upgrade, in CONFIRM_UPGRADE (Host,
 * Origin, the caps), so a refusal is a plain HTTP answer and no session
 * exists for it. Files are served from LWS_CALLBACK_HTTP through an
 * allow-list rather than an lws mount, which would serve the whole folder.
 */
#include "ws_server.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"

#include <libwebsockets.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define WS_SUBPROTOCOL "enshu.v1"
#define WS_PATH "/ws"
#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_MAX_MESSAGE ((size_t)64 * 1024)
#define DEFAULT_QUEUE_LIMIT ((size_t)4 * 1024 * 1024)
#define DEFAULT_RATE 50
#define DEFAULT_BINARY_RATE 200
#define DEFAULT_PING_SECS 20
#define DEFAULT_HANGUP_SECS 40
#define DEFAULT_MAX_SESSIONS 4096
#define DEFAULT_MAX_PER_ADDRESS 64
#define DEFAULT_MAX_UNADMITTED 256
#define DEFAULT_LOGIN_SECS 10
#define DEFAULT_MAX_QUEUED_TOTAL ((size_t)256 * 1024 * 1024)
/* Peer addresses counted for max_sessions_per_address (a fixed table:
 * chains stay as short as the sessions are few). */
#define PEER_BUCKETS 256
/* A refusal of one kind is logged at most this often (they come in floods). */
#define REFUSAL_LOG_US (10 * LWS_US_PER_SEC)
/* Larger messages go out as several frames, so one slow socket never makes
 * lws copy a whole large message into its own buffer. */
#define WRITE_CHUNK ((size_t)32 * 1024)
/* A receive buffer larger than this is freed after its message. */
#define RX_KEEP ((size_t)16 * 1024)
/* Bytes one WRITEABLE callback may write (each frame counts 64 more). */
#define WRITE_BUDGET ((size_t)64 * 1024)
/* How long a closing session may take to read what was queued before it
 * (ws_server_close) or the close frame (too slow) before it is cut. */
#define CLOSE_FLUSH_SECS 10
#define SLOW_CLOSE_SECS 5
/* ws_server_free waits this long for clients to answer the close. */
#define STOP_GRACE_US (1000 * LWS_US_PER_MS)

/* A message's bytes, shared by the queues of every session it goes to. */
struct ws_message {
    atomic_uint refs;
    size_t len;
    bool binary;
    unsigned char data[];
};

/* A session's queue entry: the message and how much of it was written. */
typedef struct out_msg {
    struct out_msg *next;
    ws_message *msg;
    size_t len; /* msg->len */
    size_t sent;
} out_msg;

static void out_msg_free(out_msg *m)
{
    ws_message_unref(m->msg);
    free(m);
}

/* Open sessions of one peer address (service thread only). */
typedef struct peer_count {
    struct peer_count *next;
    unsigned n;
    char key[64];
} peer_count;

typedef struct session {
    uint64_t id;
    struct lws *wsi;               /* service thread only */
    char peer[64];                 /* its peer_count key; service thread only */
    struct session *hnext;         /* table chain, under lock */
    struct session *pnext, *pprev; /* pending list, under lock */
    bool pending;

    /* Outbound, under lock. writing is the message being written, taken
     * off the queue by the service thread; only it frees that one. */
    out_msg *head, *tail;
    out_msg *writing;
    size_t queued; /* bytes in the queue plus unsent bytes of writing */
    bool above_half;
    bool closing;   /* no more sends; close once the queue is written */
    bool close_now; /* close without writing the queue */
    bool admitted;  /* logged in (ws_server_admit) */
    int close_code;
    char close_reason[124];

    /* Service thread only. */
    ws_server *srv;
    lws_sorted_usec_list_t login_sul; /* the login deadline */
    bool timeout_set;
    char *rx;
    size_t rx_len, rx_cap;
    bool in_message;
    bool rx_binary; /* the message being received is binary */
    double tokens;
    int64_t tokens_at_us;
    double binary_tokens; /* the same, for binary messages (on_binary) */
    int64_t binary_tokens_at_us;
} session;

typedef struct session_ref {
    session *s;
} session_ref;

struct ws_server {
    /* Configuration, fixed after start. */
    char *host;
    char *static_dir;
    char *cert_path, *key_path;
    size_t max_message, queue_limit, max_queued_total;
    unsigned rate;
    unsigned binary_rate;
    char **allow_origins; /* lower case, no trailing "/" */
    size_t nallow_origins;
    unsigned max_sessions, max_per_address, max_unadmitted, login_secs;
    void (*on_open)(void *, uint64_t, const char *);
    void (*on_message)(void *, uint64_t, const char *, size_t);
    void (*on_binary)(void *, uint64_t, const void *, size_t);
    void (*on_close)(void *, uint64_t);
    void (*on_drain)(void *, uint64_t);
    void *ctx;

    struct lws_context *lws;
    struct lws_vhost *vhost;
    unsigned char *scratch; /* LWS_PRE + WRITE_CHUNK: the frame being written (service thread) */
    int port;
    pthread_t thread;

    struct lws_protocols protocols[2];
    struct lws_protocol_vhost_options headers[4];
    lws_retry_bo_t retry;
    lws_sorted_usec_list_t stop_sul;
    bool stop_sul_armed; /* service thread */
    bool give_up;        /* service thread */

    /* Service thread only: open sessions by peer address, when each kind of
     * refusal was last logged. */
    peer_count *peers[PEER_BUCKETS];
    int64_t refusal_logged_us[4];

    pthread_mutex_t lock;
    pthread_cond_t stop_cond; /* signalled when stopping is set */
    session **table;          /* by id & (nbuckets - 1) */
    size_t nbuckets, nsessions;
    size_t unadmitted;   /* open sessions not admitted */
    size_t queued_total; /* every session's queued */
    session *pending;
    uint64_t next_id;
    bool stopping;
};

/* The files the consoles are made of: what else lies in web/ (node_modules,
 * package files, notes) is not served. */
static const struct {
    const char *ext, *type;
} mimetypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".json", "application/json; charset=utf-8"}, /* the language catalogues */
};
static const char *const file_dirs[] = {"js/", "css/", "vendor/", "fonts/", "img/", "i18n/"};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* libwebsockets' own lines (errors and warnings only: see lws_set_log_level);
 * log_printf drops their trailing newline. */
static void log_line(int level, const char *line)
{
    log_printf(level & LLL_ERR ? ENSHU_LOG_ERROR : ENSHU_LOG_WARNING, "enshu: libwebsockets: %s",
               line);
}

/* ---- session table and pending list (caller holds srv->lock) ---- */

static session *find_session(ws_server *srv, uint64_t id)
{
    for (session *s = srv->table[id & (srv->nbuckets - 1)]; s; s = s->hnext)
        if (s->id == id)
            return s;
    return NULL;
}

static void insert_session(ws_server *srv, session *s)
{
    if (srv->nsessions >= srv->nbuckets) {
        size_t n = srv->nbuckets * 2;
        session **t = xcalloc(n, sizeof(session *));
        for (size_t i = 0; i < srv->nbuckets; i++) {
            session *next;
            for (session *e = srv->table[i]; e; e = next) {
                next = e->hnext;
                e->hnext = t[e->id & (n - 1)];
                t[e->id & (n - 1)] = e;
            }
        }
        free(srv->table);
        srv->table = t;
        srv->nbuckets = n;
    }
    session **b = &srv->table[s->id & (srv->nbuckets - 1)];
    s->hnext = *b;
    *b = s;
    srv->nsessions++;
}

static void remove_session(ws_server *srv, session *s)
{
    for (session **p = &srv->table[s->id & (srv->nbuckets - 1)]; *p; p = &(*p)->hnext) {
        if (*p == s) {
            *p = s->hnext;
            srv->nsessions--;
            return;
        }
    }
}

/* Returns true when the list was empty, i.e. the service thread needs a wake-up. */
static bool mark_pending(ws_server *srv, session *s)
{
    if (s->pending)
        return false;
    bool was_empty = srv->pending == NULL;
    s->pending = true;
    s->pprev = NULL;
    s->pnext = srv->pending;
    if (srv->pending)
        srv->pending->pprev = s;
    srv->pending = s;
    return was_empty;
}

static void unmark_pending(ws_server *srv, session *s)
{
    if (!s->pending)
        return;
    if (s->pprev)
        s->pprev->pnext = s->pnext;
    else
        srv->pending = s->pnext;
    if (s->pnext)
        s->pnext->pprev = s->pprev;
    s->pending = false;
    s->pnext = s->pprev = NULL;
}

/* Frees the queue (not the message being written). */
static void drop_queue(ws_server *srv, session *s)
{
    out_msg *next;
    for (out_msg *m = s->head; m; m = next) {
        next = m->next;
        s->queued -= m->len;
        srv->queued_total -= m->len;
        out_msg_free(m);
    }
    s->head = s->tail = NULL;
}

static void request_close(session *s, int code, const char *reason, bool now)
{
    s->closing = true;
    s->close_now = s->close_now || now;
    s->close_code = code;
    snprintf(s->close_reason, sizeof(s->close_reason), "%s", reason ? reason : "");
}

/* ---- service thread ---- */

static void close_with(struct lws *wsi, int code, const char *reason)
{
    lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)reason, strlen(reason));
}

/* ---- peer addresses (service thread) ---- */

/* The key a peer's sessions are counted under: its address, or for IPv6 its
 * /64 (one subscriber's network; its addresses cost an attacker nothing). */
static void peer_key(const char *peer, char *key, size_t size)
{
    struct in6_addr a6;
    if (strchr(peer, ':') && inet_pton(AF_INET6, peer, &a6) == 1 && !IN6_IS_ADDR_V4MAPPED(&a6)) {
        memset(a6.s6_addr + 8, 0, 8);
        char text[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &a6, text, sizeof(text));
        snprintf(key, size, "%s/64", text);
        return;
    }
    snprintf(key, size, "%s", peer);
}

static peer_count **peer_slot(ws_server *srv, const char *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 16777619u;
    peer_count **pp = &srv->peers[h % PEER_BUCKETS];
    while (*pp && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->next;
    return pp;
}

static unsigned peer_sessions(ws_server *srv, const char *key)
{
    peer_count *p = *peer_slot(srv, key);
    return p ? p->n : 0;
}

static void peer_add(ws_server *srv, const char *key, int delta)
{
    peer_count **pp = peer_slot(srv, key);
    if (!*pp) {
        if (delta < 0)
            return;
        *pp = xcalloc(1, sizeof(peer_count));
        snprintf((*pp)->key, sizeof((*pp)->key), "%s", key);
    }
    (*pp)->n += (unsigned)delta;
    if ((*pp)->n == 0) {
        peer_count *gone = *pp;
        *pp = gone->next;
        free(gone);
    }
}

/* ---- sessions (service thread) ---- */

static void arm_close(session *s)
{
    if (!s->timeout_set) {
        lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK,
                        s->close_now ? SLOW_CLOSE_SECS : CLOSE_FLUSH_SECS);
        s->timeout_set = true;
    }
    lws_callback_on_writable(s->wsi);
}

static void login_deadline(lws_sorted_usec_list_t *sul)
{
    session *s = lws_container_of(sul, session, login_sul);
    ws_server *srv = s->srv;
    pthread_mutex_lock(&srv->lock);
    bool late = !s->admitted && !s->closing;
    if (late) {
        char reason[64];
        snprintf(reason, sizeof(reason), "log in within %u s", srv->login_secs);
        request_close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, reason, false);
    }
    pthread_mutex_unlock(&srv->lock);
    if (late)
        arm_close(s);
}

static session *session_open(ws_server *srv, struct lws *wsi, const char *peer)
{
    session *s = xcalloc(1, sizeof(*s));
    s->srv = srv;
    s->wsi = wsi;
    peer_key(peer, s->peer, sizeof(s->peer));
    peer_add(srv, s->peer, 1);
    s->tokens = 2.0 * srv->rate;
    s->tokens_at_us = now_us();
    s->binary_tokens = 2.0 * srv->binary_rate;
    s->binary_tokens_at_us = s->tokens_at_us;
    pthread_mutex_lock(&srv->lock);
    s->id = srv->next_id++;
    insert_session(srv, s);
    srv->unadmitted++;
    pthread_mutex_unlock(&srv->lock);
    lws_sul_schedule(srv->lws, 0, &s->login_sul, login_deadline,
                     (lws_usec_t)srv->login_secs * LWS_US_PER_SEC);
    return s;
}

static void session_closed(ws_server *srv, session *s)
{
    lws_sul_cancel(&s->login_sul);
    peer_add(srv, s->peer, -1);
    pthread_mutex_lock(&srv->lock);
    remove_session(srv, s);
    unmark_pending(srv, s);
    drop_queue(srv, s);
    srv->queued_total -= s->queued; /* what was left of the message being written */
    if (!s->admitted)
        srv->unadmitted--;
    pthread_mutex_unlock(&srv->lock);
    if (srv->on_close)
        srv->on_close(srv->ctx, s->id);
    if (s->writing)
        out_msg_free(s->writing);
    free(s->rx);
    free(s);
}

/* A token bucket: rate per second, bursts of twice that. */
static bool take_from(double *tokens, int64_t *at_us, unsigned rate)
{
    int64_t now = now_us();
    double burst = 2.0 * rate;
    *tokens += (double)(now - *at_us) * rate / 1e6;
    if (*tokens > burst)
        *tokens = burst;
    *at_us = now;
    if (*tokens < 1.0)
        return false;
    *tokens -= 1.0;
    return true;
}

static bool take_token(ws_server *srv, session *s, bool binary)
{
    return binary ? take_from(&s->binary_tokens, &s->binary_tokens_at_us, srv->binary_rate)
                  : take_from(&s->tokens, &s->tokens_at_us, srv->rate);
}

/* Returns -1 when the connection must close (the close reason is set). */
static int on_receive(ws_server *srv, session *s, struct lws *wsi, const char *in, size_t len)
{
    if (!s->in_message) {
        bool binary = lws_frame_is_binary(wsi);
        if (binary && !srv->on_binary) {
            close_with(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "binary frames are not accepted");
            return -1;
        }
        if (!take_token(srv, s, binary)) {
            log_printf(ENSHU_LOG_NOTICE,
                       "enshu: console session %llu sent more than %u %smessages per second; "
                       "closing it.",
                       (unsigned long long)s->id, binary ? srv->binary_rate : srv->rate,
                       binary ? "binary " : "");
            close_with(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too many messages");
            return -1;
        }
        s->in_message = true;
        s->rx_binary = binary;
        s->rx_len = 0;
    }
    if (len > srv->max_message - s->rx_len) {
        close_with(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too big");
        return -1;
    }
    if (s->rx_len + len + 1 > s->rx_cap) {
        size_t cap = s->rx_cap ? s->rx_cap * 2 : 1024;
        while (cap < s->rx_len + len + 1)
            cap *= 2;
        if (cap > srv->max_message + 1)
            cap = srv->max_message + 1;
        s->rx = xrealloc(s->rx, cap);
        s->rx_cap = cap;
    }
    if (len)
        memcpy(s->rx + s->rx_len, in, len);
    s->rx_len += len;
    s->rx[s->rx_len] = '\0';
    if (!lws_is_final_fragment(wsi))
        return 0;
    s->in_message = false;
    if (s->rx_binary)
        srv->on_binary(srv->ctx, s->id, s->rx, s->rx_len);
    else if (srv->on_message)
        srv->on_message(srv->ctx, s->id, s->rx, s->rx_len);
    if (s->rx_cap > RX_KEEP) { /* one large message should not pin memory in an idle session */
        free(s->rx);
        s->rx = NULL;
        s->rx_cap = 0;
    }
    return 0;
}

/* Writes the session's output; -1 closes the connection. Several frames go
 * out in one callback while the socket takes them (lws_send_pipe_choked), so
 * a backlog costs one pass of the event loop instead of one per message; the
 * budget keeps one busy session from holding the thread. Only for h1: the
 * vhost offers no h2. */
static int on_writeable(ws_server *srv, session *s, struct lws *wsi)
{
    size_t budget = WRITE_BUDGET;
    bool drained = false, more = false;
    for (;;) {
        pthread_mutex_lock(&srv->lock);
        if (s->close_now || (s->closing && !s->writing && !s->head)) {
            int code = s->close_code;
            char reason[sizeof(s->close_reason)];
            memcpy(reason, s->close_reason, sizeof(reason));
            pthread_mutex_unlock(&srv->lock);
            close_with(wsi, code, reason);
            return -1;
        }
        if (!s->writing && s->head) {
            s->writing = s->head;
            s->head = s->head->next;
            if (!s->head)
                s->tail = NULL;
        }
        out_msg *m = s->writing;
        pthread_mutex_unlock(&srv->lock);
        if (!m)
            break;

        size_t chunk = m->len - m->sent;
        if (chunk > WRITE_CHUNK)
            chunk = WRITE_CHUNK;
        int flags = lws_write_ws_flags(m->msg->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT,
                                       m->sent == 0, m->sent + chunk == m->len);
        /* Copied behind LWS_PRE bytes lws may write its frame header into:
         * the message itself is shared with other sessions' queues. lws is
         * done with the copy when lws_write returns (what the socket did
         * not take, lws keeps a copy of). */
        memcpy(srv->scratch + LWS_PRE, m->msg->data + m->sent, chunk);
        if (lws_write(wsi, srv->scratch + LWS_PRE, chunk, (enum lws_write_protocol)flags) <
            (int)chunk)
            return -1;
        m->sent += chunk;
        bool done = m->sent == m->len;

        pthread_mutex_lock(&srv->lock);
        s->queued -= chunk;
        srv->queued_total -= chunk;
        if (done)
            s->writing = NULL;
        if (s->above_half && s->queued < srv->queue_limit / 4) {
            s->above_half = false;
            drained = true;
        }
        bool closing = s->closing;
        more = s->writing || s->head || closing;
        pthread_mutex_unlock(&srv->lock);
        if (done)
            out_msg_free(m);
        budget = chunk + 64 < budget ? budget - chunk - 64 : 0;
        if (!more || closing || budget == 0 || lws_send_pipe_choked(wsi))
            break;
    }
    if (more)
        lws_callback_on_writable(wsi);
    if (drained && srv->on_drain)
        srv->on_drain(srv->ctx, s->id);
    return 0;
}

static void stop_grace_over(lws_sorted_usec_list_t *sul)
{
    ws_server *srv = lws_container_of(sul, ws_server, stop_sul);
    srv->give_up = true;
}

/* Woken by lws_cancel_service(): ask for WRITEABLE where other threads queued work. */
static void serve_pending(ws_server *srv)
{
    pthread_mutex_lock(&srv->lock);
    while (srv->pending) {
        session *s = srv->pending;
        unmark_pending(srv, s);
        if (s->closing)
            arm_close(s);
        else
            lws_callback_on_writable(s->wsi);
    }
    bool arm = srv->stopping && !srv->stop_sul_armed;
    pthread_mutex_unlock(&srv->lock);
    if (arm) {
        srv->stop_sul_armed = true;
        lws_sul_schedule(srv->lws, 0, &srv->stop_sul, stop_grace_over, STOP_GRACE_US);
    }
}

static bool path_is_ws(struct lws *wsi)
{
    char uri[64];
    int n = lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
    return n > 0 && strcmp(uri, WS_PATH) == 0;
}

/* ---- who may connect (service thread) ---- */

enum refusal { REFUSED_ORIGIN, REFUSED_HOST, REFUSED_CAP, REFUSED_UPGRADE };

static void log_refusal(ws_server *srv, enum refusal kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* One line per kind every REFUSAL_LOG_US: enough to see a misconfigured
 * proxy or an attack, without letting a flood of refusals fill the log. */
static void log_refusal(ws_server *srv, enum refusal kind, const char *fmt, ...)
{
    int64_t now = now_us();
    if (srv->refusal_logged_us[kind] && now - srv->refusal_logged_us[kind] < REFUSAL_LOG_US)
        return;
    srv->refusal_logged_us[kind] = now;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log_printf(ENSHU_LOG_WARNING,
               "enshu: console connection refused: %s (like refusals within 10 s are not logged).",
               line);
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

/* The host part of a Host header value ("name:port", "[v6]:port", "name"),
 * lower case; false when it is malformed. */
static bool host_of(const char *value, char *host, size_t size)
{
    size_t n;
    if (value[0] == '[') {
        const char *end = strchr(value, ']');
        if (!end || (end[1] != '\0' && end[1] != ':'))
            return false;
        n = (size_t)(end - value - 1);
        value++;
    } else {
        n = strcspn(value, ":");
        if (strchr(value + n + (value[n] ? 1 : 0), ':'))
            return false;
    }
    if (n == 0 || n >= size)
        return false;
    memcpy(host, value, n);
    host[n] = '\0';
    lower(host);
    return true;
}

static bool is_ip_literal(const char *host)
{
    unsigned char a[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, a) == 1 || inet_pton(AF_INET6, host, a) == 1;
}

/* A Host naming a DNS name we were not told of may be a page on that name
 * rebound to our address (DNS rebinding): refused. IP literals and
 * localhost cannot be rebound. */
static bool host_allowed(const ws_server *srv, const char *host)
{
    if (is_ip_literal(host) || strcmp(host, "localhost") == 0)
        return true;
    if (srv->host && strcasecmp(srv->host, host) == 0)
        return true;
    for (size_t i = 0; i < srv->nallow_origins; i++) {
        char h[256];
        const char *rest = strstr(srv->allow_origins[i], "://");
        if (rest && host_of(rest + 3, h, sizeof(h)) && strcmp(h, host) == 0)
            return true;
    }
    return false;
}

/* Reads the Host header and checks it; its value is left in host_value. */
static bool host_header_ok(ws_server *srv, struct lws *wsi, char *host_value, size_t size)
{
    char host[256];
    if (lws_hdr_copy(wsi, host_value, (int)size, WSI_TOKEN_HOST) <= 0)
        host_value[0] = '\0';
    if (!host_of(host_value, host, sizeof(host)) || !host_allowed(srv, host)) {
        char peer[64] = "";
        lws_get_peer_simple(wsi, peer, sizeof(peer));
        log_refusal(srv, REFUSED_HOST, "%s asked for host \"%.200s\", which is not this server",
                    peer, host_value);
        return false;
    }
    return true;
}

/* Browsers send Origin with every websocket upgrade: it must be the page's
 * own origin (scheme of this port, the Host the page came from) or one we
 * were told to allow. Clients that are not browsers send none. */
static bool origin_allowed(const ws_server *srv, struct lws *wsi, const char *host_value)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) == 0)
        return true;
    char origin[300];
    if (lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN) <= 0)
        return false;
    lower(origin);
    size_t n = strlen(origin);
    if (n && origin[n - 1] == '/')
        origin[n - 1] = '\0';
    char own[300];
    snprintf(own, sizeof(own), "%s://%s", srv->cert_path ? "https" : "http", host_value);
    lower(own);
    if (strcmp(origin, own) == 0)
        return true;
    for (size_t i = 0; i < srv->nallow_origins; i++)
        if (strcmp(origin, srv->allow_origins[i]) == 0)
            return true;
    return false;
}

/* Answers a refused request; lws then ends the transaction (1) or, when
 * even the answer cannot be written, the connection (-1). */
static int refuse(struct lws *wsi, unsigned status)
{
    return lws_return_http_status(wsi, status, NULL) ? -1 : 1;
}

/* Before any upgrade: only websocket, only on /ws, only from a page of
 * ours, and only while the caps leave room. */
static int confirm_upgrade(ws_server *srv, struct lws *wsi, const char *upgrade)
{
    char peer[64] = "";
    lws_get_peer_simple(wsi, peer, sizeof(peer));
    if (strcasecmp(upgrade, "websocket") != 0) {
        log_refusal(srv, REFUSED_UPGRADE, "%s asked to upgrade to \"%.60s\"", peer, upgrade);
        return refuse(wsi, HTTP_STATUS_FORBIDDEN);
    }
    if (!path_is_ws(wsi))
        return refuse(wsi, HTTP_STATUS_NOT_FOUND);
    char host_value[256];
    if (!host_header_ok(srv, wsi, host_value, sizeof(host_value)))
        return refuse(wsi, HTTP_STATUS_FORBIDDEN);
    if (!origin_allowed(srv, wsi, host_value)) {
        char origin[256] = "";
        lws_hdr_copy(wsi, origin, sizeof(origin), WSI_TOKEN_ORIGIN);
        log_refusal(srv, REFUSED_ORIGIN,
                    "%s came from a page of origin \"%s\" (allow it with --allow-origin)", peer,
                    origin);
        return refuse(wsi, HTTP_STATUS_FORBIDDEN);
    }
    char key[64];
    peer_key(peer, key, sizeof(key));
    pthread_mutex_lock(&srv->lock);
    size_t open = srv->nsessions, unadmitted = srv->unadmitted;
    bool stopping = srv->stopping;
    pthread_mutex_unlock(&srv->lock);
    const char *full = NULL;
    if (open >= srv->max_sessions)
        full = "the server has its most sessions open";
    else if (unadmitted >= srv->max_unadmitted)
        full = "too many sessions have not logged in yet";
    else if (peer_sessions(srv, key) >= srv->max_per_address)
        full = "its address has its most sessions open";
    if (full)
        log_refusal(srv, REFUSED_CAP, "%s: %s", peer, full);
    if (full || stopping)
        return refuse(wsi, HTTP_STATUS_SERVICE_UNAVAILABLE);
    return 0;
}

/* ---- files (service thread) ---- */

static const char *file_type(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strchr(dot, '/'))
        return NULL;
    for (size_t i = 0; i < sizeof(mimetypes) / sizeof(mimetypes[0]); i++)
        if (strcmp(dot, mimetypes[i].ext) == 0)
            return mimetypes[i].type;
    return NULL;
}

/* Whether uri ("/js/ui.js") is one of the consoles' files: a top-level
 * .html page, or a file of a known type under one of file_dirs; its
 * segments are plain names (no dot first, so no "..", no hidden files). */
static bool file_allowed(const char *uri)
{
    if (uri[0] != '/' || strlen(uri) > 200)
        return false;
    const char *rel = uri + 1;
    for (const char *seg = rel; *seg;) {
        size_t n = strcspn(seg, "/");
        if (n == 0 || seg[0] == '.')
            return false;
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)seg[i]) && !strchr("._-@", seg[i]))
                return false;
        seg += n;
        if (*seg == '/')
            seg++;
    }
    const char *type = file_type(rel);
    if (!type)
        return false;
    if (!strchr(rel, '/'))
        return strncmp(type, "text/html", 9) == 0;
    for (size_t i = 0; i < sizeof(file_dirs) / sizeof(file_dirs[0]); i++)
        if (strncmp(rel, file_dirs[i], strlen(file_dirs[i])) == 0)
            return true;
    return false;
}

/* LWS_CALLBACK_HTTP: one of the consoles' files, or a refusal. Returns as
 * refuse() does, or 0 while a file is being sent. */
static int serve_http(ws_server *srv, struct lws *wsi, const char *uri)
{
    char host_value[256];
    if (!host_header_ok(srv, wsi, host_value, sizeof(host_value)))
        return refuse(wsi, HTTP_STATUS_FORBIDDEN);
    if (!lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) &&
        !lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI)) {
        /* A body may follow that nobody reads: end the connection. */
        lws_return_http_status(wsi, HTTP_STATUS_METHOD_NOT_ALLOWED, NULL);
        return -1;
    }
    if (strcmp(uri, "/") == 0)
        uri = "/index.html";
    struct stat st;
    char path[PATH_MAX];
    if (!srv->static_dir || !file_allowed(uri) ||
        snprintf(path, sizeof(path), "%s%s", srv->static_dir, uri) >= (int)sizeof(path) ||
        stat(path, &st) != 0 || !S_ISREG(st.st_mode))
        return refuse(wsi, HTTP_STATUS_NOT_FOUND);
    /* <0: failed; >0: it answered 404 itself; 0: the file is on its way
     * (HTTP_FILE_COMPLETION ends the transaction). */
    int n = lws_serve_http_file(wsi, path, file_type(uri), NULL, 0);
    return n < 0 ? -1 : n > 0 ? 1 : 0;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    ws_server *srv = lws_context_user(lws_get_context(wsi));
    session_ref *ref = user;

    switch (reason) {
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(srv, wsi, in);

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return path_is_ws(wsi) ? 0 : 1;

    case LWS_CALLBACK_ESTABLISHED: {
        pthread_mutex_lock(&srv->lock);
        bool stopping = srv->stopping;
        pthread_mutex_unlock(&srv->lock);
        if (stopping)
            return -1;
        char peer[64] = "";
        lws_get_peer_simple(wsi, peer, sizeof(peer));
        ref->s = session_open(srv, wsi, peer);
        if (srv->on_open)
            srv->on_open(srv->ctx, ref->s->id, peer);
        return 0;
    }

    case LWS_CALLBACK_RECEIVE:
        return ref->s ? on_receive(srv, ref->s, wsi, in, len) : -1;

    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ref->s ? on_writeable(srv, ref->s, wsi) : 0;

    case LWS_CALLBACK_CLOSED:
        if (ref->s) {
            session *s = ref->s;
            ref->s = NULL; /* nothing of the session is touched after this */
            session_closed(srv, s);
        }
        return 0;

    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        serve_pending(srv);
        return 0;

    case LWS_CALLBACK_HTTP: {
        int n = serve_http(srv, wsi, in);
        return n > 0 ? (lws_http_transaction_completed(wsi) ? -1 : 0) : n;
    }

    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static void *service_main(void *arg)
{
    ws_server *srv = arg;
    for (;;) {
        pthread_mutex_lock(&srv->lock);
        bool done = srv->stopping && (srv->nsessions == 0 || srv->give_up);
        pthread_mutex_unlock(&srv->lock);
        if (done)
            break;
        if (lws_service(srv->lws, 0) < 0) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: the console server's event loop failed; it serves no more.");
            /* Other threads may still wake the context: keep it until ws_server_free. */
            pthread_mutex_lock(&srv->lock);
            while (!srv->stopping)
                pthread_cond_wait(&srv->stop_cond, &srv->lock);
            pthread_mutex_unlock(&srv->lock);
            break;
        }
    }
    /* Closes what is left; their CLOSED callbacks (on_close) run here. */
    lws_context_destroy(srv->lws);
    return NULL;
}

/* ---- public ---- */

static int parse_listen(const char *listen, char **host, int *port)
{
    const char *colon = strrchr(listen, ':');
    char *end;
    long p = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535) {
        log_printf(ENSHU_LOG_ERROR, "enshu: the console listen address \"%s\" is not host:port.",
                   listen);
        return ENSHU_EINVAL;
    }
    const char *h = listen;
    size_t n = (size_t)(colon - listen);
    if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
        h++;
        n -= 2;
    }
    *host = n ? xstrndup(h, n) : NULL;
    *port = (int)p;
    return ENSHU_OK;
}

/* What ws_server_start allocates before the context (config, scratch). */
static void free_config(ws_server *srv)
{
    for (size_t i = 0; i < srv->nallow_origins; i++)
        free(srv->allow_origins[i]);
    free(srv->allow_origins);
    free(srv->scratch);
    free(srv->host);
    free(srv->static_dir);
    free(srv->cert_path);
    free(srv->key_path);
}

int ws_server_start(const ws_server_config *cfg, ws_server **out)
{
    *out = NULL;
    if (!cfg->cert_path != !cfg->key_path) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: the console server needs both a certificate and a key for TLS, "
                   "or neither.");
        return ENSHU_EINVAL;
    }
    ws_server *srv = xcalloc(1, sizeof(*srv));
    int port;
    if (parse_listen(cfg->listen ? cfg->listen : DEFAULT_LISTEN, &srv->host, &port) < 0) {
        free(srv);
        return ENSHU_EINVAL;
    }
    srv->scratch = xmalloc(LWS_PRE + WRITE_CHUNK);
    if (cfg->static_dir) {
        srv->static_dir = realpath(cfg->static_dir, NULL);
        if (!srv->static_dir) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: the console's static directory %s cannot be opened: %m.",
                       cfg->static_dir);
            free_config(srv);
            free(srv);
            return ENSHU_EIO;
        }
    }
    srv->cert_path = cfg->cert_path ? xstrdup(cfg->cert_path) : NULL;
    srv->key_path = cfg->key_path ? xstrdup(cfg->key_path) : NULL;
    srv->max_message = cfg->max_message ? cfg->max_message : DEFAULT_MAX_MESSAGE;
    srv->queue_limit = cfg->queue_limit ? cfg->queue_limit : DEFAULT_QUEUE_LIMIT;
    srv->rate = cfg->max_messages_per_sec ? cfg->max_messages_per_sec : DEFAULT_RATE;
    srv->binary_rate = cfg->max_binary_per_sec ? cfg->max_binary_per_sec : DEFAULT_BINARY_RATE;
    srv->max_sessions = cfg->max_sessions ? cfg->max_sessions : DEFAULT_MAX_SESSIONS;
    srv->max_per_address =
        cfg->max_sessions_per_address ? cfg->max_sessions_per_address : DEFAULT_MAX_PER_ADDRESS;
    srv->max_unadmitted = cfg->max_unadmitted ? cfg->max_unadmitted : DEFAULT_MAX_UNADMITTED;
    srv->login_secs = cfg->login_secs ? cfg->login_secs : DEFAULT_LOGIN_SECS;
    srv->max_queued_total =
        cfg->max_queued_total ? cfg->max_queued_total : DEFAULT_MAX_QUEUED_TOTAL;
    size_t norigins = 0;
    for (const char *const *o = cfg->allow_origins; o && *o; o++)
        norigins++;
    srv->nallow_origins = norigins;
    srv->allow_origins = xcalloc(norigins + 1, sizeof(char *));
    for (size_t i = 0; i < norigins; i++) {
        char *o = xstrdup(cfg->allow_origins[i]);
        lower(o);
        size_t n = strlen(o);
        if (n && o[n - 1] == '/')
            o[n - 1] = '\0';
        srv->allow_origins[i] = o;
    }
    srv->on_open = cfg->on_open;
    srv->on_message = cfg->on_message;
    srv->on_binary = cfg->on_binary;
    srv->on_close = cfg->on_close;
    srv->on_drain = cfg->on_drain;
    srv->ctx = cfg->ctx;
    srv->next_id = 1;
    srv->nbuckets = 64;
    srv->table = xcalloc(srv->nbuckets, sizeof(session *));
    pthread_mutex_init(&srv->lock, NULL);
    pthread_cond_init(&srv->stop_cond, NULL);

    unsigned ping = cfg->ping_secs ? cfg->ping_secs : DEFAULT_PING_SECS;
    unsigned hangup = cfg->hangup_secs ? cfg->hangup_secs : DEFAULT_HANGUP_SECS;
    srv->retry.secs_since_valid_ping = (uint16_t)(ping > UINT16_MAX ? UINT16_MAX : ping);
    srv->retry.secs_since_valid_hangup = (uint16_t)(hangup > UINT16_MAX ? UINT16_MAX : hangup);

    srv->protocols[0] = (struct lws_protocols){
        .name = WS_SUBPROTOCOL,
        .callback = ws_callback,
        .per_session_data_size = sizeof(session_ref),
        .rx_buffer_size = 0,
    };

    /* Added by lws to every HTTP response it writes: files, refusals, its own errors. */
    static const char *const headers[][2] = {
        {"content-security-policy:", WS_SERVER_CSP},
        {"x-content-type-options:", "nosniff"},
        {"referrer-policy:", "no-referrer"},
        {"x-frame-options:", "DENY"},
    };
    for (size_t i = 0; i < 4; i++)
        srv->headers[i] = (struct lws_protocol_vhost_options){
            .next = i + 1 < 4 ? &srv->headers[i + 1] : NULL,
            .name = headers[i][0],
            .value = headers[i][1],
        };

    lws_set_log_level(LLL_ERR | LLL_WARN, log_line);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (srv->cert_path)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    if (srv->host && strchr(srv->host, ':') == NULL)
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    info.user = srv;
    info.port = port;
    info.iface = srv->host;
    info.protocols = srv->protocols;
    info.headers = &srv->headers[0];
    info.retry_and_idle_policy = &srv->retry;
    info.ssl_cert_filepath = srv->cert_path;
    info.ssl_private_key_filepath = srv->key_path;
    info.alpn = "http/1.1";
    info.vhost_name = "enshu";

    int rc = ENSHU_OK;
    srv->lws = lws_create_context(&info);
    if (!srv->lws) {
        log_printf(ENSHU_LOG_ERROR, "enshu: the console server could not start libwebsockets.");
        rc = ENSHU_EIO;
        goto fail;
    }
    srv->vhost = lws_create_vhost(srv->lws, &info);
    if (!srv->vhost) {
        log_printf(ENSHU_LOG_ERROR, "enshu: the console server cannot listen on %s%s.",
                   cfg->listen ? cfg->listen : DEFAULT_LISTEN,
                   srv->cert_path ? " (or its certificate or key cannot be loaded)" : "");
        rc = ENSHU_EIO;
        goto fail;
    }
    srv->port = lws_get_vhost_listen_port(srv->vhost);
    if (pthread_create(&srv->thread, NULL, service_main, srv) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: the console server's thread could not start.");
        rc = ENSHU_EIO;
        goto fail;
    }
    *out = srv;
    return ENSHU_OK;

fail:
    if (srv->lws)
        lws_context_destroy(srv->lws);
    pthread_mutex_destroy(&srv->lock);
    pthread_cond_destroy(&srv->stop_cond);
    free(srv->table);
    free_config(srv);
    free(srv);
    return rc;
}

int ws_server_port(const ws_server *srv)
{
    return srv->port;
}

ws_message *ws_message_new(const void *data, size_t len, bool binary)
{
    ws_message *m = xmalloc(sizeof(*m) + len + 1);
    atomic_init(&m->refs, 1);
    m->len = len;
    m->binary = binary;
    if (len)
        memcpy(m->data, data, len);
    m->data[len] = '\0';
    return m;
}

void ws_message_unref(ws_message *m)
{
    if (m && atomic_fetch_sub(&m->refs, 1) == 1)
        free(m);
}

/* A message alone larger than the queue bound can never be sent (reported). */
static bool too_large(const ws_server *srv, size_t len)
{
    if (len <= srv->queue_limit)
        return false;
    log_printf(ENSHU_LOG_ERROR,
               "enshu: a console message of %zu bytes is larger than the session queue bound of "
               "%zu bytes.",
               len, srv->queue_limit);
    return true;
}

int ws_server_send(ws_server *srv, uint64_t session_id, const void *data, size_t len, bool binary)
{
    if (too_large(srv, len))
        return ENSHU_EINVAL; /* before its bytes are read or copied */
    ws_message *msg = ws_message_new(data, len, binary);
    int rc = ws_server_send_message(srv, session_id, msg);
    /* The queue took a reference of its own: this one is still ours. The
     * analyzer does not count atomic references, so it sees a free here. */
    ws_message_unref(msg); /* NOLINT(clang-analyzer-unix.Malloc) */
    return rc;
}

int ws_server_send_message(ws_server *srv, uint64_t session_id, ws_message *msg)
{
    size_t len = msg->len;
    if (too_large(srv, len))
        return ENSHU_EINVAL;
    out_msg *m = xmalloc(sizeof(*m));
    m->next = NULL;
    m->msg = msg;
    m->len = len;
    m->sent = 0;
    atomic_fetch_add(&msg->refs, 1);

    bool wake = false, too_slow = false;
    int rc = ENSHU_OK;
    pthread_mutex_lock(&srv->lock);
    session *s = find_session(srv, session_id);
    if (!s || s->closing) {
        rc = ENSHU_ENOTFOUND;
    } else if (s->queued + len > srv->queue_limit ||
               srv->queued_total + len > srv->max_queued_total) {
        drop_queue(srv, s);
        request_close(s, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too slow: reconnect to resume", true);
        wake = mark_pending(srv, s);
        too_slow = true;
        rc = ENSHU_ENOTFOUND;
    } else {
        if (s->tail)
            s->tail->next = m;
        else
            s->head = m;
        s->tail = m;
        s->queued += len;
        srv->queued_total += len;
        if (s->queued > srv->queue_limit / 2)
            s->above_half = true;
        m = NULL;
        wake = mark_pending(srv, s);
    }
    pthread_mutex_unlock(&srv->lock);
    if (m)
        out_msg_free(m);
    if (too_slow)
        log_printf(ENSHU_LOG_NOTICE,
                   "enshu: console session %llu reads too slowly (more than %zu bytes waiting, "
                   "or all sessions' %zu); closing it.",
                   (unsigned long long)session_id, srv->queue_limit, srv->max_queued_total);
    if (wake)
        lws_cancel_service(srv->lws);
    return rc;
}

size_t ws_server_queued(ws_server *srv, uint64_t session_id)
{
    pthread_mutex_lock(&srv->lock);
    session *s = find_session(srv, session_id);
    size_t n = s ? s->queued : 0;
    pthread_mutex_unlock(&srv->lock);
    return n;
}

void ws_server_admit(ws_server *srv, uint64_t session_id)
{
    pthread_mutex_lock(&srv->lock);
    session *s = find_session(srv, session_id);
    if (s && !s->admitted) {
        s->admitted = true;
        srv->unadmitted--;
    }
    pthread_mutex_unlock(&srv->lock);
}

void ws_server_close(ws_server *srv, uint64_t session_id, int code, const char *reason)
{
    /* RFC 6455 7.4: 1004-1006 and 1015 are never sent, 1016-2999 are unassigned. */
    if (!((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
          (code >= 3000 && code <= 4999)))
        code = LWS_CLOSE_STATUS_NORMAL;
    bool wake = false;
    pthread_mutex_lock(&srv->lock);
    session *s = find_session(srv, session_id);
    if (s && !s->closing) {
        request_close(s, code, reason, false);
        wake = mark_pending(srv, s);
    }
    pthread_mutex_unlock(&srv->lock);
    if (wake)
        lws_cancel_service(srv->lws);
}

void ws_server_free(ws_server *srv)
{
    if (!srv)
        return;
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    for (size_t i = 0; i < srv->nbuckets; i++) {
        for (session *s = srv->table[i]; s; s = s->hnext) {
            if (!s->closing)
                request_close(s, LWS_CLOSE_STATUS_GOINGAWAY, "server is stopping", true);
            mark_pending(srv, s);
        }
    }
    /* Under the lock: the service thread sees stopping only after this
     * returns, so the context it then destroys is no longer in use here. */
    lws_cancel_service(srv->lws);
    pthread_cond_signal(&srv->stop_cond);
    pthread_mutex_unlock(&srv->lock);
    pthread_join(srv->thread, NULL);
    for (size_t i = 0; i < PEER_BUCKETS; i++) {
        peer_count *next;
        for (peer_count *p = srv->peers[i]; p; p = next) {
            next = p->next;
            free(p);
        }
    }
    pthread_mutex_destroy(&srv->lock);
    pthread_cond_destroy(&srv->stop_cond);
    free(srv->table);
    free_config(srv);
    free(srv);
}
