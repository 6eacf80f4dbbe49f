/*
 * New events to the sessions: the hub tails the ledger from the last seq
 * it fanned out and sends each event to every joined session, encoded once
 * per audience (team and language); scores follow when they change. A
 * joining session first catches up with past events at its own pace, in
 * slices, then follows the live fan-out: no loss, no duplicates.
 */
#include "alloc.h"
#include "errors.h"
#include "hub_internal.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A catching-up session gets its past events in slices: never more than
 * this much queued, so a long ledger cannot overflow its queue. */
#define CATCH_UP_QUEUED (256u * 1024)

/* One encoding per audience (team and language) per event. */
/* An event encoded for one audience, shared by its sessions' queues. */
typedef struct encoded {
    int team;
    const char *lang;
    ws_message *msg; /* NULL: nothing for this audience */
} encoded;

static ws_message *encode_for(console_hub *hub, encoded *cache, size_t *n, size_t cap,
                              const session *ss, const event *ev, json_t *attachment)
{
    console_audience a = hub_audience_of(ss);
    for (size_t i = 0; i < *n; i++)
        if (cache[i].team == a.team &&
            (cache[i].lang == a.lang ||
             (cache[i].lang && a.lang && !strcmp(cache[i].lang, a.lang))))
            return cache[i].msg;
    json_t *view = hub_view_event(hub, &a, ev, attachment);
    char *text = view ? json_dumps(view, JSON_COMPACT) : NULL;
    json_decref(view);
    ws_message *msg = text ? ws_message_new(text, strlen(text), false) : NULL;
    free(text);
    if (*n < cap) {
        cache[(*n)++] = (encoded){a.team, a.lang, msg};
        return msg;
    }
    /* The cache is full (many languages): send this one uncached. */
    if (msg && ws_server_send_message(hub->ws, ss->id, msg) != ENSHU_OK) {
        /* gone or too slow: it resumes from its last seq */
    }
    ws_message_unref(msg);
    return NULL;
}

static void send_score(console_hub *hub, int team, int64_t seq)
{
    const team_score *ts = grader_team(hub->grader, team);
    if (!ts)
        return;
    json_t *msg = console_view_score(&hub->view, ts);
    json_object_set_new(msg, "seq", json_integer(seq));
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    ws_message *shared = ws_message_new(text, strlen(text), false);
    free(text);
    for (size_t i = 0; i < hub->nsessions; i++) {
        session *ss = hub->sessions[i];
        if (ss->catching_up)
            continue; /* it gets the scores once it has caught up */
        if ((ss->role == ROLE_INSTRUCTOR || (ss->role == ROLE_TEAM && hub->s->feedback &&
                                             (ss->team == team || hub->s->public_scoreboard))) &&
            ws_server_send_message(hub->ws, ss->id, shared) != ENSHU_OK) {
            /* gone or too slow: it resumes from its last seq */
        }
    }
    ws_message_unref(shared);
}

static int fan_out(const event *ev, void *arg)
{
    console_hub *hub = arg;
    bool changed = hub_grade(hub, ev);
    hub_note_report(hub, ev);
    /* Room for every team and the instructors in each of the scenario's
     * languages (or none given): past 16 teams a fixed 16 had most
     * sessions encode the event for themselves. Other language tags fall
     * back to an encoding per session. */
    size_t cap = (hub->nteams + 1) * (hub->s->nlanguages + 1), n = 0;
    encoded *cache = xcalloc(cap, sizeof(encoded));
    json_t *attachment = hub_report_attachment(hub, ev);
    hub_feed_event(hub, ev, attachment);
    for (size_t i = 0; i < hub->nsessions; i++) {
        session *ss = hub->sessions[i];
        if (ss->role == ROLE_NONE || ss->catching_up)
            continue; /* it reads this event from the ledger itself */
        ws_message *msg = encode_for(hub, cache, &n, cap, ss, ev, attachment);
        if (msg && ws_server_send_message(hub->ws, ss->id, msg) != ENSHU_OK) {
            /* gone or too slow: it resumes from its last seq */
        }
    }
    for (size_t i = 0; i < n; i++)
        ws_message_unref(cache[i].msg);
    json_decref(attachment);
    free(cache);
    if (changed)
        send_score(hub, ev->team, ev->seq);
    hub->fanned = ev->seq;
    return 0;
}

void hub_tail_ledger(console_hub *hub)
{
    if (event_store_scan(hub->cfg.ledger, hub->fanned, fan_out, hub) != ENSHU_OK)
        log_printf(ENSHU_LOG_WARNING, "enshu: consoles: the ledger could not be read; retrying\n");
}

/* Past events (up to fanned) as this session sees them, sent in order
 * (catching up). */
typedef struct backlog {
    console_hub *hub;
    session *ss;
    bool full; /* stopped because the session's queue is full enough */
} backlog;

static int send_backlog(const event *ev, void *arg)
{
    backlog *b = arg;
    if (ev->seq > b->hub->fanned)
        return 1;
    console_audience a = hub_audience_of(b->ss);
    json_t *attachment = hub_report_attachment(b->hub, ev);
    json_t *msg = hub_view_event(b->hub, &a, ev, attachment);
    json_decref(attachment);
    hub_send_json(b->hub, b->ss->id, msg);
    b->ss->cursor = ev->seq;
    if (ws_server_queued(b->hub->ws, b->ss->id) > CATCH_UP_QUEUED) {
        b->full = true;
        return 1;
    }
    return 0;
}

/* Sends the next slice of a joining session's past events; once it has
 * them all, where the scores stand, and it follows the live fan-out. */
void hub_catch_up(console_hub *hub, session *ss)
{
    if (ws_server_queued(hub->ws, ss->id) > CATCH_UP_QUEUED)
        return; /* the client is still reading the last slice */
    backlog b = {hub, ss, false};
    if (event_store_scan(hub->cfg.ledger, ss->cursor, send_backlog, &b) != ENSHU_OK)
        return; /* tried again on the next round */
    if (b.full)
        return;
    ss->cursor = hub->fanned;
    ss->catching_up = false;
    for (unsigned t = 1; t <= hub->nteams; t++)
        if (ss->role == ROLE_INSTRUCTOR ||
            (hub->s->feedback && ((int)t == ss->team || hub->s->public_scoreboard))) {
            json_t *msg = console_view_score(&hub->view, grader_team(hub->grader, (int)t));
            json_object_set_new(msg, "seq", json_integer(hub->fanned));
            hub_send_json(hub, ss->id, msg);
        }
}
