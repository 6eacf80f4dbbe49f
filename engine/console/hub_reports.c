/*
 * Instructors' work on reports and teams: written feedback on one of a
 * team's reports (report.feedback), and a team's name and organisation
 * (team.rename). Both are recorded in the ledger by the exercise
 * (EV_FEEDBACK, EV_TEAM_NAMED), so they reach sessions as every event
 * does (console_view.c: `feedback`, `team`) and survive a restart.
 */
#include "alloc.h"
#include "errors.h"
#include "hub_internal.h"

#include <stdio.h>
#include <string.h>

void hub_handle_report_feedback(console_hub *hub, session *ss, const console_request *rq)
{
    if ((unsigned)rq->team > hub->nteams) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such team");
        return;
    }
    int64_t seq = 0;
    int rc = exercise_feedback(hub->cfg.ex, rq->team, rq->objective, rq->report, rq->text, ss->name,
                               &seq);
    if (rc == ENSHU_ENOTFOUND) {
        char message[200];
        snprintf(message, sizeof message, "team %d has no report %lld on objective '%.60s'",
                 rq->team, (long long)rq->report, rq->objective);
        hub_reply_error(hub, ss, rq->id, "not_found", message);
        return;
    }
    if (rc != ENSHU_OK) {
        hub_reply_rc(hub, ss, rq->id, rc, "report.feedback");
        return;
    }
    hub_reply_ok(hub, ss, rq->id, json_pack("{s:I}", "seq", (json_int_t)seq));
    console_hub_notify(hub);
}

void hub_handle_team_rename(console_hub *hub, session *ss, const console_request *rq)
{
    if ((unsigned)rq->team > hub->nteams) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such team");
        return;
    }
    const char *problem = team_name_problem(rq->name, rq->organisation);
    if (problem) {
        console_error err = {.code = "bad_request",
                             .field = team_name_problem(rq->name, NULL) ? "name" : "organisation"};
        snprintf(err.message, sizeof err.message, "%s", problem);
        hub_send_text(hub, ss->id, console_reply_error(rq->id, &err));
        return;
    }
    int64_t seq = 0;
    int rc = exercise_name_team(hub->cfg.ex, rq->team, rq->name, rq->organisation, ss->name, &seq);
    if (rc == ENSHU_EEXIST) {
        hub_reply_error(hub, ss, rq->id, "conflict", "another team has that name");
        return;
    }
    if (rc != ENSHU_OK) {
        hub_reply_rc(hub, ss, rq->id, rc, "team.rename");
        return;
    }
    hub_reply_ok(hub, ss, rq->id, json_pack("{s:I}", "seq", (json_int_t)seq));
    console_hub_notify(hub);
}

json_t *hub_team_names(console_hub *hub)
{
    json_t *list = json_array();
    exercise_lock(hub->cfg.ex);
    const team_names *tn = exercise_team_names(hub->cfg.ex);
    for (unsigned t = 1; t <= hub->nteams; t++) {
        const char *name = team_names_name(tn, (int)t);
        if (!name)
            continue;
        json_t *o = json_pack("{s:i, s:s}", "team", (int)t, "name", name);
        const char *org = team_names_organisation(tn, (int)t);
        if (org)
            json_object_set_new(o, "organisation", json_string(org));
        json_array_append_new(list, o);
    }
    exercise_unlock(hub->cfg.ex);
    return list;
}
