/*
 * Exercise hooks for the tests and benchmarks that run an exercise with no
 * guests behind it (a console hub over a real ledger): injects succeed
 * without acting, checks run and fail, times come from the wall clock.
 */
#ifndef ENSHU_TEST_GUESTLESS_HOOKS_H
#define ENSHU_TEST_GUESTLESS_HOOKS_H

#include "exercise.h"

/* The hooks above, telling on_event (may be NULL) with ctx of every event. */
exercise_hooks guestless_hooks(void (*on_event)(void *ctx, const event *ev), void *ctx);

#endif
