/*
 * Benchmark: console fan-out. 2,000 websocket clients (ws_load.c: raw
 * sockets read over epoll by a few threads of this process) connect to
 * ws_server; 200 small JSON messages (~200 bytes, each carrying its send
 * time), spaced 100 ms (ten live updates a second to every client, more
 * than an exercise makes), are sent to every session through
 * ws_server_send.
 * Each client records how late each message arrives. The same clients and
 * load then run against the simplest correct libwebsockets broadcaster
 * (lws_broadcaster.c). Prints p50/p99/max for both, the ratio, and the peak
 * RSS of each run. Targets: p99 <= 50 ms and <= 1.5x the baseline.
 * Everything on 127.0.0.1. With ROUNDS > 1 the two alternate and the
 * medians are compared (the machine is shared: load drifts).
 *
 *     bench_fanout [CLIENTS [MESSAGES [SPACING_MS [ROUNDS [CLIENT_THREADS]]]]]
 *
 * A short spacing finds where the machine saturates: every message is a
 * write and a read of a small TCP segment on each of its ends.
 */
#include "alloc.h"
#include "bench_util.h"
#include "errors.h"
#include "lws_broadcaster.h"
#include "ws_load.h"
#include "ws_server_broadcaster.h"

#include <libwebsockets.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_BYTES 200

static int nclients = 2000, nmessages = 200, spacing_ms = 100, nthreads = 2;

/* ---- what the clients receive ---- */

typedef struct sample {
    float *latency_ms; /* nclients * nmessages, by client */
    int *count;        /* per client */
    int *next_seq;     /* per client */
    atomic_long delivered, out_of_order;
} sample;

static void on_message(void *ctx, int client, const char *p, size_t len, int64_t at)
{
    sample *s = ctx;
    /* {"t":US,"seq":N,...} */
    if (len < 8 || strncmp(p, "{\"t\":", 5) != 0)
        return;
    char *end;
    long long t0 = strtoll(p + 5, &end, 10);
    int seq = strncmp(end, ",\"seq\":", 7) == 0 ? atoi(end + 7) : -1;
    if (seq != s->next_seq[client])
        atomic_fetch_add(&s->out_of_order, 1);
    s->next_seq[client] = seq + 1;
    if (s->count[client] < nmessages)
        s->latency_ms[(size_t)client * nmessages + s->count[client]++] = (float)(at - t0) / 1000.0f;
    atomic_fetch_add(&s->delivered, 1);
}

/* ---- the two servers under test ---- */

typedef struct server {
    const char *name;
    void *b;
    int (*connections)(void *b);
    void (*publish)(void *b, const char *msg, size_t len);
} server;

static int ours_connections(void *b)
{
    return ws_server_broadcaster_connections(b);
}

static void ours_publish(void *b, const char *msg, size_t len)
{
    ws_server_broadcaster_publish(b, msg, len);
}

static int base_connections(void *b)
{
    return lws_broadcaster_connections(b);
}

static void base_publish(void *b, const char *msg, size_t len)
{
    lws_broadcaster_publish(b, msg, len);
}

/* nmessages, spacing_ms apart, each stamped with its send time */
static void broadcast(const server *to)
{
    char msg[MSG_BYTES + 64];
    int64_t start = bench_now_us();
    for (int i = 0; i < nmessages; i++) {
        bench_sleep_until_us(start + (int64_t)i * spacing_ms * 1000);
        int len = fanout_message(msg, MSG_BYTES, i, "event");
        to->publish(to->b, msg, (size_t)len);
    }
}

/* ---- measuring ---- */

typedef struct result {
    bench_percentiles lat;
    long delivered, expected, out_of_order;
    long rss_kb;
    double connect_s;
    double all_s; /* from the first send until every message arrived (or the wait ended) */
} result;

static result run(const server *to, int port)
{
    const char *name = to->name;
    sample s = {.latency_ms = xcalloc((size_t)nclients * (size_t)nmessages, sizeof(float)),
                .count = xcalloc((size_t)nclients, sizeof(int)),
                .next_seq = xcalloc((size_t)nclients, sizeof(int))};
    int64_t t0 = bench_now_us();
    ws_load *load = ws_load_new(port, nclients, nthreads, on_message, NULL, &s);
    if (!load || !bench_wait_for(to->connections, to->b, nclients, 10000)) {
        fprintf(stderr, "bench_fanout: %s: only %d of %d clients connected.\n", name,
                to->connections(to->b), nclients);
        exit(1);
    }
    result r = {.connect_s = (double)(bench_now_us() - t0) / 1e6};
    int64_t first_send = bench_now_us();
    broadcast(to);
    /* every message delivered, or 30 s after the last send */
    long expected = (long)nclients * nmessages;
    int64_t deadline = bench_now_us() + 30 * 1000000LL;
    while (atomic_load(&s.delivered) < expected && bench_now_us() < deadline) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    r.all_s = (double)(bench_now_us() - first_send) / 1e6;
    r.rss_kb = bench_peak_rss_kb();
    ws_load_free(load);

    /* the latencies of every client, packed */
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
    free(s.latency_ms);
    free(s.count);
    free(s.next_seq);
    printf("%-9s connected %d clients in %.1f s; delivered %ld/%ld, out of order %ld; latency "
           "p50 %.2f ms, p99 %.2f ms, max %.2f ms; all in %.2f s (%.0f messages/s); peak RSS %ld "
           "MiB\n",
           name, nclients, r.connect_s, r.delivered, r.expected, r.out_of_order, r.lat.p50,
           r.lat.p99, r.lat.max, r.all_s, (double)r.delivered / r.all_s, r.rss_kb / 1024);
    fflush(stdout);
    return r;
}

static result run_ours(void)
{
    ws_server_broadcaster *b = ws_server_broadcaster_new(nclients);
    if (!b)
        exit(1);
    bench_reset_peak_rss();
    server to = {"ws_server", b, ours_connections, ours_publish};
    result r = run(&to, ws_server_broadcaster_port(b));
    if (ws_server_broadcaster_failures(b))
        printf("ws_server: %ld sends failed\n", ws_server_broadcaster_failures(b));
    ws_server_broadcaster_free(b);
    return r;
}

static result run_baseline(void)
{
    lws_broadcaster *b = lws_broadcaster_new(nmessages, MSG_BYTES + 64);
    if (!b)
        exit(1);
    bench_reset_peak_rss();
    server to = {"baseline", b, base_connections, base_publish};
    result r = run(&to, lws_broadcaster_port(b));
    lws_broadcaster_free(b);
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
        spacing_ms = atoi(argv[3]);
    if (argc > 4)
        rounds = atoi(argv[4]);
    if (argc > 5)
        nthreads = atoi(argv[5]);
    if (nclients < 1 || nmessages < 1 || spacing_ms < 1 || nthreads < 1 || nthreads > 16 ||
        rounds < 1 || rounds > 20) {
        fprintf(stderr, "usage: bench_fanout [CLIENTS [MESSAGES [SPACING_MS [ROUNDS "
                        "[CLIENT_THREADS (1-16)]]]]]\n");
        return 2;
    }
    lws_set_log_level(LLL_ERR, NULL);
    printf("fan-out: %d clients read by %d threads, %d messages of %d bytes every %d ms, to "
           "every client; %d round(s), the two servers alternating\n",
           nclients, nthreads, nmessages, MSG_BYTES, spacing_ms, rounds);

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
        o50[i] = o.lat.p50, o99[i] = o.lat.p99, omax[i] = o.lat.max;
        b50[i] = b.lat.p50, b99[i] = b.lat.p99, bmax[i] = b.lat.max;
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
