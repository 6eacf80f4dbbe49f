/*
 * Every request a session sends: decoded (console_protocol.h), refused
 * before a hello or when it is for instructors only, counted against its
 * team's rate limits, then handed to its handler.
 */
#include "alloc.h"
#include "errors.h"
#include "hub_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The limit a request type counts against (-1: none): those that write
 * to the ledger or make the hub copy much. */
static int limit_of(request_type type)
{
    switch (type) {
    case REQ_ANSWER:
        return LIMIT_ANSWER;
    case REQ_REPORT:
        return LIMIT_REPORT;
    case REQ_HINT:
        return LIMIT_HINT;
    case REQ_ATTACHMENT:
        return LIMIT_ATTACHMENT;
    case REQ_TIMELINE:
    case REQ_AFTER_ACTION:
    case REQ_OVERVIEW:
        return LIMIT_TIMELINE;
    case REQ_SCOREBOARD:
        return LIMIT_SCOREBOARD;
    case REQ_GRADE:
        return LIMIT_GRADE;
    case REQ_BROADCAST:
        return LIMIT_BROADCAST;
    case REQ_REQUEST_ASK:
        return LIMIT_REQUEST;
    case REQ_REQUEST_DECIDE:
    case REQ_REPORT_FEEDBACK:
    case REQ_TEAM_RENAME:
        return LIMIT_GRADE;
    case REQ_EVENTS:
        return LIMIT_TIMELINE; /* it reads the ledger: the timeline's bucket */
    default:
        return -1;
    }
}

static const char *const LIMIT_NAMES[LIMIT_COUNT] = {
    [LIMIT_ANSWER] = "answers",
    [LIMIT_REPORT] = "reports",
    [LIMIT_HINT] = "hints",
    [LIMIT_ATTACHMENT] = "attachment requests",
    [LIMIT_TIMELINE] = "timeline requests",
    [LIMIT_SCOREBOARD] = "scoreboard requests",
    [LIMIT_GRADE] = "grades",
    [LIMIT_BROADCAST] = "broadcasts",
    [LIMIT_REQUEST] = "requests",
};

/* Takes a token for the request from its team's bucket (the instructors'
 * for instructors) and, for a team, from the bucket of all teams; refuses
 * it (rate_limited, with retry_ms) when either is empty. */
static bool admit(console_hub *hub, session *ss, const console_request *rq)
{
    int which = limit_of(rq->type);
    if (which < 0)
        return true;
    char key[16];
    snprintf(key, sizeof key, "%d", ss->role == ROLE_TEAM ? ss->team : 0);
    int64_t now = monotonic_ms(), retry = 0;
    char message[160];
    if (!rate_limiter_take(hub->limits[which], key, now, &retry)) {
        snprintf(
            message, sizeof message, "too many %s: at most %u a minute for %s; try again in %lld s",
            LIMIT_NAMES[which], hub->rates[which].per_minute,
            ss->role == ROLE_TEAM ? "each team" : "the instructors", (long long)(retry / 1000 + 1));
    } else if (ss->role == ROLE_TEAM &&
               !rate_limiter_take(hub->limits[LIMIT_TEAMS], "teams", now, &retry)) {
        rate_limiter_refund(hub->limits[which], key); /* not taken after all */
        snprintf(message, sizeof message,
                 "the teams together sent too many requests; try again in %lld s",
                 (long long)(retry / 1000 + 1));
    } else {
        return true;
    }
    json_t *f = json_pack("{s:s, s:s, s:I}", "code", "rate_limited", "message", message, "retry_ms",
                          (json_int_t)retry);
    hub_send_text(hub, ss->id, console_reply(rq->id, "error", f));
    return false;
}

void hub_handle_message(console_hub *hub, session *ss, const char *text, size_t len)
{
    console_request rq;
    console_error err;
    if (console_request_decode(text, len, &rq, &err) != ENSHU_OK) {
        hub_send_text(hub, ss->id, console_reply_error(rq.id, &err));
        console_request_clear(&rq);
        return;
    }
    if (rq.type != REQ_HELLO && ss->role == ROLE_NONE) {
        hub_reply_error(hub, ss, rq.id, "not_joined", "send hello first");
    } else if (request_type_instructor_only(rq.type) && ss->role != ROLE_INSTRUCTOR) {
        hub_log_refusal(ss, request_type_name(rq.type));
        hub_reply_error(hub, ss, rq.id, "forbidden", "only instructors may do this");
    } else if (admit(hub, ss, &rq)) {
        hub_overview_note_request(hub, ss, rq.type);
        switch (rq.type) {
        case REQ_HELLO:
            hub_handle_hello(hub, ss, &rq);
            break;
        case REQ_LOGOUT:
            hub_handle_logout(hub, ss, &rq);
            break;
        case REQ_LANG:
            free(ss->lang);
            ss->lang = xstrdup(rq.lang);
            hub_send_welcome(hub, ss, rq.id, NULL);
            break;
        case REQ_ANSWER:
        case REQ_REPORT:
        case REQ_HINT:
            hub_handle_submission(hub, ss, &rq);
            break;
        case REQ_REQUEST_ASK:
            hub_handle_team_request(hub, ss, &rq);
            break;
        case REQ_ATTACHMENT:
            hub_handle_attachment(hub, ss, &rq);
            break;
        case REQ_TIMELINE:
            hub_handle_timeline(hub, ss, &rq);
            break;
        case REQ_EVENTS:
            hub_handle_events(hub, ss, &rq);
            break;
        case REQ_OVERVIEW:
            hub_handle_overview(hub, ss, &rq);
            break;
        case REQ_NODES:
            hub_handle_nodes(hub, ss, &rq);
            break;
        case REQ_CONSOLE_OPEN:
            hub_handle_console_open(hub, ss, &rq);
            break;
        case REQ_DISPLAY_OPEN:
            hub_handle_display_open(hub, ss, &rq);
            break;
        case REQ_DISPLAY_CLOSE:
            hub_handle_display_close(hub, ss, &rq);
            break;
        case REQ_CONSOLE_INPUT:
        case REQ_CONSOLE_PAUSE:
        case REQ_CONSOLE_RESUME:
        case REQ_CONSOLE_CLOSE:
            hub_handle_console(hub, ss, &rq);
            break;
        case REQ_AFTER_ACTION:
            hub_handle_after_action(hub, ss, &rq);
            break;
        default:
            hub_handle_instructor(hub, ss, &rq);
            break;
        }
    }
    console_request_clear(&rq);
}
