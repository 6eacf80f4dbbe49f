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
 */
#include "ws_server.h"
#include "alloc.h"
#include "errors.h"

#include <libwebsockets.h>

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WS_SUBPROTOCOL "enshu.v1"
#define WS_PATH "/ws"
#define DEFAULT_LISTEN "127.0.0.1:8080"
#define DEFAULT_MAX_MESSAGE ((size_t)64 * 1024)
#define DEFAULT_QUEUE_LIMIT ((size_t)4 * 1024 * 1024)
#define DEFAULT_RATE 50
#define DEFAULT_PING_SECS 20
#define DEFAULT_HANGUP_SECS 40
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

typedef struct session {
    uint64_t id;
    struct lws *wsi;               /* service thread only */
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
    int close_code;
    char close_reason[124];

    /* Service thread only. */
    bool timeout_set;
    char *rx;
    size_t rx_len, rx_cap;
    bool in_message;
    double tokens;
    int64_t tokens_at_us;
} session;

typedef struct session_ref {
    session *s;
} session_ref;

struct ws_server {
    /* Configuration, fixed after start. */
    char *host;
    char *static_dir;
    char *cert_path, *key_path;
    size_t max_message, queue_limit;
    unsigned rate;
    void (*on_open)(void *, uint64_t, const char *);
    void (*on_message)(void *, uint64_t, const char *, size_t);
    void (*on_close)(void *, uint64_t);
    void (*on_drain)(void *, uint64_t);
    void *ctx;

    struct lws_context *lws;
    struct lws_vhost *vhost;
    unsigned char *scratch; /* LWS_PRE + WRITE_CHUNK: the frame being written (service thread) */
    int port;
    pthread_t thread;

    struct lws_protocols protocols[2];
    struct lws_http_mount mount;
    struct lws_protocol_vhost_options mimetypes[12];
    lws_retry_bo_t retry;
    lws_sorted_usec_list_t stop_sul;
    bool stop_sul_armed; /* service thread */
    bool give_up;        /* service thread */

    pthread_mutex_t lock;
    pthread_cond_t stop_cond; /* signalled when stopping is set */
    session **table;          /* by id & (nbuckets - 1) */
    size_t nbuckets, nsessions;
    session *pending;
    uint64_t next_id;
    bool stopping;
};

static const struct {
    const char *ext, *type;
} mimetypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".json", "application/json"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".wasm", "application/wasm"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".map", "application/json"},
};

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void log_line(int level, const char *line)
{
    size_t n = strlen(line);
    fprintf(stderr, "enshu: libwebsockets: %s%s", line, n && line[n - 1] == '\n' ? "" : "\n");
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
static void drop_queue(session *s)
{
    out_msg *next;
    for (out_msg *m = s->head; m; m = next) {
        next = m->next;
        s->queued -= m->len;
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

static session *session_open(ws_server *srv, struct lws *wsi)
{
    session *s = xcalloc(1, sizeof(*s));
    s->wsi = wsi;
    s->tokens = 2.0 * srv->rate;
    s->tokens_at_us = now_us();
    pthread_mutex_lock(&srv->lock);
    s->id = srv->next_id++;
    insert_session(srv, s);
    pthread_mutex_unlock(&srv->lock);
    return s;
}

static void session_closed(ws_server *srv, session *s)
{
    pthread_mutex_lock(&srv->lock);
    remove_session(srv, s);
    unmark_pending(srv, s);
    drop_queue(s);
    pthread_mutex_unlock(&srv->lock);
    if (srv->on_close)
        srv->on_close(srv->ctx, s->id);
    if (s->writing)
        out_msg_free(s->writing);
    free(s->rx);
    free(s);
}

/* A token bucket: rate per second, bursts of twice that. */
static bool take_token(ws_server *srv, session *s)
{
    int64_t now = now_us();
    double burst = 2.0 * srv->rate;
    s->tokens += (double)(now - s->tokens_at_us) * srv->rate / 1e6;
    if (s->tokens > burst)
        s->tokens = burst;
    s->tokens_at_us = now;
    if (s->tokens < 1.0)
        return false;
    s->tokens -= 1.0;
    return true;
}

/* Returns -1 when the connection must close (the close reason is set). */
static int on_receive(ws_server *srv, session *s, struct lws *wsi, const char *in, size_t len)
{
    if (lws_frame_is_binary(wsi)) {
        close_with(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE, "binary frames are not accepted");
        return -1;
    }
    if (!s->in_message) {
        if (!take_token(srv, s)) {
            fprintf(stderr,
                    "enshu: console session %llu sent more than %u messages per second; "
                    "closing it.\n",
                    (unsigned long long)s->id, srv->rate);
            close_with(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, "too many messages");
            return -1;
        }
        s->in_message = true;
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
    if (srv->on_message)
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
        if (s->closing && !s->timeout_set) {
            lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK,
                            s->close_now ? SLOW_CLOSE_SECS : CLOSE_FLUSH_SECS);
            s->timeout_set = true;
        }
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

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                       size_t len)
{
    ws_server *srv = lws_context_user(lws_get_context(wsi));
    session_ref *ref = user;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return path_is_ws(wsi) ? 0 : 1;

    case LWS_CALLBACK_ESTABLISHED: {
        pthread_mutex_lock(&srv->lock);
        bool stopping = srv->stopping;
        pthread_mutex_unlock(&srv->lock);
        if (stopping)
            return -1;
        ref->s = session_open(srv, wsi);
        char peer[64] = "";
        lws_get_peer_simple(wsi, peer, sizeof(peer));
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

    case LWS_CALLBACK_HTTP:
        /* Only reached when no mount serves the URL. */
        if (lws_return_http_status(wsi, HTTP_STATUS_NOT_FOUND, NULL))
            return -1;
        return lws_http_transaction_completed(wsi);

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
            fprintf(stderr, "enshu: the console server's event loop failed; it serves no more.\n");
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
        fprintf(stderr, "enshu: the console listen address \"%s\" is not host:port.\n", listen);
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
        fprintf(stderr, "enshu: the console server needs both a certificate and a key for TLS, "
                        "or neither.\n");
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
            fprintf(stderr, "enshu: the console's static directory %s cannot be opened: %m.\n",
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
    srv->on_open = cfg->on_open;
    srv->on_message = cfg->on_message;
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

    size_t nmime = sizeof(mimetypes) / sizeof(mimetypes[0]);
    for (size_t i = 0; i < nmime; i++) {
        srv->mimetypes[i] = (struct lws_protocol_vhost_options){
            .next = i + 1 < nmime ? &srv->mimetypes[i + 1] : NULL,
            .name = mimetypes[i].ext,
            .value = mimetypes[i].type,
        };
    }
    srv->mount = (struct lws_http_mount){
        .mountpoint = "/",
        .mountpoint_len = 1,
        .origin = srv->static_dir,
        .def = "index.html",
        .origin_protocol = LWSMPRO_FILE,
        .extra_mimetypes = &srv->mimetypes[0],
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
    info.mounts = srv->static_dir ? &srv->mount : NULL;
    info.retry_and_idle_policy = &srv->retry;
    info.ssl_cert_filepath = srv->cert_path;
    info.ssl_private_key_filepath = srv->key_path;
    info.alpn = "http/1.1";
    info.vhost_name = "enshu";

    int rc = ENSHU_OK;
    srv->lws = lws_create_context(&info);
    if (!srv->lws) {
        fprintf(stderr, "enshu: the console server could not start libwebsockets.\n");
        rc = ENSHU_EIO;
        goto fail;
    }
    srv->vhost = lws_create_vhost(srv->lws, &info);
    if (!srv->vhost) {
        fprintf(stderr, "enshu: the console server cannot listen on %s%s.\n",
                cfg->listen ? cfg->listen : DEFAULT_LISTEN,
                srv->cert_path ? " (or its certificate or key cannot be loaded)" : "");
        rc = ENSHU_EIO;
        goto fail;
    }
    srv->port = lws_get_vhost_listen_port(srv->vhost);
    if (pthread_create(&srv->thread, NULL, service_main, srv) != 0) {
        fprintf(stderr, "enshu: the console server's thread could not start.\n");
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
    fprintf(stderr,
            "enshu: a console message of %zu bytes is larger than the session queue bound of "
            "%zu bytes.\n",
            len, srv->queue_limit);
    return true;
}

int ws_server_send(ws_server *srv, uint64_t session_id, const void *data, size_t len, bool binary)
{
    if (too_large(srv, len))
        return ENSHU_EINVAL; /* before its bytes are read or copied */
    ws_message *msg = ws_message_new(data, len, binary);
    int rc = ws_server_send_message(srv, session_id, msg);
    ws_message_unref(msg);
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
    } else if (s->queued + len > srv->queue_limit) {
        drop_queue(s);
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
        if (s->queued > srv->queue_limit / 2)
            s->above_half = true;
        m = NULL;
        wake = mark_pending(srv, s);
    }
    pthread_mutex_unlock(&srv->lock);
    if (m)
        out_msg_free(m);
    if (too_slow)
        fprintf(stderr,
                "enshu: console session %llu reads too slowly (more than %zu bytes "
                "waiting); closing it.\n",
                (unsigned long long)session_id, srv->queue_limit);
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
    pthread_mutex_destroy(&srv->lock);
    pthread_cond_destroy(&srv->stop_cond);
    free(srv->table);
    free_config(srv);
    free(srv);
}
