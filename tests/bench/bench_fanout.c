/*
 * Benchmark: console fan-out. 2,000 websocket clients (libwebsockets client
 * contexts in threads of this process) connect to ws_server; 200 small JSON
 * messages (~200 bytes, each carrying its send time), spaced 20 ms, are sent
 * to every session through ws_server_send. Each client records how late each
 * message arrives. The same clients and load then run against the simplest
 * correct libwebsockets broadcaster (one shared list of messages, each
 * connection writing the next one it has not sent, woken by
 * lws_callback_on_writable_all_protocol). Prints p50/p99/max for both, the
 * ratio, and the peak RSS of each run. Targets: p99 <= 50 ms and <= 1.5x the
 * baseline. Everything on 127.0.0.1. With ROUNDS > 1 the two alternate and
 * the medians are compared (the machine is shared: load drifts).
 *
 *     bench_fanout [CLIENTS [MESSAGES [CONTEXTS [ROUNDS]]]]
 */
#include "alloc.h"
#include "errors.h"
#include "ws_server.h"

#include <libwebsockets.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define SPACING_MS 20
#define MSG_BYTES 200

static int nclients = 2000, nmessages = 200, ncontexts = 2;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- the clients ---- */

typedef struct client_thread {
    int index, nclients, port;
    struct lws_context *lws;
    pthread_t thread;
    int started, settled; /* connects begun; established or failed */
    float *latency_ms;    /* nclients * nmessages */
    size_t nlatency;
    long out_of_order;
} client_thread;

typedef struct client_conn {
    int next_seq;
} client_conn;

static atomic_int established, connect_errors, closed_clients;
static atomic_long delivered;
static atomic_bool clients_stop;

static int client_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    client_thread *t = lws_context_user(lws_get_context(wsi));
    client_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        t->settled++;
        atomic_fetch_add(&established, 1);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        t->settled++;
        atomic_fetch_add(&connect_errors, 1);
        break;
    case LWS_CALLBACK_CLIENT_CLOSED:
        atomic_fetch_add(&closed_clients, 1);
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        int64_t now = now_us();
        /* Messages are whole in one frame: {"t":US,"seq":N,...} */
        const char *p = in;
        if (len < 8 || strncmp(p, "{\"t\":", 5) != 0)
            break;
        char *end;
        long long t0 = strtoll(p + 5, &end, 10);
        int seq = strncmp(end, ",\"seq\":", 7) == 0 ? atoi(end + 7) : -1;
        if (seq != c->next_seq)
            t->out_of_order++;
        c->next_seq = seq + 1;
        if (t->nlatency < (size_t)t->nclients * (size_t)nmessages)
            t->latency_ms[t->nlatency++] = (float)(now - t0) / 1000.0f;
        atomic_fetch_add(&delivered, 1);
        break;
    }
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols client_protocols[] = {
    {"enshu.v1", client_callback, sizeof(client_conn), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *client_main(void *arg)
{
    client_thread *t = arg;
    while (!atomic_load(&clients_stop)) {
        /* Connect in small batches so the listener's backlog never overflows. */
        int in_flight = t->started - t->settled;
        for (int i = 0; i < 50 && t->started < t->nclients && in_flight < 200; i++, in_flight++) {
            struct lws_client_connect_info ci;
            memset(&ci, 0, sizeof(ci));
            ci.context = t->lws;
            ci.address = "127.0.0.1";
            ci.port = t->port;
            ci.path = "/ws";
            ci.host = "127.0.0.1";
            ci.origin = "127.0.0.1";
            ci.protocol = "enshu.v1";
            ci.local_protocol_name = "enshu.v1";
            if (!lws_client_connect_via_info(&ci)) {
                t->settled++;
                atomic_fetch_add(&connect_errors, 1);
            }
            t->started++;
        }
        lws_service(t->lws, 0);
    }
    lws_context_destroy(t->lws);
    return NULL;
}

static void start_clients(client_thread *threads, int port)
{
    atomic_store(&established, 0);
    atomic_store(&connect_errors, 0);
    atomic_store(&closed_clients, 0);
    atomic_store(&delivered, 0);
    atomic_store(&clients_stop, false);
    for (int i = 0; i < ncontexts; i++) {
        client_thread *t = &threads[i];
        memset(t, 0, sizeof(*t));
        t->index = i;
        t->port = port;
        t->nclients = nclients / ncontexts + (i < nclients % ncontexts);
        t->latency_ms = xcalloc((size_t)t->nclients * (size_t)nmessages, sizeof(float));
        struct lws_context_creation_info info;
        memset(&info, 0, sizeof(info));
        info.port = CONTEXT_PORT_NO_LISTEN;
        info.protocols = client_protocols;
        info.user = t;
        t->lws = lws_create_context(&info);
        if (!t->lws) {
            fprintf(stderr, "bench_fanout: a client context could not be created.\n");
            exit(1);
        }
        pthread_create(&t->thread, NULL, client_main, t);
    }
}

static void stop_clients(client_thread *threads)
{
    atomic_store(&clients_stop, true);
    for (int i = 0; i < ncontexts; i++)
        lws_cancel_service(threads[i].lws);
    for (int i = 0; i < ncontexts; i++)
        pthread_join(threads[i].thread, NULL);
}

static bool wait_for(atomic_int *counter, int n, int timeout_ms)
{
    int64_t deadline = now_us() + (int64_t)timeout_ms * 1000;
    while (atomic_load(counter) < n && now_us() < deadline) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    return atomic_load(counter) >= n;
}

/* ---- the two servers under test ---- */

static int make_message(char *buf, int seq)
{
    int n = snprintf(buf, MSG_BYTES + 64,
                     "{\"t\":%" PRId64 ",\"seq\":%d,\"type\":\"event\",\"pad\":\"", now_us(), seq);
    while (n < MSG_BYTES - 2)
        buf[n++] = 'x';
    buf[n++] = '"';
    buf[n++] = '}';
    buf[n] = '\0';
    return n;
}

static void sleep_until_us(int64_t at)
{
    int64_t d = at - now_us();
    if (d > 0) {
        struct timespec ts = {d / 1000000, (d % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ours */
static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *sessions;
static atomic_int nsessions;

static void ours_open(void *ctx, uint64_t session, const char *peer)
{
    pthread_mutex_lock(&sessions_lock);
    int i = atomic_load(&nsessions);
    if (i < nclients) {
        sessions[i] = session;
        atomic_store(&nsessions, i + 1);
    }
    pthread_mutex_unlock(&sessions_lock);
}

static long send_failures;

static void broadcast_ours(void *srv)
{
    char msg[MSG_BYTES + 64];
    int n_sessions = atomic_load(&nsessions);
    int64_t start = now_us();
    for (int i = 0; i < nmessages; i++) {
        sleep_until_us(start + (int64_t)i * SPACING_MS * 1000);
        int len = make_message(msg, i);
        for (int k = 0; k < n_sessions; k++)
            if (ws_server_send(srv, sessions[k], msg, (size_t)len, false) != 0)
                send_failures++;
    }
}

/* The baseline: the simplest correct lws broadcaster. */
typedef struct base_conn {
    int next;
} base_conn;

static pthread_mutex_t base_lock = PTHREAD_MUTEX_INITIALIZER;
static char (*base_msgs)[MSG_BYTES + 64];
static int *base_lens;
static int base_count;
static atomic_bool base_stop;
static atomic_int base_open;

static int base_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    base_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        c->next = 0;
        atomic_fetch_add(&base_open, 1);
        break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        lws_callback_on_writable_all_protocol(lws_get_context(wsi), lws_get_protocol(wsi));
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        pthread_mutex_lock(&base_lock);
        int count = base_count;
        pthread_mutex_unlock(&base_lock);
        if (c->next >= count)
            break;
        unsigned char buf[LWS_PRE + MSG_BYTES + 64];
        int n = base_lens[c->next];
        memcpy(buf + LWS_PRE, base_msgs[c->next], (size_t)n);
        if (lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_TEXT) < n)
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

static const struct lws_protocols base_protocols[] = {
    {"enshu.v1", base_callback, sizeof(base_conn), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *base_main(void *arg)
{
    struct lws_context *lws = arg;
    while (!atomic_load(&base_stop))
        if (lws_service(lws, 0) < 0)
            break;
    return NULL;
}

static void broadcast_base(void *lws)
{
    int64_t start = now_us();
    for (int i = 0; i < nmessages; i++) {
        sleep_until_us(start + (int64_t)i * SPACING_MS * 1000);
        pthread_mutex_lock(&base_lock);
        base_lens[i] = make_message(base_msgs[i], i);
        base_count = i + 1;
        pthread_mutex_unlock(&base_lock);
        lws_cancel_service(lws);
    }
}

/* ---- measuring ---- */

typedef struct result {
    double p50, p99, max;
    long delivered, expected, out_of_order;
    long rss_kb;
    double connect_s;
} result;

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static void reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static result run(const char *name, int port, void (*broadcast)(void *), void *target,
                  atomic_int *server_open)
{
    client_thread *threads = xcalloc((size_t)ncontexts, sizeof(*threads));
    int64_t t0 = now_us();
    start_clients(threads, port);
    if (!wait_for(&established, nclients, 120000) || !wait_for(server_open, nclients, 10000)) {
        fprintf(stderr, "bench_fanout: %s: only %d of %d clients connected (%d errors).\n", name,
                atomic_load(&established), nclients, atomic_load(&connect_errors));
        exit(1);
    }
    result r = {.connect_s = (double)(now_us() - t0) / 1e6};
    broadcast(target);
    /* every message delivered, or 30 s after the last send */
    long expected = (long)nclients * nmessages;
    int64_t deadline = now_us() + 30 * 1000000LL;
    while (atomic_load(&delivered) < expected && now_us() < deadline) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    r.rss_kb = peak_rss_kb();
    stop_clients(threads);

    size_t total = 0;
    for (int i = 0; i < ncontexts; i++)
        total += threads[i].nlatency;
    float *all = xmalloc((total + 1) * sizeof(float));
    size_t k = 0;
    for (int i = 0; i < ncontexts; i++) {
        memcpy(all + k, threads[i].latency_ms, threads[i].nlatency * sizeof(float));
        k += threads[i].nlatency;
        r.out_of_order += threads[i].out_of_order;
        free(threads[i].latency_ms);
    }
    qsort(all, total, sizeof(float), cmp_float);
    if (total) {
        r.p50 = all[total / 2];
        r.p99 = all[(size_t)((double)(total - 1) * 0.99)];
        r.max = all[total - 1];
    }
    r.delivered = (long)total;
    r.expected = expected;
    free(all);
    free(threads);
    printf("%-9s connected %d clients in %.1f s; delivered %ld/%ld, out of order %ld; latency "
           "p50 %.2f ms, p99 %.2f ms, max %.2f ms; peak RSS %ld MiB\n",
           name, nclients, r.connect_s, r.delivered, r.expected, r.out_of_order, r.p50, r.p99,
           r.max, r.rss_kb / 1024);
    fflush(stdout);
    return r;
}

static result run_ours(void)
{
    sessions = xcalloc((size_t)nclients, sizeof(*sessions));
    atomic_store(&nsessions, 0);
    send_failures = 0;
    ws_server_config cfg = {.listen = "127.0.0.1:0", .on_open = ours_open};
    ws_server *srv;
    if (ws_server_start(&cfg, &srv) != 0)
        exit(1);
    reset_peak_rss();
    result r = run("ws_server", ws_server_port(srv), broadcast_ours, srv, &nsessions);
    if (send_failures)
        printf("ws_server: %ld sends failed\n", send_failures);
    ws_server_free(srv);
    free(sessions);
    return r;
}

static result run_baseline(void)
{
    base_msgs = xcalloc((size_t)nmessages, sizeof(*base_msgs));
    base_lens = xcalloc((size_t)nmessages, sizeof(*base_lens));
    base_count = 0;
    atomic_store(&base_open, 0);
    atomic_store(&base_stop, false);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = 0;
    info.iface = "127.0.0.1";
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.protocols = base_protocols;
    struct lws_context *lws = lws_create_context(&info);
    if (!lws)
        exit(1);
    int port = lws_get_vhost_listen_port(lws_get_vhost_by_name(lws, "default"));
    pthread_t bt;
    pthread_create(&bt, NULL, base_main, lws);
    reset_peak_rss();
    result r = run("baseline", port, broadcast_base, lws, &base_open);
    atomic_store(&base_stop, true);
    lws_cancel_service(lws);
    pthread_join(bt, NULL);
    lws_context_destroy(lws);
    free(base_msgs);
    free(base_lens);
    return r;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    int rounds = 1;
    if (argc > 1)
        nclients = atoi(argv[1]);
    if (argc > 2)
        nmessages = atoi(argv[2]);
    if (argc > 3)
        ncontexts = atoi(argv[3]);
    if (argc > 4)
        rounds = atoi(argv[4]);
    if (nclients < 1 || nmessages < 1 || ncontexts < 1 || ncontexts > 4 || rounds < 1 ||
        rounds > 20) {
        fprintf(stderr, "usage: bench_fanout [CLIENTS [MESSAGES [CONTEXTS (1-4) [ROUNDS]]]]\n");
        return 2;
    }
    /* Two descriptors per client (both ends live in this process), and margin. */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t need = (rlim_t)nclients * 2 + 256;
    if (rl.rlim_cur < need) {
        rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need) {
            fprintf(stderr, "bench_fanout: needs %lu open files; the limit is %lu.\n",
                    (unsigned long)need, (unsigned long)rl.rlim_cur);
            return 1;
        }
    }
    lws_set_log_level(LLL_ERR, NULL);
    printf("fan-out: %d clients in %d client contexts, %d messages of %d bytes every %d ms, to "
           "every client; %d round(s), the two servers alternating\n",
           nclients, ncontexts, nmessages, MSG_BYTES, SPACING_MS, rounds);

    double o50[20], o99[20], omax[20], b50[20], b99[20], bmax[20];
    for (int i = 0; i < rounds; i++) {
        /* alternate which goes first, so drifting load on the machine hits both alike */
        result o, b;
        if (i % 2 == 0) {
            o = run_ours();
            b = run_baseline();
        } else {
            b = run_baseline();
            o = run_ours();
        }
        o50[i] = o.p50, o99[i] = o.p99, omax[i] = o.max;
        b50[i] = b.p50, b99[i] = b.p99, bmax[i] = b.max;
    }
    double mo50 = median(o50, rounds), mo99 = median(o99, rounds), momax = median(omax, rounds);
    double mb50 = median(b50, rounds), mb99 = median(b99, rounds), mbmax = median(bmax, rounds);
    if (rounds > 1)
        printf("medians over %d rounds: ws_server p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
               "baseline p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
               rounds, mo50, mo99, momax, mb50, mb99, mbmax);
    printf("ratio ws_server/baseline: p50 %.2fx, p99 %.2fx, max %.2fx (targets: p99 <= 50 ms, "
           "<= 1.5x)\n",
           mb50 > 0 ? mo50 / mb50 : 0, mb99 > 0 ? mo99 / mb99 : 0, mbmax > 0 ? momax / mbmax : 0);
    return 0;
}
