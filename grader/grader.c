/*
 * Scoring from events (see grader.h).
 */
#include "grader.h"
#include "alloc.h"
#include "answer_match.h"
#include "template.h"

#include <stdlib.h>
#include <string.h>

struct grader {
    const scenario *s;
    unsigned nteams;
    team_score *teams;
    answer_matcher **matchers;      /* per objective; NULL unless a question */
    size_t *after;                  /* per objective: index of its 'after' inject, or SIZE_MAX */
    bool *fired;                    /* [team][inject]: fired for that team */
    int64_t *fired_at;              /* [team][inject]: exercise time it fired */
    int64_t *fired_wall;            /* [team][inject]: wall clock it fired */
    size_t *decay_from;             /* per objective: index of its decay inject, or SIZE_MAX */
    size_t *penalty_after;          /* per penalty rule: index of its 'after' inject, or SIZE_MAX */
    signed char *last_check;        /* [team][check]: -1 unknown, 0 failing, 1 passing */
    const team_vars *vars;          /* each team's template values, or NULL */
    answer_matcher **team_matchers; /* [team][objective]: templated answers, made on use */
    bool *templated;                /* per objective: its answers hold templates */
};

static size_t inject_index_or_none(const scenario *s, const char *id)
{
    const inject *inj = id ? scenario_inject(s, id) : NULL;
    return inj ? (size_t)(inj - s->injects) : SIZE_MAX;
}

grader *grader_new(const scenario *s, unsigned nteams)
{
    grader *g = xcalloc(1, sizeof(grader));
    g->s = s;
    g->nteams = nteams;
    g->teams = xcalloc(nteams, sizeof(team_score));
    g->matchers = xcalloc(s->nobjectives, sizeof(answer_matcher *));
    g->after = xcalloc(s->nobjectives + 1, sizeof(size_t));
    g->fired = xcalloc((size_t)nteams * s->ninjects + 1, sizeof(bool));
    g->fired_at = xcalloc((size_t)nteams * s->ninjects + 1, sizeof(int64_t));
    g->fired_wall = xcalloc((size_t)nteams * s->ninjects + 1, sizeof(int64_t));
    g->decay_from = xcalloc(s->nobjectives + 1, sizeof(size_t));
    g->penalty_after = xcalloc(s->npenalties + 1, sizeof(size_t));
    g->last_check = xmalloc((size_t)nteams * s->nchecks + 1);
    memset(g->last_check, -1, (size_t)nteams * s->nchecks + 1);
    g->team_matchers = xcalloc((size_t)nteams * s->nobjectives + 1, sizeof(answer_matcher *));
    g->templated = xcalloc(s->nobjectives + 1, sizeof(bool));
    for (size_t o = 0; o < s->nobjectives; o++) {
        const objective *obj = &s->objectives[o];
        g->matchers[o] = answer_matcher_new(obj);
        g->after[o] = inject_index_or_none(s, obj->after);
        g->decay_from[o] = inject_index_or_none(s, obj->decay.from);
        for (size_t v = 0; obj->kind == OBJ_QUESTION && v < obj->nvalues; v++)
            g->templated[o] = g->templated[o] || template_has(obj->values[v]);
    }
    for (size_t p = 0; p < s->npenalties; p++)
        g->penalty_after[p] = inject_index_or_none(s, s->penalties[p].after);
    for (unsigned t = 0; t < nteams; t++) {
        team_score *ts = &g->teams[t];
        ts->team = (int)t + 1;
        ts->objectives = xcalloc(s->nobjectives, sizeof(objective_score));
        ts->penalty_rules = xcalloc(s->npenalties + 1, sizeof(int));
        ts->requests = xcalloc(s->nrequests + 1, sizeof(request_score));
        for (size_t o = 0; o < s->nobjectives; o++) {
            if (s->objectives[o].nrubric)
                ts->objectives[o].rubric = xcalloc(s->objectives[o].nrubric, sizeof(int));
            ts->objectives[o].hints = xcalloc(s->objectives[o].nhints + 1, sizeof(first_time));
        }
    }
    return g;
}

void grader_free(grader *g)
{
    if (!g)
        return;
    for (unsigned t = 0; t < g->nteams; t++) {
        for (size_t o = 0; o < g->s->nobjectives; o++) {
            free(g->teams[t].objectives[o].rubric);
            free(g->teams[t].objectives[o].hints);
        }
        free(g->teams[t].objectives);
        free(g->teams[t].requests);
        free(g->teams[t].penalty_rules);
        free(g->teams[t].history);
    }
    for (size_t o = 0; o < g->s->nobjectives; o++)
        answer_matcher_free(g->matchers[o]);
    for (size_t i = 0; i < (size_t)g->nteams * g->s->nobjectives; i++)
        answer_matcher_free(g->team_matchers[i]);
    free(g->team_matchers);
    free(g->templated);
    free(g->matchers);
    free(g->after);
    free(g->fired);
    free(g->fired_at);
    free(g->fired_wall);
    free(g->decay_from);
    free(g->penalty_after);
    free(g->last_check);
    free(g->teams);
    free(g);
}

const team_score *grader_team(const grader *g, int team)
{
    return team >= 1 && (unsigned)team <= g->nteams ? &g->teams[team - 1] : NULL;
}

void grader_set_team_vars(grader *g, const team_vars *v)
{
    g->vars = v;
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
    int total = -ts->penalties - ts->request_cost;
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

/* Marks the first time something happened. */
static void first(first_time *f, int64_t at_ms)
{
    if (!f->happened) {
        f->happened = true;
        f->at_ms = at_ms;
    }
}

static void achieve(objective_score *os, const objective *o, int64_t at_ms)
{
    os->achieved = true;
    os->achieved_ms = at_ms;
    os->points = o->points;
    first(&os->reached, at_ms);
}

/* An objective's points when achieved `late` ms after its decay inject:
 * full up to decay.full, then linearly down to decay.floor at zero_at. */
int grader_decayed_points(const objective *o, int64_t late)
{
    const decay_rule *d = &o->decay;
    if (!d->from || late <= d->full_ms)
        return o->points;
    if (late >= d->zero_at_ms || d->zero_at_ms <= d->full_ms)
        return d->floor;
    int64_t span = d->zero_at_ms - d->full_ms, lost = (int64_t)(o->points - d->floor);
    /* rounded to the nearest point */
    return o->points - (int)((lost * (late - d->full_ms) + span / 2) / span);
}

static bool team_fired(const grader *g, const team_score *ts, size_t inject_i)
{
    return inject_i != SIZE_MAX && g->fired[(size_t)(ts->team - 1) * g->s->ninjects + inject_i];
}

/* Objective i, achieved at at_ms, earns what its decay leaves (check and
 * question objectives alike: the time that counts is when it was achieved). */
static void apply_decay(const grader *g, team_score *ts, size_t i, int64_t at_ms)
{
    size_t from = g->decay_from[i];
    if (team_fired(g, ts, from))
        ts->objectives[i].points = grader_decayed_points(
            &g->s->objectives[i],
            at_ms - g->fired_at[(size_t)(ts->team - 1) * g->s->ninjects + from]);
}

/* Whether something seen at exercise time at_ms comes after inject_i fired
 * for the team (SIZE_MAX: no such inject, always). A check's result carries
 * when its probe began: one that began before the inject took effect may be
 * recorded after it, and shows the guest as it was before. */
static bool seen_after(const grader *g, const team_score *ts, size_t inject_i, int64_t at_ms)
{
    if (inject_i == SIZE_MAX)
        return true;
    size_t slot = (size_t)(ts->team - 1) * g->s->ninjects + inject_i;
    return g->fired[slot] && at_ms >= g->fired_at[slot];
}

/* False while the objective's 'after' inject has not fired for the team. */
static bool objective_open(const grader *g, const team_score *ts, size_t i)
{
    return g->after[i] == SIZE_MAX || team_fired(g, ts, g->after[i]);
}

/* Penalty rules: points taken each time the check turns to the rule's state,
 * up to the rule's max. */
static void apply_penalty_rules(grader *g, team_score *ts, const event *ev, bool turned)
{
    for (size_t p = 0; turned && p < g->s->npenalties; p++) {
        const penalty_rule *r = &g->s->penalties[p];
        if (!r->check || strcmp(r->check, ev->subject) != 0 ||
            (ev->value != 0) != r->when_passing ||
            !seen_after(g, ts, g->penalty_after[p], ev->at_ms))
            continue;
        int take = r->points;
        if (r->max && ts->penalty_rules[p] + take > r->max)
            take = r->max - ts->penalty_rules[p];
        ts->penalty_rules[p] += take;
        ts->penalties += take;
    }
}

static void apply_check(grader *g, team_score *ts, const event *ev)
{
    const check *c = scenario_check(g->s, ev->subject);
    if (c) {
        /* The exercise may record the same state again (after an inject):
         * only a change of state is a turn. */
        signed char *last =
            &g->last_check[(size_t)(ts->team - 1) * g->s->nchecks + (size_t)(c - g->s->checks)];
        bool turned = *last != (signed char)(ev->value != 0);
        *last = ev->value != 0;
        apply_penalty_rules(g, ts, ev, turned);
    }
    if (!ev->value)
        return;
    for (size_t i = 0; i < g->s->nobjectives; i++) {
        const objective *o = &g->s->objectives[i];
        if (o->kind == OBJ_CHECK && o->check && strcmp(o->check, ev->subject) == 0 &&
            !ts->objectives[i].achieved && seen_after(g, ts, g->after[i], ev->at_ms)) {
            achieve(&ts->objectives[i], o, ev->at_ms);
            apply_decay(g, ts, i, ev->at_ms);
        }
    }
}

/* The matcher for team's answers to objective i: its templates filled in. */
static const answer_matcher *matcher_for(grader *g, const team_score *ts, size_t i)
{
    if (!g->templated[i] || !g->vars)
        return g->matchers[i];
    answer_matcher **m = &g->team_matchers[(size_t)(ts->team - 1) * g->s->nobjectives + i];
    if (!*m)
        *m = answer_matcher_new_for_team(&g->s->objectives[i], g->vars, ts->team);
    return *m;
}

static void apply_answer(grader *g, team_score *ts, size_t i, const event *ev)
{
    const objective *o = &g->s->objectives[i];
    objective_score *os = &ts->objectives[i];
    if (o->kind != OBJ_QUESTION || os->achieved || (o->attempts && os->attempts >= o->attempts))
        return;
    os->attempts++;
    bool right;
    if (o->answer == ANSWER_TIME) {
        size_t inj = inject_index_or_none(g->s, o->time_inject);
        right = team_fired(g, ts, inj) &&
                answer_time_matches(ev->text,
                                    g->fired_wall[(size_t)(ts->team - 1) * g->s->ninjects + inj],
                                    o->tolerance_ms);
    } else {
        right = answer_matches(matcher_for(g, ts, i), ev->text);
    }
    first(&os->answered, ev->at_ms);
    if (!right) {
        first(&os->answered_wrong, ev->at_ms);
        return;
    }
    achieve(os, o, ev->at_ms);
    apply_decay(g, ts, i, ev->at_ms);
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
    first(&os->reached, ev->at_ms);
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
    first(&os->hints[ev->value], ev->at_ms);
}

static void approve(team_score *ts, const team_request *r, request_score *rs, int64_t at_ms)
{
    rs->approved++;
    first(&rs->first_approved, at_ms);
    rs->cost += r->cost;
    ts->request_cost += r->cost;
}

/* A team asks (EV_REQUEST) or an instructor decides (EV_REQUEST_DECIDED). */
static void apply_request(grader *g, team_score *ts, const event *ev)
{
    const team_request *r = ev->subject ? scenario_request(g->s, ev->subject) : NULL;
    if (!r)
        return;
    request_score *rs = &ts->requests[r - g->s->requests];
    if (ev->kind == EV_REQUEST) {
        if (rs->pending || rs->asked - rs->refused >= r->limit)
            return; /* one ask at a time, and at most its limit */
        rs->asked++;
        first(&rs->first_asked, ev->at_ms);
        if (r->approval == APPROVAL_AUTO)
            approve(ts, r, rs, ev->at_ms);
        else
            rs->pending = true;
        return;
    }
    if (!rs->pending)
        return;
    rs->pending = false;
    if (ev->value) {
        approve(ts, r, rs, ev->at_ms);
    } else {
        rs->refused++;
        first(&rs->first_refused, ev->at_ms);
    }
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
        size_t slot = inj ? (size_t)(ev->team - 1) * g->s->ninjects + (size_t)(inj - g->s->injects)
                          : SIZE_MAX;
        if (slot != SIZE_MAX && !g->fired[slot]) {
            g->fired[slot] = true;
            g->fired_at[slot] = ev->at_ms;
            g->fired_wall[slot] = ev->wall_ms;
        }
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
    case EV_REPORT:
        if ((i = objective_index(g, ev->subject)) != SIZE_MAX &&
            g->s->objectives[i].kind == OBJ_REPORT)
            first(&ts->objectives[i].reported, ev->at_ms);
        break;
    case EV_REQUEST:
    case EV_REQUEST_DECIDED:
        apply_request(g, ts, ev);
        break;
    case EV_PENALTY:
        ts->penalties += (int)(ev->value > 0 ? ev->value : 0);
        break;
    default:
        return;
    }
    recompute_total(ts, g->s->nobjectives, ev->at_ms);
}
