/*
 * The `events` request (web/PROTOCOL.md): a page of the ledger's events
 * for the instructors' Events tab, filtered by team and kinds, newest
 * first in exercise time, each as the ledger has it, with the title of
 * what it is about in the session's language. The one request that reads
 * the ledger, so never on the hub thread: a page is read on a thread of its
 * own (at most EVENTS_PAGES_MAX at once), which sends the reply itself
 * (the transport takes any thread) and reads only what is read-only after
 * the hub started (the ledger's path, the scenario, the view). Bounded by
 * its page (at most EVENT_QUERY_MAX_LIMIT events, EVENTS_PAGE_BYTES of
 * text) and by the timeline's rate limit, which it shares.
 */
#include "alloc.h"
#include "errors.h"
#include "event_query.h"
#include "hub_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVENTS_DEFAULT_LIMIT 100
/* A check's or a command's output can be long: each event's text is cut
 * to this many bytes (text_cut: true; the console shows an excerpt). */
#define EVENTS_TEXT_BYTES 4096
/* A page ends early (more: true) once its texts reach this much, so a
 * reply always fits in a session's queue. */
#define EVENTS_PAGE_BYTES (512u * 1024)
/* Pages read at once; more are refused with rate_limited. */
#define EVENTS_PAGES_MAX 2

typedef struct page {
    console_hub *hub;
    console_audience a;
    json_t *list;
    size_t bytes;
    int64_t last_seq;
    bool full;
} page;

/* The title of what ev is about (an inject, objective or request), in the
 * page's language, or NULL (caller frees). */
static char *subject_title(const page *p, const event *ev)
{
    if (!ev->subject)
        return NULL;
    const scenario *s = p->hub->s;
    int team = ev->team > 0 ? ev->team : 1; /* templates are filled in for a team */
    const l10n_text *title = NULL;
    switch (ev->kind) {
    case EV_INJECT_BEGIN:
    case EV_INJECT_FIRED:
    case EV_INJECT_FAILED:
    case EV_INJECT_SKIPPED:
    case EV_INJECT_HELD:
    case EV_INJECT_RELEASED:
    case EV_INJECT_RETRIED: {
        const inject *inj = scenario_inject(s, ev->subject);
        title = inj ? &inj->title : NULL;
        break;
    }
    case EV_ANSWER:
    case EV_REPORT:
    case EV_GRADE:
    case EV_HINT: {
        const objective *o = scenario_objective(s, ev->subject);
        title = o ? &o->title : NULL;
        break;
    }
    case EV_REQUEST:
    case EV_REQUEST_DECIDED: {
        const team_request *r = scenario_request(s, ev->subject);
        title = r ? &r->title : NULL;
        break;
    }
    default:
        break;
    }
    if (!title)
        return NULL;
    char *text = console_view_text(&p->hub->view, &p->a, team, title);
    if (!*text) {
        free(text);
        return NULL;
    }
    return text;
}

/* The length of the longest prefix of s, at most max bytes, that ends
 * between UTF-8 characters. */
static size_t utf8_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static int add_event(const event *ev, void *arg)
{
    page *p = arg;
    json_t *o =
        json_pack("{s:I, s:I, s:I, s:i, s:s, s:I}", "seq", (json_int_t)ev->seq, "at_ms",
                  (json_int_t)ev->at_ms, "wall_ms", (json_int_t)ev->wall_ms, "team", ev->team,
                  "kind", event_kind_name(ev->kind), "value", (json_int_t)ev->value);
    if (ev->subject)
        json_object_set_new(o, "subject", json_string(ev->subject));
    if (ev->actor)
        json_object_set_new(o, "by", json_string(ev->actor));
    if (ev->text) {
        size_t n = utf8_cut(ev->text, EVENTS_TEXT_BYTES);
        json_t *text = json_stringn(ev->text, n);
        if (!text) /* not UTF-8 (an old ledger's raw output): leave it out */
            text = json_string("");
        json_object_set_new(o, "text", text);
        if (n < strlen(ev->text))
            json_object_set_new(o, "text_cut", json_true());
        p->bytes += n;
    }
    char *title = subject_title(p, ev);
    if (title) {
        json_object_set_new(o, "title", json_string(title));
        p->bytes += strlen(title);
        free(title);
    }
    p->bytes += 160; /* the fields around the texts */
    json_array_append_new(p->list, o);
    p->last_seq = ev->seq;
    if (p->bytes >= EVENTS_PAGE_BYTES) {
        p->full = true;
        return 1;
    }
    return 0;
}

/* Reads `kinds` (an array of 1 to EV_KIND_COUNT event kind names) into
 * *mask; replies bad_request and returns false when it is not one. */
static bool read_kinds(console_hub *hub, session *ss, const console_request *rq, uint32_t *mask)
{
    *mask = 0;
    json_t *kinds = json_object_get(rq->root, "kinds");
    if (!kinds || json_is_null(kinds))
        return true;
    size_t i;
    json_t *k;
    /* Absent means every kind; an empty list would mean none, which is no page. */
    bool ok = json_is_array(kinds) && json_array_size(kinds) >= 1 &&
              json_array_size(kinds) <= EV_KIND_COUNT;
    json_array_foreach(kinds, i, k)
    {
        event_kind kind =
            json_is_string(k) ? event_kind_parse(json_string_value(k)) : EV_KIND_COUNT;
        if (kind == EV_KIND_COUNT) {
            ok = false;
            break;
        }
        *mask |= 1u << kind;
    }
    if (!ok) {
        json_t *f = json_pack("{s:s, s:s, s:s}", "code", "bad_request", "message",
                              "'kinds' must be an array of event kinds (see web/PROTOCOL.md)",
                              "field", "kinds");
        hub_send_text(hub, ss->id, console_reply(rq->id, "error", f));
    }
    return ok;
}

/* A page to read, handed to its thread. */
typedef struct events_job {
    console_hub *hub;
    uint64_t session;
    json_t *id; /* a copy of the request's id, or NULL */
    char *lang; /* the session's, or NULL */
    event_query q;
} events_job;

static void send_error(console_hub *hub, uint64_t sid, const json_t *id, const char *code,
                       const char *message, const char *field)
{
    json_t *f = json_pack("{s:s, s:s}", "code", code, "message", message);
    if (field)
        json_object_set_new(f, "field", json_string(field));
    hub_send_text(hub, sid, console_reply(id, "error", f));
}

static void *events_main(void *arg)
{
    events_job *job = arg;
    console_hub *hub = job->hub;
    page p = {.hub = hub, .a = {.team = 0, .lang = job->lang}, .list = json_array()};
    bool more = false;
    int rc = event_query_page(hub->cfg.ledger, &job->q, add_event, &p, &more);
    if (rc == ENSHU_ENOTFOUND) {
        send_error(hub, job->session, job->id, "not_found", "no event has that seq", "before_seq");
        json_decref(p.list);
    } else if (rc != ENSHU_OK) {
        send_error(hub, job->session, job->id, "unavailable", "the event ledger could not be read",
                   NULL);
        json_decref(p.list);
    } else {
        more = more || p.full;
        json_t *fields = json_pack("{s:o, s:b}", "events", p.list, "more", more);
        if (more)
            json_object_set_new(fields, "next_before_seq", json_integer(p.last_seq));
        hub_send_text(hub, job->session, console_reply(job->id, "events", fields));
    }
    json_decref(job->id);
    free(job->lang);
    free(job);
    pthread_mutex_lock(&hub->lock);
    hub->pages--;
    pthread_cond_broadcast(&hub->opens_ended);
    pthread_mutex_unlock(&hub->lock);
    return NULL;
}

void hub_handle_events(console_hub *hub, session *ss, const console_request *rq)
{
    int team = 0;
    if (rq->team > 0) {
        team = hub_team_for(hub, ss, rq, true);
        if (team <= 0)
            return;
    }
    event_query q = {.team = team,
                     .before_seq = rq->before_seq,
                     .limit = rq->limit > 0 ? (size_t)rq->limit : EVENTS_DEFAULT_LIMIT};
    if (!read_kinds(hub, ss, rq, &q.kinds))
        return;
    events_job *job = xcalloc(1, sizeof *job);
    *job = (events_job){.hub = hub,
                        .session = ss->id,
                        .id = rq->id ? json_deep_copy(rq->id) : NULL,
                        .lang = ss->lang ? xstrdup(ss->lang) : NULL,
                        .q = q};
    pthread_mutex_lock(&hub->lock);
    int failed = -1;
    if (hub->pages < EVENTS_PAGES_MAX) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_t thread;
        failed = pthread_create(&thread, &attr, events_main, job);
        pthread_attr_destroy(&attr);
        if (!failed)
            hub->pages++; /* under the lock: the thread counts it off under it too */
    }
    pthread_mutex_unlock(&hub->lock);
    if (failed) {
        json_decref(job->id);
        free(job->lang);
        free(job);
        json_t *f = json_pack("{s:s, s:s, s:i}", "code", "rate_limited", "message",
                              "other pages of events are being read; try again in a moment",
                              "retry_ms", 500);
        hub_send_text(hub, ss->id, console_reply(rq->id, "error", f));
    }
}
