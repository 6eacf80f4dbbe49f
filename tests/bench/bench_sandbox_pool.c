/*
 * Benchmark: a self-paced course's sandbox pool under a burst of trainees.
 * By default 20 trainees arrive within 10 s (uniformly, a fixed seed) at a
 * pool of 4 warm sandboxes, with 4 builds at once (one per host) and a
 * build that takes 30 s (+-20%) on a simulated clock. The sandboxes are real one-team
 * ranges of intro-office on 4 simulated libvirt hosts (the test:/// driver:
 * defined and "started" in memory, no guests boot), placed by the pool
 * from the hosts' slots; only the durations of builds are simulated.
 *
 * Prints the distribution (p50, p95, max) of:
 *   - the pool's decision per request (measured: the pool's own work);
 *   - the time from a trainee's request to their sandbox (simulated time);
 *   - the queue time of those who waited, and the error of the estimate
 *     each was given on arrival (simulated time).
 *
 * Usage: bench_sandbox_pool [TRAINEES [WINDOW_S [POOL [JOBS [BUILD_S [HOST_BUILDS]]]]]]
 */
#include "alloc.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "sandbox_hosts.h"
#include "sandbox_pool.h"

#include <sodium.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_TRAINEES 1000
#define T0 1700000000000LL

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A fixed sequence (xorshift64), so that runs compare. */
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static double uniform(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / (double)(1ULL << 53);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank; sorts v. */
static void print_dist(const char *what, const char *unit, double *v, size_t n)
{
    if (n == 0) {
        printf("  %-44s n=0\n", what);
        return;
    }
    qsort(v, n, sizeof *v, cmp_double);
    size_t p50 = (size_t)ceil(0.50 * (double)n) - 1, p95 = (size_t)ceil(0.95 * (double)n) - 1;
    printf("  %-44s n=%-3zu p50 %8.3f  p95 %8.3f  max %8.3f %s\n", what, n, v[p50], v[p95],
           v[n - 1], unit);
}

typedef struct build_job {
    unsigned sandbox;
    int64_t done_at;
} build_job;

typedef struct bench {
    sandbox_pool *pool;
    host_list *hosts;
    conn_cache *conns;
    build_job jobs[64];
    size_t njobs;
    int64_t build_ms;
    double real_build_s; /* test:/// builds and teardowns, measured */
    unsigned builds;
    int failures;
} bench;

/* Starts every job the pool wants now. A build is carried out on its
 * simulated host at once and reported done after its simulated duration;
 * a teardown is carried out and reported at once. */
static void take_actions(bench *b, int64_t now)
{
    sandbox_action a;
    while (sandbox_pool_next_action(b->pool, now, &a)) {
        const char *uri = b->hosts->items[a.host].uri;
        int64_t t0 = now_us();
        if (a.kind == SANDBOX_BUILD) {
            b->failures |= sandbox_range_build(BENCH_SCENARIO, "bench", a.sandbox, uri, 0, false,
                                               b->conns) != 0;
            b->jobs[b->njobs++] = (build_job){
                .sandbox = a.sandbox,
                .done_at = now + (int64_t)((double)b->build_ms * (0.8 + 0.4 * uniform()))};
            b->builds++;
        } else {
            b->failures |= sandbox_range_teardown("bench", a.sandbox, b->conns) != 0;
            b->failures |= sandbox_pool_torn_down(b->pool, a.sandbox, now, true) != 0;
        }
        b->real_build_s += (double)(now_us() - t0) / 1e6;
    }
}

/* The next build to end (index), or SIZE_MAX. */
static size_t next_job(const bench *b)
{
    size_t best = SIZE_MAX;
    for (size_t i = 0; i < b->njobs; i++)
        if (best == SIZE_MAX || b->jobs[i].done_at < b->jobs[best].done_at)
            best = i;
    return best;
}

int main(int argc, char **argv)
{
    unsigned trainees = argc > 1 ? (unsigned)atoi(argv[1]) : 20;
    double window_s = argc > 2 ? atof(argv[2]) : 10;
    unsigned warm = argc > 3 ? (unsigned)atoi(argv[3]) : 4;
    unsigned max_jobs = argc > 4 ? (unsigned)atoi(argv[4]) : 4;
    double build_s = argc > 5 ? atof(argv[5]) : 30;
    unsigned host_builds = argc > 6 ? (unsigned)atoi(argv[6]) : 1;
    if (trainees == 0 || trainees > MAX_TRAINEES || max_jobs == 0 || max_jobs > 64 ||
        sodium_init() < 0) {
        fprintf(stderr,
                "usage: bench_sandbox_pool [TRAINEES (1-%d) [WINDOW_S [POOL [JOBS (1-64) "
                "[BUILD_S [HOST_BUILDS]]]]]]\n",
                MAX_TRAINEES);
        return 2;
    }
    char tmpl[] = "/tmp/enshu-bench-pool-XXXXXX";
    const char *dir = mkdtemp(tmpl);
    if (!dir)
        return 1;
    char *cmd =
        xasprintf("set -e; for i in workstation server attacker router; do mkdir -p %s/images/$i; "
                  "touch %s/images/$i/vmlinuz %s/images/$i/initrd.img; "
                  "qemu-img create -q -f qcow2 %s/images/$i/disk.qcow2 32M; "
                  "printf '{\"name\": \"%%s\", \"origin\": \"built\", \"os\": \"linux\", "
                  "\"exec\": \"sh\", \"boot\": \"kernel\", \"addressing\": \"cmdline\", "
                  "\"consoles\": [\"serial\"], \"memory_mib\": 160, \"vcpus\": 1, \"disk\": "
                  "\"disk.qcow2\", \"sha256\": \"%%064d\"}' $i 0 > %s/images/$i/image.json; done; "
                  "printf 'hosts:\\n' > %s/hosts.yaml; for n in 1 2 3 4; do "
                  "printf '  - {uri: \"test://%s/sim%%s.xml\"}\\n' $n >> %s/hosts.yaml; done",
                  dir, dir, dir, dir, dir, dir, BENCH_HOSTS_DIR, dir);
    if (system(cmd) != 0)
        return 1;
    free(cmd);
    char *images = xasprintf("%s/images", dir), *hosts_path = xasprintf("%s/hosts.yaml", dir);
    char *pool_dir = xasprintf("%s/pool", dir);
    setenv("ENSHU_STATE_DIR", dir, 1);
    setenv("ENSHU_IMAGE_DIR", images, 1);
    setenv("ENSHU_POOL_DIR", pool_dir, 1);
    libvirt_setup();

    bench b = {.conns = conn_cache_new(), .build_ms = (int64_t)(build_s * 1000)};
    unsigned *slots = NULL;
    if (sandbox_hosts_slots(BENCH_SCENARIO, hosts_path, b.conns, &b.hosts, &slots) != 0)
        return 1;
    sandbox_pool_config cfg = {.course_code = "BENCH",
                               .warm = warm,
                               .max_jobs = max_jobs,
                               .host_builds = host_builds,
                               .ttl_ms = 2 * 3600 * 1000,
                               .build_guess_ms = b.build_ms,
                               .teardown_guess_ms = 5000};
    b.pool = sandbox_pool_new(&cfg, slots, b.hosts->count);
    if (!b.pool)
        return 1;

    /* The pool fills before the course opens. */
    int64_t now = T0;
    take_actions(&b, now);
    for (size_t j; (j = next_job(&b)) != SIZE_MAX;) {
        now = b.jobs[j].done_at;
        b.failures |= sandbox_pool_built(b.pool, b.jobs[j].sandbox, now, true) != 0;
        b.jobs[j] = b.jobs[--b.njobs];
        take_actions(&b, now);
    }
    int64_t fill_ms = now - T0;
    unsigned fill_builds = b.builds;
    double fill_real_s = b.real_build_s;

    /* Arrivals, in order, within the window after the pool is full. */
    int64_t open_at = now;
    int64_t *arrive = xcalloc(trainees, sizeof *arrive);
    for (unsigned i = 0; i < trainees; i++)
        arrive[i] = open_at + (int64_t)(uniform() * window_s * 1000);
    for (unsigned i = 1; i < trainees; i++) /* in order of arrival (insertion sort) */
        for (unsigned k = i; k > 0 && arrive[k] < arrive[k - 1]; k--) {
            int64_t t = arrive[k];
            arrive[k] = arrive[k - 1];
            arrive[k - 1] = t;
        }
    unsigned *ticket = xcalloc(trainees, sizeof *ticket);
    int64_t *estimate = xcalloc(trainees, sizeof *estimate);
    int64_t *granted = xcalloc(trainees, sizeof *granted);
    double *decide_ms = xcalloc(trainees, sizeof *decide_ms);
    unsigned next = 0, done = 0;
    while (done < trainees && !b.failures) {
        size_t j = next_job(&b);
        bool arrival = next < trainees && (j == SIZE_MAX || arrive[next] <= b.jobs[j].done_at);
        if (!arrival && j == SIZE_MAX) {
            fprintf(stderr, "bench_sandbox_pool: trainees wait and nothing is being built\n");
            return 1;
        }
        if (arrival) {
            now = arrive[next];
            char name[32];
            snprintf(name, sizeof name, "trainee-%02u", next + 1);
            sandbox_grant g;
            int64_t t0 = now_us();
            int rc = sandbox_pool_request(b.pool, "BENCH", name, now, &g);
            decide_ms[next] = (double)(now_us() - t0) / 1000.0;
            if (rc != 0)
                return 1;
            if (g.queued) {
                ticket[next] = g.ticket;
                estimate[next] = g.estimate_ms;
            } else {
                granted[next] = now;
                done++;
            }
            next++;
        } else {
            now = b.jobs[j].done_at;
            b.failures |= sandbox_pool_built(b.pool, b.jobs[j].sandbox, now, true) != 0;
            b.jobs[j] = b.jobs[--b.njobs];
            /* Those the pool granted meanwhile collect their sandbox now. */
            for (unsigned i = 0; i < next; i++) {
                sandbox_grant g;
                if (ticket[i] && !granted[i] &&
                    sandbox_pool_poll(b.pool, ticket[i], now, &g) == 0 && !g.queued) {
                    granted[i] = now;
                    done++;
                }
            }
        }
        take_actions(&b, now);
    }

    double *to_sandbox = xcalloc(trainees, sizeof(double));
    double *queued = xcalloc(trainees, sizeof(double));
    double *est_err = xcalloc(trainees, sizeof(double));
    size_t nq = 0;
    for (unsigned i = 0; i < trainees; i++) {
        to_sandbox[i] = (double)(granted[i] - arrive[i]) / 1000.0;
        if (ticket[i]) {
            queued[nq] = to_sandbox[i];
            est_err[nq++] = fabs((double)(estimate[i] - (granted[i] - arrive[i]))) / 1000.0;
        }
    }
    printf("bench_sandbox_pool: %u trainees arriving within %.0f s; pool of %u warm, %u builds at "
           "once, %u per host (0: no bound)\n",
           trainees, window_s, warm, max_jobs, host_builds);
    printf("simulated: the hosts (4 libvirt test:/// hosts, slots from their memory: ");
    for (size_t h = 0; h < b.hosts->count; h++)
        printf("%s%u", h ? ", " : "", slots[h]);
    printf(" sandboxes of one intro-office team),\n"
           "           the clock, and each build's duration (%.0f s +-20%%); the ranges are really "
           "defined there\n",
           build_s);
    printf("  pool filled before opening: %u builds, %.0f s simulated (%.2f s of test:/// work)\n",
           fill_builds, (double)fill_ms / 1000.0, fill_real_s);
    print_dist("pool decision per request (measured)", "ms", decide_ms, trainees);
    print_dist("request to sandbox, all trainees (simulated)", "s", to_sandbox, trainees);
    print_dist("queue time, trainees who waited (simulated)", "s", queued, nq);
    print_dist("|estimate - actual wait| (simulated)", "s", est_err, nq);
    printf("  builds during the burst: %u (%.2f s of test:/// work)\n", b.builds - fill_builds,
           b.real_build_s - fill_real_s);

    /* The course closes: everything comes down from the hosts. */
    sandbox_pool_drain(b.pool);
    while (sandbox_pool_count(b.pool, SANDBOX_STATE_COUNT) > 0 && !b.failures) {
        take_actions(&b, now);
        size_t j = next_job(&b);
        if (j != SIZE_MAX) {
            now = b.jobs[j].done_at;
            b.failures |= sandbox_pool_built(b.pool, b.jobs[j].sandbox, now, true) != 0;
            b.jobs[j] = b.jobs[--b.njobs];
        }
    }
    int failures = b.failures;
    sandbox_pool_free(b.pool);
    host_list_free(b.hosts);
    conn_cache_free(b.conns);
    free(slots);
    free(arrive);
    free(ticket);
    free(estimate);
    free(granted);
    free(decide_ms);
    free(to_sandbox);
    free(queued);
    free(est_err);
    cmd = xasprintf("rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    free(cmd);
    free(images);
    free(hosts_path);
    free(pool_dir);
    if (failures)
        fprintf(stderr, "bench_sandbox_pool: a build or teardown on the simulated hosts failed\n");
    return failures ? 1 : 0;
}
