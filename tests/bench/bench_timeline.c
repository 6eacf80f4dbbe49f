/*
 * Benchmark: one team floods `timeline` while another team works. A running
 * exercise over a temp ledger of LEDGER events (no guests), console_hub on
 * 127.0.0.1, 10 sockets of team 1 each asking for its timeline 45 times a
 * second for SECONDS (the attack of issue 8: it used to rescan the ledger
 * per request), and one socket of team 2 asking for its nodes every 50 ms
 * and timing each reply. Prints the replies team 1 got (timelines, and
 * refusals by the rate limit), the CPU time of the whole process during the
 * flood (the hub and the clients reading), and p50/p99/max of team 2's
 * replies.
 *
 *     bench_timeline [LEDGER [SECONDS [unlimited]]]
 *
 * With "unlimited" the timeline's rate limits are raised out of the way, so
 * every request is served: the cost of serving, not of refusing.
 */
#include "alloc.h"
#include "bench_util.h"
#include "console_auth.h"
#include "console_hub.h"
#include "diag.h"
#include "errors.h"
#include "exercise.h"
#include "guestless_hooks.h"
#include "scenario.h"
#include "wall_clock.h"
#include "ws_load.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define FLOODERS 10
#define FLOOD_PER_SEC 45
#define PROBE_MS 50
#define MAX_PROBES 100000

static const char SCRIPT[] =
    "enshu: 1\n"
    "id: timeline\n"
    "title: Timeline\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "objectives:\n"
    "  - {id: q, kind: question, text: '?', answer: {exact: ws}, points: 5}\n";

typedef struct bench {
    exercise *ex;
    _Atomic(console_hub *) hub;
    atomic_int joined, timelines, limited, other;
    int64_t probe_sent[MAX_PROBES]; /* by request id */
    float probe_ms[MAX_PROBES];
    atomic_int probes_back;
} bench;

static void on_event(void *ctx, const event *ev)
{
    console_hub_notify(atomic_load(&((bench *)ctx)->hub));
}

static void stored(int result, int64_t seq, void *arg)
{
    if (result != ENSHU_OK)
        atomic_fetch_add((atomic_int *)arg, 1);
}

/* Replies are told apart by their first bytes: the type comes before the
 * events (a timeline may be hundreds of KiB, not worth parsing here). */
static void on_message(void *ctx, int client, const char *text, size_t len, int64_t at)
{
    bench *b = ctx;
    if (strstr(text, "\"type\":\"welcome\"")) {
        atomic_fetch_add(&b->joined, 1);
        return;
    }
    if (client == FLOODERS) { /* team 2's prober */
        const char *id = strstr(text, "\"id\":");
        int n = id ? atoi(id + 5) : -1;
        if (strstr(text, "\"type\":\"nodes\"") && n > 0 && n < MAX_PROBES && b->probe_sent[n]) {
            b->probe_ms[n] = (float)(at - b->probe_sent[n]) / 1000.0f;
            atomic_fetch_add(&b->probes_back, 1);
        }
        return;
    }
    char head[160];
    size_t k = len < sizeof head - 1 ? len : sizeof head - 1;
    memcpy(head, text, k);
    head[k] = '\0';
    if (strstr(head, "\"type\":\"timeline\""))
        atomic_fetch_add(&b->timelines, 1);
    else if (strstr(head, "rate_limited"))
        atomic_fetch_add(&b->limited, 1);
    else if (!strstr(head, "\"seq\"")) /* not an event nor a score */
        atomic_fetch_add(&b->other, 1);
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    int ledger_events = argc > 1 ? atoi(argv[1]) : 20000;
    int seconds = argc > 2 ? atoi(argv[2]) : 10;
    bool unlimited = argc > 3 && strcmp(argv[3], "unlimited") == 0;
    if (ledger_events < 0 || seconds < 1 || seconds > 600) {
        fprintf(stderr, "usage: bench_timeline [LEDGER [SECONDS [unlimited]]]\n");
        return 2;
    }
    if (console_auth_init() != ENSHU_OK)
        return 1;
    char dir[] = "/tmp/enshu-bench-timeline-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char *path = xasprintf("%s/events.db", dir);
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_buffer("timeline.yaml", SCRIPT, strlen(SCRIPT), d);
    diag_list_free(d);
    event_store *ledger;
    if (!s || event_store_open(path, true, &ledger) != ENSHU_OK)
        return 1;
    bench *b = xcalloc(1, sizeof(bench));
    exercise_hooks hooks = guestless_hooks(on_event, b);
    b->ex = exercise_new(s, 2, ledger, &hooks);
    if (exercise_start(b->ex) != ENSHU_OK)
        return 1;
    /* The past: broadcasts to everyone, team 1 and team 2 in turn. */
    atomic_int failures = 0;
    char text[64];
    for (int i = 0; i < ledger_events; i++) {
        snprintf(text, sizeof text, "bulletin %d", i);
        event ev = {.at_ms = i,
                    .wall_ms = wall_clock_ms(NULL),
                    .team = i % 3,
                    .kind = EV_INSTRUCTOR,
                    .subject = "broadcast",
                    .text = text,
                    .actor = "instructor"};
        if (event_store_submit(ledger, &ev, NULL, stored, &failures) != ENSHU_OK)
            return 1;
    }
    /* Durable once one more append returns (they commit in order). */
    if (exercise_broadcast(b->ex, 0, "the last one", "bench") != ENSHU_OK || atomic_load(&failures))
        return 1;

    char codes[2][JOIN_CODE_SIZE];
    const char *code_list[2] = {codes[0], codes[1]};
    join_code_new(codes[0]);
    join_code_new(codes[1]);
    console_rate limits[LIMIT_COUNT];
    memcpy(limits, CONSOLE_LIMITS_DEFAULT, sizeof limits);
    if (unlimited) {
        limits[LIMIT_TIMELINE] = (console_rate){1000000, 1000000};
        limits[LIMIT_TEAMS] = (console_rate){1000000, 1000000};
    }
    console_hub_config cfg = {.ex = b->ex,
                              .ledger = ledger,
                              .join_codes = code_list,
                              .listen = "127.0.0.1:0",
                              .limits = limits};
    int64_t t0 = bench_now_us();
    console_hub *hub;
    if (console_hub_start(&cfg, &hub) != ENSHU_OK)
        return 1;
    atomic_store(&b->hub, hub);
    double start_s = (double)(bench_now_us() - t0) / 1e6;

    ws_load *load = ws_load_new(console_hub_port(hub), FLOODERS + 1, 2, on_message, NULL, b);
    if (!load)
        return 1;
    int64_t since = event_store_get_stats(ledger).events + 1; /* no catch-up: the flood only */
    for (int c = 0; c <= FLOODERS; c++) {
        char hello[256];
        int n = snprintf(hello, sizeof hello,
                         "{\"type\":\"hello\",\"version\":1,\"role\":\"team\",\"code\":\"%s\","
                         "\"name\":\"bench\",\"lang\":\"en\",\"since\":%lld}",
                         codes[c == FLOODERS ? 1 : 0], (long long)since);
        if (ws_load_send(load, c, hello, (size_t)n) < 0)
            return 1;
    }
    for (int64_t until = bench_now_us() + 30 * 1000000LL;
         atomic_load(&b->joined) < FLOODERS + 1 && bench_now_us() < until;)
        bench_sleep_until_us(bench_now_us() + 10000);
    if (atomic_load(&b->joined) < FLOODERS + 1) {
        fprintf(stderr, "bench_timeline: only %d of %d clients joined\n", atomic_load(&b->joined),
                FLOODERS + 1);
        return 1;
    }

    double cpu0 = cpu_s();
    int64_t start = bench_now_us(), end = start + (int64_t)seconds * 1000000;
    int64_t tick_us = 1000000 / FLOOD_PER_SEC, next_probe = start;
    int sent = 0, probes = 0;
    static const char ask[] = "{\"type\":\"timeline\"}";
    for (int64_t at = start; at < end; at += tick_us) {
        bench_sleep_until_us(at);
        for (int c = 0; c < FLOODERS; c++)
            sent += ws_load_send(load, c, ask, sizeof ask - 1) == 0;
        while (next_probe <= bench_now_us() && probes + 1 < MAX_PROBES) {
            char nodes[64];
            int n = snprintf(nodes, sizeof nodes, "{\"type\":\"nodes\",\"id\":%d}", ++probes);
            b->probe_sent[probes] = bench_now_us();
            (void)ws_load_send(load, FLOODERS, nodes, (size_t)n);
            next_probe += PROBE_MS * 1000;
        }
    }
    /* The replies still on their way. */
    for (int64_t until = bench_now_us() + 30 * 1000000LL;
         atomic_load(&b->timelines) + atomic_load(&b->limited) < sent && bench_now_us() < until;)
        bench_sleep_until_us(bench_now_us() + 10000);
    double cpu = cpu_s() - cpu0, wall = (double)(bench_now_us() - start) / 1e6;

    float *lat = xcalloc((size_t)probes + 1, sizeof(float));
    size_t nlat = 0;
    for (int i = 1; i <= probes; i++)
        if (b->probe_ms[i] > 0)
            lat[nlat++] = b->probe_ms[i];
    bench_percentiles p = bench_percentiles_of(lat, nlat);
    printf("ledger %d events, hub start (reads it once) %.2f s; timeline limits %s\n",
           ledger_events + 2, start_s, unlimited ? "raised" : "default");
    printf("team 1: %d timeline requests in %d s from %d sockets: %d served, %d rate_limited, "
           "%d other; %d sockets closed\n",
           sent, seconds, FLOODERS, atomic_load(&b->timelines), atomic_load(&b->limited),
           atomic_load(&b->other), ws_load_closed(load));
    printf("process CPU during the flood: %.2f s in %.2f s (%.3f ms a request, clients "
           "included)\n",
           cpu, wall, sent ? cpu * 1000 / sent : 0);
    printf("team 2 nodes replies: %zu of %d, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", nlat, probes,
           p.p50, p.p99, p.max);
    printf("peak RSS %ld KiB\n", bench_peak_rss_kb());
    bench_print_load("after");
    ws_load_free(load);
    console_hub_free(atomic_exchange(&b->hub, NULL));
    exercise_free(b->ex);
    event_store_free(ledger);
    scenario_free(s);
    free(lat);
    free(b);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_timeline: %s was not removed\n", dir);
    free(cmd);
    free(path);
    return 0;
}
