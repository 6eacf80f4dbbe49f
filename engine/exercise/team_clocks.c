/*
 * A clock per team slot for self-paced courses (see team_clocks.h).
 */
#include "team_clocks.h"
#include "alloc.h"
#include "errors.h"

#include <stdlib.h>
#include <string.h>

typedef struct one_clock {
    exercise_clock clock;
    team_phase phase;
} one_clock;

struct team_clocks {
    unsigned nteams;
    bool per_team;
    one_clock shared; /* the exercise's */
    one_clock *own;   /* per team, when per_team */
};

static const char *const PHASE_NAMES[TEAM_PHASE_COUNT] = {"ready", "running", "paused", "ended"};

const char *team_phase_name(team_phase phase)
{
    return phase < TEAM_PHASE_COUNT ? PHASE_NAMES[phase] : "?";
}

static team_phase phase_parse(const char *text)
{
    for (int p = 0; p < TEAM_PHASE_COUNT; p++)
        if (text && strcmp(text, PHASE_NAMES[p]) == 0)
            return (team_phase)p;
    return TEAM_READY;
}

static void one_init(one_clock *c)
{
    exercise_clock_init(&c->clock);
    c->phase = TEAM_READY;
}

team_clocks *team_clocks_new(unsigned nteams, bool per_team)
{
    team_clocks *tc = xcalloc(1, sizeof *tc);
    tc->nteams = nteams;
    tc->per_team = per_team;
    one_init(&tc->shared);
    if (per_team) {
        tc->own = xcalloc(nteams ? nteams : 1, sizeof *tc->own);
        for (unsigned t = 0; t < nteams; t++)
            one_init(&tc->own[t]);
    }
    return tc;
}

void team_clocks_free(team_clocks *tc)
{
    if (!tc)
        return;
    free(tc->own);
    free(tc);
}

bool team_clocks_per_team(const team_clocks *tc)
{
    return tc->per_team;
}

static const one_clock *which(const team_clocks *tc, int team)
{
    if (team < 0 || (unsigned)team > tc->nteams)
        return NULL;
    return team == 0 || !tc->per_team ? &tc->shared : &tc->own[team - 1];
}

const exercise_clock *team_clocks_of(const team_clocks *tc, int team)
{
    const one_clock *c = which(tc, team);
    return c ? &c->clock : NULL;
}

team_phase team_clocks_phase(const team_clocks *tc, int team)
{
    const one_clock *c = which(tc, team);
    return c ? c->phase : TEAM_READY;
}

int64_t team_clocks_now(const team_clocks *tc, int team, int64_t wall)
{
    const one_clock *c = which(tc, team);
    return c ? exercise_clock_now(&c->clock, wall) : 0;
}

int64_t team_clocks_wall_at(const team_clocks *tc, int team, int64_t ex_ms)
{
    const one_clock *c = which(tc, team);
    return c ? exercise_clock_wall_at(&c->clock, ex_ms) : INT64_MAX;
}

void team_clocks_apply(team_clocks *tc, const event *ev)
{
    if (ev->kind != EV_EXERCISE_STATE || ev->team < 0 || (unsigned)ev->team > tc->nteams)
        return;
    if (ev->team > 0 && !tc->per_team)
        return;
    one_clock *c = ev->team == 0 ? &tc->shared : &tc->own[ev->team - 1];
    c->phase = phase_parse(ev->text);
    c->clock.base_exercise_ms = ev->at_ms;
    c->clock.base_wall_ms = ev->wall_ms;
    c->clock.speed = ev->value > 0 ? (double)ev->value / 1000.0 : 1.0;
    c->clock.running = c->phase == TEAM_RUNNING;
}

static bool allowed(team_phase from, team_phase to)
{
    switch (to) {
    case TEAM_RUNNING:
        return from == TEAM_READY || from == TEAM_PAUSED;
    case TEAM_PAUSED:
        return from == TEAM_RUNNING;
    case TEAM_ENDED:
        return from != TEAM_ENDED;
    default:
        return false;
    }
}

int team_clocks_change(const team_clocks *tc, int team, team_phase to, int64_t wall,
                       const char *actor, event *out)
{
    if (!tc->per_team || team < 1 || (unsigned)team > tc->nteams)
        return ENSHU_EINVAL;
    const one_clock *c = &tc->own[team - 1];
    if (!allowed(c->phase, to))
        return ENSHU_EINVAL;
    *out = (event){.at_ms = exercise_clock_now(&c->clock, wall),
                   .wall_ms = wall,
                   .team = team,
                   .kind = EV_EXERCISE_STATE,
                   .value = (int64_t)(c->clock.speed * 1000.0 + 0.5),
                   .text = PHASE_NAMES[to],
                   .actor = actor};
    return ENSHU_OK;
}

int team_clocks_away(const team_clocks *tc, int team, bool away, bool pauses_while_away,
                     int64_t wall, const char *actor, event *out)
{
    if (!pauses_while_away)
        return ENSHU_EEXIST;
    team_phase now = team_clocks_phase(tc, team);
    if (now != (away ? TEAM_RUNNING : TEAM_PAUSED))
        return ENSHU_EEXIST;
    return team_clocks_change(tc, team, away ? TEAM_PAUSED : TEAM_RUNNING, wall, actor, out);
}
