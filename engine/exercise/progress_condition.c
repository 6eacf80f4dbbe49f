/*
 * Conditions on a team's progress, read from its score (see
 * progress_condition.h). Every fact is a first_time the grader marks when
 * it first happens: a condition holds from then on, so "for: 5m" counts
 * from that moment.
 */
#include "progress_condition.h"

#include <stddef.h>

/* The fact c waits for in ts; NULL when the scenario has no such name. */
static const first_time *fact(const scenario *s, const team_score *ts, const condition *c)
{
    if (!c->ref || !ts)
        return NULL;
    if (c->kind == COND_REQUEST) {
        const team_request *r = scenario_request(s, c->ref);
        if (!r)
            return NULL;
        const request_score *rs = &ts->requests[r - s->requests];
        return c->stage == REQUEST_ASKED     ? &rs->first_asked
               : c->stage == REQUEST_REFUSED ? &rs->first_refused
                                             : &rs->first_approved;
    }
    const objective *o = scenario_objective(s, c->ref);
    if (!o)
        return NULL;
    const objective_score *os = &ts->objectives[o - s->objectives];
    switch (c->kind) {
    case COND_OBJECTIVE:
        return &os->reached;
    case COND_ANSWERED:
        return c->answered == ANSWERED_RIGHT   ? &os->reached
               : c->answered == ANSWERED_WRONG ? &os->answered_wrong
                                               : &os->answered;
    case COND_REPORT:
        return &os->reported;
    default:
        return NULL;
    }
}

/* A hint condition: the numbered hint, or the first of the objective's
 * hints taken. */
static bool hint_taken(const scenario *s, const team_score *ts, const condition *c,
                       int64_t *since_ms)
{
    const objective *o = c->ref && ts ? scenario_objective(s, c->ref) : NULL;
    if (!o)
        return false;
    const objective_score *os = &ts->objectives[o - s->objectives];
    bool found = false;
    for (size_t h = 0; h < o->nhints; h++) {
        if ((c->hint && (size_t)c->hint != h + 1) || !os->hints[h].happened)
            continue;
        if (!found || os->hints[h].at_ms < *since_ms)
            *since_ms = os->hints[h].at_ms;
        found = true;
    }
    return found;
}

bool progress_condition_holds(const scenario *s, const team_score *ts, const condition *c,
                              int64_t *since_ms)
{
    if (c->kind == COND_HINT)
        return hint_taken(s, ts, c, since_ms);
    const first_time *f = fact(s, ts, c);
    if (!f || !f->happened)
        return false;
    *since_ms = f->at_ms;
    return true;
}

void progress_condition_describe(const scenario *s, const team_score *ts, const condition *c,
                                 FILE *f)
{
    static const char *const STAGES[] = {"asked", "approved", "refused"};
    int64_t since = 0;
    bool yes = progress_condition_holds(s, ts, c, &since);
    const char *ref = c->ref ? c->ref : "?";
    switch (c->kind) {
    case COND_OBJECTIVE:
        fprintf(f, "objective %s %s", ref, yes ? "achieved" : "not achieved");
        break;
    case COND_ANSWERED:
        fprintf(f, "question %s %s%s", ref, yes ? "answered" : "not answered",
                c->answered == ANSWERED_RIGHT   ? " right"
                : c->answered == ANSWERED_WRONG ? " wrong"
                                                : "");
        break;
    case COND_REPORT:
        fprintf(f, "report %s %s", ref, yes ? "handed in" : "not handed in");
        break;
    case COND_HINT:
        if (c->hint)
            fprintf(f, "hint %d of %s %s", c->hint, ref, yes ? "taken" : "not taken");
        else
            fprintf(f, "a hint of %s %s", ref, yes ? "taken" : "not taken");
        break;
    case COND_REQUEST:
        fprintf(f, "request %s %s%s", ref, yes ? "" : "not ", STAGES[c->stage]);
        break;
    default:
        break;
    }
}
