/*
 * Benchmark: console fan-out through the whole hub. A running exercise over
 * a temp ledger (no guests), console_hub on 127.0.0.1, and N websocket
 * clients (ws_load.c, as in bench_fanout.c) spread over 40 teams, each
 * joining with its team's join code (hello, since 0). Then 200 instructor
 * broadcasts to every team (exercise_broadcast, spaced 100 ms, each text
 * carrying its send time in microseconds): every one goes to the ledger (a
 * durable append), the hub tails it, encodes it and sends it to every
 * session. Each client measures how late each `message` arrives and checks
 * order and completeness.
 *
 * For comparison, in the same run and with the same clients and load: the
 * bare transport (ws_server_send of a message of the same size to every
 * session, no ledger, no JSON) and the simplest correct libwebsockets
 * broadcaster (lws_broadcaster.c). Prints p50/p99/max of each,
 * delivered/expected, peak RSS, the durable append time of the broadcasts
 * and the load average. Everything on 127.0.0.1.
 *
 *     bench_console_fanout [CLIENTS [MESSAGES [SPACING_MS [hub]]]]
 *
 * With "hub" as the fourth argument only the hub runs.
 */
#include "alloc.h"
#include "bench_util.h"
#include "console_auth.h"
#include "console_hub.h"
#include "diag.h"
#include "errors.h"
#include "exercise.h"
#include "guestless_hooks.h"
#include "lws_broadcaster.h"
#include "scenario.h"
#include "ws_load.h"
#include "ws_server_broadcaster.h"

#include <libwebsockets.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TEAMS 40
#define BARE_BYTES 130 /* about the size of the hub's `message` */
#define CLIENT_THREADS 2

static int nclients = 2000, nmessages = 200, spacing_ms = 100;

/* ---- the clients ---- */

typedef enum mode { MODE_HUB, MODE_BARE } mode;
static char join_codes[TEAMS][JOIN_CODE_SIZE];

typedef struct sample {
    mode mode;
    float *latency_ms; /* nclients * nmessages, by client */
    int *count;        /* per client */
    int *next;         /* per client: the index of the next broadcast it should get */
    atomic_long delivered, out_of_order;
    atomic_int joined, error_replies;
} sample;

static int team_of(int client)
{
    return client % TEAMS + 1;
}

/* One whole message from the server. */
static void on_message(void *ctx, int client, const char *p, size_t len, int64_t at)
{
    sample *s = ctx;
    long long t0;
    int n;
    if (s->mode == MODE_BARE) {
        /* {"t":US,"seq":N,...} */
        char *end;
        if (len < 8 || strncmp(p, "{\"t\":", 5) != 0)
            return;
        t0 = strtoll(p + 5, &end, 10);
        n = strncmp(end, ",\"seq\":", 7) == 0 ? atoi(end + 7) : -1;
    } else {
        if (strstr(p, "\"type\":\"welcome\"")) {
            atomic_fetch_add(&s->joined, 1);
            return;
        }
        if (strstr(p, "\"type\":\"error\"")) {
            if (atomic_fetch_add(&s->error_replies, 1) == 0)
                fprintf(stderr, "bench_console_fanout: the hub replied: %.*s\n", (int)len, p);
            return;
        }
        const char *text = strstr(p, "\"text\":\"t=");
        if (!strstr(p, "\"type\":\"message\"") || !text ||
            sscanf(text + 10, "%lld n=%d", &t0, &n) != 2)
            return; /* the exercise's own events, scores */
    }
    if (n != s->next[client])
        atomic_fetch_add(&s->out_of_order, 1);
    s->next[client] = n + 1;
    if (s->count[client] < nmessages)
        s->latency_ms[(size_t)client * nmessages + s->count[client]++] = (float)(at - t0) / 1000.0f;
    atomic_fetch_add(&s->delivered, 1);
}

static int count_joined(void *s)
{
    return atomic_load(&((sample *)s)->joined);
}

/* ---- measuring ---- */

typedef struct result {
    bench_percentiles lat;
    long delivered, expected, out_of_order;
    long rss_kb;
    double connect_s;
    double all_s; /* from the first send until every message arrived (or the wait ended) */
} result;

/* A client's login: its team's join code. */
static const char *hello(void *ctx, int client)
{
    static char text[256];
    snprintf(text, sizeof text,
             "{\"type\":\"hello\",\"version\":1,\"role\":\"team\",\"code\":"
             "\"%s\",\"name\":\"bench\",\"lang\":\"en\",\"since\":0,\"id\":1}",
             join_codes[team_of(client) - 1]);
    return text;
}

/* Connects the clients (against the hub, each joins its team, and all have
 * been welcomed), runs broadcast, then waits for every message or 30 s. */
static result run(const char *name, mode m, int port, void (*broadcast)(void *), void *server,
                  int (*opened)(void *))
{
    void *target = server;
    sample s = {.mode = m,
                .latency_ms = xcalloc((size_t)nclients * (size_t)nmessages, sizeof(float)),
                .count = xcalloc((size_t)nclients, sizeof(int)),
                .next = xcalloc((size_t)nclients, sizeof(int))};
    int64_t t0 = bench_now_us();
    /* Against the hub each client joins its team as it connects. */
    ws_load *load =
        ws_load_new(port, nclients, CLIENT_THREADS, on_message, m == MODE_HUB ? hello : NULL, &s);
    if (!load)
        exit(1);
    if (m == MODE_HUB) {
        opened = count_joined;
        target = &s;
    }
    if (!bench_wait_for(opened, target, nclients, 60000)) {
        fprintf(stderr, "bench_console_fanout: %s: only %d of %d clients ready.\n", name,
                opened(target), nclients);
        exit(1);
    }
    result r = {.connect_s = (double)(bench_now_us() - t0) / 1e6};
    int64_t first_send = bench_now_us();
    broadcast(server);
    long expected = (long)nclients * nmessages;
    int64_t deadline = bench_now_us() + 30 * 1000000LL;
    while (atomic_load(&s.delivered) < expected && bench_now_us() < deadline) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    r.all_s = (double)(bench_now_us() - first_send) / 1e6;
    r.rss_kb = bench_peak_rss_kb();
    int closed = ws_load_closed(load);
    ws_load_free(load);

    size_t total = 0;
    for (int c = 0; c < nclients; c++) {
        memmove(s.latency_ms + total, s.latency_ms + (size_t)c * nmessages,
                (size_t)s.count[c] * sizeof(float));
        total += (size_t)s.count[c];
    }
    r.lat = bench_percentiles_of(s.latency_ms, total);
    r.delivered = (long)total;
    r.expected = expected;
    r.out_of_order = atomic_load(&s.out_of_order);
    if (atomic_load(&s.error_replies))
        printf("%s: %d error replies\n", name, atomic_load(&s.error_replies));
    free(s.latency_ms);
    free(s.count);
    free(s.next);
    printf("%-9s %d clients ready in %.1f s; delivered %ld/%ld, out of order %ld, closed early "
           "%d; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; all in %.2f s (%.0f messages/s); "
           "peak RSS %ld MiB\n",
           name, nclients, r.connect_s, r.delivered, r.expected, r.out_of_order, closed, r.lat.p50,
           r.lat.p99, r.lat.max, r.all_s, (double)r.delivered / r.all_s, r.rss_kb / 1024);
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

static void on_event(void *ctx, const event *ev)
{
    console_hub_notify(atomic_load(&((bench_hub *)ctx)->hub));
}

static void broadcast_hub(void *arg)
{
    bench_hub *b = arg;
    char text[64];
    int64_t start = bench_now_us();
    for (int i = 0; i < nmessages; i++) {
        bench_sleep_until_us(start + (int64_t)i * spacing_ms * 1000);
        int64_t t = bench_now_us();
        snprintf(text, sizeof text, "t=%" PRId64 " n=%d", t, i);
        if (exercise_broadcast(b->ex, 0, text, "bench") != ENSHU_OK) {
            fprintf(stderr, "bench_console_fanout: broadcast %d was not recorded.\n", i);
            exit(1);
        }
        b->append_ms[i] = (float)(bench_now_us() - t) / 1000.0f;
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
    exercise_hooks hooks = guestless_hooks(on_event, &b);
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
    bench_reset_peak_rss();
    result r = run("hub", MODE_HUB, console_hub_port(hub), broadcast_hub, &b, NULL);
    bench_percentiles append = bench_percentiles_of(b.append_ms, (size_t)nmessages);
    printf("hub: durable append of a broadcast (exercise_broadcast) p50 %.2f ms, p99 %.2f ms, max "
           "%.2f ms\n",
           append.p50, append.p99, append.max);
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

/* ---- the bare transport and the baseline, under the same load ---- */

static int bare_connections(void *b)
{
    return ws_server_broadcaster_connections(b);
}

static void broadcast_bare(void *b)
{
    char msg[BARE_BYTES + 64];
    int64_t start = bench_now_us();
    for (int i = 0; i < nmessages; i++) {
        bench_sleep_until_us(start + (int64_t)i * spacing_ms * 1000);
        int len = fanout_message(msg, BARE_BYTES, i, "message");
        ws_server_broadcaster_publish(b, msg, (size_t)len);
    }
}

static result run_bare(void)
{
    ws_server_broadcaster *b = ws_server_broadcaster_new(nclients);
    if (!b)
        exit(1);
    bench_reset_peak_rss();
    result r = run("ws_server", MODE_BARE, ws_server_broadcaster_port(b), broadcast_bare, b,
                   bare_connections);
    if (ws_server_broadcaster_failures(b))
        printf("ws_server: %ld sends failed\n", ws_server_broadcaster_failures(b));
    ws_server_broadcaster_free(b);
    return r;
}

static int base_connections(void *b)
{
    return lws_broadcaster_connections(b);
}

static void broadcast_base(void *b)
{
    char msg[BARE_BYTES + 64];
    int64_t start = bench_now_us();
    for (int i = 0; i < nmessages; i++) {
        bench_sleep_until_us(start + (int64_t)i * spacing_ms * 1000);
        int len = fanout_message(msg, BARE_BYTES, i, "message");
        lws_broadcaster_publish(b, msg, (size_t)len);
    }
}

static result run_baseline(void)
{
    lws_broadcaster *b = lws_broadcaster_new(nmessages, BARE_BYTES + 64);
    if (!b)
        exit(1);
    bench_reset_peak_rss();
    result r =
        run("baseline", MODE_BARE, lws_broadcaster_port(b), broadcast_base, b, base_connections);
    lws_broadcaster_free(b);
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
        spacing_ms = atoi(argv[3]);
    if (nclients < 1 || nmessages < 1 || spacing_ms < 1 || (argc > 4 && !hub_only)) {
        fprintf(stderr, "usage: bench_console_fanout [CLIENTS [MESSAGES [SPACING_MS [hub]]]]\n");
        return 2;
    }
    if (console_auth_init() != ENSHU_OK)
        return 1;
    lws_set_log_level(LLL_ERR, NULL);
    printf("console fan-out: %d clients over %d teams read by %d threads, %d broadcasts every "
           "%d ms to every team\n",
           nclients, TEAMS, CLIENT_THREADS, nmessages, spacing_ms);
    bench_print_load("before");
    result h = run_hub();
    if (!hub_only) {
        result o = run_bare();
        result b = run_baseline();
        printf("ratio hub/ws_server: p50 %.2fx, p99 %.2fx; hub/baseline: p50 %.2fx, p99 %.2fx "
               "(targets: p99 <= 50 ms, <= 1.5x the baseline)\n",
               o.lat.p50 > 0 ? h.lat.p50 / o.lat.p50 : 0, o.lat.p99 > 0 ? h.lat.p99 / o.lat.p99 : 0,
               b.lat.p50 > 0 ? h.lat.p50 / b.lat.p50 : 0,
               b.lat.p99 > 0 ? h.lat.p99 / b.lat.p99 : 0);
    }
    bench_print_load("after");
    return h.delivered == h.expected && h.out_of_order == 0 ? 0 : 1;
}
