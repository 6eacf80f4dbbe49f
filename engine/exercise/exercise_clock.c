/*
 * Exercise time with pause and speed (see exercise_clock.h).
 */
#include "exercise_clock.h"

#include <math.h>

void exercise_clock_init(exercise_clock *c)
{
    c->base_exercise_ms = 0;
    c->base_wall_ms = 0;
    c->speed = 1.0;
    c->running = false;
}

int64_t exercise_clock_now(const exercise_clock *c, int64_t wall_ms)
{
    if (!c->running)
        return c->base_exercise_ms;
    return c->base_exercise_ms + (int64_t)llround((double)(wall_ms - c->base_wall_ms) * c->speed);
}

void exercise_clock_start(exercise_clock *c, int64_t wall_ms)
{
    exercise_clock_resume(c, wall_ms);
}

void exercise_clock_pause(exercise_clock *c, int64_t wall_ms)
{
    c->base_exercise_ms = exercise_clock_now(c, wall_ms);
    c->base_wall_ms = wall_ms;
    c->running = false;
}

void exercise_clock_resume(exercise_clock *c, int64_t wall_ms)
{
    if (c->running)
        return;
    c->base_wall_ms = wall_ms;
    c->running = true;
}

void exercise_clock_set_speed(exercise_clock *c, int64_t wall_ms, double speed)
{
    if (!(speed > 0) || speed > 1000)
        return;
    c->base_exercise_ms = exercise_clock_now(c, wall_ms);
    c->base_wall_ms = wall_ms;
    c->speed = speed;
}

int64_t exercise_clock_wall_at(const exercise_clock *c, int64_t ex_ms)
{
    if (!c->running)
        return INT64_MAX;
    if (ex_ms <= c->base_exercise_ms)
        return c->base_wall_ms;
    return c->base_wall_ms + (int64_t)ceil((double)(ex_ms - c->base_exercise_ms) / c->speed);
}
