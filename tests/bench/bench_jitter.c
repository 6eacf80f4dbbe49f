/*
 * Benchmark: inject firing jitter. 1,000 scheduled injects (25 per team,
 * 40 teams, many due at the same instant) whose actions only record; the
 * engine sleeps until its next wakeup as it would live. Jitter is how late
 * each action starts against its scheduled wall time. Every fire is
 * recorded durably in the ledger first. Target: p99 <= 50 ms.
 */
#include "alloc.h"
#include "errors.h"
#include "exercise.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEAMS 40
#define INJECTS 25

static int64_t wall_now(void *ctx)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static double start_us;
static double jitter_ms[TEAMS * INJECTS];
static int64_t at_ms[INJECTS];
static int fired;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int run_inject(void *ctx, int team, const inject *inj, char **output)
{
    double late = (now_us() - start_us) / 1000.0 - (double)inj->at_ms;
    pthread_mutex_lock(&lock);
    jitter_ms[fired++] = late;
    pthread_mutex_unlock(&lock);
    return ENSHU_OK;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    *passing = true;
    return ENSHU_OK;
}

static int compare(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    /* 25 injects between 1 s and 13 s, two of them at each instant. */
    char *yaml = xstrdup("enshu: 1\nid: jitter\ntitle: Jitter\nteams: {max: 40}\n"
                         "network: {segments: [{name: lan}]}\n"
                         "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
                         "injects:\n");
    for (int i = 0; i < INJECTS; i++) {
        at_ms[i] = 1000 + (i / 2) * 1000;
        char *next =
            xasprintf("%s  - {id: i%d, at: %lldms, note: n}\n", yaml, i, (long long)at_ms[i]);
        free(yaml);
        yaml = next;
    }
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_buffer("jitter.yaml", yaml, strlen(yaml), d);
    diag_list_print(d, stderr);
    if (!s)
        return 1;
    char dir[] = "/tmp/enshu-bench-jitter-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char *path = xasprintf("%s/events.db", dir);
    event_store *ledger;
    if (event_store_open(path, true, &ledger) != ENSHU_OK)
        return 1;
    exercise_hooks hooks = {run_inject, run_check, wall_now, NULL, NULL, 0};
    exercise *ex = exercise_new(s, TEAMS, ledger, &hooks);
    /* STARTEX is the wall millisecond the clock reads now. */
    start_us = (double)wall_now(NULL) * 1000.0;
    if (exercise_start(ex) != ENSHU_OK)
        return 1;
    while (fired < TEAMS * INJECTS) {
        int64_t next = exercise_step(ex);
        if (next == INT64_MAX)
            break;
        int64_t wait = next - wall_now(NULL);
        if (wait > 0) {
            struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    qsort(jitter_ms, (size_t)fired, sizeof(double), compare);
    printf("inject firing jitter: %d injects over %d teams (actions record only; each fire\n"
           "is written to the ledger before and after its action)\n",
           fired, TEAMS);
    printf("  p50 %.1f ms, p99 %.1f ms, max %.1f ms (target p99 <= 50 ms)\n", jitter_ms[fired / 2],
           jitter_ms[fired * 99 / 100], jitter_ms[fired - 1]);
    exercise_free(ex);
    event_store_free(ledger);
    char *cmd = xasprintf("rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    free(cmd);
    free(path);
    free(yaml);
    scenario_free(s);
    diag_list_free(d);
    return fired == TEAMS * INJECTS ? 0 : 1;
}
