/*
 * Requests on the running exercise: answers, reports (with their files),
 * hints and team requests (asked and decided); inject and report
 * attachments; a team's timeline; the scoreboard; and the instructor's
 * control of the exercise, its injects, grades and broadcasts.
 */
#include "alloc.h"
#include "base64.h"
#include "errors.h"
#include "hub_internal.h"
#include "ledger_meta.h"
#include "log.h"
#include "timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *scores_array(console_hub *hub, int only_team)
{
    json_t *teams = json_array();
    for (unsigned t = 1; t <= hub->nteams; t++) {
        if (only_team && (int)t != only_team)
            continue;
        const team_score *ts = grader_team(hub->grader, (int)t);
        json_t *o = console_view_score(&hub->view, ts);
        json_object_del(o, "type");
        json_t *history = json_array();
        for (size_t k = 0; k < ts->nhistory; k++)
            json_array_append_new(history, json_pack("[I, i]", (json_int_t)ts->history[k].at_ms,
                                                     ts->history[k].total));
        json_object_set_new(o, "history", history);
        json_array_append_new(teams, o);
    }
    return teams;
}

void hub_handle_submission(console_hub *hub, session *ss, const console_request *rq)
{
    int team = hub_team_for(hub, ss, rq, false);
    if (team <= 0)
        return;
    exercise_submission sub = {
        .team = team, .objective = rq->objective, .text = rq->text, .actor = ss->name};
    sub.kind = rq->type == REQ_ANSWER ? EV_ANSWER : rq->type == REQ_REPORT ? EV_REPORT : EV_HINT;
    if (rq->type == REQ_HINT)
        sub.value = rq->index;
    if (rq->type == REQ_REPORT && rq->attachment_name) {
        /* A report's value is the size of its attached file (0: none). */
        size_t size = 0;
        char *bytes = base64_decode(rq->attachment_data, &size);
        free(bytes);
        if (!bytes) {
            hub_reply_error(hub, ss, rq->id, "bad_request", "the attachment's data is not base64");
            return;
        }
        sub.value = (int64_t)size;
    }
    int64_t seq = 0;
    int rc = exercise_submit(hub->cfg.ex, &sub, &seq);
    if (rc != ENSHU_OK) {
        hub_reply_rc(hub, ss, rq->id, rc, request_type_name(rq->type));
        return;
    }
    if (rq->type == REQ_REPORT && rq->attachment_name) {
        /* Kept beside the event: the report's text stays readable alone. */
        char key[48];
        snprintf(key, sizeof key, LEDGER_META_REPORT_FILE, (long long)seq);
        json_t *att =
            json_pack("{s:s, s:s}", "name", rq->attachment_name, "data", rq->attachment_data);
        char *text = json_dumps(att, JSON_COMPACT);
        json_decref(att);
        if (event_store_set_meta(hub->cfg.ledger, key, text) != ENSHU_OK)
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: consoles: the attachment of report %lld was not kept\n",
                       (long long)seq);
        free(text);
    }
    hub_reply_ok(hub, ss, rq->id, json_pack("{s:I}", "seq", (json_int_t)seq));
}

/* A team asks for one of the scenario's requests (request.ask); an
 * instructor may ask on a team's behalf, naming it. */
void hub_handle_team_request(console_hub *hub, session *ss, const console_request *rq)
{
    int team = hub_team_for(hub, ss, rq, false);
    if (team <= 0)
        return;
    int64_t seq = 0;
    int rc = exercise_request_ask(hub->cfg.ex, team, rq->request, rq->text, ss->name, &seq);
    if (rc != ENSHU_OK) {
        hub_reply_rc(hub, ss, rq->id, rc, request_type_name(rq->type));
        return;
    }
    hub_reply_ok(hub, ss, rq->id, json_pack("{s:I}", "seq", (json_int_t)seq));
    console_hub_notify(hub);
}

/* The file a team attached to a report: for that team and instructors.
 * Found in the hub's index of reports; its bytes are one keyed read of the
 * ledger's meta. */
static void handle_report_attachment(console_hub *hub, session *ss, const console_request *rq)
{
    const report_file *r = hub_find_report(hub, rq->report);
    if (!r || (ss->role == ROLE_TEAM && r->team != ss->team)) {
        if (r)
            hub_log_refusal(ss, "another team's report attachment");
        hub_reply_error(hub, ss, rq->id, "not_found", "no such report attachment");
        return;
    }
    char key[48];
    snprintf(key, sizeof key, LEDGER_META_REPORT_FILE, (long long)rq->report);
    char *stored = event_store_get_meta(hub->cfg.ledger, key);
    json_t *att = stored ? json_loads(stored, 0, NULL) : NULL;
    free(stored);
    if (!json_is_string(json_object_get(att, "data"))) {
        json_decref(att);
        hub_reply_error(hub, ss, rq->id, "not_found", "the report's attachment was not kept");
        return;
    }
    json_object_set_new(att, "report", json_integer(rq->report));
    hub_send_text(hub, ss->id, console_reply(rq->id, "attachment", att));
}

void hub_handle_attachment(console_hub *hub, session *ss, const console_request *rq)
{
    if (rq->report > 0) {
        handle_report_attachment(hub, ss, rq);
        return;
    }
    if (!rq->inject) {
        hub_reply_error(hub, ss, rq->id, "bad_request", "give 'inject' or 'report'");
        return;
    }
    int team = hub_team_for(hub, ss, rq, false);
    if (team <= 0)
        return;
    const inject *inj = scenario_inject(hub->s, rq->inject);
    size_t i = inj ? (size_t)(inj - hub->s->injects) : 0;
    bool fired = false;
    if (inj) {
        exercise_lock(hub->cfg.ex);
        fired = timeline_state(exercise_timeline(hub->cfg.ex, team), i) == INJECT_FIRED;
        exercise_unlock(hub->cfg.ex);
    }
    if (!inj || !inj->action.attachment_content || (!fired && ss->role == ROLE_TEAM)) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such attachment (yet)");
        return;
    }
    char *data = base64_encode(inj->action.attachment_content, inj->action.attachment_size);
    const char *base = strrchr(inj->action.attachment, '/');
    hub_send_text(hub, ss->id,
                  console_reply(rq->id, "attachment",
                                json_pack("{s:s, s:s, s:s}", "inject", inj->id, "name",
                                          base ? base + 1 : inj->action.attachment, "data", data)));
    free(data);
}

static const char *const STATE_NAMES[] = {"pending", "fired", "failed", "skipped"};

/* Why pending inject i has not fired, as a code and its parameters, for
 * consoles to say in their language (web/PROTOCOL.md, `timeline`). */
static json_t *inject_reason(const timeline *tl, size_t i, int64_t now, timeline_clock clock)
{
    static const char *const CODES[] = {
        [TIMELINE_WAIT_HELD] = "held",   [TIMELINE_WAIT_NODE_DOWN] = "node_down",
        [TIMELINE_WAIT_DUE] = "due",     [TIMELINE_WAIT_MANUAL] = "manual",
        [TIMELINE_WAIT_AFTER] = "after", [TIMELINE_WAIT_WHEN] = "when",
        [TIMELINE_WAIT_UNTIL] = "until"};
    timeline_reason r;
    timeline_reason_of(tl, i, now, clock == TIMELINE_ENDED ? TIMELINE_RUNNING : clock, &r);
    json_t *o = json_pack("{s:s}", "code", CODES[r.wait]);
    if (r.wait == TIMELINE_WAIT_NODE_DOWN)
        json_object_set_new(o, "node", json_string(r.ref));
    if (r.wait == TIMELINE_WAIT_AFTER) {
        json_object_set_new(o, "inject", json_string(r.ref));
        json_object_set_new(o, "state", json_string(STATE_NAMES[r.ref_state]));
    }
    if (r.wait == TIMELINE_WAIT_WHEN) {
        char *cond = timeline_condition_text(tl, i, now);
        json_object_set_new(o, "condition", json_string(cond));
        free(cond);
    }
    if (r.wait == TIMELINE_WAIT_UNTIL) {
        json_object_set_new(o, "at_ms", json_integer(r.at_ms));
        if (r.ref) {
            json_object_set_new(o, "inject", json_string(r.ref));
            json_object_set_new(o, "delay_ms", json_integer(r.delay_ms));
        }
    }
    if (r.paused && r.wait != TIMELINE_WAIT_HELD)
        json_object_set_new(o, "paused", json_true());
    if (clock == TIMELINE_ENDED) /* it never will: what it waited for at the end */
        return json_pack("{s:s, s:o}", "code", "ended", "then", o);
    return o;
}

void hub_handle_timeline(console_hub *hub, session *ss, const console_request *rq)
{
    int team = hub_team_for(hub, ss, rq, false);
    if (team <= 0)
        return;
    json_t *fields = json_object();
    json_object_set_new(fields, "team", json_integer(team));
    if (ss->role == ROLE_INSTRUCTOR) {
        console_audience a = hub_audience_of(ss);
        json_t *injects = json_array();
        exercise *ex = hub->cfg.ex;
        int64_t now = exercise_now(ex);
        exercise_phase phase = exercise_get_phase(ex);
        timeline_clock clock = phase == PHASE_ENDED     ? TIMELINE_ENDED
                               : phase != PHASE_RUNNING ? TIMELINE_PAUSED
                                                        : TIMELINE_RUNNING;
        exercise_lock(ex);
        const timeline *tl = exercise_timeline(ex, team);
        for (size_t i = 0; i < hub->s->ninjects; i++) {
            const inject *inj = &hub->s->injects[i];
            inject_state st = timeline_state(tl, i);
            json_t *o = json_pack("{s:s, s:s}", "id", inj->id, "state", STATE_NAMES[st]);
            char *title = console_view_text(&hub->view, &a, team, &inj->title);
            json_object_set_new(o, "title", json_string(*title ? title : inj->id));
            free(title);
            if (st != INJECT_PENDING)
                json_object_set_new(o, "at_ms", json_integer(timeline_done_at(tl, i)));
            else
                json_object_set_new(o, "held", json_boolean(timeline_held(tl, i)));
            if (st == INJECT_PENDING) {
                char *why = timeline_explain(tl, i, now, clock);
                json_object_set_new(o, "why", json_string(why));
                free(why);
                json_object_set_new(o, "reason", inject_reason(tl, i, now, clock));
            }
            if (inj->action.kind == ACTION_NOTE) { /* for the instructors alone */
                char *note = console_view_text(&hub->view, &a, team, &inj->action.note);
                json_object_set_new(o, "note", json_string(note));
                free(note);
            }
            json_array_append_new(injects, o);
        }
        exercise_unlock(ex);
        json_object_set_new(fields, "injects", injects);
    }
    /* The team's events as the team saw them, in this session's language:
     * copied from the team's feed, already encoded. */
    const team_feed *feed = &hub->feeds[team - 1];
    size_t lang = hub_lang_index(hub, ss->lang);
    if (feed->forgot)
        json_object_set_new(fields, "truncated", json_true());
    char *head = console_reply(rq->id, "timeline", fields);
    if (!head)
        return;
    static const char open[] = ",\"events\":[", close[] = "]}";
    size_t hl = strlen(head) - 1; /* without its closing brace */
    char *out = xmalloc(hl + sizeof open + feed->bytes + feed->count + sizeof close);
    memcpy(out, head, hl);
    free(head);
    size_t n = hl;
    memcpy(out + n, open, sizeof open - 1);
    n += sizeof open - 1;
    for (size_t k = 0; k < feed->count; k++) {
        size_t slot = (feed->first + k) % TIMELINE_EVENTS;
        const char *text = feed->texts[slot * hub->nlangs + lang];
        if (!text)
            text = feed->texts[slot * hub->nlangs];
        size_t len = strlen(text);
        if (k)
            out[n++] = ',';
        memcpy(out + n, text, len);
        n += len;
    }
    memcpy(out + n, close, sizeof close - 1);
    n += sizeof close - 1;
    hub_send_bytes(hub, ss->id, out, n, false);
    free(out);
}

void hub_handle_instructor(console_hub *hub, session *ss, const console_request *rq)
{
    exercise *ex = hub->cfg.ex;
    int rc = ENSHU_OK;
    switch (rq->type) {
    case REQ_EXERCISE_START:
        rc = exercise_control(ex, EXERCISE_START, 0, ss->name);
        break;
    case REQ_EXERCISE_PAUSE:
        rc = exercise_control(ex, EXERCISE_PAUSE, 0, ss->name);
        break;
    case REQ_EXERCISE_RESUME:
        rc = exercise_control(ex, EXERCISE_RESUME, 0, ss->name);
        break;
    case REQ_EXERCISE_END:
        rc = exercise_control(ex, EXERCISE_END, 0, ss->name);
        break;
    case REQ_EXERCISE_SPEED:
        rc = exercise_control(ex, EXERCISE_SPEED, rq->speed, ss->name);
        break;
    case REQ_INJECT_RELEASE:
    case REQ_INJECT_SKIP:
    case REQ_INJECT_HOLD:
    case REQ_INJECT_RETRY: {
        if ((unsigned)rq->team > hub->nteams) {
            hub_reply_error(hub, ss, rq->id, "not_found", "no such team");
            return;
        }
        inject_action_kind what = rq->type == REQ_INJECT_RELEASE ? INJECT_RELEASE
                                  : rq->type == REQ_INJECT_SKIP  ? INJECT_SKIP
                                  : rq->type == REQ_INJECT_RETRY ? INJECT_RETRY
                                  : rq->held                     ? INJECT_HOLD
                                                                 : INJECT_UNHOLD;
        rc = exercise_inject_action(ex, rq->team, rq->inject, what, ss->name);
        break;
    }
    case REQ_SCOREBOARD:
        if (ss->role != ROLE_INSTRUCTOR && !hub->s->public_scoreboard) {
            hub_log_refusal(ss, "scoreboard");
            hub_reply_error(hub, ss, rq->id, "forbidden",
                            "this exercise keeps its scoreboard private");
            return;
        }
        hub_send_text(hub, ss->id,
                      console_reply(rq->id, "scoreboard",
                                    json_pack("{s:o, s:i}", "teams", scores_array(hub, 0), "max",
                                              grader_max_points(hub->grader))));
        return;
    case REQ_GRADE: {
        char item[16];
        snprintf(item, sizeof item, "%d", rq->item);
        exercise_submission sub = {.team = rq->team,
                                   .kind = EV_GRADE,
                                   .objective = rq->objective,
                                   .text = item,
                                   .value = rq->points,
                                   .actor = ss->name};
        rc = exercise_submit(ex, &sub, NULL);
        break;
    }
    case REQ_BROADCAST:
        rc = exercise_broadcast(ex, rq->team > 0 ? rq->team : 0, rq->text, ss->name);
        break;
    case REQ_NODE_RESTART:
    case REQ_NODE_REVERT:
        hub_handle_node_power(hub, ss, rq);
        return;
    case REQ_CODE_ROTATE:
        hub_handle_code_rotate(hub, ss, rq);
        return;
    case REQ_MEMBERS:
        hub_handle_members(hub, ss, rq);
        return;
    case REQ_MEMBER_REMOVE:
        hub_handle_member_remove(hub, ss, rq);
        return;
    case REQ_REPORT_FEEDBACK:
        hub_handle_report_feedback(hub, ss, rq);
        return;
    case REQ_TEAM_RENAME:
        hub_handle_team_rename(hub, ss, rq);
        return;
    case REQ_REQUEST_DECIDE:
        if ((unsigned)rq->team > hub->nteams) {
            hub_reply_error(hub, ss, rq->id, "not_found", "no such team");
            return;
        }
        rc = exercise_request_decide(ex, rq->team, rq->request, rq->approve, rq->text, ss->name);
        break;
    default:
        return;
    }
    if (rc != ENSHU_OK)
        hub_reply_rc(hub, ss, rq->id, rc, request_type_name(rq->type));
    else
        hub_reply_ok(hub, ss, rq->id, NULL);
    console_hub_notify(hub);
}
