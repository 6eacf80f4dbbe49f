/*
 * The after-action report as JSON: the scenario, the class summary, each
 * team's score, objectives, timeline, reports and score history, and the
 * same rows as the CSV (README.md: "After-action reports").
 */
#include "after_action_format.h"

static json_t *ms_or_null(int64_t ms)
{
    return ms >= 0 ? json_integer(ms) : json_null();
}

static json_t *median_or_null(double ms)
{
    return ms >= 0 ? json_real(ms) : json_null();
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static int hint_cost_of(const after_action *aa, const team_score *ts)
{
    int cost = 0;
    for (size_t o = 0; o < aa->s->nobjectives; o++)
        cost += ts->objectives[o].hint_cost;
    return cost;
}

static json_t *summary_json(const after_action *aa)
{
    json_t *ranking = json_array();
    for (unsigned t = 0; t < aa->nteams; t++)
        json_array_append_new(ranking,
                              json_pack("{s:i, s:s?, s:i, s:i}", "team", aa->teams[t].team, "name",
                                        after_action_team_name(aa, aa->teams[t].team), "rank",
                                        aa->teams[t].rank, "total",
                                        after_action_score(aa, (int)t + 1)->total));
    json_t *objectives = json_array();
    for (size_t o = 0; o < aa->s->nobjectives; o++) {
        const aa_objective_summary *sum = &aa->summary[o];
        json_t *j =
            json_pack("{s:s, s:s, s:s, s:i, s:i, s:i}", "id", aa->s->objectives[o].id, "kind",
                      after_action_kind_name(aa->s->objectives[o].kind), "title",
                      after_action_objective_title(aa, o), "max_points",
                      aa->s->objectives[o].points, "achieved", sum->achieved, "teams", aa->nteams);
        /* Four decimals: the same figure on every platform. */
        double share = aa->nteams ? (double)sum->achieved / aa->nteams : 0;
        json_object_set_new(j, "share", json_real((double)(long)(share * 10000 + 0.5) / 10000));
        json_object_set_new(j, "median_detection_ms", median_or_null(sum->median_detection_ms));
        json_object_set_new(j, "median_response_ms", median_or_null(sum->median_response_ms));
        json_array_append_new(objectives, j);
    }
    json_t *s = json_pack("{s:i, s:i}", "min", aa->min_total, "max", aa->max_total);
    json_object_set_new(s, "median", json_real(aa->median_total));
    json_object_set_new(s, "ranking", ranking);
    json_object_set_new(s, "objectives", objectives);
    return s;
}

static json_t *team_json(const after_action *aa, const aa_team *at)
{
    const team_score *ts = after_action_score(aa, at->team);
    int earned = 0;
    for (size_t o = 0; o < aa->s->nobjectives; o++)
        earned += ts->objectives[o].points;
    json_t *team = json_pack("{s:i, s:s?, s:s?, s:i, s:i}", "team", at->team, "name",
                             after_action_team_name(aa, at->team), "organisation",
                             after_action_team_organisation(aa, at->team), "rank", at->rank,
                             "total", ts->total);
    json_object_set_new(team, "breakdown",
                        json_pack("{s:i, s:i, s:i, s:i}", "objectives", earned, "hints",
                                  hint_cost_of(aa, ts), "penalties", ts->penalties, "requests",
                                  ts->request_cost));
    json_t *members = json_array();
    for (size_t m = 0; m < at->nmembers; m++)
        json_array_append_new(members, json_string(at->members[m].name));
    json_object_set_new(team, "members", members);

    json_t *objectives = json_array();
    for (size_t o = 0; o < aa->s->nobjectives; o++) {
        const objective_score *os = &ts->objectives[o];
        const aa_objective *ao = &at->objectives[o];
        json_t *j = json_pack(
            "{s:s, s:s, s:s, s:i, s:i, s:b, s:i, s:i, s:i}", "id", aa->s->objectives[o].id, "kind",
            after_action_kind_name(aa->s->objectives[o].kind), "title",
            after_action_objective_title(aa, o), "points", os->points, "max",
            aa->s->objectives[o].points, "achieved", os->achieved, "attempts", os->attempts,
            "hints_taken", __builtin_popcountll(os->hints_taken), "hint_cost", os->hint_cost);
        json_object_set_new(j, "achieved_ms", ms_or_null(os->achieved ? os->achieved_ms : -1));
        json_object_set_new(j, "start_inject", str_or_null(ao->start_inject));
        json_object_set_new(j, "start_ms", ms_or_null(ao->start_ms));
        json_object_set_new(j, "detection_ms", ms_or_null(after_action_detection_ms(ao)));
        json_object_set_new(j, "response_ms", ms_or_null(after_action_response_ms(ao)));
        json_object_set_new(j, "credited", str_or_null(ao->credited));
        json_array_append_new(objectives, j);
    }
    json_object_set_new(team, "objectives", objectives);

    json_t *timeline = json_array();
    char what[600];
    for (size_t i = 0; i < at->nentries; i++) {
        const aa_entry *e = &at->entries[i];
        json_t *j = json_pack("{s:I, s:s, s:s, s:s}", "at_ms", (json_int_t)e->at_ms, "kind",
                              event_kind_name(e->kind), "side", after_action_entry_side(e), "what",
                              after_action_entry_what(aa, e, what, sizeof what));
        json_object_set_new(j, "subject", str_or_null(e->subject));
        json_object_set_new(j, "outcome", str_or_null(after_action_outcome_name(e->outcome)));
        json_object_set_new(j, "text", str_or_null(e->text));
        json_object_set_new(j, "by", str_or_null(e->actor));
        json_object_set_new(j, "delta", json_integer(e->delta));
        json_object_set_new(j, "total", json_integer(e->total));
        json_array_append_new(timeline, j);
    }
    json_object_set_new(team, "timeline", timeline);

    json_t *reports = json_array();
    for (size_t i = 0; i < at->nreports; i++) {
        const aa_report *r = &at->reports[i];
        json_t *j = json_pack("{s:I, s:I, s:s, s:s}", "seq", (json_int_t)r->seq, "at_ms",
                              (json_int_t)r->at_ms, "objective", aa->s->objectives[r->objective].id,
                              "text", r->text);
        json_object_set_new(j, "by", str_or_null(r->actor));
        json_t *feedback = json_array();
        for (size_t f = 0; f < at->nfeedback; f++)
            if (at->feedback[f].report_seq == r->seq)
                json_array_append_new(feedback,
                                      json_pack("{s:I, s:s, s:s?}", "at_ms",
                                                (json_int_t)at->feedback[f].at_ms, "text",
                                                at->feedback[f].text, "by", at->feedback[f].actor));
        json_object_set_new(j, "feedback", feedback);
        json_array_append_new(reports, j);
    }
    json_object_set_new(team, "reports", reports);

    json_t *history = json_array();
    for (size_t h = 0; h < ts->nhistory; h++)
        json_array_append_new(
            history, json_pack("[I, i]", (json_int_t)ts->history[h].at_ms, ts->history[h].total));
    json_object_set_new(team, "history", history);
    return team;
}

static void row_json(const after_action *aa, const aa_row *r, void *arg)
{
    const objective_score *os = &r->score->objectives[r->objective];
    const aa_objective *ao = &r->team->objectives[r->objective];
    json_t *j =
        json_pack("{s:i, s:s?, s:i, s:i, s:s, s:i, s:i, s:b, s:i, s:i}", "team", r->team->team,
                  "member", r->member ? r->member->name : NULL, "rank", r->team->rank, "team_total",
                  r->score->total, "objective", aa->s->objectives[r->objective].id, "points",
                  os->points, "max_points", aa->s->objectives[r->objective].points, "achieved",
                  os->achieved, "attempts", os->attempts, "actions", r->actions);
    json_object_set_new(j, "team_name", str_or_null(after_action_team_name(aa, r->team->team)));
    json_object_set_new(j, "detection_ms", ms_or_null(after_action_detection_ms(ao)));
    json_object_set_new(j, "response_ms", ms_or_null(after_action_response_ms(ao)));
    json_object_set_new(j, "credited", r->credited < 0 ? json_null() : json_boolean(r->credited));
    json_array_append_new(arg, j);
}

json_t *after_action_to_json(const after_action *aa, int team)
{
    const scenario *s = aa->s;
    json_t *out = json_pack("{s:s}", "format", "enshu.after_action.1");
    json_t *sc =
        json_pack("{s:s, s:s, s:b}", "id", s->id, "title",
                  after_action_text(aa, &s->title) ? after_action_text(aa, &s->title) : s->id,
                  "tabletop", s->tabletop);
    json_object_set_new(sc, "language", str_or_null(s->default_language));
    json_object_set_new(out, "scenario", sc);
    json_object_set_new(out, "teams_count", json_integer(aa->nteams));
    json_object_set_new(out, "max_points", json_integer(grader_max_points(aa->grader)));
    json_object_set_new(out, "startex_wall_ms",
                        aa->startex_wall_ms ? json_integer(aa->startex_wall_ms) : json_null());
    json_object_set_new(out, "endex_ms", ms_or_null(aa->endex_ms));
    json_object_set_new(out, "summary", summary_json(aa));
    json_t *teams = json_array();
    for (unsigned t = 0; t < aa->nteams; t++)
        if (!team || aa->teams[t].team == team)
            json_array_append_new(teams, team_json(aa, &aa->teams[t]));
    json_object_set_new(out, "teams", teams);
    json_t *rows = json_array();
    after_action_each_row(aa, team, row_json, rows);
    json_object_set_new(out, "rows", rows);
    return out;
}
