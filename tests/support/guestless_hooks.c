/*
 * Hooks of an exercise without guests (see guestless_hooks.h).
 */
#include "guestless_hooks.h"
#include "alloc.h"
#include "errors.h"
#include "wall_clock.h"

static int run_inject(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    out->output = xstrdup("done (no guest)");
    return ENSHU_OK;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    *passing = false;
    return ENSHU_OK;
}

exercise_hooks guestless_hooks(void (*on_event)(void *ctx, const event *ev), void *ctx)
{
    return (exercise_hooks){.run_inject = run_inject,
                            .run_check = run_check,
                            .wall_ms = wall_clock_ms,
                            .on_event = on_event,
                            .ctx = ctx};
}
