/*
 * The clocks of an exercise's teams. In a class every team reads the one
 * exercise clock (exercise_clock.h), which the instructor starts, pauses
 * and ends for all. In a self-paced course each team slot is one
 * trainee's sandbox, with a clock of its own: it starts when the trainee
 * begins, pauses while they are away if the scenario says so, and ends
 * when they finish or at their sandbox's TTL; nothing one trainee does
 * moves another's clock.
 *
 * In the ledger a team's clock change is an EV_EXERCISE_STATE event with
 * its team set (the class's have team 0) and the same fields: at_ms the
 * team's time, wall_ms, value the speed x 1000, text the phase ("ready",
 * "running", "paused", "ended"). team_clocks_apply replays both kinds, so
 * one apply_event rebuilds every clock after a crash, as exercise.c does
 * for the class clock. A ledger of a class never holds a team's clock
 * event, so classes replay as before.
 *
 * exercise.c keeps its clocks here: apply_event hands every
 * EV_EXERCISE_STATE to team_clocks_apply; the events of team t take at_ms
 * from team_clocks_now(t); exercise_step steps each team's timeline at its
 * own now, skips teams whose clock is not running, and wakes at the least
 * team_clocks_wall_at of their next due times; exercise_team_control and
 * exercise_team_away record a team's changes made by team_clocks_change
 * and team_clocks_away.
 *
 * Pure: wall time is passed in. Not locked: the exercise's lock guards it.
 */
#ifndef ENSHU_TEAM_CLOCKS_H
#define ENSHU_TEAM_CLOCKS_H

#include "event.h"
#include "exercise_clock.h"

#include <stdbool.h>
#include <stdint.h>

typedef enum team_phase {
    TEAM_READY, /* before the trainee began */
    TEAM_RUNNING,
    TEAM_PAUSED,
    TEAM_ENDED,
    TEAM_PHASE_COUNT
} team_phase;

/* "ready", "running", "paused", "ended" (the exercise's phase names). */
const char *team_phase_name(team_phase phase);

typedef struct team_clocks team_clocks;

/* Clocks for teams 1..nteams: one each when per_team (a self-paced
 * course), else all of them the exercise's. All stand at 0, ready. */
team_clocks *team_clocks_new(unsigned nteams, bool per_team);
void team_clocks_free(team_clocks *tc);

bool team_clocks_per_team(const team_clocks *tc);

/* The clock team reads: its own in a course, else the exercise's (team 0
 * is always the exercise's). NULL for a team out of range. */
const exercise_clock *team_clocks_of(const team_clocks *tc, int team);
/* The phase of team's clock, as team_clocks_of chooses it. */
team_phase team_clocks_phase(const team_clocks *tc, int team);

/* Team's time at wall (its own clock's or the exercise's); 0 out of range. */
int64_t team_clocks_now(const team_clocks *tc, int team, int64_t wall);
/* Wall time at which team's time reaches ex_ms; INT64_MAX while its clock
 * stands or out of range. */
int64_t team_clocks_wall_at(const team_clocks *tc, int team, int64_t ex_ms);

/* Applies an EV_EXERCISE_STATE event (team 0: the exercise's clock; team
 * t: team t's own, ignored in a class); other events change nothing. */
void team_clocks_apply(team_clocks *tc, const event *ev);

/*
 * The event that moves team's own clock to phase `to` at wall, by actor
 * (borrowed): started from ready, paused from running, resumed (running)
 * from paused, ended from any phase but ended. It is not applied: record
 * it, and apply it as every event. ENSHU_EINVAL: a class (no team has its
 * own clock), team 0 or out of range, or a move its phase does not allow.
 */
int team_clocks_change(const team_clocks *tc, int team, team_phase to, int64_t wall,
                       const char *actor, event *out) __attribute__((warn_unused_result));

/*
 * A trainee leaves (away true) or comes back: when the scenario pauses a
 * trainee's clock while they are away (pauses_while_away), the event that
 * pauses or resumes it, as team_clocks_change. ENSHU_EEXIST: nothing to
 * change (the scenario keeps clocks running, or the clock is not running
 * when they leave, or not paused when they come back).
 */
int team_clocks_away(const team_clocks *tc, int team, bool away, bool pauses_while_away,
                     int64_t wall, const char *actor, event *out)
    __attribute__((warn_unused_result));

#endif
