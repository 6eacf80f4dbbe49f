/*
 * The hub's sessions, and replies to them: a session is found by the id
 * the transport gave it, and everything sent goes through the transport's
 * bounded queue for that id (ws_server.h).
 */
#include "alloc.h"
#include "errors.h"
#include "hub_internal.h"
#include "log.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A send fails only when the session is gone or was closed for being too
 * slow: either way the client resumes from its last seq when it comes back. */
void hub_send_bytes(console_hub *hub, uint64_t id, const void *data, size_t len, bool binary)
{
    if (ws_server_send(hub->ws, id, data, len, binary) != ENSHU_OK)
        return;
}

void hub_send_text(console_hub *hub, uint64_t id, char *text)
{
    if (text)
        hub_send_bytes(hub, id, text, strlen(text), false);
    free(text);
}

void hub_send_json(console_hub *hub, uint64_t id, json_t *msg)
{
    if (!msg)
        return;
    hub_send_text(hub, id, json_dumps(msg, JSON_COMPACT));
    json_decref(msg);
}

void hub_reply_error(console_hub *hub, session *ss, const json_t *id, const char *code,
                     const char *message)
{
    hub_send_text(hub, ss->id, console_reply_error_code(id, code, message));
}

void hub_reply_ok(console_hub *hub, session *ss, const json_t *id, json_t *fields)
{
    hub_send_text(hub, ss->id, console_reply(id, "ok", fields));
}

/* Maps an engine error to the protocol's error codes. */
void hub_reply_rc(console_hub *hub, session *ss, const json_t *id, int rc, const char *what)
{
    if (rc == ENSHU_EPHASE) {
        /* Says why, in words and as the phase, so a console can tell its
         * users in their language and keep its forms closed until it runs. */
        exercise_phase phase = exercise_get_phase(hub->cfg.ex);
        char message[200];
        snprintf(message, sizeof message, "%s: %s", what, exercise_phase_refusal(phase));
        json_t *f = json_pack("{s:s, s:s, s:s}", "code", "conflict", "message", message, "phase",
                              exercise_phase_name(phase));
        hub_send_text(hub, ss->id, console_reply(id, "error", f));
        return;
    }
    const char *code = rc == ENSHU_ENOTFOUND                      ? "not_found"
                       : rc == ENSHU_EEXIST || rc == ENSHU_EINVAL ? "conflict"
                                                                  : "unavailable";
    char message[200];
    snprintf(message, sizeof message, "%s: %s", what,
             rc == ENSHU_ENOTFOUND ? "no such thing"
             : rc == ENSHU_EEXIST  ? "it was done already"
             : rc == ENSHU_EINVAL  ? "not possible now"
                                   : "the engine could not do it");
    hub_reply_error(hub, ss, id, code, message);
}

session *hub_find_session(console_hub *hub, uint64_t id)
{
    for (size_t i = 0; i < hub->nsessions; i++)
        if (hub->sessions[i]->id == id)
            return hub->sessions[i];
    return NULL;
}

console_audience hub_audience_of(const session *ss)
{
    return (console_audience){ss->role == ROLE_INSTRUCTOR ? 0 : ss->team, ss->lang};
}

void hub_session_free(session *ss)
{
    if (!ss)
        return;
    free(ss->peer);
    free(ss->name);
    free(ss->lang);
    if (ss->token)
        sodium_memzero(ss->token, strlen(ss->token));
    free(ss->token);
    free(ss);
}

void hub_remove_session(console_hub *hub, uint64_t id)
{
    for (size_t i = 0; i < hub->nsessions; i++) {
        if (hub->sessions[i]->id != id)
            continue;
        int team = hub->sessions[i]->role == ROLE_TEAM ? hub->sessions[i]->team : 0;
        hub_course_session_closed(hub, hub->sessions[i]);
        hub_session_free(hub->sessions[i]);
        hub->sessions[i] = hub->sessions[--hub->nsessions];
        if (team)
            hub_course_presence(hub, team, true);
        return;
    }
}

void hub_log_refusal(const session *ss, const char *what)
{
    log_printf(ENSHU_LOG_WARNING, "enshu: consoles: refused: %s (session %llu from %s, %s%d)\n",
               what, (unsigned long long)ss->id, ss->peer ? ss->peer : "?",
               ss->role == ROLE_INSTRUCTOR ? "instructor" : "team ",
               ss->role == ROLE_INSTRUCTOR ? 0 : ss->team);
}

/* The team a request acts on: a trainee's own (naming another is
 * forbidden), or the one an instructor names. 0 when refused (replied). */
int hub_team_for(console_hub *hub, session *ss, const console_request *rq, bool zero_ok)
{
    if (ss->role == ROLE_TEAM) {
        if (rq->team > 0 && rq->team != ss->team) {
            char what[96];
            snprintf(what, sizeof what, "%s for team %d", request_type_name(rq->type), rq->team);
            hub_log_refusal(ss, what);
            char msg[120];
            snprintf(msg, sizeof msg, "team %d cannot act for or read team %d", ss->team, rq->team);
            hub_reply_error(hub, ss, rq->id, "forbidden", msg);
            return 0;
        }
        return ss->team;
    }
    if (rq->team < 0 || (rq->team == 0 && !zero_ok)) {
        hub_reply_error(hub, ss, rq->id, "bad_request", "'team' is required");
        return 0;
    }
    if ((unsigned)rq->team > hub->nteams) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such team");
        return 0;
    }
    return rq->team == 0 ? -1 : rq->team; /* -1: every team */
}
