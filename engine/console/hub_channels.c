/*
 * A session's serial consoles: each open console is a channel (1..255) of
 * its session, its output sent as binary messages tagged with the channel.
 * Output comes on the libvirt event loop thread and waits while the
 * session's queue is full; the browser pauses and resumes it too
 * (serial_console.h).
 */
#include "alloc.h"
#include "errors.h"
#include "hub_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A console's output waits while the session's queue holds more than
 * HIGH, and goes on once it is below LOW again (the hub looks every few
 * milliseconds while a console waits). It waits for this channel alone:
 * the guest goes on for other viewers (serial_console.h). */
#define CONSOLE_QUEUE_HIGH (512u * 1024)
#define CONSOLE_QUEUE_LOW (64u * 1024)

void hub_channel_free(channel *ch)
{
    if (!ch)
        return;
    serial_console_close(ch->console); /* no callback runs after this */
    free(ch->node);
    free(ch);
}

static void console_output(void *ctx, const void *data, size_t len)
{
    channel *ch = ctx;
    /* Event thread: the transport may be called from any thread. */
    char buf[1 + 16384];
    const char *p = data;
    while (len > 0) {
        size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
        buf[0] = (char)ch->number;
        memcpy(buf + 1, p, n);
        if (ws_server_send(ch->hub->ws, ch->session, buf, n + 1, true) != ENSHU_OK)
            return;
        p += n;
        len -= n;
    }
    /* ch->console may not be set yet: output can come before open returns. */
    if (ws_server_queued(ch->hub->ws, ch->session) > CONSOLE_QUEUE_HIGH && ch->console &&
        !atomic_exchange(&ch->queue_paused, true)) {
        serial_console_pause(ch->console);
        console_hub_notify(ch->hub); /* it looks for the drain from now on */
    }
}

static void console_closed(void *ctx, serial_console_end why, const char *message)
{
    channel *ch = ctx;
    json_t *msg = json_pack("{s:s, s:i, s:s}", "type", "console.closed", "channel", ch->number,
                            "reason", message ? message : "the console ended");
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    hub_send_bytes(ch->hub, ch->session, text, strlen(text), false);
    free(text);
}

void hub_handle_console_open(console_hub *hub, session *ss, const console_request *rq)
{
    int team = hub_team_for(hub, ss, rq, false);
    if (team <= 0)
        return;
    const range_guest *n = range_guests_find(hub->guests, team, rq->node);
    if (!n || (ss->role == ROLE_TEAM && !n->node->visible)) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such node, or no console for it");
        return;
    }
    if (!hub->consoles) {
        hub_reply_error(hub, ss, rq->id, "unavailable", "serial consoles are not available");
        return;
    }
    int number = 0;
    for (int c = 1; c < CHANNELS && !number; c++)
        if (!ss->channels[c])
            number = c;
    if (!number) {
        hub_reply_error(hub, ss, rq->id, "conflict", "too many consoles open in this session");
        return;
    }
    channel *ch = xcalloc(1, sizeof(channel));
    ch->hub = hub;
    ch->session = ss->id;
    ch->number = number;
    ch->team = team;
    ch->node = xstrdup(n->node->name);
    /* The reply must precede any output: send it first, then open. */
    hub_send_text(hub, ss->id,
                  console_reply(rq->id, "console",
                                json_pack("{s:i, s:s, s:i}", "channel", number, "node",
                                          n->node->name, "team", team)));
    serial_console_callbacks cb = {console_output, console_closed};
    if (serial_console_open(hub->consoles, n->host_uri, n->domain, &cb, ch, &ch->console) !=
        ENSHU_OK) {
        json_t *msg = json_pack("{s:s, s:i, s:s}", "type", "console.closed", "channel", number,
                                "reason", "the guest's console could not be opened");
        hub_send_json(hub, ss->id, msg);
        free(ch->node);
        free(ch);
        return;
    }
    ss->channels[number] = ch;
    ss->nchannels++;
}

static channel *own_channel(console_hub *hub, session *ss, const console_request *rq)
{
    channel *ch = rq->channel > 0 && rq->channel < CHANNELS ? ss->channels[rq->channel] : NULL;
    if (!ch)
        hub_reply_error(hub, ss, rq->id, "not_found", "no such console channel in this session");
    return ch;
}

static void resume_if_free(channel *ch)
{
    if (!atomic_load(&ch->client_paused) && !atomic_load(&ch->queue_paused))
        serial_console_resume(ch->console);
}

void hub_handle_console(console_hub *hub, session *ss, const console_request *rq)
{
    channel *ch = own_channel(hub, ss, rq);
    if (!ch)
        return;
    switch (rq->type) {
    case REQ_CONSOLE_INPUT:
        if (serial_console_write(ch->console, rq->data, strlen(rq->data)) != ENSHU_OK)
            hub_reply_error(hub, ss, rq->id, "unavailable", "the console does not take input now");
        break;
    case REQ_CONSOLE_PAUSE:
        if (!atomic_exchange(&ch->client_paused, true))
            serial_console_pause(ch->console);
        break;
    case REQ_CONSOLE_RESUME:
        atomic_store(&ch->client_paused, false);
        resume_if_free(ch);
        break;
    default: /* close */
        ss->channels[rq->channel] = NULL;
        ss->nchannels--;
        hub_channel_free(ch);
        hub_reply_ok(hub, ss, rq->id, NULL);
        break;
    }
}

/* Lets consoles that waited for the session's queue go on once it has
 * drained; returns whether one still waits. */
bool hub_resume_consoles(console_hub *hub, session *ss)
{
    if (!ss->nchannels)
        return false;
    bool waiting = false, drained = ws_server_queued(hub->ws, ss->id) < CONSOLE_QUEUE_LOW;
    for (int c = 1; c < CHANNELS; c++) {
        channel *ch = ss->channels[c];
        if (!ch || !atomic_load(&ch->queue_paused))
            continue;
        if (drained && atomic_exchange(&ch->queue_paused, false))
            resume_if_free(ch);
        else
            waiting = true;
    }
    return waiting;
}
