/*
 * Benchmark: the event ledger under many concurrent appenders (as many
 * teams' checks, submissions and injects arrive at once). Prints sustained
 * durable events per second and the append (commit) latency p50/p99.
 * Targets: >= 50,000 events/s, p99 <= 10 ms.
 */
#include "alloc.h"
#include "errors.h"
#include "event_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define APPENDERS 64
#define PER_APPENDER 4000

static event_store *store;
static double latencies[APPENDERS][PER_APPENDER];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *appender(void *arg)
{
    size_t id = (size_t)arg;
    for (int i = 0; i < PER_APPENDER; i++) {
        event ev = {.at_ms = i * 100,
                    .wall_ms = i,
                    .team = (int)(id % 40) + 1,
                    .kind = EV_CHECK_RESULT,
                    .subject = "beacon-running",
                    .value = i & 1,
                    .text = "exit 0"};
        double t0 = now_s();
        if (event_store_append(store, &ev, NULL, NULL) != ENSHU_OK)
            abort();
        latencies[id][i] = now_s() - t0;
    }
    return NULL;
}

/* ---- asynchronous submissions with a bounded window in flight ---- */

#define ASYNC_EVENTS 500000
#define WINDOW 512

static pthread_mutex_t window_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t window_free = PTHREAD_COND_INITIALIZER;
static int in_flight;
static double *submitted_at, *async_latency;

static void on_durable(int result, int64_t seq, void *arg)
{
    size_t i = (size_t)arg;
    if (result != ENSHU_OK)
        abort();
    async_latency[i] = now_s() - submitted_at[i];
    pthread_mutex_lock(&window_lock);
    in_flight--;
    pthread_cond_signal(&window_free);
    pthread_mutex_unlock(&window_lock);
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    char dir[] = "/tmp/enshu-bench-ledger-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char *path = xasprintf("%s/events.db", dir);
    if (event_store_open(path, true, &store) != ENSHU_OK)
        return 1;
    pthread_t threads[APPENDERS];
    double t0 = now_s();
    for (size_t i = 0; i < APPENDERS; i++)
        pthread_create(&threads[i], NULL, appender, (void *)i);
    for (size_t i = 0; i < APPENDERS; i++)
        pthread_join(threads[i], NULL);
    double elapsed = now_s() - t0;
    event_store_stats stats = event_store_get_stats(store);
    size_t n = (size_t)APPENDERS * PER_APPENDER;
    double *all = xmalloc(n * sizeof(double));
    for (size_t i = 0; i < APPENDERS; i++)
        for (size_t j = 0; j < PER_APPENDER; j++)
            all[i * PER_APPENDER + j] = latencies[i][j];
    qsort(all, n, sizeof(double), compare);
    printf("event ledger (WAL, synchronous=FULL: every acknowledged event is synced)\n");
    printf("blocking appends, %zu from %d threads\n", n, APPENDERS);
    printf("  sustained: %.0f events/s (each thread waits for its commit: at most %d / the "
           "latency; the targets are for the two runs below)\n",
           (double)n / elapsed, APPENDERS);
    printf("  commit latency: p50 %.2f ms, p99 %.2f ms\n", all[n / 2] * 1e3,
           all[n * 99 / 100] * 1e3);
    printf("  group commit: %llu batches, %.1f events per batch\n",
           (unsigned long long)stats.batches, (double)stats.events / (double)stats.batches);

    submitted_at = xcalloc(ASYNC_EVENTS, sizeof(double));
    async_latency = xcalloc(ASYNC_EVENTS, sizeof(double));
    t0 = now_s();
    event_store_stats before = event_store_get_stats(store);
    for (size_t i = 0; i < ASYNC_EVENTS; i++) {
        pthread_mutex_lock(&window_lock);
        while (in_flight >= WINDOW)
            pthread_cond_wait(&window_free, &window_lock);
        in_flight++;
        pthread_mutex_unlock(&window_lock);
        event ev = {.at_ms = (int64_t)i,
                    .team = (int)(i % 40) + 1,
                    .kind = EV_ANSWER,
                    .subject = "c2-address",
                    .text = "203.0.113.66"};
        submitted_at[i] = now_s();
        if (event_store_submit(store, &ev, NULL, on_durable, (void *)i) != ENSHU_OK)
            abort();
    }
    pthread_mutex_lock(&window_lock);
    while (in_flight > 0)
        pthread_cond_wait(&window_free, &window_lock);
    pthread_mutex_unlock(&window_lock);
    elapsed = now_s() - t0;
    event_store_stats after = event_store_get_stats(store);
    qsort(async_latency, ASYNC_EVENTS, sizeof(double), compare);
    printf("asynchronous submissions, %d in flight at most (how the console server acknowledges)\n",
           WINDOW);
    printf("  sustained: %.0f events/s (target >= 50000)\n", ASYNC_EVENTS / elapsed);
    printf("  submit-to-durable latency: p50 %.2f ms, p99 %.2f ms (target p99 <= 10 ms)\n",
           async_latency[ASYNC_EVENTS / 2] * 1e3, async_latency[ASYNC_EVENTS * 99 / 100] * 1e3);
    printf("  group commit: %.1f events per batch\n",
           (double)(after.events - before.events) / (double)(after.batches - before.batches));
    free(submitted_at);
    free(async_latency);

    /* Open loop: events offered at a steady 50,000/s (50 every millisecond,
     * as a busy exercise would produce them), not as fast as the ledger
     * takes them: the latency an event sees at that load. */
    enum { PACED_RATE = 50000, PACED_EVENTS = 200000, PER_MS = PACED_RATE / 1000 };
    submitted_at = xcalloc(PACED_EVENTS, sizeof(double));
    async_latency = xcalloc(PACED_EVENTS, sizeof(double));
    before = event_store_get_stats(store);
    t0 = now_s();
    for (size_t i = 0; i < PACED_EVENTS; i++) {
        if (i % PER_MS == 0) {
            double due = t0 + (double)(i / PER_MS) / 1000.0, now = now_s();
            if (due > now) {
                struct timespec ts = {0, (long)((due - now) * 1e9)};
                nanosleep(&ts, NULL);
            }
        }
        pthread_mutex_lock(&window_lock);
        in_flight++;
        pthread_mutex_unlock(&window_lock);
        event ev = {.at_ms = (int64_t)i,
                    .team = (int)(i % 40) + 1,
                    .kind = EV_CHECK_RESULT,
                    .subject = "beacon-running",
                    .value = (int64_t)(i & 1),
                    .text = "exit 0"};
        submitted_at[i] = now_s();
        if (event_store_submit(store, &ev, NULL, on_durable, (void *)i) != ENSHU_OK)
            abort();
    }
    pthread_mutex_lock(&window_lock);
    while (in_flight > 0)
        pthread_cond_wait(&window_free, &window_lock);
    pthread_mutex_unlock(&window_lock);
    elapsed = now_s() - t0;
    after = event_store_get_stats(store);
    qsort(async_latency, PACED_EVENTS, sizeof(double), compare);
    printf("offered load: %d events/s for %.1f s (open loop)\n", PACED_RATE,
           (double)PACED_EVENTS / PACED_RATE);
    printf("  sustained: %.0f events/s durable (target >= 50000)\n", PACED_EVENTS / elapsed);
    printf("  submit-to-durable latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms (target p99 <= "
           "10 ms)\n",
           async_latency[PACED_EVENTS / 2] * 1e3, async_latency[PACED_EVENTS * 99 / 100] * 1e3,
           async_latency[PACED_EVENTS - 1] * 1e3);
    printf("  group commit: %.1f events per batch\n",
           (double)(after.events - before.events) / (double)(after.batches - before.batches));
    free(submitted_at);
    free(async_latency);
    event_store_free(store);
    char *cmd = xasprintf("rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    free(cmd);
    free(all);
    free(path);
    return 0;
}
