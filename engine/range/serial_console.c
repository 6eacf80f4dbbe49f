/*
 * The serial console bridge (see serial_console.h).
 *
 * Objects. A hub has console streams (one libvirt stream per open domain)
 * and viewers (serial_console handles); a stream has one or more viewers,
 * kept in its serial_flow (serial_flow.h: who gets output now, who holds
 * it, who fell behind, when the guest is stopped). One mutex per hub guards
 * both lists, the flows, the viewers' flags and held output and the
 * streams' input queues. It is never held across a libvirt stream call.
 *
 * Only the event thread touches libvirt streams: other threads record what
 * they want (input, resume, close) under the lock and kick the hub's work
 * timer, whose callback then runs on the event thread. So no libvirt stream
 * call ever races another.
 *
 * Lifetimes. A viewer is counted: one reference for its user until
 * serial_console_close, one while the event thread calls one of its
 * callbacks. close waits (off the event thread) until a running callback of
 * that viewer returned. A stream is removed (its libvirt callback, then the
 * stream) only in the hub's work run on the event thread, never inside its
 * own callback: once virStreamEventRemoveCallback returned there, libvirt
 * has cleared the callback under the stream's lock and no dispatch of it is
 * running, so the stream is freed right after. The free function given to
 * virStreamEventAddCallback cannot be the place: libvirt's remote driver
 * never calls it (remoteStreamCallbackFree tests cbdata->cb, which is never
 * NULL: so in Debian 12's libvirt 9.0; a fix was proposed upstream in
 * 2025), and once fixed calls it inside virStreamEventRemoveCallback or
 * after a running dispatch. It only marks the stream.
 *
 * Ends. libvirt's remote stream reports the end of a console as a readable
 * stream whose read returns 0 (end) or -1 (error), never as a HANGUP or
 * ERROR event (both are handled anyway). Whether the guest stopped or
 * another client took the console over is read from the domain's state.
 */
#include "serial_console.h"
#include "alloc.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "libvirt_events.h"
#include "log.h"
#include "serial_flow.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    RECV_CHUNK = 64 * 1024,   /* one virStreamRecv */
    RECV_PER_EVENT = 4,       /* reads per stream event, so busy consoles take turns */
    SEND_CHUNK = 16 * 1024,   /* one virStreamSend */
    FLUSH_CHUNK = 16 * 1024,  /* held output passed on per on_output call */
    KEEP_BUF = 64 * 1024,     /* an emptied input buffer larger than this is released */
    KEEPALIVE_INTERVAL_S = 5, /* a host that stops answering ends its consoles */
    KEEPALIVE_COUNT = 3,
    END_CHECK_MS = 250, /* a guest whose console ended is looked at this often */
    END_CHECKS = 12,    /* this many times, before the end is put down to another client */
};

/* ---- byte buffers: bytes at data[off, off + len) ---- */

typedef struct byte_buf {
    char *data;
    size_t off, len, cap;
} byte_buf;

static void buf_append(byte_buf *b, const void *p, size_t n)
{
    if (b->off + b->len + n > b->cap) {
        if (b->off)
            memmove(b->data, b->data + b->off, b->len);
        b->off = 0;
        XGROW(b->data, b->cap, b->len + n);
    }
    memcpy(b->data + b->off + b->len, p, n);
    b->len += n;
}

static void buf_consume(byte_buf *b, size_t n)
{
    b->off += n;
    b->len -= n;
    if (b->len == 0) {
        b->off = 0;
        if (b->cap > KEEP_BUF) {
            free(b->data);
            b->data = NULL;
            b->cap = 0;
        }
    }
}

/* ---- objects ---- */

typedef enum stream_state { STREAM_OPENING, STREAM_OPEN, STREAM_ENDED } stream_state;

typedef struct console_stream console_stream;

struct serial_console {
    serial_consoles *hub;
    console_stream *stream; /* NULL once ended or closed */
    serial_console_callbacks cb;
    void *ctx;
    unsigned refs;
    bool closed;      /* by its user: no callback may start */
    bool end_pending; /* the stream ended; on_closed after the held output */
    bool end_told;
    serial_console_end why;
    char *why_message;
    serial_flow_viewer flow; /* paused or not, output held for it */
    uint64_t delivered;
    serial_console *next_in_hub;
};

static serial_console *viewer_of(serial_flow_viewer *fv)
{
    return (serial_console *)((char *)fv - offsetof(serial_console, flow));
}

struct console_stream {
    serial_consoles *hub;
    char *host_uri;
    char *domain_name;
    stream_state state;
    /* Event thread only, once open: */
    virConnectPtr conn;
    virDomainPtr dom;
    virStreamPtr st;
    bool registered; /* the libvirt callback is in place */
    int events;      /* its events */
    bool callback_released;
    bool deciding;      /* it ended: why, is being found out (set under the lock) */
    char *end_error;    /* libvirt's message when it broke */
    int decide_timer;   /* -1: none */
    unsigned domain_id; /* of the QEMU process whose console this is */
    int end_checks;
    /* Under the hub's lock: */
    bool needs_register;
    serial_flow flow; /* its viewers, and whether the guest is to be stopped */
    byte_buf input;
    bool input_full_told;
    bool broken; /* ended by an error or the end of the stream */
    console_stream *next;
};

typedef struct cached_conn {
    char *uri;
    virConnectPtr conn;
} cached_conn;

struct serial_consoles {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int timer;
    bool kicked;
    bool closing;      /* serial_consoles_free started */
    bool closing_done; /* a work run since then ended every console */
    bool timer_gone;
    console_stream *streams;
    unsigned live_streams; /* not yet freed, also unlinked ones */
    serial_console *viewers;
    serial_console *calling; /* whose callback runs now */
    char *recv_buf;          /* event thread only */

    pthread_mutex_t conn_lock; /* held while connecting */
    cached_conn *conns;
    size_t nconns;
    size_t conns_cap;
};

static void kick_locked(serial_consoles *h)
{
    if (!h->kicked) {
        h->kicked = true;
        virEventUpdateTimeout(h->timer, 0);
    }
}

static void viewer_free(serial_console *v)
{
    serial_flow_viewer_fini(&v->flow);
    free(v->why_message);
    free(v);
}

static void viewer_unref_locked(serial_console *v)
{
    if (--v->refs == 0)
        viewer_free(v);
}

static void unlink_viewer_from_stream(serial_console *v)
{
    serial_flow_leave(&v->flow);
    v->stream = NULL;
}

static void unlink_viewer_from_hub(serial_consoles *h, serial_console *v)
{
    for (serial_console **p = &h->viewers; *p; p = &(*p)->next_in_hub) {
        if (*p == v) {
            *p = v->next_in_hub;
            break;
        }
    }
    v->next_in_hub = NULL;
}

static void unlink_stream(serial_consoles *h, console_stream *s)
{
    for (console_stream **p = &h->streams; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    s->next = NULL;
}

/* Frees a stream no longer linked nor watched by libvirt. */
static void stream_release(console_stream *s)
{
    serial_consoles *h = s->hub;
    pthread_mutex_lock(&h->lock);
    h->live_streams--;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
    free(s->input.data);
    free(s->end_error);
    free(s->host_uri);
    free(s->domain_name);
    free(s);
}

/* ---- calling the user, on the event thread, with the lock held ---- */

static void call_output(serial_consoles *h, serial_console *v, const char *data, size_t len)
{
    v->delivered += len;
    h->calling = v;
    pthread_mutex_unlock(&h->lock);
    v->cb.on_output(v->ctx, data, len);
    pthread_mutex_lock(&h->lock);
    h->calling = NULL;
    pthread_cond_broadcast(&h->cond);
}

static void call_closed(serial_consoles *h, serial_console *v)
{
    v->end_told = true;
    h->calling = v;
    pthread_mutex_unlock(&h->lock);
    v->cb.on_closed(v->ctx, v->why, v->why_message);
    pthread_mutex_lock(&h->lock);
    h->calling = NULL;
    pthread_cond_broadcast(&h->cond);
}

/* ---- the event thread's side of a stream ---- */

/* A viewer that fell too far behind ends (see serial_flow.h). */
static void viewer_fell_behind_locked(serial_consoles *h, serial_console *v)
{
    char *message =
        xasprintf("this console fell more than %zu KiB behind the output of guest %s, so it "
                  "closed here rather than hold the guest back; open it again",
                  SERIAL_CONSOLE_HOLD_MAX / 1024, v->stream->domain_name);
    unlink_viewer_from_stream(v);
    v->end_pending = true;
    v->why = SERIAL_CONSOLE_FELL_BEHIND;
    v->why_message = message;
    kick_locked(h);
}

/* Output read from the stream: to every viewer, or into its held buffer. */
static void deliver(console_stream *s, const char *data, size_t len)
{
    serial_consoles *h = s->hub;
    pthread_mutex_lock(&h->lock);
    serial_console **now = xmalloc((s->flow.nviewers + 1) * sizeof(serial_console *));
    serial_console **behind = xmalloc((s->flow.nviewers + 1) * sizeof(serial_console *));
    size_t n = 0, nbehind = 0;
    for (serial_flow_viewer *fv = s->flow.viewers; fv; fv = fv->next) {
        /* A viewer linked to a stream still holds its owner's reference
         * (serial_console_close unlinks it before dropping that), so the
         * references counted below never free one still in this list; the
         * analyzer cannot know that refs was not 0. */
        serial_console *v = viewer_of(fv); /* NOLINT(clang-analyzer-unix.Malloc) */
        switch (serial_flow_offer(fv, data, len)) {
        case SERIAL_FLOW_DELIVER:
            v->refs++;
            now[n++] = v;
            break;
        case SERIAL_FLOW_BEHIND:
            behind[nbehind++] = v;
            break;
        case SERIAL_FLOW_HELD:
            break;
        }
    }
    for (size_t i = 0; i < nbehind; i++)
        viewer_fell_behind_locked(h, behind[i]);
    free(behind);
    for (size_t i = 0; i < n; i++) {
        if (!now[i]->closed)
            call_output(h, now[i], data, len);
        viewer_unref_locked(now[i]);
    }
    pthread_mutex_unlock(&h->lock);
    free(now);
}

/* Sends the pending flow-control byte, then queued input, until libvirt
 * would block. -1 when the stream failed. */
static int stream_send(console_stream *s)
{
    serial_consoles *h = s->hub;
    char chunk[SEND_CHUNK];
    for (;;) {
        pthread_mutex_lock(&h->lock);
        char flow = serial_flow_take_byte(&s->flow);
        size_t n = 0;
        if (!flow) {
            n = s->input.len < sizeof chunk ? s->input.len : sizeof chunk;
            if (n)
                memcpy(chunk, s->input.data + s->input.off, n);
        }
        pthread_mutex_unlock(&h->lock);
        if (!flow && n == 0)
            return 0;
        int sent = flow ? virStreamSend(s->st, &flow, 1) : virStreamSend(s->st, chunk, n);
        if (sent == -2 && flow) {
            pthread_mutex_lock(&h->lock);
            serial_flow_untake_byte(&s->flow, flow);
            pthread_mutex_unlock(&h->lock);
        }
        if (sent == -2)
            return 0;
        if (sent < 0)
            return -1;
        if (!flow) {
            pthread_mutex_lock(&h->lock);
            buf_consume(&s->input, (size_t)sent);
            pthread_mutex_unlock(&h->lock);
        }
    }
}

static void update_events(console_stream *s)
{
    serial_consoles *h = s->hub;
    if (!s->registered || s->deciding)
        return; /* opened since this work run began: the next one registers it */
    pthread_mutex_lock(&h->lock);
    int want = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
    /* libvirt's remote stream is always writable: asking for it with
     * nothing to send would make the loop spin. */
    if (serial_flow_pending(&s->flow) || s->input.len)
        want |= VIR_STREAM_EVENT_WRITABLE;
    pthread_mutex_unlock(&h->lock);
    if (want != s->events && virStreamEventUpdateCallback(s->st, want) == 0)
        s->events = want;
}

/* Removes the stream from libvirt and from the hub; s is freed when it
 * returns. Runs in the hub's work run, never inside the stream's own
 * callback, so no dispatch of that callback is running (see the top). */
static void teardown(console_stream *s)
{
    serial_consoles *h = s->hub;
    virStreamPtr st = s->st;
    virDomainPtr dom = s->dom;
    virConnectPtr conn = s->conn;
    bool registered = s->registered;
    if (s->decide_timer >= 0)
        virEventRemoveTimeout(s->decide_timer);
    pthread_mutex_lock(&h->lock);
    bool resume_guest = s->flow.guest_stopped && !s->broken;
    pthread_mutex_unlock(&h->lock);
    /* A guest left stopped would ignore the next viewer. */
    if (resume_guest)
        virStreamSend(st, &(char){SERIAL_FLOW_XON}, 1);
    /* The callback goes before the abort: an aborted remote stream has no
     * driver left to remove it from. */
    if (registered)
        virStreamEventRemoveCallback(st);
    virStreamAbort(st);
    virStreamFree(st);
    virDomainFree(dom);
    virConnectClose(conn);
    /* Linked until the host has closed its end: an open of the same
     * console waits for that (see stream_to_join_locked). */
    pthread_mutex_lock(&h->lock);
    unlink_stream(h, s);
    pthread_mutex_unlock(&h->lock);
    stream_release(s);
}

/* Ends a stream: every viewer learns why (once its held output is
 * delivered) and the next work run removes the stream. */
static void stream_end(console_stream *s, serial_console_end why, const char *message, bool broken)
{
    serial_consoles *h = s->hub;
    pthread_mutex_lock(&h->lock);
    s->state = STREAM_ENDED;
    s->broken = broken;
    while (s->flow.viewers) {
        serial_console *v = viewer_of(s->flow.viewers);
        unlink_viewer_from_stream(v);
        v->end_pending = true;
        v->why = why;
        v->why_message = xstrdup(message);
    }
    kick_locked(h);
    pthread_mutex_unlock(&h->lock);
}

/* Why a stream that was open ended, from the domain as the host sees it
 * now: gone, stopped, running under another id (restarted: a new QEMU
 * process), or still the same. */
static serial_console_end end_reason(console_stream *s, const char *stream_error, char **message)
{
    int state = 0, reason = 0;
    virDomainPtr now = virDomainLookupByName(s->conn, s->domain_name);
    int rc = now ? virDomainGetState(now, &state, &reason, 0) : -1;
    unsigned id = now ? virDomainGetID(now) : (unsigned)-1;
    if (rc < 0) {
        bool missing = libvirt_error_is_missing();
        if (!missing)
            *message = xasprintf("the serial console of guest %s on %s failed: %s", s->domain_name,
                                 s->host_uri, stream_error ? stream_error : libvirt_error());
        if (now)
            virDomainFree(now);
        if (!missing)
            return SERIAL_CONSOLE_FAILED;
        *message = xasprintf("guest %s is gone, so its serial console closed", s->domain_name);
        return SERIAL_CONSOLE_GUEST_STOPPED;
    }
    virDomainFree(now);
    if (state == VIR_DOMAIN_SHUTOFF || state == VIR_DOMAIN_SHUTDOWN ||
        state == VIR_DOMAIN_CRASHED || id == (unsigned)-1) {
        *message = xasprintf("guest %s stopped, so its serial console closed", s->domain_name);
        return SERIAL_CONSOLE_GUEST_STOPPED;
    }
    if (id != s->domain_id) {
        *message = xasprintf("guest %s restarted, so its serial console closed", s->domain_name);
        return SERIAL_CONSOLE_GUEST_STOPPED;
    }
    /* The guest runs and the host answers: libvirt ends a console this way
     * when another client opens it with force. */
    *message =
        xasprintf("the serial console of guest %s was opened elsewhere, which closed it here",
                  s->domain_name);
    return SERIAL_CONSOLE_TAKEN_OVER;
}

static void stream_decide(int timer, void *opaque)
{
    console_stream *s = opaque;
    char *message = NULL;
    serial_console_end why = end_reason(s, s->end_error, &message);
    if (why == SERIAL_CONSOLE_TAKEN_OVER && ++s->end_checks < END_CHECKS) {
        free(message);
        return; /* again in END_CHECK_MS */
    }
    virEventRemoveTimeout(timer);
    s->decide_timer = -1;
    stream_end(s, why, message, true);
    free(message);
}

/* The stream broke or ended. Why is told by the domain's state, which a
 * dying guest's stream may beat: a guest that still runs is looked at again
 * for a while before the end is put down to another client. */
static void stream_finish(console_stream *s, const char *stream_error)
{
    /* First: stream_error is libvirt's, gone with the next libvirt call. */
    s->end_error = stream_error ? xstrdup(stream_error) : NULL;
    if (s->registered && virStreamEventUpdateCallback(s->st, 0) == 0)
        s->events = 0; /* an ended remote stream stays readable */
    pthread_mutex_lock(&s->hub->lock);
    s->deciding = true; /* a new open makes a new stream */
    pthread_mutex_unlock(&s->hub->lock);
    char *message = NULL;
    serial_console_end why = end_reason(s, s->end_error, &message);
    if (why == SERIAL_CONSOLE_TAKEN_OVER &&
        (s->decide_timer = virEventAddTimeout(END_CHECK_MS, stream_decide, s, NULL)) >= 0) {
        free(message);
        return;
    }
    stream_end(s, why, message, true);
    free(message);
}

static void on_stream_event(virStreamPtr st, int events, void *opaque)
{
    console_stream *s = opaque;
    if (s->state != STREAM_OPEN || s->deciding)
        return;
    if ((events & VIR_STREAM_EVENT_WRITABLE) && stream_send(s) < 0) {
        stream_finish(s, libvirt_error());
        return;
    }
    if (events & VIR_STREAM_EVENT_READABLE) {
        for (int i = 0; i < RECV_PER_EVENT; i++) {
            int got = virStreamRecv(st, s->hub->recv_buf, RECV_CHUNK);
            if (got == -2)
                break;
            if (got <= 0) {
                stream_finish(s, got < 0 ? libvirt_error() : NULL);
                return;
            }
            deliver(s, s->hub->recv_buf, (size_t)got);
        }
    }
    if (events & (VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP)) {
        stream_finish(s, NULL);
        return;
    }
    update_events(s);
}

/* The free function of the stream's libvirt callback (see the top). */
static void stream_callback_released(void *opaque)
{
    console_stream *s = opaque;
    s->callback_released = true;
}

static int stream_register(console_stream *s)
{
    int events = VIR_STREAM_EVENT_READABLE | VIR_STREAM_EVENT_ERROR | VIR_STREAM_EVENT_HANGUP;
    if (virStreamEventAddCallback(s->st, events, on_stream_event, s, stream_callback_released) < 0)
        return ENSHU_ELIBVIRT;
    s->registered = true;
    s->events = events;
    return ENSHU_OK;
}

/* ---- the hub's work, on the event thread ---- */

/* Held output to viewers no longer paused, then the end to those whose
 * stream ended. */
static void serve_viewers_locked(serial_consoles *h)
{
    size_t n = 0;
    for (serial_console *v = h->viewers; v; v = v->next_in_hub)
        n++;
    serial_console **all = xmalloc((n + 1) * sizeof(serial_console *));
    n = 0;
    for (serial_console *v = h->viewers; v; v = v->next_in_hub) {
        v->refs++;
        all[n++] = v;
    }
    for (size_t i = 0; i < n; i++) {
        serial_console *v = all[i];
        /* Only the event thread appends to held: the bytes passed stay put
         * while on_output runs. */
        const char *held;
        size_t len;
        while (!v->closed && (len = serial_flow_held(&v->flow, FLUSH_CHUNK, &held)) > 0) {
            call_output(h, v, held, len);
            serial_flow_consume(&v->flow, len);
        }
        if (!v->closed && v->end_pending && !v->end_told && (v->flow.held_len == 0 || h->closing))
            call_closed(h, v);
        viewer_unref_locked(v);
    }
    free(all);
}

/* The streams open or ended but not yet removed (not those being opened). */
static console_stream **linked_streams_locked(serial_consoles *h, size_t *count)
{
    size_t n = 0;
    for (console_stream *s = h->streams; s; s = s->next)
        n++;
    console_stream **list = xmalloc((n + 1) * sizeof(console_stream *));
    n = 0;
    for (console_stream *s = h->streams; s; s = s->next)
        if (s->state != STREAM_OPENING)
            list[n++] = s;
    *count = n;
    return list;
}

static void hub_work(int timer, void *opaque)
{
    serial_consoles *h = opaque;
    pthread_mutex_lock(&h->lock);
    h->kicked = false;
    virEventUpdateTimeout(h->timer, -1);
    bool closing = h->closing;
    size_t n;
    console_stream **list = linked_streams_locked(h, &n);
    pthread_mutex_unlock(&h->lock);

    for (size_t i = 0; i < n; i++) {
        console_stream *s = list[i];
        pthread_mutex_lock(&h->lock);
        bool ended = s->state == STREAM_ENDED;
        bool unwatched = s->flow.nviewers == 0;
        bool needs_register = s->needs_register;
        s->needs_register = false;
        if (unwatched)
            s->state = STREAM_ENDED; /* no open attaches to it any more */
        pthread_mutex_unlock(&h->lock);
        if (ended || unwatched) {
            teardown(s);
            continue;
        }
        char *message = NULL;
        if (closing) {
            message = xasprintf(
                "the serial console of guest %s closed because the console service stopped",
                s->domain_name);
            stream_end(s, SERIAL_CONSOLE_HUB_CLOSED, message, false);
        } else if (needs_register && stream_register(s) < 0) {
            message = xasprintf("cannot watch the serial console of guest %s on %s: %s",
                                s->domain_name, s->host_uri, libvirt_error());
            log_printf(ENSHU_LOG_ERROR, "enshu: %s", message);
            stream_end(s, SERIAL_CONSOLE_FAILED, message, false);
        }
        if (message) {
            free(message);
            teardown(s);
        }
    }
    free(list);

    pthread_mutex_lock(&h->lock);
    serve_viewers_locked(h);
    list = linked_streams_locked(h, &n);
    pthread_mutex_unlock(&h->lock);
    for (size_t i = 0; i < n; i++)
        if (list[i]->state == STREAM_OPEN)
            update_events(list[i]);
    free(list);

    if (closing) {
        pthread_mutex_lock(&h->lock);
        h->closing_done = true;
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
    }
}

static void hub_timer_gone(void *opaque)
{
    serial_consoles *h = opaque;
    pthread_mutex_lock(&h->lock);
    h->timer_gone = true;
    pthread_cond_broadcast(&h->cond);
    pthread_mutex_unlock(&h->lock);
}

/* ---- the hub ---- */

serial_consoles *serial_consoles_new(void)
{
    if (libvirt_events_acquire() < 0)
        return NULL;
    serial_consoles *h = xcalloc(1, sizeof(serial_consoles));
    pthread_mutex_init(&h->lock, NULL);
    pthread_mutex_init(&h->conn_lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    h->recv_buf = xmalloc(RECV_CHUNK);
    h->timer = virEventAddTimeout(-1, hub_work, h, hub_timer_gone);
    if (h->timer < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot add a timer to libvirt's event loop: %s",
                   libvirt_error());
        free(h->recv_buf);
        free(h);
        libvirt_events_release();
        return NULL;
    }
    return h;
}

void serial_consoles_free(serial_consoles *h)
{
    if (!h)
        return;
    if (libvirt_events_on_loop_thread()) {
        log_printf(ENSHU_LOG_ERROR, "enshu: serial_consoles_free called from a console callback");
        abort();
    }
    pthread_mutex_lock(&h->lock);
    h->closing = true;
    kick_locked(h);
    while (!h->closing_done || h->live_streams > 0)
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);

    virEventRemoveTimeout(h->timer);
    pthread_mutex_lock(&h->lock);
    while (!h->timer_gone)
        pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);

    while (h->viewers) {
        serial_console *v = h->viewers;
        h->viewers = v->next_in_hub;
        viewer_free(v);
    }
    for (size_t i = 0; i < h->nconns; i++) {
        virConnectClose(h->conns[i].conn);
        free(h->conns[i].uri);
    }
    free(h->conns);
    free(h->recv_buf);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->conn_lock);
    pthread_mutex_destroy(&h->lock);
    free(h);
    libvirt_events_release();
}

/* A reference to the hub's connection to uri, opened (or opened again
 * when it broke) as needed. Reports failure. */
static virConnectPtr hub_conn(serial_consoles *h, const char *uri)
{
    pthread_mutex_lock(&h->conn_lock);
    cached_conn *c = NULL;
    for (size_t i = 0; i < h->nconns; i++)
        if (strcmp(h->conns[i].uri, uri) == 0)
            c = &h->conns[i];
    if (c && c->conn && virConnectIsAlive(c->conn) != 1) {
        virConnectClose(c->conn); /* streams on it keep their own references */
        c->conn = NULL;
    }
    if (!c || !c->conn) {
        virConnectPtr conn = libvirt_open(uri);
        if (!conn) {
            pthread_mutex_unlock(&h->conn_lock);
            return NULL;
        }
        /* Not every driver has keepalive; without it only a dead host's
         * consoles would linger. */
        if (virConnectSetKeepAlive(conn, KEEPALIVE_INTERVAL_S, KEEPALIVE_COUNT) < 0)
            virResetLastError();
        if (!c) {
            XGROW(h->conns, h->conns_cap, h->nconns + 1);
            c = &h->conns[h->nconns++];
            c->uri = xstrdup(uri);
        }
        c->conn = conn;
    }
    virConnectPtr conn = c->conn;
    virConnectRef(conn);
    pthread_mutex_unlock(&h->conn_lock);
    return conn;
}

/* Connects s to its domain's console (blocking, off the lock). */
static int stream_connect(serial_consoles *h, console_stream *s)
{
    s->conn = hub_conn(h, s->host_uri);
    if (!s->conn)
        return ENSHU_ELIBVIRT;
    s->dom = virDomainLookupByName(s->conn, s->domain_name);
    if (!s->dom) {
        if (libvirt_error_is_missing())
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: cannot open a serial console: there is no guest %s on %s",
                       s->domain_name, s->host_uri);
        else
            log_printf(ENSHU_LOG_ERROR, "enshu: cannot find guest %s on %s: %s", s->domain_name,
                       s->host_uri, libvirt_error());
        goto fail;
    }
    s->domain_id = virDomainGetID(s->dom);
    s->st = virStreamNew(s->conn, VIR_STREAM_NONBLOCK);
    if (!s->st || virDomainOpenConsole(s->dom, NULL, s->st, VIR_DOMAIN_CONSOLE_FORCE) < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot open the serial console of guest %s on %s: %s",
                   s->domain_name, s->host_uri, libvirt_error());
        goto fail;
    }
    return ENSHU_OK;
fail:
    if (s->st)
        virStreamFree(s->st);
    if (s->dom)
        virDomainFree(s->dom);
    virConnectClose(s->conn);
    s->st = NULL;
    s->dom = NULL;
    s->conn = NULL;
    return ENSHU_ELIBVIRT;
}

static serial_console *viewer_new_locked(serial_consoles *h, console_stream *s,
                                         const serial_console_callbacks *cb, void *ctx, bool paused)
{
    serial_console *v = xcalloc(1, sizeof(serial_console));
    v->hub = h;
    v->stream = s;
    v->cb = *cb;
    v->ctx = ctx;
    v->refs = 1;
    serial_flow_join(&s->flow, &v->flow);
    if (paused)
        serial_flow_pause(&v->flow); /* before any output can reach it */
    v->next_in_hub = h->viewers;
    h->viewers = v;
    return v;
}

/* The open stream of that console to join, or NULL when a new one is to
 * be opened. Waits while one is being opened, and while one is being torn
 * down: libvirt's host side forgets which client holds a console when a
 * close of the previous stream overlaps the next open (the closing stream's
 * clean-up removes the entry of the console, whichever stream it names), and
 * a later open with force by another client would then leave this one
 * running beside it. On the event thread, where teardowns run, it cannot
 * wait for those. */
static console_stream *stream_to_join_locked(serial_consoles *h, const char *host_uri,
                                             const char *domain_name)
{
    for (;;) {
        bool wait = false;
        for (console_stream *s = h->streams; s; s = s->next) {
            if (strcmp(s->host_uri, host_uri) != 0 || strcmp(s->domain_name, domain_name) != 0)
                continue;
            if (s->state == STREAM_OPEN && !s->deciding)
                return s;
            if (s->state == STREAM_OPENING ||
                (s->state == STREAM_ENDED && !libvirt_events_on_loop_thread()))
                wait = true;
        }
        if (!wait)
            return NULL;
        pthread_cond_wait(&h->cond, &h->lock);
    }
}

static int open_viewer(serial_consoles *h, const char *host_uri, const char *domain_name,
                       const serial_console_callbacks *cb, void *ctx, bool paused,
                       serial_console **out)
{
    *out = NULL;
    if (!cb || !cb->on_output || !cb->on_closed) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: a serial console of guest %s needs both output and end callbacks",
                   domain_name);
        return ENSHU_EINVAL;
    }
    pthread_mutex_lock(&h->lock);
    console_stream *s = stream_to_join_locked(h, host_uri, domain_name);
    if (h->closing) {
        pthread_mutex_unlock(&h->lock);
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: cannot open the serial console of guest %s: the console service "
                   "is stopping",
                   domain_name);
        return ENSHU_EINVAL;
    }
    if (s) {
        *out = viewer_new_locked(h, s, cb, ctx, paused);
        pthread_mutex_unlock(&h->lock);
        return ENSHU_OK;
    }
    s = xcalloc(1, sizeof(console_stream));
    s->hub = h;
    s->host_uri = xstrdup(host_uri);
    s->domain_name = xstrdup(domain_name);
    s->state = STREAM_OPENING;
    s->decide_timer = -1;
    s->next = h->streams;
    h->streams = s;
    h->live_streams++;
    pthread_mutex_unlock(&h->lock);

    int rc = stream_connect(h, s);

    pthread_mutex_lock(&h->lock);
    if (rc < 0) {
        unlink_stream(h, s);
        pthread_cond_broadcast(&h->cond);
        pthread_mutex_unlock(&h->lock);
        stream_release(s);
        return rc;
    }
    s->state = STREAM_OPEN;
    s->needs_register = true;
    *out = viewer_new_locked(h, s, cb, ctx, paused);
    pthread_cond_broadcast(&h->cond);
    kick_locked(h);
    pthread_mutex_unlock(&h->lock);
    return ENSHU_OK;
}

int serial_console_open(serial_consoles *h, const char *host_uri, const char *domain_name,
                        const serial_console_callbacks *cb, void *ctx, serial_console **out)
{
    return open_viewer(h, host_uri, domain_name, cb, ctx, false, out);
}

int serial_console_open_paused(serial_consoles *h, const char *host_uri, const char *domain_name,
                               const serial_console_callbacks *cb, void *ctx, serial_console **out)
{
    return open_viewer(h, host_uri, domain_name, cb, ctx, true, out);
}

int serial_console_write(serial_console *c, const void *data, size_t len)
{
    serial_consoles *h = c->hub;
    int rc = ENSHU_OK;
    pthread_mutex_lock(&h->lock);
    console_stream *s = c->stream;
    if (!s || s->state != STREAM_OPEN) {
        rc = ENSHU_EIO;
    } else if (len > SERIAL_CONSOLE_INPUT_MAX - s->input.len) {
        if (!s->input_full_told)
            log_printf(ENSHU_LOG_NOTICE,
                       "enshu: guest %s does not take its serial console input fast enough; "
                       "input is refused until it catches up",
                       s->domain_name);
        s->input_full_told = true;
        rc = ENSHU_ECAPACITY;
    } else if (len) {
        buf_append(&s->input, data, len);
        s->input_full_told = false;
        kick_locked(h);
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

void serial_console_pause(serial_console *c)
{
    serial_consoles *h = c->hub;
    pthread_mutex_lock(&h->lock);
    serial_flow_pause(&c->flow);
    /* The last reader paused: the work run sends the XOFF. */
    if (c->stream && serial_flow_pending(&c->stream->flow))
        kick_locked(h);
    pthread_mutex_unlock(&h->lock);
}

void serial_console_resume(serial_console *c)
{
    serial_consoles *h = c->hub;
    pthread_mutex_lock(&h->lock);
    if (c->flow.paused) {
        serial_flow_resume(&c->flow);
        kick_locked(h); /* its held output, and the XON if the guest was stopped */
    }
    pthread_mutex_unlock(&h->lock);
}

void serial_console_get_stats(serial_console *c, serial_console_stats *out)
{
    pthread_mutex_lock(&c->hub->lock);
    console_stream *s = c->stream;
    *out = (serial_console_stats){
        .held = c->flow.held_len,
        .held_peak = c->flow.held_peak,
        .delivered = c->delivered,
        .input_queued = s ? s->input.len : 0,
        .guest_stopped = s ? s->flow.guest_stopped : false,
        .viewers = s ? s->flow.nviewers : 0,
        .ended = !s,
    };
    pthread_mutex_unlock(&c->hub->lock);
}

void serial_console_close(serial_console *c)
{
    if (!c)
        return;
    serial_consoles *h = c->hub;
    pthread_mutex_lock(&h->lock);
    c->closed = true;
    if (c->stream) {
        /* The work run ends a stream left without viewers, or lets the
         * guest go on if c was the paused one. */
        unlink_viewer_from_stream(c);
        kick_locked(h);
    }
    unlink_viewer_from_hub(h, c);
    if (!libvirt_events_on_loop_thread())
        while (h->calling == c)
            pthread_cond_wait(&h->cond, &h->lock);
    viewer_unref_locked(c);
    pthread_mutex_unlock(&h->lock);
}
