/*
 * Benchmark: pages of the event ledger for the instructors' Events tab
 * (event_query.h), which the hub answers on its own thread. A ledger of N
 * events (default 100,000) of 40 teams, as a long training day writes
 * (checks every few seconds, answers, injects), then pages of 100 timed:
 * the newest of all teams, one team's, one team's answers only, and a page
 * deep in the ledger. Prints the median and the worst of 20 runs of each.
 *
 *   bench_events [N]
 */
#include "alloc.h"
#include "errors.h"
#include "event_query.h"
#include "event_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RUNS 20

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int count(const event *ev, void *arg)
{
    (*(size_t *)arg)++;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void timed(event_store *st, const char *what, event_query q)
{
    double t[RUNS];
    size_t got = 0;
    for (int r = 0; r < RUNS; r++) {
        got = 0;
        bool more;
        double t0 = now_ms();
        if (event_query_page(st, &q, count, &got, &more) != ENSHU_OK)
            abort();
        t[r] = now_ms() - t0;
    }
    qsort(t, RUNS, sizeof t[0], cmp);
    printf("%-40s %3zu events  median %7.2f ms  worst %7.2f ms\n", what, got, t[RUNS / 2],
           t[RUNS - 1]);
}

static void done(int result, int64_t seq, void *arg)
{
    if (result != ENSHU_OK)
        abort();
}

int main(int argc, char **argv)
{
    char *end = NULL;
    long n = argc > 1 ? strtol(argv[1], &end, 10) : 100000;
    if (argc > 1 && (*end != '\0' || n < 1)) {
        fprintf(stderr, "usage: bench_events [N (events, at least 1)]\n");
        return 2;
    }
    char dir[] = "/tmp/enshu-bench-events-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char *path = xasprintf("%s/events.db", dir);
    event_store *st;
    if (event_store_open(path, true, &st) != ENSHU_OK)
        return 1;
    static const char output[] = "<html><body><h1>It works</h1><p>Service is up.</p></body></html>";
    for (long i = 0; i < n; i++) {
        event ev = {.at_ms = i * 150, /* 100,000 events: about 4 hours */
                    .wall_ms = i,
                    .team = (int)(i % 40) + 1,
                    .kind = i % 50 == 7 ? EV_ANSWER : EV_CHECK_RESULT,
                    .subject = i % 50 == 7 ? "c2-address" : "web-up",
                    .value = i & 1,
                    .text = output,
                    .actor = i % 50 == 7 ? "Aiko" : NULL};
        if (event_store_submit(st, &ev, NULL, done, NULL) != ENSHU_OK)
            return 1;
    }
    event_store_free(st); /* every one durable */
    if (event_store_open(path, false, &st) != ENSHU_OK)
        return 1;
    printf("a ledger of %ld events, 40 teams; pages of 100:\n", n);
    timed(st, "newest, every team and kind", (event_query){.limit = 100});
    timed(st, "newest of team 7", (event_query){.team = 7, .limit = 100});
    timed(st, "newest answers of team 8",
          (event_query){.team = 8, .kinds = 1u << EV_ANSWER, .limit = 100});
    timed(st, "a page in the middle, every team", (event_query){.before_seq = n / 2, .limit = 100});
    timed(st, "the oldest page, every team", (event_query){.before_seq = 101, .limit = 100});
    event_store_free(st);
    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char *file = xasprintf("%s%s", path, suffixes[i]);
        unlink(file); /* the WAL and its index may be gone with the last close */
        free(file);
    }
    if (rmdir(dir) != 0)
        fprintf(stderr, "bench_events: %s could not be removed\n", dir);
    free(path);
    return 0;
}
