/*
 * Scores shown to people and scripts (see score_report.h).
 */
#include "score_report.h"

static const char *objective_kind_name(objective_kind k)
{
    return k == OBJ_QUESTION ? "question" : k == OBJ_CHECK ? "check" : "report";
}

/* Achieved late, for fewer points than its own ('decay'). */
static bool decayed(const objective *o, const objective_score *os)
{
    return o->decay.from && os->achieved && os->points < o->points;
}

json_t *score_report_json(const scenario *s, const grader *g)
{
    json_t *out = json_object();
    json_object_set_new(out, "scenario", json_string(s->id));
    json_object_set_new(out, "max", json_integer(grader_max_points(g)));
    json_t *teams = json_array();
    for (unsigned t = 1; t <= grader_teams(g); t++) {
        const team_score *ts = grader_team(g, (int)t);
        json_t *team = json_pack("{s:i, s:i, s:i}", "team", ts->team, "total", ts->total,
                                 "penalties", ts->penalties);
        json_t *objectives = json_array();
        for (size_t o = 0; o < s->nobjectives; o++) {
            const objective_score *os = &ts->objectives[o];
            json_t *obj =
                json_pack("{s:s, s:s, s:i, s:i, s:b, s:i, s:i}", "id", s->objectives[o].id, "kind",
                          objective_kind_name(s->objectives[o].kind), "points", os->points, "max",
                          s->objectives[o].points, "achieved", os->achieved, "attempts",
                          os->attempts, "hint_cost", os->hint_cost);
            json_object_set_new(obj, "at_ms",
                                os->achieved ? json_integer(os->achieved_ms) : json_null());
            json_object_set_new(obj, "decayed", json_boolean(decayed(&s->objectives[o], os)));
            json_array_append_new(objectives, obj);
        }
        json_object_set_new(team, "objectives", objectives);
        json_object_set_new(team, "request_cost", json_integer(ts->request_cost));
        json_t *requests = json_array();
        for (size_t r = 0; r < s->nrequests; r++) {
            const request_score *rs = &ts->requests[r];
            json_array_append_new(
                requests, json_pack("{s:s, s:i, s:i, s:i, s:b, s:i}", "id", s->requests[r].id,
                                    "asked", rs->asked, "approved", rs->approved, "refused",
                                    rs->refused, "pending", rs->pending, "cost", rs->cost));
        }
        json_object_set_new(team, "requests", requests);
        json_t *history = json_array();
        for (size_t h = 0; h < ts->nhistory; h++)
            json_array_append_new(history, json_pack("[I, i]", (json_int_t)ts->history[h].at_ms,
                                                     ts->history[h].total));
        json_object_set_new(team, "history", history);
        json_array_append_new(teams, team);
    }
    json_object_set_new(out, "teams", teams);
    return out;
}

void score_report_print(const scenario *s, const grader *g, FILE *out)
{
    fprintf(out, "scenario %s, %u teams, at most %d points\n", s->id, grader_teams(g),
            grader_max_points(g));
    for (unsigned t = 1; t <= grader_teams(g); t++) {
        const team_score *ts = grader_team(g, (int)t);
        fprintf(out, "team %u: %d points", t, ts->total);
        if (ts->penalties)
            fprintf(out, " (penalties -%d)", ts->penalties);
        if (ts->request_cost)
            fprintf(out, " (requests -%d)", ts->request_cost);
        fputc('\n', out);
        for (size_t o = 0; o < s->nobjectives; o++) {
            const objective_score *os = &ts->objectives[o];
            fprintf(out, "  %-20s %-8s %4d/%-4d", s->objectives[o].id,
                    objective_kind_name(s->objectives[o].kind), os->points,
                    s->objectives[o].points);
            if (os->hint_cost)
                fprintf(out, "  hints -%d", os->hint_cost);
            if (os->attempts)
                fprintf(out, "  %d answers", os->attempts);
            if (decayed(&s->objectives[o], os))
                fprintf(out, "  late (decay)");
            fputc('\n', out);
        }
        for (size_t r = 0; r < s->nrequests; r++) {
            const request_score *rs = &ts->requests[r];
            if (!rs->asked)
                continue;
            fprintf(out, "  request %-12s asked %d, approved %d, refused %d%s", s->requests[r].id,
                    rs->asked, rs->approved, rs->refused, rs->pending ? ", 1 waiting" : "");
            if (rs->cost)
                fprintf(out, "  -%d", rs->cost);
            fputc('\n', out);
        }
    }
}
