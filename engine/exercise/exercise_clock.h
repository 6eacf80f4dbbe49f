/*
 * The exercise clock: exercise time (milliseconds since STARTEX) derived
 * from wall time, with pause/resume and a speed factor for rehearsals.
 * Everything the timeline schedules is in exercise time, so a pause shifts
 * every pending inject by exactly its length. Pure: the caller passes the
 * wall time, so tests need no sleeps.
 */
#ifndef ENSHU_EXERCISE_CLOCK_H
#define ENSHU_EXERCISE_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct exercise_clock {
    int64_t base_exercise_ms; /* exercise time at base_wall_ms */
    int64_t base_wall_ms;
    double speed;
    bool running; /* false before STARTEX and while paused */
} exercise_clock;

/* A clock stopped at exercise time 0. */
void exercise_clock_init(exercise_clock *c);

void exercise_clock_start(exercise_clock *c, int64_t wall_ms);
void exercise_clock_pause(exercise_clock *c, int64_t wall_ms);
void exercise_clock_resume(exercise_clock *c, int64_t wall_ms);
/* Speeds up (or slows down) from now on; speed in (0, 1000]. */
void exercise_clock_set_speed(exercise_clock *c, int64_t wall_ms, double speed);

int64_t exercise_clock_now(const exercise_clock *c, int64_t wall_ms);

/* Wall time at which exercise time ex_ms arrives if nothing changes;
 * INT64_MAX while the clock is stopped. */
int64_t exercise_clock_wall_at(const exercise_clock *c, int64_t ex_ms);

#endif
