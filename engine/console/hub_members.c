/*
 * Who may join: an instructor replaces a team's join code, lists the
 * members who hold a live token and removes one (their tokens die, their
 * sessions close); a session logs itself out. Each instructor action is
 * recorded in the ledger.
 */
#include "alloc.h"
#include "errors.h"
#include "hub_internal.h"
#include "ledger_meta.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An instructor action on members or codes, in the ledger for the record
 * (instructors see it; teams do not). */
static void record_action(console_hub *hub, session *ss, request_type type, int team,
                          const char *text)
{
    event ev = {.at_ms = exercise_now(hub->cfg.ex),
                .team = team,
                .kind = EV_INSTRUCTOR,
                .subject = request_type_name(type),
                .text = text,
                .actor = ss->name};
    if (event_store_append(hub->cfg.ledger, &ev, NULL, NULL) != ENSHU_OK)
        log_printf(ENSHU_LOG_ERROR, "enshu: consoles: team %d: '%s' was not recorded\n", team,
                   text);
    console_hub_notify(hub);
}

/* A team's join code replaced: the old one is refused from now on; the
 * members who joined keep their tokens (remove a member to end theirs).
 * Kept where enshu run keeps the codes, so a restart keeps the new one. */
void hub_handle_code_rotate(console_hub *hub, session *ss, const console_request *rq)
{
    if ((unsigned)rq->team > hub->nteams) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such team");
        return;
    }
    char code[JOIN_CODE_SIZE];
    join_code_new(code);
    free(hub->codes[rq->team - 1]);
    hub->codes[rq->team - 1] = xstrdup(code);
    json_t *list = json_array();
    for (unsigned t = 0; t < hub->nteams; t++)
        json_array_append_new(list, json_string(hub->codes[t]));
    char *text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    if (event_store_set_meta(hub->cfg.ledger, LEDGER_META_JOIN_CODES, text) != ENSHU_OK)
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: consoles: team %d's new join code could not be kept in the ledger; "
                   "a restart brings the old one back\n",
                   rq->team);
    free(text);
    /* Where enshu run printed the codes. */
    printf("team %d join code: %s\n", rq->team, code);
    fflush(stdout);
    record_action(hub, ss, rq->type, rq->team, "the team's join code was replaced");
    hub_reply_ok(hub, ss, rq->id, json_pack("{s:i, s:s}", "team", rq->team, "code", code));
    json_t *msg = json_pack("{s:s, s:i, s:s}", "type", "join_code", "team", rq->team, "code", code);
    for (size_t i = 0; i < hub->nsessions; i++)
        if (hub->sessions[i]->role == ROLE_INSTRUCTOR)
            hub_send_text(hub, hub->sessions[i]->id, json_dumps(msg, JSON_COMPACT));
    json_decref(msg);
}

typedef struct member_list {
    json_t *members;
    int team; /* 0: all */
} member_list;

static void add_member(const token_owner *o, void *arg)
{
    member_list *ml = arg;
    if (o->instructor || (ml->team && o->team != ml->team))
        return;
    size_t i;
    json_t *m;
    json_array_foreach(ml->members, i, m)
    {
        if (json_integer_value(json_object_get(m, "team")) == o->team &&
            strcmp(json_string_value(json_object_get(m, "name")), o->name) == 0)
            return;
    }
    json_array_append_new(
        ml->members, json_pack("{s:i, s:s, s:i}", "team", o->team, "name", o->name, "sessions", 0));
}

/* The members who hold a live token (joined in the last 12 h, not
 * removed), with how many sessions each has open. */
void hub_handle_members(console_hub *hub, session *ss, const console_request *rq)
{
    member_list ml = {json_array(), rq->team > 0 ? rq->team : 0};
    session_tokens_each(hub->tokens, monotonic_ms(), add_member, &ml);
    size_t i;
    json_t *m;
    json_array_foreach(ml.members, i, m)
    {
        int open = 0;
        for (size_t k = 0; k < hub->nsessions; k++) {
            const session *o = hub->sessions[k];
            open += o->role == ROLE_TEAM &&
                    o->team == json_integer_value(json_object_get(m, "team")) &&
                    strcmp(o->name, json_string_value(json_object_get(m, "name"))) == 0;
        }
        json_object_set_new(m, "sessions", json_integer(open));
    }
    hub_send_text(hub, ss->id,
                  console_reply(rq->id, "members", json_pack("{s:o}", "members", ml.members)));
}

/* Removes a member: their tokens die and their sessions close. */
void hub_handle_member_remove(console_hub *hub, session *ss, const console_request *rq)
{
    size_t tokens = session_tokens_revoke_member(hub->tokens, rq->team, rq->name);
    int closed = 0;
    for (size_t i = 0; i < hub->nsessions; i++) {
        session *o = hub->sessions[i];
        if (o->role != ROLE_TEAM || o->team != rq->team || strcmp(o->name, rq->name) != 0)
            continue;
        /* It gets nothing more; the transport's close follows. */
        o->role = ROLE_NONE;
        o->catching_up = false;
        ws_server_close(hub->ws, o->id, 1008, "removed from the team by the instructor");
        closed++;
    }
    if (!tokens && !closed) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such member in that team");
        return;
    }
    char text[200];
    snprintf(text, sizeof text, "member %s was removed from the team", rq->name);
    record_action(hub, ss, rq->type, rq->team, text);
    hub_reply_ok(hub, ss, rq->id, json_pack("{s:i}", "sessions", closed));
}

/* Ends this login: its token dies, and the session closes. */
void hub_handle_logout(console_hub *hub, session *ss, const console_request *rq)
{
    session_tokens_revoke(hub->tokens, ss->token);
    hub_reply_ok(hub, ss, rq->id, NULL);
    ss->role = ROLE_NONE;
    ss->catching_up = false;
    ws_server_close(hub->ws, ss->id, 1000, "logged out");
}
