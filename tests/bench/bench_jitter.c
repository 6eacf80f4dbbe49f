/*
 * Benchmark: inject firing jitter. 1,000 scheduled injects (25 per team,
 * 40 teams, many due at the same instant); the engine waits for its next
 * wakeup as it would live. Jitter is how late each action starts against
 * its scheduled wall time. Every fire is recorded durably in the ledger
 * before and after its action.
 *
 * Two runs: a baseline whose actions only record, and one where team 1's
 * actions each sleep 3 s (a guest that answers slowly). The figures are the
 * other teams' jitter: a slow team must hold back no other team.
 * Target: p99 <= 50 ms in both runs.
 */
#include "alloc.h"
#include "bench_util.h"
#include "errors.h"
#include "exercise.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TEAMS 40
#define INJECTS 25
#define SLOW_MS 3000

static int64_t wall_now(void *ctx)
{
    return bench_now_us() / 1000;
}

typedef struct run_state {
    int slow_team; /* 0: none */
    int64_t start_us;
    pthread_mutex_t lock;
    float jitter_ms[TEAMS * INJECTS]; /* of the teams that are not slow */
    int fired;                        /* by those teams */
    int slow_fired;
} run_state;

static int run_inject(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    run_state *r = ctx;
    float late = (float)((double)(bench_now_us() - r->start_us) / 1000.0 - (double)inj->at_ms);
    pthread_mutex_lock(&r->lock);
    if (team == r->slow_team)
        r->slow_fired++;
    else
        r->jitter_ms[r->fired++] = late;
    pthread_mutex_unlock(&r->lock);
    if (team == r->slow_team) {
        struct timespec ts = {SLOW_MS / 1000, (SLOW_MS % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    return ENSHU_OK;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    *passing = true;
    return ENSHU_OK;
}

static int fired_so_far(run_state *r)
{
    pthread_mutex_lock(&r->lock);
    int n = r->fired;
    pthread_mutex_unlock(&r->lock);
    return n;
}

/* One exercise of TEAMS teams until every team but the slow one fired all
 * its injects; the percentiles of their jitter. */
static int run(const scenario *s, int slow_team, bench_percentiles *out, int *slow_fired)
{
    char dir[] = "/tmp/enshu-bench-jitter-XXXXXX";
    if (!mkdtemp(dir))
        return -1;
    char *path = xasprintf("%s/events.db", dir);
    event_store *ledger;
    if (event_store_open(path, true, &ledger) != ENSHU_OK)
        return -1;
    run_state *r = xcalloc(1, sizeof(run_state));
    r->slow_team = slow_team;
    pthread_mutex_init(&r->lock, NULL);
    int want = (slow_team ? TEAMS - 1 : TEAMS) * INJECTS;
    /* As `enshu run` does: injects and checks on threads of their own. */
    exercise_hooks hooks = {run_inject, run_check, wall_now, NULL, r, 2};
    exercise *ex = exercise_new(s, TEAMS, ledger, &hooks);
    /* STARTEX is the wall millisecond the clock reads now. */
    r->start_us = wall_now(NULL) * 1000;
    if (exercise_start(ex) != ENSHU_OK)
        return -1;
    while (fired_so_far(r) < want) {
        int64_t next = exercise_step(ex);
        int64_t wait = next == INT64_MAX ? 200 : next - wall_now(NULL);
        if (wait > 200)
            wait = 200; /* as `enshu run` does */
        exercise_wait(ex, wait);
    }
    pthread_mutex_lock(&r->lock);
    *out = bench_percentiles_of(r->jitter_ms, (size_t)r->fired);
    *slow_fired = r->slow_fired;
    pthread_mutex_unlock(&r->lock);
    exercise_free(ex); /* waits for the slow team's action under way */
    event_store_free(ledger);
    char *cmd = xasprintf("rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    free(cmd);
    free(path);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return 0;
}

int main(void)
{
    /* 25 injects between 1 s and 13 s, two of them at each instant. */
    char *yaml = xstrdup("enshu: 1\nid: jitter\ntitle: Jitter\nteams: {max: 40}\n"
                         "network: {segments: [{name: lan}]}\n"
                         "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
                         "injects:\n");
    for (int i = 0; i < INJECTS; i++) {
        long long at = 1000 + (i / 2) * 1000;
        char *next = xasprintf("%s  - {id: i%d, at: %lldms, note: n}\n", yaml, i, at);
        free(yaml);
        yaml = next;
    }
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_buffer("jitter.yaml", yaml, strlen(yaml), d);
    diag_list_print(d, stderr);
    if (!s)
        return 1;
    bench_print_load("before");
    bench_percentiles base, slow;
    int none, slow_fired;
    if (run(s, 0, &base, &none) != 0 || run(s, 1, &slow, &slow_fired) != 0)
        return 1;
    printf("inject firing jitter: %d injects over %d teams, each fire written to the ledger\n"
           "before and after its action (target p99 <= 50 ms)\n",
           TEAMS * INJECTS, TEAMS);
    printf(
        "  actions record only:        p50 %6.1f ms, p99 %6.1f ms, max %6.1f ms (all %d teams)\n",
        base.p50, base.p99, base.max, TEAMS);
    printf("  team 1's actions sleep %d s: p50 %6.1f ms, p99 %6.1f ms, max %6.1f ms (the other %d "
           "teams;\n                              team 1 had fired %d of its %d meanwhile)\n",
           SLOW_MS / 1000, slow.p50, slow.p99, slow.max, TEAMS - 1, slow_fired, INJECTS);
    bench_print_load("after");
    free(yaml);
    scenario_free(s);
    diag_list_free(d);
    return 0;
}
