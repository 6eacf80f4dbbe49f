/*
 * Condition variables whose timed waits count on CLOCK_MONOTONIC. The
 * default clock of pthread_cond_timedwait is CLOCK_REALTIME: a change of the
 * system clock (NTP stepping it, an administrator) would cut a wait short or
 * stretch it by as much as the clock moved. Every timed wait of the engine
 * goes through a condition made here and a deadline from monotonic_deadline().
 */
#ifndef ENSHU_MONOTONIC_COND_H
#define ENSHU_MONOTONIC_COND_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* pthread_cond_init with the monotonic clock. */
void monotonic_cond_init(pthread_cond_t *cond);

/* The CLOCK_MONOTONIC time ms milliseconds from now (ms <= 0: now), the
 * deadline to give pthread_cond_timedwait on a condition made above. */
struct timespec monotonic_deadline(int64_t ms);

#endif
