/*
 * What the benchmarks share (see bench_util.h).
 */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int64_t bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void bench_sleep_until_us(int64_t at)
{
    int64_t d = at - bench_now_us();
    if (d > 0) {
        struct timespec ts = {d / 1000000, (d % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
}

bool bench_wait_for(int (*count)(void *), void *target, int n, int timeout_ms)
{
    int64_t deadline = bench_now_us() + (int64_t)timeout_ms * 1000;
    while (count(target) < n && bench_now_us() < deadline) {
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    return count(target) >= n;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

bench_percentiles bench_percentiles_of(float *sample, size_t n)
{
    bench_percentiles p = {0, 0, 0};
    if (n == 0)
        return p;
    qsort(sample, n, sizeof(float), cmp_float);
    p.p50 = sample[n / 2];
    p.p99 = sample[(size_t)((double)(n - 1) * 0.99)];
    p.max = sample[n - 1];
    return p;
}

long bench_peak_rss_kb(void)
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

void bench_reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

void bench_print_load(const char *when)
{
    FILE *f = fopen("/proc/loadavg", "r");
    double l1 = 0, l5 = 0, l15 = 0;
    if (f && fscanf(f, "%lf %lf %lf", &l1, &l5, &l15) == 3)
        printf("load average %s: %.2f %.2f %.2f (%ld cores)\n", when, l1, l5, l15,
               sysconf(_SC_NPROCESSORS_ONLN));
    if (f)
        fclose(f);
}
