/*
 * What the benchmarks share: a monotonic clock in microseconds, sleeping to
 * a deadline, waiting for a count, percentiles of a sample, the process's
 * peak memory and the machine's load.
 */
#ifndef ENSHU_BENCH_UTIL_H
#define ENSHU_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int64_t bench_now_us(void);
void bench_sleep_until_us(int64_t at);

/* Polls count(target) every 10 ms until it reaches n or timeout_ms passes;
 * true when it reached n. */
bool bench_wait_for(int (*count)(void *), void *target, int n, int timeout_ms);

typedef struct bench_percentiles {
    double p50, p99, max;
} bench_percentiles;

/* Sorts the sample in place; zeros when it is empty. */
bench_percentiles bench_percentiles_of(float *sample, size_t n);

/* Peak resident memory (VmHWM) in KiB, and its reset to the current size. */
long bench_peak_rss_kb(void);
void bench_reset_peak_rss(void);

/* "load average WHEN: 1 5 15 (N cores)" on stdout. */
void bench_print_load(const char *when);

#endif
