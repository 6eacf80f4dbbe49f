/*
 * The clock for measuring intervals: timeouts, ages, rates. CLOCK_MONOTONIC
 * does not move when the system clock is set, so an interval never comes out
 * negative or hours long. Times an exercise records go by wall_clock.h.
 */
#ifndef ENSHU_MONOTONIC_CLOCK_H
#define ENSHU_MONOTONIC_CLOCK_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (from an unspecified start): only
 * differences mean anything. Thread-safe. */
int64_t monotonic_ms(void);

#endif
