/*
 * Benchmark: console fan-out through the whole hub. A running exercise over
 * a temp ledger (no guests), console_hub on 127.0.0.1, and N websocket
 * clients (libwebsockets client contexts in threads of this process, as in
 * bench_fanout.c) spread over 40 teams, each joining with its team's join
 * code (hello, since 0). Then 200 instructor broadcasts to every team
 * (exercise_broadcast, spaced 20 ms, each text carrying its send time in
 * microseconds): every one goes to the ledger (a durable append), the hub
 * tails it, encodes it and sends it to every session. Each client measures
 * how late each `message` arrives and checks order and completeness.
 *
 * For comparison, in the same run and with the same clients and load: the
 * bare transport (ws_server_send of a message of the same size to every
 * session, no ledger, no JSON) and the simplest correct libwebsockets
 * broadcaster (bench_fanout.c's baseline). Prints p50/p99/max of each,
 * delivered/expected, peak RSS, the durable append time of the broadcasts
 * and the load average. Everything on 127.0.0.1.
 *
 *     bench_console_fanout [CLIENTS [MESSAGES [CONTEXTS [hub]]]]
 *
 * With "hub" as the fourth argument only the hub runs.
 */
#include "alloc.h"
#include "console_auth.h"
#include "console_hub.h"
#include "diag.h"
#include "errors.h"
#include "exercise.h"
#include "scenario.h"
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
#include <unistd.h>

#define SPACING_MS 20
#define TEAMS 40
#define BARE_BYTES 130 /* about the size of the hub's `message` */

static int nclients = 2000, nmessages = 200, ncontexts = 2;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_until_us(int64_t at)
{
    int64_t d = at - now_us();
    if (d > 0) {
        struct timespec ts = {d / 1000000, (d % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ---- the clients ---- */

typedef enum mode { MODE_HUB, MODE_BARE } mode;
static mode client_mode;
static char join_codes[TEAMS][JOIN_CODE_SIZE];

typedef struct client_thread {
    int index, nclients, port;
    struct lws_context *lws;
    pthread_t thread;
    int started, settled, assigned; /* connects begun; established or failed; teams given */
    float *latency_ms;              /* nclients * nmessages */
    size_t nlatency;
    long out_of_order;
} client_thread;

typedef struct client_conn {
    int team;
    int next; /* the index of the next broadcast it should get */
    bool hello_sent;
    char *buf; /* a message arriving in fragments */
    size_t len, cap;
} client_conn;

static atomic_int established, connect_errors, closed_clients, joined, error_replies;
static atomic_long delivered;
static atomic_bool clients_stop;

/* One whole message from the server. */
static void client_message(client_thread *t, client_conn *c, const char *p, size_t len)
{
    int64_t now = now_us();
    long long t0;
    int n;
    if (client_mode == MODE_BARE) {
        /* {"t":US,"seq":N,...} */
        char *end;
        if (len < 8 || strncmp(p, "{\"t\":", 5) != 0)
            return;
        t0 = strtoll(p + 5, &end, 10);
        n = strncmp(end, ",\"seq\":", 7) == 0 ? atoi(end + 7) : -1;
    } else {
        if (strstr(p, "\"type\":\"welcome\"")) {
            atomic_fetch_add(&joined, 1);
            return;
        }
        if (strstr(p, "\"type\":\"error\"")) {
            if (atomic_fetch_add(&error_replies, 1) == 0)
                fprintf(stderr, "bench_console_fanout: the hub replied: %.*s\n", (int)len, p);
            return;
        }
        const char *text = strstr(p, "\"text\":\"t=");
        if (!strstr(p, "\"type\":\"message\"") || !text ||
            sscanf(text + 10, "%lld n=%d", &t0, &n) != 2)
            return; /* the exercise's own events, scores */
    }
    if (n != c->next)
        t->out_of_order++;
    c->next = n + 1;
    if (t->nlatency < (size_t)t->nclients * (size_t)nmessages)
        t->latency_ms[t->nlatency++] = (float)(now - t0) / 1000.0f;
    atomic_fetch_add(&delivered, 1);
}

static int client_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                           size_t len)
{
    client_thread *t = lws_context_user(lws_get_context(wsi));
    client_conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        t->settled++;
        /* Teams dealt round-robin over all the client threads. */
        c->team = (t->index + ncontexts * t->assigned++) % TEAMS + 1;
        atomic_fetch_add(&established, 1);
        if (client_mode == MODE_HUB)
            lws_callback_on_writable(wsi);
        break;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        t->settled++;
        atomic_fetch_add(&connect_errors, 1);
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        if (c->hello_sent)
            break;
        unsigned char buf[LWS_PRE + 256];
        int n = snprintf((char *)buf + LWS_PRE, 256,
                         "{\"type\":\"hello\",\"version\":1,\"role\":\"team\",\"code\":\"%s\","
                         "\"name\":\"bench\",\"lang\":\"en\",\"since\":0,\"id\":1}",
                         join_codes[c->team - 1]);
        if (lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_TEXT) < n)
            return -1;
        c->hello_sent = true;
        break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        atomic_fetch_add(&closed_clients, 1);
        free(c->buf);
        c->buf = NULL;
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        bool first = lws_is_first_fragment(wsi), last = lws_is_final_fragment(wsi);
        if (first && last) {
            /* lws keeps a NUL-free buffer: copy to terminate it for strstr */
            char small[1024];
            if (len < sizeof small) {
                memcpy(small, in, len);
                small[len] = '\0';
                client_message(t, c, small, len);
                break;
            }
        }
        if (first)
            c->len = 0;
        if (c->len + len + 1 > c->cap) {
            c->cap = (c->len + len + 1) * 2;
            c->buf = xrealloc(c->buf, c->cap);
        }
        memcpy(c->buf + c->len, in, len);
        c->len += len;
        c->buf[c->len] = '\0';
        if (last)
            client_message(t, c, c->buf, c->len);
        break;
    }
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols client_protocols[] = {
    {"enshu.v1", client_callback, sizeof(client_conn), 4096, 0, NULL, 0},
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
    atomic_store(&joined, 0);
    atomic_store(&error_replies, 0);
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
            fprintf(stderr, "bench_console_fanout: a client context could not be created.\n");
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

static void print_load(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l1 = 0, l5 = 0, l15 = 0;
    if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
        printf("load average %s: %.2f %.2f %.2f (%ld cores)\n", when, l1, l5, l15,
               sysconf(_SC_NPROCESSORS_ONLN));
    if (f)
        fclose(f);
}

/* Connects the clients (and, against the hub, waits until every one has
 * joined), runs broadcast, then waits for every message or 30 s. */
static result run(const char *name, int port, void (*broadcast)(void *), void *target,
                  atomic_int *server_open)
{
    client_thread *threads = xcalloc((size_t)ncontexts, sizeof(*threads));
    int64_t t0 = now_us();
    start_clients(threads, port);
    if (!wait_for(&established, nclients, 120000) || !wait_for(server_open, nclients, 60000)) {
        fprintf(stderr,
                "bench_console_fanout: %s: only %d of %d clients connected, %d ready (%d "
                "errors).\n",
                name, atomic_load(&established), nclients, atomic_load(server_open),
                atomic_load(&connect_errors));
        exit(1);
    }
    result r = {.connect_s = (double)(now_us() - t0) / 1e6};
    broadcast(target);
    long expected = (long)nclients * nmessages;
    int64_t deadline = now_us() + 30 * 1000000LL;
    while (atomic_load(&delivered) < expected && now_us() < deadline) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    r.rss_kb = peak_rss_kb();
    int closed = atomic_load(&closed_clients);
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
    printf("%-9s %d clients ready in %.1f s; delivered %ld/%ld, out of order %ld, closed early "
           "%d; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; peak RSS %ld MiB\n",
           name, nclients, r.connect_s, r.delivered, r.expected, r.out_of_order, closed, r.p50,
           r.p99, r.max, r.rss_kb / 1024);
    fflush(stdout);
    return r;
}

/* ---- the hub ---- */

static const char SCRIPT[] =
    "enshu: 1\n"
    "id: fanout\n"
    "title: Fan-out\n"
    "teams: {min: 1, max: 40}\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "objectives:\n"
    "  - {id: q, kind: question, text: '?', answer: {exact: ws}, points: 5}\n";

typedef struct bench_hub {
    exercise *ex;
    _Atomic(console_hub *) hub;
    float *append_ms;
} bench_hub;

static int run_inject(void *ctx, int team, const inject *inj, char **output)
{
    return ENSHU_OK;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    *passing = false;
    return ENSHU_OK;
}

static int64_t wall_ms(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_event(void *ctx, const event *ev)
{
    console_hub_notify(atomic_load(&((bench_hub *)ctx)->hub));
}

static void broadcast_hub(void *arg)
{
    bench_hub *b = arg;
    char text[64];
    int64_t start = now_us();
    for (int i = 0; i < nmessages; i++) {
        sleep_until_us(start + (int64_t)i * SPACING_MS * 1000);
        int64_t t = now_us();
        snprintf(text, sizeof text, "t=%" PRId64 " n=%d", t, i);
        if (exercise_broadcast(b->ex, 0, text, "bench") != ENSHU_OK) {
            fprintf(stderr, "bench_console_fanout: broadcast %d was not recorded.\n", i);
            exit(1);
        }
        b->append_ms[i] = (float)(now_us() - t) / 1000.0f;
    }
}

static result run_hub(void)
{
    char dir[] = "/tmp/enshu-bench-hub-XXXXXX";
    if (!mkdtemp(dir))
        exit(1);
    char *path = xasprintf("%s/events.db", dir);
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_buffer("fanout.yaml", SCRIPT, strlen(SCRIPT), d);
    if (!s) {
        char *msgs = diag_list_format(d);
        fprintf(stderr, "bench_console_fanout: the scenario does not load:\n%s", msgs);
        exit(1);
    }
    diag_list_free(d);
    event_store *ledger;
    if (event_store_open(path, true, &ledger) != ENSHU_OK)
        exit(1);
    bench_hub b = {.append_ms = xcalloc((size_t)nmessages, sizeof(float))};
    exercise_hooks hooks = {.run_inject = run_inject,
                            .run_check = run_check,
                            .wall_ms = wall_ms,
                            .on_event = on_event,
                            .ctx = &b};
    b.ex = exercise_new(s, TEAMS, ledger, &hooks);
    if (exercise_start(b.ex) != ENSHU_OK)
        exit(1);
    const char *codes[TEAMS];
    for (int t = 0; t < TEAMS; t++) {
        join_code_new(join_codes[t]);
        codes[t] = join_codes[t];
    }
    console_hub_config cfg = {
        .ex = b.ex, .ledger = ledger, .join_codes = codes, .listen = "127.0.0.1:0"};
    console_hub *hub;
    if (console_hub_start(&cfg, &hub) != ENSHU_OK)
        exit(1);
    atomic_store(&b.hub, hub);
    client_mode = MODE_HUB;
    reset_peak_rss();
    result r = run("hub", console_hub_port(hub), broadcast_hub, &b, &joined);
    if (atomic_load(&error_replies))
        printf("hub: %d error replies\n", atomic_load(&error_replies));
    qsort(b.append_ms, (size_t)nmessages, sizeof(float), cmp_float);
    printf("hub: durable append of a broadcast (exercise_broadcast) p50 %.2f ms, p99 %.2f ms, max "
           "%.2f ms\n",
           b.append_ms[nmessages / 2], b.append_ms[(size_t)((double)(nmessages - 1) * 0.99)],
           b.append_ms[nmessages - 1]);
    atomic_store(&b.hub, NULL);
    console_hub_free(hub);
    exercise_free(b.ex);
    event_store_free(ledger);
    scenario_free(s);
    free(b.append_ms);
    unlink(path);
    char *wal = xasprintf("%s-wal", path), *shm = xasprintf("%s-shm", path);
    unlink(wal);
    unlink(shm);
    free(wal);
    free(shm);
    free(path);
    rmdir(dir);
    return r;
}

/* ---- the bare transport: ws_server_send to every session ---- */

static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *sessions;
static atomic_int nsessions;

static void bare_open(void *ctx, uint64_t session, const char *peer)
{
    pthread_mutex_lock(&sessions_lock);
    int i = atomic_load(&nsessions);
    if (i < nclients) {
        sessions[i] = session;
        atomic_store(&nsessions, i + 1);
    }
    pthread_mutex_unlock(&sessions_lock);
}

static int make_message(char *buf, int seq)
{
    int n =
        snprintf(buf, BARE_BYTES + 64,
                 "{\"t\":%" PRId64 ",\"seq\":%d,\"type\":\"message\",\"pad\":\"", now_us(), seq);
    while (n < BARE_BYTES - 2)
        buf[n++] = 'x';
    buf[n++] = '"';
    buf[n++] = '}';
    buf[n] = '\0';
    return n;
}

static long send_failures;

static void broadcast_bare(void *srv)
{
    char msg[BARE_BYTES + 64];
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

static result run_bare(void)
{
    sessions = xcalloc((size_t)nclients, sizeof(*sessions));
    atomic_store(&nsessions, 0);
    send_failures = 0;
    ws_server_config cfg = {.listen = "127.0.0.1:0", .on_open = bare_open};
    ws_server *srv;
    if (ws_server_start(&cfg, &srv) != 0)
        exit(1);
    client_mode = MODE_BARE;
    reset_peak_rss();
    result r = run("ws_server", ws_server_port(srv), broadcast_bare, srv, &nsessions);
    if (send_failures)
        printf("ws_server: %ld sends failed\n", send_failures);
    ws_server_free(srv);
    free(sessions);
    return r;
}

/* ---- the simplest correct lws broadcaster (bench_fanout.c's baseline) ---- */

typedef struct base_conn {
    int next;
} base_conn;

static pthread_mutex_t base_lock = PTHREAD_MUTEX_INITIALIZER;
static char (*base_msgs)[BARE_BYTES + 64];
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
        unsigned char buf[LWS_PRE + BARE_BYTES + 64];
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
    client_mode = MODE_BARE;
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

int main(int argc, char **argv)
{
    bool hub_only = argc > 4 && strcmp(argv[4], "hub") == 0;
    if (argc > 1)
        nclients = atoi(argv[1]);
    if (argc > 2)
        nmessages = atoi(argv[2]);
    if (argc > 3)
        ncontexts = atoi(argv[3]);
    if (nclients < 1 || nmessages < 1 || ncontexts < 1 || ncontexts > 4 ||
        (argc > 4 && !hub_only)) {
        fprintf(stderr,
                "usage: bench_console_fanout [CLIENTS [MESSAGES [CONTEXTS (1-4) [hub]]]]\n");
        return 2;
    }
    /* Two descriptors per client (both ends live in this process), and margin. */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t need = (rlim_t)nclients * 2 + 256;
    if (rl.rlim_cur < need) {
        rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < need) {
            fprintf(stderr, "bench_console_fanout: needs %lu open files; the limit is %lu.\n",
                    (unsigned long)need, (unsigned long)rl.rlim_cur);
            return 1;
        }
    }
    if (console_auth_init() != ENSHU_OK)
        return 1;
    lws_set_log_level(LLL_ERR, NULL);
    printf("console fan-out: %d clients over %d teams in %d client contexts, %d broadcasts every "
           "%d ms to every team\n",
           nclients, TEAMS, ncontexts, nmessages, SPACING_MS);
    print_load("before");
    result h = run_hub();
    if (!hub_only) {
        result o = run_bare();
        result b = run_baseline();
        printf("ratio hub/ws_server: p50 %.2fx, p99 %.2fx; hub/baseline: p50 %.2fx, p99 %.2fx\n",
               o.p50 > 0 ? h.p50 / o.p50 : 0, o.p99 > 0 ? h.p99 / o.p99 : 0,
               b.p50 > 0 ? h.p50 / b.p50 : 0, b.p99 > 0 ? h.p99 / b.p99 : 0);
    }
    print_load("after");
    return h.delivered == h.expected && h.out_of_order == 0 ? 0 : 1;
}
