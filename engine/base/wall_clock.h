/*
 * The wall clock an exercise keeps its times by: real time, not monotonic,
 * because it must agree across restarts of enshu (the ledger holds the
 * times of a run that goes on after a crash).
 */
#ifndef ENSHU_WALL_CLOCK_H
#define ENSHU_WALL_CLOCK_H

#include <stdint.h>

/* Milliseconds since the epoch. The argument is unused: so it fits
 * exercise_hooks.wall_ms (exercise.h). */
int64_t wall_clock_ms(void *unused);

#endif
