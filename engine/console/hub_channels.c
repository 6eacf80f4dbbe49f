/*
 * A session's serial consoles: each open console is a channel (1..255) of
 * its session, its output sent as binary messages tagged with the channel.
 * Output comes on the libvirt event loop thread and waits while the
 * session's queue is full; the browser pauses and resumes it too
 * (serial_console.h).
 *
 * Opening never waits on the hub thread: it runs on a console-open thread
 * (connecting to the host, finding the domain, opening its stream), which
 * hands the channel back through the inbox; the hub then answers `console`
 * or the error. Meanwhile the channel's number is taken, a second open of
 * the same console by the same session gets `conflict`, and requests on
 * the number get `not_found` (the browser does not know it yet). The
 * console opens paused, so no output precedes the reply; an end that comes
 * first waits for it (phase). A session gone when its open ends has the
 * console closed at once; console_hub_free waits for the opens under way.
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
/* Console opens under way at once, each on a thread of its own: a host
 * that does not answer holds one thread per open until libvirt gives up,
 * and this bounds them. */
#define CONSOLE_OPENS_MAX 16

void hub_channel_free(channel *ch)
{
    if (!ch)
        return;
    serial_console_close(ch->console); /* no callback runs after this */
    guest_display_close(ch->display);
    json_decref(ch->id);
    free(ch->early_end);
    free(ch->node);
    free(ch);
}

void hub_session_channels_free(session *ss)
{
    for (int c = 0; c < CHANNELS; c++) {
        channel *ch = ss->channels[c];
        if (ch && !ch->opening)
            hub_channel_free(ch);
        ss->channels[c] = NULL;
    }
    ss->nchannels = 0;
}

static void console_output(void *ctx, const void *data, size_t len)
{
    channel *ch = ctx;
    /* Event thread: the transport may be called from any thread. Output
     * comes only once the hub announced the channel and resumed it (it
     * opened paused), so ch->console is set. */
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
    hub_channel_queue_check(ch, CONSOLE_QUEUE_HIGH);
}

static void console_closed(void *ctx, serial_console_end why, const char *message)
{
    hub_channel_end(ctx, message ? message : "the console ended");
}

/* A console-open thread: connecting to the guest's host, finding the
 * domain and opening its stream may take as long as the host takes. */
static void *console_open_main(void *arg)
{
    channel *ch = arg;
    console_hub *hub = ch->hub;
    serial_console_callbacks cb = {console_output, console_closed};
    int rc = hub->cfg.open_console
                 ? hub->cfg.open_console(hub->cfg.open_ctx, hub->consoles, ch->guest->host_uri,
                                         ch->guest->domain, &cb, ch, &ch->console)
                 : serial_console_open_paused(hub->consoles, ch->guest->host_uri, ch->guest->domain,
                                              &cb, ch, &ch->console);
    hub_console_opened(hub, ch, rc);
    return NULL;
}

int hub_channel_open_start(console_hub *hub, channel *ch)
{
    pthread_mutex_lock(&hub->lock);
    if (hub->opens >= CONSOLE_OPENS_MAX) {
        pthread_mutex_unlock(&hub->lock);
        return ENSHU_ECAPACITY;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int failed = pthread_create(&thread, &attr, ch->kind->open_main, ch);
    pthread_attr_destroy(&attr);
    if (!failed)
        hub->opens++; /* under the lock: the thread counts it off under it too */
    pthread_mutex_unlock(&hub->lock);
    if (failed) {
        fprintf(stderr, "enshu: consoles: cannot start a thread to open a serial console\n");
        return ENSHU_ECAPACITY;
    }
    return ENSHU_OK;
}

void hub_channel_request_open(console_hub *hub, session *ss, const console_request *rq,
                              const channel_kind *kind)
{
    int team = hub_team_for(hub, ss, rq, false);
    if (team <= 0)
        return;
    const range_guest *n = range_guests_find(hub->guests, team, rq->node);
    if (!n || (ss->role == ROLE_TEAM && !n->node->visible)) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such node, or no console for it");
        return;
    }
    bool display = kind->is_display;
    if (display ? !hub->displays : !hub->consoles) {
        hub_reply_error(hub, ss, rq->id, "unavailable",
                        display ? "screens are not available"
                                : "serial consoles are not available");
        return;
    }
    int number = 0;
    for (int c = 1; c < CHANNELS; c++) {
        channel *o = ss->channels[c];
        if (o && o->opening && o->is_display == display && o->team == team &&
            strcmp(o->node, n->node->name) == 0) {
            hub_reply_error(hub, ss, rq->id, "conflict",
                            "this session is opening that console already");
            return;
        }
        if (!o && !number)
            number = c;
    }
    if (!number) {
        hub_reply_error(hub, ss, rq->id, "conflict", "too many consoles open in this session");
        return;
    }
    channel *ch = xcalloc(1, sizeof(channel));
    ch->kind = kind;
    ch->hub = hub;
    ch->session = ss->id;
    ch->number = number;
    ch->team = team;
    ch->node = xstrdup(n->node->name);
    ch->guest = n;
    ch->id = rq->id ? json_deep_copy(rq->id) : NULL;
    ch->opening = true;
    ch->is_display = display;
    /* Instructors watch unless they ask to take part; trainees take part
     * unless they ask to watch. */
    ch->view_only = display && (rq->view_only_given ? rq->view_only : ss->role == ROLE_INSTRUCTOR);
    atomic_init(&ch->phase, CHANNEL_OPENING);
    if (hub_channel_open_start(hub, ch) != ENSHU_OK) {
        hub_channel_free(ch);
        /* With retry_ms, as the other rate_limited replies. */
        json_t *f =
            json_pack("{s:s, s:s, s:i}", "code", "rate_limited", "message",
                      "too many consoles are being opened; try again in 1 s", "retry_ms", 1000);
        hub_send_text(hub, ss->id, console_reply(rq->id, "error", f));
        return;
    }
    ss->channels[number] = ch; /* the number is taken while it opens */
    ss->display_closed[number] = false;
}

void hub_console_open_ended(console_hub *hub, channel *ch, int rc)
{
    session *ss = hub_find_session(hub, ch->session);
    if (!ss || ss->channels[ch->number] != ch) {
        /* Its session closed meanwhile: what opened closes at once. */
        hub_channel_free(ch);
        return;
    }
    ch->opening = false;
    ch->kind->open_ended(hub, ss, ch, rc);
}

/* A serial console's open is over: its reply, then its output. */
static void serial_open_ended(console_hub *hub, session *ss, channel *ch, int rc)
{
    if (rc != ENSHU_OK) {
        ss->channels[ch->number] = NULL;
        hub_reply_error(hub, ss, ch->id, "unavailable", "the guest's console could not be opened");
        hub_channel_free(ch);
        return;
    }
    ss->nchannels++;
    /* The reply precedes any output: the viewer opened paused, and is
     * resumed only after it. */
    hub_send_text(hub, ss->id,
                  console_reply(ch->id, "console",
                                json_pack("{s:i, s:s, s:i}", "channel", ch->number, "node",
                                          ch->node, "team", ch->team)));
    hub_channel_shown(hub, ss, ch);
}

static void serial_pause(channel *ch)
{
    serial_console_pause(ch->console);
}

static void serial_resume(channel *ch)
{
    serial_console_resume(ch->console);
}

static const channel_kind SERIAL = {
    false, "console.closed", console_open_main, serial_open_ended, serial_pause, serial_resume};

void hub_handle_console_open(console_hub *hub, session *ss, const console_request *rq)
{
    hub_channel_request_open(hub, ss, rq, &SERIAL);
}

static channel *own_channel(console_hub *hub, session *ss, const console_request *rq)
{
    channel *ch = rq->channel > 0 && rq->channel < CHANNELS ? ss->channels[rq->channel] : NULL;
    if (ch && (ch->opening || ch->is_display))
        ch = NULL; /* not announced yet, or not a serial console */
    if (!ch)
        hub_reply_error(hub, ss, rq->id, "not_found", "no such console channel in this session");
    return ch;
}

static void resume_if_free(channel *ch)
{
    if (!atomic_load(&ch->client_paused) && !atomic_load(&ch->queue_paused))
        ch->kind->resume(ch);
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
            ch->kind->pause(ch);
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

/* ---- what channels of both kinds share ---- */

char *hub_channel_closed_message(const channel *ch, const char *reason)
{
    json_t *msg = json_pack("{s:s, s:i, s:s}", "type", ch->kind->closed_type, "channel", ch->number,
                            "reason", reason);
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    return text;
}

void hub_channel_queue_check(channel *ch, size_t high)
{
    if (ws_server_queued(ch->hub->ws, ch->session) > high &&
        !atomic_exchange(&ch->queue_paused, true)) {
        ch->kind->pause(ch);
        console_hub_notify(ch->hub); /* it looks for the drain from now on */
    }
}

void hub_channel_end(channel *ch, const char *reason)
{
    char *text = hub_channel_closed_message(ch, reason);
    /* Before the hub announced the channel, the end waits for it (the
     * browser learns the number from the announcement): the hub sends it
     * right after. early_end is written before the exchange that lets the
     * hub read it. */
    ch->early_end = text;
    int phase = CHANNEL_OPENING;
    if (atomic_compare_exchange_strong(&ch->phase, &phase, CHANNEL_ENDED_EARLY))
        return;
    ch->early_end = NULL;
    hub_send_bytes(ch->hub, ch->session, text, strlen(text), false);
    free(text);
}

void hub_channel_shown(console_hub *hub, session *ss, channel *ch)
{
    json_decref(ch->id);
    ch->id = NULL;
    int phase = CHANNEL_OPENING;
    if (atomic_compare_exchange_strong(&ch->phase, &phase, CHANNEL_SHOWN)) {
        ch->kind->resume(ch);
        return;
    }
    /* It ended before it was announced: its end follows the reply. */
    hub_send_text(hub, ss->id, ch->early_end);
    ch->early_end = NULL;
}
