/*
 * Scoring from events (see grader.h).
 */
#include "grader.h"
#include "alloc.h"
#include "answer_match.h"

#include <stdlib.h>
#include <string.h>

struct grader {
    const scenario *s;
    unsigned nteams;
    team_score *teams;
    answer_matcher **matchers; /* per objective; NULL unless a question */
    size_t *after;             /* per objective: index of its 'after' inject, or SIZE_MAX */
    bool *fired;               /* [team][inject]: fired for that team */
};

grader *grader_new(const scenario *s, unsigned nteams)
{
    grader *g = xcalloc(1, sizeof(grader));
    g->s = s;
    g->nteams = nteams;
    g->teams = xcalloc(nteams, sizeof(team_score));
    g->matchers = xcalloc(s->nobjectives, sizeof(answer_matcher *));
    g->after = xcalloc(s->nobjectives + 1, sizeof(size_t));
    g->fired = xcalloc((size_t)nteams * s->ninjects + 1, sizeof(bool));
    for (size_t o = 0; o < s->nobjectives; o++) {
        g->matchers[o] = answer_matcher_new(&s->objectives[o]);
        const inject *after = s->objectives[o].after ? scenario_inject(s, s->objectives[o].after)
                                                     : NULL;
        g->after[o] = after ? (size_t)(after - s->injects) : SIZE_MAX;
    }
    for (unsigned t = 0; t < nteams; t++) {
        team_score *ts = &g->teams[t];
        ts->team = (int)t + 1;
        ts->objectives = xcalloc(s->nobjectives, sizeof(objective_score));
        for (size_t o = 0; o < s->nobjectives; o++)
            if (s->objectives[o].nrubric)
                ts->objectives[o].rubric = xcalloc(s->objectives[o].nrubric, sizeof(int));
    }
    return g;
}

void grader_free(grader *g)
{
    if (!g)
        return;
    for (unsigned t = 0; t < g->nteams; t++) {
        for (size_t o = 0; o < g->s->nobjectives; o++)
            free(g->teams[t].objectives[o].rubric);
        free(g->teams[t].objectives);
        free(g->teams[t].history);
    }
    for (size_t o = 0; o < g->s->nobjectives; o++)
        answer_matcher_free(g->matchers[o]);
    free(g->matchers);
    free(g->after);
    free(g->fired);
    free(g->teams);
    free(g);
}

const team_score *grader_team(const grader *g, int team)
{
    return team >= 1 && (unsigned)team <= g->nteams ? &g->teams[team - 1] : NULL;
}

unsigned grader_teams(const grader *g)
{
    return g->nteams;
}

int grader_max_points(const grader *g)
{
    int max = 0;
    for (size_t o = 0; o < g->s->nobjectives; o++)
        max += g->s->objectives[o].points;
    return max;
}

static void recompute_total(team_score *ts, size_t nobjectives, int64_t at_ms)
{
    int total = -ts->penalties;
    for (size_t o = 0; o < nobjectives; o++)
        total += ts->objectives[o].points - ts->objectives[o].hint_cost;
    if (total == ts->total && ts->nhistory)
        return;
    ts->total = total;
    XGROW(ts->history, ts->cap_history, ts->nhistory + 1);
    ts->history[ts->nhistory].at_ms = at_ms;
    ts->history[ts->nhistory].total = total;
    ts->nhistory++;
}

static void achieve(objective_score *os, const objective *o, int64_t at_ms)
{
    os->achieved = true;
    os->achieved_ms = at_ms;
    os->points = o->points;
}

/* False while the objective's 'after' inject has not fired for the team. */
static bool objective_open(const grader *g, const team_score *ts, size_t i)
{
    size_t a = g->after[i];
    return a == SIZE_MAX || g->fired[(size_t)(ts->team - 1) * g->s->ninjects + a];
}

static void apply_check(grader *g, team_score *ts, const event *ev)
{
    if (!ev->value)
        return;
    for (size_t i = 0; i < g->s->nobjectives; i++) {
        const objective *o = &g->s->objectives[i];
        if (o->kind == OBJ_CHECK && o->check && strcmp(o->check, ev->subject) == 0 &&
            !ts->objectives[i].achieved && objective_open(g, ts, i))
            achieve(&ts->objectives[i], o, ev->at_ms);
    }
}

static void apply_answer(grader *g, team_score *ts, size_t i, const event *ev)
{
    const objective *o = &g->s->objectives[i];
    objective_score *os = &ts->objectives[i];
    if (o->kind != OBJ_QUESTION || os->achieved || (o->attempts && os->attempts >= o->attempts))
        return;
    os->attempts++;
    if (answer_matches(g->matchers[i], ev->text))
        achieve(os, o, ev->at_ms);
}

static void apply_grade(grader *g, team_score *ts, size_t i, const event *ev)
{
    const objective *o = &g->s->objectives[i];
    objective_score *os = &ts->objectives[i];
    char *end;
    long item = ev->text ? strtol(ev->text, &end, 10) : -1;
    if (o->kind != OBJ_REPORT || !ev->text || *end || item < 0 || (size_t)item >= o->nrubric)
        return;
    int points = (int)ev->value;
    if (points < 0)
        points = 0;
    if (points > o->rubric[item].points)
        points = o->rubric[item].points;
    os->rubric[item] = points;
    os->points = 0;
    for (size_t r = 0; r < o->nrubric; r++)
        os->points += os->rubric[r];
    os->achieved = true;
    os->achieved_ms = ev->at_ms;
}

static void apply_hint(grader *g, team_score *ts, size_t i, const event *ev)
{
    const objective *o = &g->s->objectives[i];
    objective_score *os = &ts->objectives[i];
    if (ev->value < 0 || (size_t)ev->value >= o->nhints || ev->value >= 64)
        return;
    uint64_t bit = 1ULL << ev->value;
    if (os->hints_taken & bit)
        return;
    os->hints_taken |= bit;
    os->hint_cost += o->hints[ev->value].cost;
}

static size_t objective_index(const grader *g, const char *id)
{
    for (size_t i = 0; id && i < g->s->nobjectives; i++)
        if (strcmp(g->s->objectives[i].id, id) == 0)
            return i;
    return SIZE_MAX;
}

void grader_apply(grader *g, const event *ev)
{
    team_score *ts = (team_score *)grader_team(g, ev->team);
    if (!ts)
        return;
    size_t i;
    switch (ev->kind) {
    case EV_INJECT_FIRED: {
        const inject *inj = ev->subject ? scenario_inject(g->s, ev->subject) : NULL;
        if (inj)
            g->fired[(size_t)(ev->team - 1) * g->s->ninjects + (size_t)(inj - g->s->injects)] = true;
        return;
    }
    case EV_CHECK_RESULT:
        if (ev->subject)
            apply_check(g, ts, ev);
        break;
    case EV_ANSWER:
        if ((i = objective_index(g, ev->subject)) != SIZE_MAX && objective_open(g, ts, i))
            apply_answer(g, ts, i, ev);
        break;
    case EV_GRADE:
        if ((i = objective_index(g, ev->subject)) != SIZE_MAX && objective_open(g, ts, i))
            apply_grade(g, ts, i, ev);
        break;
    case EV_HINT:
        if ((i = objective_index(g, ev->subject)) != SIZE_MAX)
            apply_hint(g, ts, i, ev);
        break;
    case EV_PENALTY:
        ts->penalties += (int)(ev->value > 0 ? ev->value : 0);
        break;
    default:
        return;
    }
    recompute_total(ts, g->s->nobjectives, ev->at_ms);
}
