/*
 * The consoles' server side (see console_hub.h and web/PROTOCOL.md).
 *
 * Everything happens on the hub thread: the websocket transport's callbacks
 * only queue what they got (inbox), and the exercise only says "new events"
 * (console_hub_notify). The hub thread takes the inbox, then tails the
 * ledger from the last seq it fanned out: events reach sessions in ledger
 * order, and the hub keeps a grader of its own fed in that same order, so
 * the scores it shows are those of the events it has shown.
 */
#include "console_hub.h"
#include "alloc.h"
#include "base64.h"
#include "console_auth.h"
#include "console_protocol.h"
#include "console_view.h"
#include "display_name.h"
#include "errors.h"
#include "grader.h"
#include "ledger_meta.h"
#include "login_checks.h"
#include "login_limits.h"
#include "monotonic_cond.h"
#include "range_guests.h"
#include "serial_console.h"
#include "session_tokens.h"
#include "timeline.h"
#include "ws_server.h"

#include <pthread.h>
#include <sodium.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHANNELS 256
/* A console's output waits while the session's queue holds more than
 * HIGH, and goes on once it is below LOW again (the hub looks every few
 * milliseconds while a console waits). It waits for this channel alone:
 * the guest goes on for other viewers (serial_console.h). */
#define CONSOLE_QUEUE_HIGH (512u * 1024)
#define CONSOLE_QUEUE_LOW (64u * 1024)
/* A catching-up session gets its past events in slices: never more than
 * this much queued, so a long ledger cannot overflow its queue. */
#define CATCH_UP_QUEUED (256u * 1024)
/* A timeline reply lists at most this many events (the newest), of at
 * most this many bytes in all (a reply must fit in a session's queue). */
#define TIMELINE_EVENTS 2000
#define TIMELINE_BYTES (1024u * 1024)
/* Password checks: one thread (about 3.5 checks a second). Each Argon2id
 * check takes 64 MiB while it runs and a core: one thread bounds both, so
 * a flood of guesses leaves the other core to the hub and the guests, and
 * the server's memory under it stays below 100 MB. At most 8 queued or
 * under way (under 2.5 s of waiting). */
#define LOGIN_CHECK_THREADS 1
#define LOGIN_CHECKS_MAX 8
/* Session tokens: how long one lasts, and how many are kept. */
#define TOKEN_LIFETIME_MS (12LL * 3600 * 1000)
#define TOKENS_MAX 4096
#define LOGIN_ADDRESSES_MAX 4096

typedef enum role { ROLE_NONE, ROLE_TEAM, ROLE_INSTRUCTOR } role;

struct session;

typedef struct channel {
    console_hub *hub;
    uint64_t session;
    int number;
    int team;
    char *node;
    serial_console *console;
    atomic_bool client_paused; /* the browser's terminal is behind */
    atomic_bool queue_paused;  /* the websocket queue is full */
} channel;

typedef struct session {
    uint64_t id;
    char *peer;
    role role;
    int team; /* ROLE_TEAM */
    char *name;
    char *lang;
    char *token;   /* the session token it joined with or was given */
    bool checking; /* its instructor password is being checked */
    /* A joining session first catches up with the ledger at its own pace
     * (cursor: the last seq sent), then follows the live fan-out. */
    bool catching_up;
    int64_t cursor;
    channel *channels[CHANNELS];
    int nchannels; /* open */
} session;

typedef enum inbox_kind { IN_OPEN, IN_MESSAGE, IN_CLOSE, IN_DRAIN, IN_LOGIN } inbox_kind;

/* An instructor login whose password is being checked: what its hello
 * asked for, kept until the result comes back. */
typedef struct pending_login {
    uint64_t session;
    char *peer;
    json_t *id;
    char *lang;
    int64_t since;
    int rc; /* the check's result */
} pending_login;

typedef struct inbox_item {
    inbox_kind kind;
    uint64_t session;
    char *text; /* message, or peer address for IN_OPEN */
    size_t len;
    pending_login *login; /* IN_LOGIN */
    struct inbox_item *next;
} inbox_item;

typedef struct outcome_entry {
    int64_t seq;
    answer_outcome outcome;
} outcome_entry;

/* A report that came with a file: who sent it, the file's name and size
 * (its bytes stay in the ledger's meta, read only when asked for). */
typedef struct report_file {
    int64_t seq;
    int team;
    int64_t size;
    char *name;
} report_file;

/* The newest event messages a team has been shown, for `timeline`
 * replies: each encoded once per language of the scenario when the hub
 * fans the event out, so a reply copies text and never reads the ledger.
 * A ring of at most TIMELINE_EVENTS messages whose largest encodings add
 * up to at most TIMELINE_BYTES; the oldest go first. */
typedef struct team_feed {
    size_t *sizes; /* [slot]: the largest of its encodings */
    char **texts;  /* [slot * nlangs + lang]; NULL: the same as lang 0's */
    size_t first, count;
    size_t bytes;
    bool forgot; /* older messages were dropped */
} team_feed;

struct console_hub {
    console_hub_config cfg;
    const scenario *s;
    unsigned nteams;
    char **codes;
    console_view view;
    ws_server *ws;
    grader *grader;
    int64_t fanned; /* every event up to this seq was fanned out */
    outcome_entry *outcomes;
    size_t noutcomes, cap_outcomes;
    report_file *reports; /* sorted by seq */
    size_t nreports, cap_reports;
    team_feed *feeds; /* [team - 1] */
    size_t nlangs;    /* the scenario's languages: the encodings of each feed */
    session **sessions;
    size_t nsessions, cap_sessions;
    login_limits *logins;   /* failures per address and kind of credential */
    login_checks *checks;   /* the password-check threads */
    session_tokens *tokens; /* issued at login */
    rate_limiter *limits[LIMIT_COUNT]; /* per team ("0": instructors); LIMIT_TEAMS: one key */
    console_rate rates[LIMIT_COUNT];
    range_guests *guests; /* the nodes' guests: power states, restarts and reverts */
    serial_consoles *consoles;
    pthread_t thread;
    pthread_mutex_t lock; /* inbox, notified, stopping */
    pthread_cond_t wake;
    inbox_item *head, *tail;
    bool notified, stopping;
    bool busy; /* a session catches up or a console waits: look again soon */
    int64_t tailed_ms; /* when the hub last looked for new events */
};

const console_rate CONSOLE_LIMITS_DEFAULT[LIMIT_COUNT] = {
    [LIMIT_ANSWER] = {10, 10},     [LIMIT_REPORT] = {10, 10},    [LIMIT_HINT] = {10, 10},
    [LIMIT_ATTACHMENT] = {30, 20}, [LIMIT_TIMELINE] = {120, 30}, [LIMIT_SCOREBOARD] = {60, 20},
    [LIMIT_GRADE] = {120, 60},     [LIMIT_BROADCAST] = {20, 10}, [LIMIT_TEAMS] = {1200, 300},
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- sending ---- */

/* A send fails only when the session is gone or was closed for being too
 * slow: either way the client resumes from its last seq when it comes back. */
static void send_bytes(console_hub *hub, uint64_t id, const void *data, size_t len, bool binary)
{
    if (ws_server_send(hub->ws, id, data, len, binary) != ENSHU_OK)
        return;
}

static void send_text(console_hub *hub, uint64_t id, char *text)
{
    if (text)
        send_bytes(hub, id, text, strlen(text), false);
    free(text);
}

static void send_json(console_hub *hub, uint64_t id, json_t *msg)
{
    if (!msg)
        return;
    send_text(hub, id, json_dumps(msg, JSON_COMPACT));
    json_decref(msg);
}

static void reply_error(console_hub *hub, session *ss, const json_t *id, const char *code,
                        const char *message)
{
    send_text(hub, ss->id, console_reply_error_code(id, code, message));
}

static void reply_ok(console_hub *hub, session *ss, const json_t *id, json_t *fields)
{
    send_text(hub, ss->id, console_reply(id, "ok", fields));
}

/* Maps an engine error to the protocol's error codes. */
static void reply_rc(console_hub *hub, session *ss, const json_t *id, int rc, const char *what)
{
    if (rc == ENSHU_EPHASE) {
        /* Says why, in words and as the phase, so a console can tell its
         * users in their language and keep its forms closed until it runs. */
        exercise_phase phase = exercise_get_phase(hub->cfg.ex);
        char message[200];
        snprintf(message, sizeof message, "%s: %s", what, exercise_phase_refusal(phase));
        json_t *f = json_pack("{s:s, s:s, s:s}", "code", "conflict", "message", message, "phase",
                              exercise_phase_name(phase));
        send_text(hub, ss->id, console_reply(id, "error", f));
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
    reply_error(hub, ss, id, code, message);
}

/* ---- sessions ---- */

static session *find_session(console_hub *hub, uint64_t id)
{
    for (size_t i = 0; i < hub->nsessions; i++)
        if (hub->sessions[i]->id == id)
            return hub->sessions[i];
    return NULL;
}

static console_audience audience_of(const session *ss)
{
    return (console_audience){ss->role == ROLE_INSTRUCTOR ? 0 : ss->team, ss->lang};
}

static void channel_free(channel *ch)
{
    if (!ch)
        return;
    serial_console_close(ch->console); /* no callback runs after this */
    free(ch->node);
    free(ch);
}

static void session_free(session *ss)
{
    if (!ss)
        return;
    for (int c = 0; c < CHANNELS; c++)
        channel_free(ss->channels[c]);
    free(ss->peer);
    free(ss->name);
    free(ss->lang);
    if (ss->token)
        sodium_memzero(ss->token, strlen(ss->token));
    free(ss->token);
    free(ss);
}

static void remove_session(console_hub *hub, uint64_t id)
{
    for (size_t i = 0; i < hub->nsessions; i++) {
        if (hub->sessions[i]->id != id)
            continue;
        session_free(hub->sessions[i]);
        hub->sessions[i] = hub->sessions[--hub->nsessions];
        return;
    }
}

/* ---- fan-out ---- */

static const answer_outcome *find_outcome(const console_hub *hub, int64_t seq)
{
    size_t lo = 0, hi = hub->noutcomes; /* sorted by seq */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (hub->outcomes[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < hub->noutcomes && hub->outcomes[lo].seq == seq ? &hub->outcomes[lo].outcome : NULL;
}

/* Feeds ev to the hub's grader; remembers how an answer went. Returns
 * whether the team's score changed. */
static bool grade(console_hub *hub, const event *ev)
{
    const team_score *ts = grader_team(hub->grader, ev->team);
    int before_total = ts ? ts->total : 0, before_pen = ts ? ts->penalties : 0;
    const objective *answered =
        ev->kind == EV_ANSWER ? scenario_objective(hub->s, ev->subject) : NULL;
    size_t oi = answered ? (size_t)(answered - hub->s->objectives) : SIZE_MAX;
    bool was = ts && oi != SIZE_MAX ? ts->objectives[oi].achieved : false;
    grader_apply(hub->grader, ev);
    if (ts && oi != SIZE_MAX) {
        const objective *o = &hub->s->objectives[oi];
        const objective_score *os = &ts->objectives[oi];
        if (hub->noutcomes == hub->cap_outcomes) {
            hub->cap_outcomes = hub->cap_outcomes ? hub->cap_outcomes * 2 : 64;
            hub->outcomes = xrealloc(hub->outcomes, hub->cap_outcomes * sizeof(outcome_entry));
        }
        hub->outcomes[hub->noutcomes++] = (outcome_entry){
            ev->seq,
            {true, !was && os->achieved, !was && os->achieved ? os->points : 0,
             o->attempts ? (os->attempts < o->attempts ? o->attempts - os->attempts : 0) : -1}};
    }
    return ts && (ts->total != before_total || ts->penalties != before_pen);
}

static const report_file *find_report(const console_hub *hub, int64_t seq)
{
    size_t lo = 0, hi = hub->nreports; /* sorted by seq */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (hub->reports[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < hub->nreports && hub->reports[lo].seq == seq ? &hub->reports[lo] : NULL;
}

/* Notes a report's file as its event is fanned out (in ledger order, so
 * the index stays sorted). The file's name is in the ledger's meta beside
 * the event: the hub writes both on this thread, so the name is there
 * before the event is fanned out. */
static void note_report(console_hub *hub, const event *ev)
{
    if (ev->kind != EV_REPORT || ev->value <= 0)
        return;
    char key[48];
    snprintf(key, sizeof key, LEDGER_META_REPORT_FILE, (long long)ev->seq);
    char *stored = event_store_get_meta(hub->cfg.ledger, key);
    json_t *att = stored ? json_loads(stored, 0, NULL) : NULL;
    free(stored);
    const char *name = json_string_value(json_object_get(att, "name"));
    if (hub->nreports == hub->cap_reports) {
        hub->cap_reports = hub->cap_reports ? hub->cap_reports * 2 : 16;
        hub->reports = xrealloc(hub->reports, hub->cap_reports * sizeof(report_file));
    }
    hub->reports[hub->nreports++] =
        (report_file){ev->seq, ev->team, ev->value, xstrdup(name ? name : "file")};
    json_decref(att);
}

/* A report's file as its message shows it ({name, size}), or NULL. */
static json_t *report_attachment(console_hub *hub, const event *ev)
{
    const report_file *r = ev->kind == EV_REPORT ? find_report(hub, ev->seq) : NULL;
    return r ? json_pack("{s:s, s:I}", "name", r->name, "size", (json_int_t)r->size) : NULL;
}

/* The event's message for one audience, with the report's file (attachment,
 * from report_attachment; may be NULL); NULL when it sees nothing. */
static json_t *view_event(console_hub *hub, const console_audience *a, const event *ev,
                          json_t *attachment)
{
    json_t *msg = console_view_event(&hub->view, a, ev, find_outcome(hub, ev->seq));
    if (msg && attachment)
        json_object_set(msg, "attachment", attachment);
    return msg;
}

/* The scenario's language a session's texts are in: its own when the
 * scenario has it, else the default (what console_view gives it too). */
static size_t lang_index(const console_hub *hub, const char *lang)
{
    size_t fallback = 0;
    for (size_t i = 0; i < hub->s->nlanguages; i++) {
        if (lang && strcmp(hub->s->languages[i], lang) == 0)
            return i;
        if (strcmp(hub->s->languages[i], hub->s->default_language) == 0)
            fallback = i;
    }
    return fallback;
}

static void feed_drop_oldest(console_hub *hub, team_feed *f)
{
    size_t slot = f->first;
    for (size_t l = 0; l < hub->nlangs; l++) {
        free(f->texts[slot * hub->nlangs + l]);
        f->texts[slot * hub->nlangs + l] = NULL;
    }
    f->bytes -= f->sizes[slot];
    f->first = (f->first + 1) % TIMELINE_EVENTS;
    f->count--;
    f->forgot = true;
}

/* Adds ev, as team sees it in each language, to the team's feed (nothing
 * when the team does not see it). */
static void feed_add(console_hub *hub, int team, const event *ev, json_t *attachment)
{
    team_feed *f = &hub->feeds[team - 1];
    char **texts = xcalloc(hub->nlangs, sizeof(char *));
    size_t size = 0;
    for (size_t l = 0; l < hub->nlangs; l++) {
        console_audience a = {team, hub->s->nlanguages ? hub->s->languages[l] : NULL};
        json_t *msg = view_event(hub, &a, ev, attachment);
        char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
        json_decref(msg);
        if (!text && l == 0) { /* what a team sees does not depend on its language */
            free(texts);
            return;
        }
        if (text && l > 0 && strcmp(text, texts[0]) == 0) {
            free(text); /* the same in every language: kept once */
            text = NULL;
        }
        if (text && strlen(text) > size)
            size = strlen(text);
        texts[l] = text;
    }
    while (f->count && (f->count == TIMELINE_EVENTS || f->bytes + size > TIMELINE_BYTES))
        feed_drop_oldest(hub, f);
    size_t slot = (f->first + f->count) % TIMELINE_EVENTS;
    f->sizes[slot] = size;
    memcpy(&f->texts[slot * hub->nlangs], texts, hub->nlangs * sizeof(char *));
    f->count++;
    f->bytes += size;
    free(texts);
}

/* Every team that sees ev keeps it in its feed: its own team, or every
 * team for what concerns all (the exercise's phase, broadcasts to all). */
static void feed_event(console_hub *hub, const event *ev, json_t *attachment)
{
    if (ev->kind != EV_EXERCISE_STATE && ev->team >= 1 && (unsigned)ev->team <= hub->nteams) {
        feed_add(hub, ev->team, ev, attachment);
        return;
    }
    for (unsigned t = 1; t <= hub->nteams; t++)
        feed_add(hub, (int)t, ev, attachment);
}

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
    console_audience a = audience_of(ss);
    for (size_t i = 0; i < *n; i++)
        if (cache[i].team == a.team &&
            (cache[i].lang == a.lang ||
             (cache[i].lang && a.lang && !strcmp(cache[i].lang, a.lang))))
            return cache[i].msg;
    json_t *view = view_event(hub, &a, ev, attachment);
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
    bool changed = grade(hub, ev);
    note_report(hub, ev);
    /* Room for every team and the instructors in each of the scenario's
     * languages (or none given): past 16 teams a fixed 16 had most
     * sessions encode the event for themselves. Other language tags fall
     * back to an encoding per session. */
    size_t cap = (hub->nteams + 1) * (hub->s->nlanguages + 1), n = 0;
    encoded *cache = xcalloc(cap, sizeof(encoded));
    json_t *attachment = report_attachment(hub, ev);
    feed_event(hub, ev, attachment);
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

static void tail_ledger(console_hub *hub)
{
    if (event_store_scan(hub->cfg.ledger, hub->fanned, fan_out, hub) != ENSHU_OK)
        fprintf(stderr, "enshu: consoles: the ledger could not be read; retrying\n");
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
    console_audience a = audience_of(b->ss);
    json_t *attachment = report_attachment(b->hub, ev);
    json_t *msg = view_event(b->hub, &a, ev, attachment);
    json_decref(attachment);
    send_json(b->hub, b->ss->id, msg);
    b->ss->cursor = ev->seq;
    if (ws_server_queued(b->hub->ws, b->ss->id) > CATCH_UP_QUEUED) {
        b->full = true;
        return 1;
    }
    return 0;
}

/* Sends the next slice of a joining session's past events; once it has
 * them all, where the scores stand, and it follows the live fan-out. */
static void catch_up(console_hub *hub, session *ss)
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
            send_json(hub, ss->id, msg);
        }
}

/* ---- requests ---- */

static void log_refusal(const session *ss, const char *what)
{
    fprintf(stderr, "enshu: consoles: refused: %s (session %llu from %s, %s%d)\n", what,
            (unsigned long long)ss->id, ss->peer ? ss->peer : "?",
            ss->role == ROLE_INSTRUCTOR ? "instructor" : "team ",
            ss->role == ROLE_INSTRUCTOR ? 0 : ss->team);
}

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

/* extra: more fields for the welcome (taken over), or NULL. */
static void send_welcome(console_hub *hub, session *ss, const json_t *id, json_t *extra)
{
    console_audience a = audience_of(ss);
    exercise *ex = hub->cfg.ex;
    json_t *exj = console_view_exercise(&hub->view, &a, exercise_phase_name(exercise_get_phase(ex)),
                                        exercise_now(ex), exercise_speed(ex), hub->nteams);
    json_t *nodes = json_array();
    if (ss->role == ROLE_INSTRUCTOR) {
        json_t *codes = json_array();
        for (unsigned t = 1; t <= hub->nteams; t++) {
            json_array_append_new(
                codes, json_pack("{s:i, s:s}", "team", (int)t, "code", hub->codes[t - 1]));
            json_t *team_nodes = console_view_nodes(&hub->view, &a, (int)t);
            json_array_extend(nodes, team_nodes);
            json_decref(team_nodes);
        }
        json_object_set_new(exj, "join_codes", codes);
        json_t *injects = json_array();
        for (size_t i = 0; i < hub->s->ninjects; i++) {
            const inject *inj = &hub->s->injects[i];
            json_t *o =
                json_pack("{s:s, s:b}", "id", inj->id, "manual", inj->trigger == TRIGGER_MANUAL);
            char *title = console_view_text(&hub->view, &a, 0, &inj->title);
            json_object_set_new(o, "title", json_string(*title ? title : inj->id));
            free(title);
            json_array_append_new(injects, o);
        }
        json_object_set_new(exj, "injects", injects);
    } else {
        json_t *mine = console_view_nodes(&hub->view, &a, ss->team);
        json_array_extend(nodes, mine);
        json_decref(mine);
    }
    json_t *fields =
        json_pack("{s:i, s:s, s:o, s:o, s:o, s:I}", "protocol", CONSOLE_PROTOCOL_VERSION, "role",
                  ss->role == ROLE_INSTRUCTOR ? "instructor" : "team", "exercise", exj,
                  "objectives", console_view_objectives(&hub->view, &a), "nodes", nodes, "last_seq",
                  (json_int_t)hub->fanned);
    if (ss->role == ROLE_TEAM) {
        json_object_set_new(fields, "team", json_integer(ss->team));
        json_object_set_new(fields, "name", json_string(ss->name));
    }
    if (extra)
        json_object_update(fields, extra);
    json_decref(extra);
    send_text(hub, ss->id, console_reply(id, "welcome", fields));
}

static void reply_rate_limited(console_hub *hub, session *ss, const json_t *id,
                               const char *what, int64_t retry)
{
    char msg[128];
    snprintf(msg, sizeof msg, "%s; try again in %lld s", what, (long long)(retry / 1000 + 1));
    /* With retry_ms, as web/PROTOCOL.md promises (answers have it too). */
    json_t *f = json_pack("{s:s, s:s, s:I}", "code", "rate_limited", "message", msg, "retry_ms",
                          (json_int_t)retry);
    send_text(hub, ss->id, console_reply(id, "error", f));
}

/* The session joins as owner: a token is issued unless it came with one
 * (token), then the welcome and its catch-up from since. */
static void join(console_hub *hub, session *ss, const token_owner *owner, const char *token,
                 const json_t *id, const char *lang, int64_t since)
{
    ss->role = owner->instructor ? ROLE_INSTRUCTOR : ROLE_TEAM;
    ss->team = owner->instructor ? 0 : owner->team;
    free(ss->name);
    ss->name = xstrdup(owner->name ? owner->name : "instructor");
    free(ss->lang);
    ss->lang = lang ? xstrdup(lang) : NULL;
    json_t *extra = NULL;
    if (!token) {
        char issued[SESSION_TOKEN_SIZE];
        session_tokens_issue(hub->tokens, owner, now_ms(), issued);
        ss->token = xstrdup(issued);
        extra = json_pack("{s:s, s:I}", "token", issued, "token_expires_in_ms",
                          (json_int_t)TOKEN_LIFETIME_MS);
        sodium_memzero(issued, sizeof issued);
    } else {
        ss->token = xstrdup(token);
    }
    ws_server_admit(hub->ws, ss->id); /* joined: no longer held to the login deadline */
    send_welcome(hub, ss, id, extra);
    ss->cursor = since;
    ss->catching_up = true;
    catch_up(hub, ss);
}

static void pending_login_free(pending_login *pl)
{
    if (!pl)
        return;
    free(pl->peer);
    json_decref(pl->id);
    free(pl->lang);
    free(pl);
}

/* On a password-check thread: the result goes to the hub thread. */
static void password_checked(void *ctx, void *arg, int rc);

static int check_password(void *ctx, const char *password)
{
    console_hub *hub = ctx;
    return hub->cfg.check_password ? hub->cfg.check_password(hub->cfg.check_ctx, password)
                                   : instructor_password_check(password);
}

/*
 * A hello. A session token is checked at once and is never limited. A join
 * code is checked here too (a constant-time comparison: no cost); the
 * instructor password goes to the password-check threads and the session
 * waits for the result (IN_LOGIN). Both are subject to the login limits of
 * their address and kind (login_limits.h).
 */
static void handle_hello(console_hub *hub, session *ss, const console_request *rq)
{
    if (ss->role != ROLE_NONE || ss->checking) {
        reply_error(hub, ss, rq->id, "conflict",
                    ss->checking ? "this session's login is being checked"
                                 : "this session has joined already");
        return;
    }
    int64_t retry = 0;
    if (rq->token) {
        token_owner owner;
        if (session_tokens_check(hub->tokens, rq->token, now_ms(), &owner) != ENSHU_OK) {
            log_refusal(ss, "an unknown, expired or revoked session token");
            send_text(hub, ss->id,
                      console_reply(rq->id, "error",
                                    json_pack("{s:s, s:s, s:s}", "code", "bad_login", "field",
                                              "token", "message",
                                              "this login has expired or was ended: join again")));
            return;
        }
        join(hub, ss, &owner, rq->token, rq->id, rq->lang, rq->since);
        token_owner_clear(&owner);
        return;
    }
    if (strcmp(rq->role, "instructor") == 0) {
        if (!login_limits_begin(hub->logins, ss->peer, LOGIN_PASSWORD, now_ms(), &retry)) {
            reply_rate_limited(hub, ss, rq->id, "too many failed logins from this address", retry);
            return;
        }
        pending_login *pl = xcalloc(1, sizeof(pending_login));
        pl->session = ss->id;
        pl->peer = xstrdup(ss->peer);
        pl->id = rq->id ? json_deep_copy(rq->id) : NULL;
        pl->lang = rq->lang ? xstrdup(rq->lang) : NULL;
        pl->since = rq->since;
        if (login_checks_submit(hub->checks, rq->password, pl) != ENSHU_OK) {
            /* Not checked: no failure of this address. */
            login_limits_end(hub->logins, ss->peer, LOGIN_PASSWORD, true, now_ms());
            pending_login_free(pl);
            reply_rate_limited(hub, ss, rq->id, "too many logins are being checked", 1000);
            return;
        }
        ss->checking = true;
        return;
    }
    /* A name that cannot be shown is refused before the code is looked
     * at: it says nothing of the code, and spends nothing. */
    char *name = NULL;
    const char *why = NULL;
    if (display_name_normalize(rq->name, &name, &why) != ENSHU_OK) {
        send_text(hub, ss->id,
                  console_reply(rq->id, "error",
                                json_pack("{s:s, s:s, s:s}", "code", "bad_request", "field",
                                          "name", "message", why)));
        return;
    }
    if (!login_limits_begin(hub->logins, ss->peer, LOGIN_CODE, now_ms(), &retry)) {
        free(name);
        reply_rate_limited(hub, ss, rq->id, "too many wrong join codes from this address", retry);
        return;
    }
    int team = 0;
    for (unsigned t = 1; t <= hub->nteams; t++)
        if (join_code_matches(hub->codes[t - 1], rq->code))
            team = (int)t; /* every code compared: the time says nothing of which */
    login_limits_end(hub->logins, ss->peer, LOGIN_CODE, team > 0, now_ms());
    if (!team) {
        free(name);
        log_refusal(ss, "wrong join code");
        reply_error(hub, ss, rq->id, "bad_login", "wrong join code or password");
        return;
    }
    token_owner owner = {false, team, name};
    join(hub, ss, &owner, NULL, rq->id, rq->lang, rq->since);
    token_owner_clear(&owner);
}

/* On the hub thread: the instructor password of a pending login was checked. */
static void login_checked(console_hub *hub, pending_login *pl)
{
    if (pl->rc == ENSHU_ETIMEOUT)
        return; /* dropped as the hub stops */
    login_limits_end(hub->logins, pl->peer, LOGIN_PASSWORD, pl->rc == ENSHU_OK, now_ms());
    if (pl->rc == ENSHU_ENOTFOUND)
        fprintf(stderr, "enshu: consoles: no instructor password is set (enshu passwd)\n");
    session *ss = find_session(hub, pl->session);
    if (!ss)
        return; /* it closed meanwhile */
    ss->checking = false;
    if (pl->rc != ENSHU_OK) {
        log_refusal(ss, "wrong instructor password");
        reply_error(hub, ss, pl->id, "bad_login", "wrong join code or password");
        return;
    }
    token_owner owner = {true, 0, (char *)"instructor"};
    join(hub, ss, &owner, NULL, pl->id, pl->lang, pl->since);
}

/* The team a request acts on: a trainee's own (naming another is
 * forbidden), or the one an instructor names. 0 when refused (replied). */
static int team_for(console_hub *hub, session *ss, const console_request *rq, bool zero_ok)
{
    if (ss->role == ROLE_TEAM) {
        if (rq->team > 0 && rq->team != ss->team) {
            char what[96];
            snprintf(what, sizeof what, "%s for team %d", request_type_name(rq->type), rq->team);
            log_refusal(ss, what);
            char msg[120];
            snprintf(msg, sizeof msg, "team %d cannot act for or read team %d", ss->team, rq->team);
            reply_error(hub, ss, rq->id, "forbidden", msg);
            return 0;
        }
        return ss->team;
    }
    if (rq->team < 0 || (rq->team == 0 && !zero_ok)) {
        reply_error(hub, ss, rq->id, "bad_request", "'team' is required");
        return 0;
    }
    if ((unsigned)rq->team > hub->nteams) {
        reply_error(hub, ss, rq->id, "not_found", "no such team");
        return 0;
    }
    return rq->team == 0 ? -1 : rq->team; /* -1: every team */
}

static void handle_submission(console_hub *hub, session *ss, const console_request *rq)
{
    int team = team_for(hub, ss, rq, false);
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
            reply_error(hub, ss, rq->id, "bad_request", "the attachment's data is not base64");
            return;
        }
        sub.value = (int64_t)size;
    }
    int64_t seq = 0;
    int rc = exercise_submit(hub->cfg.ex, &sub, &seq);
    if (rc != ENSHU_OK) {
        reply_rc(hub, ss, rq->id, rc, request_type_name(rq->type));
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
            fprintf(stderr, "enshu: consoles: the attachment of report %lld was not kept\n",
                    (long long)seq);
        free(text);
    }
    reply_ok(hub, ss, rq->id, json_pack("{s:I}", "seq", (json_int_t)seq));
}

/* The file a team attached to a report: for that team and instructors.
 * Found in the hub's index of reports; its bytes are one keyed read of the
 * ledger's meta. */
static void handle_report_attachment(console_hub *hub, session *ss, const console_request *rq)
{
    const report_file *r = find_report(hub, rq->report);
    if (!r || (ss->role == ROLE_TEAM && r->team != ss->team)) {
        if (r)
            log_refusal(ss, "another team's report attachment");
        reply_error(hub, ss, rq->id, "not_found", "no such report attachment");
        return;
    }
    char key[48];
    snprintf(key, sizeof key, LEDGER_META_REPORT_FILE, (long long)rq->report);
    char *stored = event_store_get_meta(hub->cfg.ledger, key);
    json_t *att = stored ? json_loads(stored, 0, NULL) : NULL;
    free(stored);
    if (!json_is_string(json_object_get(att, "data"))) {
        json_decref(att);
        reply_error(hub, ss, rq->id, "not_found", "the report's attachment was not kept");
        return;
    }
    json_object_set_new(att, "report", json_integer(rq->report));
    send_text(hub, ss->id, console_reply(rq->id, "attachment", att));
}

static void handle_attachment(console_hub *hub, session *ss, const console_request *rq)
{
    if (rq->report > 0) {
        handle_report_attachment(hub, ss, rq);
        return;
    }
    if (!rq->inject) {
        reply_error(hub, ss, rq->id, "bad_request", "give 'inject' or 'report'");
        return;
    }
    int team = team_for(hub, ss, rq, false);
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
        reply_error(hub, ss, rq->id, "not_found", "no such attachment (yet)");
        return;
    }
    char *data = base64_encode(inj->action.attachment_content, inj->action.attachment_size);
    const char *base = strrchr(inj->action.attachment, '/');
    send_text(hub, ss->id,
              console_reply(rq->id, "attachment",
                            json_pack("{s:s, s:s, s:s}", "inject", inj->id, "name",
                                      base ? base + 1 : inj->action.attachment, "data", data)));
    free(data);
}

static const char *const STATE_NAMES[] = {"pending", "fired", "failed", "skipped"};

static void handle_timeline(console_hub *hub, session *ss, const console_request *rq)
{
    int team = team_for(hub, ss, rq, false);
    if (team <= 0)
        return;
    json_t *fields = json_object();
    json_object_set_new(fields, "team", json_integer(team));
    if (ss->role == ROLE_INSTRUCTOR) {
        console_audience a = audience_of(ss);
        json_t *injects = json_array();
        exercise *ex = hub->cfg.ex;
        int64_t now = exercise_now(ex);
        bool paused = exercise_get_phase(ex) != PHASE_RUNNING;
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
                char *why = timeline_explain(tl, i, now, paused);
                json_object_set_new(o, "why", json_string(why));
                free(why);
            }
            json_array_append_new(injects, o);
        }
        exercise_unlock(ex);
        json_object_set_new(fields, "injects", injects);
    }
    /* The team's events as the team saw them, in this session's language:
     * copied from the team's feed, already encoded. */
    const team_feed *feed = &hub->feeds[team - 1];
    size_t lang = lang_index(hub, ss->lang);
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
    send_bytes(hub, ss->id, out, n, false);
    free(out);
}

static void handle_nodes(console_hub *hub, session *ss, const console_request *rq)
{
    console_request every = *rq;
    if (ss->role == ROLE_INSTRUCTOR && every.team < 0)
        every.team = 0; /* no team named: every team's */
    int team = team_for(hub, ss, &every, true);
    if (team == 0)
        return;
    json_t *list = json_array();
    console_audience a = audience_of(ss);
    for (unsigned t = 1; t <= hub->nteams; t++) {
        if (team > 0 && (int)t != team)
            continue;
        json_t *nodes = console_view_nodes(&hub->view, &a, (int)t);
        size_t k;
        json_t *n;
        json_array_foreach(nodes, k, n)
        {
            const range_guest *guest = range_guests_find(
                hub->guests, (int)t, json_string_value(json_object_get(n, "name")));
            json_object_set_new(n, "state",
                                json_string(range_guests_state(hub->guests, guest)));
        }
        json_array_extend(list, nodes);
        json_decref(nodes);
    }
    send_text(hub, ss->id, console_reply(rq->id, "nodes", json_pack("{s:o}", "nodes", list)));
}

/* A restart or revert under way: what its end records and replies. */
typedef struct node_job {
    console_hub *hub;
    uint64_t session;
    json_t *id;
    int team;
    char *node, *actor;
    bool revert;
} node_job;

/* On the job's thread: the ledger and the transport take any thread. */
static void node_job_done(void *ctx, int rc)
{
    node_job *job = ctx;
    console_hub *hub = job->hub;
    range_guests_refresh_soon(hub->guests);
    if (rc != ENSHU_OK) {
        send_text(hub, job->session,
                  console_reply_error_code(job->id, "unavailable",
                                           job->revert ? "the guest could not be reverted"
                                                       : "the guest could not be restarted"));
    } else {
        char text[200];
        snprintf(text, sizeof text, "node %s %s", job->node,
                 job->revert ? "reverted to its image" : "restarted");
        event ev = {.at_ms = exercise_now(hub->cfg.ex),
                    .team = job->team,
                    .kind = EV_INSTRUCTOR,
                    .subject = request_type_name(job->revert ? REQ_NODE_REVERT : REQ_NODE_RESTART),
                    .text = text,
                    .actor = job->actor};
        if (event_store_append(hub->cfg.ledger, &ev, NULL, NULL) != ENSHU_OK)
            fprintf(stderr, "enshu: consoles: team %d: '%s' was not recorded\n", job->team, text);
        console_hub_notify(hub); /* the hub looks for new events when told */
        send_text(hub, job->session, console_reply(job->id, "ok", NULL));
    }
    json_decref(job->id);
    free(job->node);
    free(job->actor);
    free(job);
}

/* Restart (power cycle) or revert (fresh disk over the base image) a
 * team's guest, on a thread of its own (range_guests.h); recorded as an
 * instructor action, and answered, when it is done. */
static void handle_node_power(console_hub *hub, session *ss, const console_request *rq)
{
    const range_guest *n = range_guests_find(hub->guests, rq->team, rq->node);
    if (!n) {
        reply_error(hub, ss, rq->id, "not_found", "no such node in that team");
        return;
    }
    node_job *job = xcalloc(1, sizeof(node_job));
    job->hub = hub;
    job->session = ss->id;
    job->id = rq->id ? json_deep_copy(rq->id) : NULL;
    job->team = rq->team;
    job->node = xstrdup(rq->node);
    job->actor = xstrdup(ss->name ? ss->name : "instructor");
    job->revert = rq->type == REQ_NODE_REVERT;
    int rc = range_guests_restart(hub->guests, n, job->revert, node_job_done, job);
    if (rc != ENSHU_OK) {
        reply_error(hub, ss, rq->id, rc == ENSHU_EEXIST ? "conflict" : "unavailable",
                    rc == ENSHU_EEXIST ? "that guest is being restarted or reverted already"
                                       : "the guest could not be restarted");
        json_decref(job->id);
        free(job->node);
        free(job->actor);
        free(job);
    }
}

/* ---- serial consoles ---- */

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
    send_bytes(ch->hub, ch->session, text, strlen(text), false);
    free(text);
}

static void handle_console_open(console_hub *hub, session *ss, const console_request *rq)
{
    int team = team_for(hub, ss, rq, false);
    if (team <= 0)
        return;
    const range_guest *n = range_guests_find(hub->guests, team, rq->node);
    if (!n || (ss->role == ROLE_TEAM && !n->node->visible)) {
        reply_error(hub, ss, rq->id, "not_found", "no such node, or no console for it");
        return;
    }
    if (!hub->consoles) {
        reply_error(hub, ss, rq->id, "unavailable", "serial consoles are not available");
        return;
    }
    int number = 0;
    for (int c = 1; c < CHANNELS && !number; c++)
        if (!ss->channels[c])
            number = c;
    if (!number) {
        reply_error(hub, ss, rq->id, "conflict", "too many consoles open in this session");
        return;
    }
    channel *ch = xcalloc(1, sizeof(channel));
    ch->hub = hub;
    ch->session = ss->id;
    ch->number = number;
    ch->team = team;
    ch->node = xstrdup(n->node->name);
    /* The reply must precede any output: send it first, then open. */
    send_text(hub, ss->id,
              console_reply(rq->id, "console",
                            json_pack("{s:i, s:s, s:i}", "channel", number, "node", n->node->name,
                                      "team", team)));
    serial_console_callbacks cb = {console_output, console_closed};
    if (serial_console_open(hub->consoles, n->host_uri, n->domain, &cb, ch, &ch->console) !=
        ENSHU_OK) {
        json_t *msg = json_pack("{s:s, s:i, s:s}", "type", "console.closed", "channel", number,
                                "reason", "the guest's console could not be opened");
        send_json(hub, ss->id, msg);
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
        reply_error(hub, ss, rq->id, "not_found", "no such console channel in this session");
    return ch;
}

static void resume_if_free(channel *ch)
{
    if (!atomic_load(&ch->client_paused) && !atomic_load(&ch->queue_paused))
        serial_console_resume(ch->console);
}

static void handle_console(console_hub *hub, session *ss, const console_request *rq)
{
    channel *ch = own_channel(hub, ss, rq);
    if (!ch)
        return;
    switch (rq->type) {
    case REQ_CONSOLE_INPUT:
        if (serial_console_write(ch->console, rq->data, strlen(rq->data)) != ENSHU_OK)
            reply_error(hub, ss, rq->id, "unavailable", "the console does not take input now");
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
        channel_free(ch);
        reply_ok(hub, ss, rq->id, NULL);
        break;
    }
}

/* Lets consoles that waited for the session's queue go on once it has
 * drained; returns whether one still waits. */
static bool resume_consoles(console_hub *hub, session *ss)
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

/* ---- members, join codes, logout ---- */

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
        fprintf(stderr, "enshu: consoles: team %d: '%s' was not recorded\n", team, text);
    console_hub_notify(hub);
}

/* A team's join code replaced: the old one is refused from now on; the
 * members who joined keep their tokens (remove a member to end theirs).
 * Kept where enshu run keeps the codes, so a restart keeps the new one. */
static void handle_code_rotate(console_hub *hub, session *ss, const console_request *rq)
{
    if ((unsigned)rq->team > hub->nteams) {
        reply_error(hub, ss, rq->id, "not_found", "no such team");
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
        fprintf(stderr, "enshu: consoles: team %d's new join code could not be kept in the ledger; "
                        "a restart brings the old one back\n", rq->team);
    free(text);
    /* Where enshu run printed the codes. */
    printf("team %d join code: %s\n", rq->team, code);
    fflush(stdout);
    record_action(hub, ss, rq->type, rq->team, "the team's join code was replaced");
    reply_ok(hub, ss, rq->id, json_pack("{s:i, s:s}", "team", rq->team, "code", code));
    json_t *msg = json_pack("{s:s, s:i, s:s}", "type", "join_code", "team", rq->team, "code", code);
    for (size_t i = 0; i < hub->nsessions; i++)
        if (hub->sessions[i]->role == ROLE_INSTRUCTOR)
            send_text(hub, hub->sessions[i]->id, json_dumps(msg, JSON_COMPACT));
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
    json_array_append_new(ml->members,
                          json_pack("{s:i, s:s, s:i}", "team", o->team, "name", o->name,
                                    "sessions", 0));
}

/* The members who hold a live token (joined in the last 12 h, not
 * removed), with how many sessions each has open. */
static void handle_members(console_hub *hub, session *ss, const console_request *rq)
{
    member_list ml = {json_array(), rq->team > 0 ? rq->team : 0};
    session_tokens_each(hub->tokens, now_ms(), add_member, &ml);
    size_t i;
    json_t *m;
    json_array_foreach(ml.members, i, m)
    {
        int open = 0;
        for (size_t k = 0; k < hub->nsessions; k++) {
            const session *o = hub->sessions[k];
            open += o->role == ROLE_TEAM && o->team == json_integer_value(json_object_get(m, "team")) &&
                    strcmp(o->name, json_string_value(json_object_get(m, "name"))) == 0;
        }
        json_object_set_new(m, "sessions", json_integer(open));
    }
    send_text(hub, ss->id, console_reply(rq->id, "members", json_pack("{s:o}", "members", ml.members)));
}

/* Removes a member: their tokens die and their sessions close. */
static void handle_member_remove(console_hub *hub, session *ss, const console_request *rq)
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
        reply_error(hub, ss, rq->id, "not_found", "no such member in that team");
        return;
    }
    char text[200];
    snprintf(text, sizeof text, "member %s was removed from the team", rq->name);
    record_action(hub, ss, rq->type, rq->team, text);
    reply_ok(hub, ss, rq->id, json_pack("{s:i}", "sessions", closed));
}

/* Ends this login: its token dies, and the session closes. */
static void handle_logout(console_hub *hub, session *ss, const console_request *rq)
{
    session_tokens_revoke(hub->tokens, ss->token);
    reply_ok(hub, ss, rq->id, NULL);
    ss->role = ROLE_NONE;
    ss->catching_up = false;
    ws_server_close(hub->ws, ss->id, 1000, "logged out");
}

/* ---- instructor requests ---- */

static void handle_instructor(console_hub *hub, session *ss, const console_request *rq)
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
    case REQ_INJECT_HOLD: {
        if ((unsigned)rq->team > hub->nteams) {
            reply_error(hub, ss, rq->id, "not_found", "no such team");
            return;
        }
        inject_action_kind what = rq->type == REQ_INJECT_RELEASE ? INJECT_RELEASE
                                  : rq->type == REQ_INJECT_SKIP  ? INJECT_SKIP
                                  : rq->held                     ? INJECT_HOLD
                                                                 : INJECT_UNHOLD;
        rc = exercise_inject_action(ex, rq->team, rq->inject, what, ss->name);
        break;
    }
    case REQ_SCOREBOARD:
        if (ss->role != ROLE_INSTRUCTOR && !hub->s->public_scoreboard) {
            log_refusal(ss, "scoreboard");
            reply_error(hub, ss, rq->id, "forbidden", "this exercise keeps its scoreboard private");
            return;
        }
        send_text(hub, ss->id,
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
        handle_node_power(hub, ss, rq);
        return;
    case REQ_CODE_ROTATE:
        handle_code_rotate(hub, ss, rq);
        return;
    case REQ_MEMBERS:
        handle_members(hub, ss, rq);
        return;
    case REQ_MEMBER_REMOVE:
        handle_member_remove(hub, ss, rq);
        return;
    default:
        return;
    }
    if (rc != ENSHU_OK)
        reply_rc(hub, ss, rq->id, rc, request_type_name(rq->type));
    else
        reply_ok(hub, ss, rq->id, NULL);
    console_hub_notify(hub);
}

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
        return LIMIT_TIMELINE;
    case REQ_SCOREBOARD:
        return LIMIT_SCOREBOARD;
    case REQ_GRADE:
        return LIMIT_GRADE;
    case REQ_BROADCAST:
        return LIMIT_BROADCAST;
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
    int64_t now = now_ms(), retry = 0;
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
    send_text(hub, ss->id, console_reply(rq->id, "error", f));
    return false;
}

static void handle_message(console_hub *hub, session *ss, const char *text, size_t len)
{
    console_request rq;
    console_error err;
    if (console_request_decode(text, len, &rq, &err) != ENSHU_OK) {
        send_text(hub, ss->id, console_reply_error(rq.id, &err));
        console_request_clear(&rq);
        return;
    }
    if (rq.type != REQ_HELLO && ss->role == ROLE_NONE) {
        reply_error(hub, ss, rq.id, "not_joined", "send hello first");
    } else if (request_type_instructor_only(rq.type) && ss->role != ROLE_INSTRUCTOR) {
        log_refusal(ss, request_type_name(rq.type));
        reply_error(hub, ss, rq.id, "forbidden", "only instructors may do this");
    } else if (admit(hub, ss, &rq)) {
        switch (rq.type) {
        case REQ_HELLO:
            handle_hello(hub, ss, &rq);
            break;
        case REQ_LOGOUT:
            handle_logout(hub, ss, &rq);
            break;
        case REQ_LANG:
            free(ss->lang);
            ss->lang = xstrdup(rq.lang);
            send_welcome(hub, ss, rq.id, NULL);
            break;
        case REQ_ANSWER:
        case REQ_REPORT:
        case REQ_HINT:
            handle_submission(hub, ss, &rq);
            break;
        case REQ_ATTACHMENT:
            handle_attachment(hub, ss, &rq);
            break;
        case REQ_TIMELINE:
            handle_timeline(hub, ss, &rq);
            break;
        case REQ_NODES:
            handle_nodes(hub, ss, &rq);
            break;
        case REQ_CONSOLE_OPEN:
            handle_console_open(hub, ss, &rq);
            break;
        case REQ_CONSOLE_INPUT:
        case REQ_CONSOLE_PAUSE:
        case REQ_CONSOLE_RESUME:
        case REQ_CONSOLE_CLOSE:
            handle_console(hub, ss, &rq);
            break;
        default:
            handle_instructor(hub, ss, &rq);
            break;
        }
    }
    console_request_clear(&rq);
}

static void handle_item(console_hub *hub, inbox_item *it)
{
    session *ss = find_session(hub, it->session);
    switch (it->kind) {
    case IN_OPEN:
        if (hub->nsessions == hub->cap_sessions) {
            hub->cap_sessions = hub->cap_sessions ? hub->cap_sessions * 2 : 64;
            hub->sessions = xrealloc(hub->sessions, hub->cap_sessions * sizeof(session *));
        }
        ss = xcalloc(1, sizeof(session));
        ss->id = it->session;
        ss->peer = it->text;
        it->text = NULL;
        hub->sessions[hub->nsessions++] = ss;
        break;
    case IN_MESSAGE:
        if (ss)
            handle_message(hub, ss, it->text, it->len);
        break;
    case IN_CLOSE:
        remove_session(hub, it->session);
        break;
    case IN_DRAIN:
        if (ss)
            (void)resume_consoles(hub, ss);
        break;
    case IN_LOGIN:
        login_checked(hub, it->login);
        break;
    }
}

/* ---- the hub thread and the transport's callbacks ---- */

static void *hub_main(void *arg)
{
    console_hub *hub = arg;
    pthread_mutex_lock(&hub->lock);
    while (!hub->stopping) {
        if (!hub->head && !hub->notified) {
            /* Every 250 ms it also picks up events of other processes;
             * every 10 ms while a session catches up or a console waits. */
            long wait_ms = hub->busy ? 10 : 250;
            struct timespec until = monotonic_deadline(wait_ms);
            pthread_cond_timedwait(&hub->wake, &hub->lock, &until);
        }
        inbox_item *items = hub->head;
        hub->head = hub->tail = NULL;
        bool notified = hub->notified;
        hub->notified = false;
        pthread_mutex_unlock(&hub->lock);
        /* New events first: a session joining now then gets its backlog up
         * to the newest event. Requests alone do not make it look: only
         * news of events, or 250 ms gone by (events of other processes). */
        int64_t now = now_ms();
        if (notified || now - hub->tailed_ms >= 250) {
            hub->tailed_ms = now;
            tail_ledger(hub);
        }
        for (inbox_item *it = items, *next; it; it = next) {
            next = it->next;
            handle_item(hub, it);
            pending_login_free(it->login);
            free(it->text);
            free(it);
        }
        bool busy = false;
        for (size_t i = 0; i < hub->nsessions; i++) {
            session *ss = hub->sessions[i];
            if (ss->catching_up)
                catch_up(hub, ss);
            busy |= ss->catching_up || resume_consoles(hub, ss);
        }
        pthread_mutex_lock(&hub->lock);
        hub->busy = busy;
    }
    pthread_mutex_unlock(&hub->lock);
    return NULL;
}

static void push(console_hub *hub, inbox_kind kind, uint64_t sid, const char *text, size_t len)
{
    inbox_item *it = xcalloc(1, sizeof(inbox_item));
    it->kind = kind;
    it->session = sid;
    if (text) {
        it->text = xmalloc(len + 1);
        memcpy(it->text, text, len);
        it->text[len] = '\0';
        it->len = len;
    }
    pthread_mutex_lock(&hub->lock);
    if (hub->tail)
        hub->tail->next = it;
    else
        hub->head = it;
    hub->tail = it;
    pthread_cond_signal(&hub->wake);
    pthread_mutex_unlock(&hub->lock);
}

static void password_checked(void *ctx, void *arg, int rc)
{
    console_hub *hub = ctx;
    pending_login *pl = arg;
    pl->rc = rc;
    inbox_item *it = xcalloc(1, sizeof(inbox_item));
    it->kind = IN_LOGIN;
    it->session = pl->session;
    it->login = pl;
    pthread_mutex_lock(&hub->lock);
    if (hub->tail)
        hub->tail->next = it;
    else
        hub->head = it;
    hub->tail = it;
    pthread_cond_signal(&hub->wake);
    pthread_mutex_unlock(&hub->lock);
}

static void ws_open(void *ctx, uint64_t sid, const char *peer)
{
    push(ctx, IN_OPEN, sid, peer ? peer : "?", peer ? strlen(peer) : 1);
}

static void ws_received(void *ctx, uint64_t sid, const char *text, size_t len)
{
    push(ctx, IN_MESSAGE, sid, text, len);
}

static void ws_close(void *ctx, uint64_t sid)
{
    push(ctx, IN_CLOSE, sid, NULL, 0);
}

static void ws_drain(void *ctx, uint64_t sid)
{
    push(ctx, IN_DRAIN, sid, NULL, 0);
}

void console_hub_notify(console_hub *hub)
{
    if (!hub)
        return;
    pthread_mutex_lock(&hub->lock);
    hub->notified = true;
    pthread_cond_signal(&hub->wake);
    pthread_mutex_unlock(&hub->lock);
}

int console_hub_start(const console_hub_config *cfg, console_hub **out)
{
    *out = NULL;
    if (console_auth_init() != ENSHU_OK)
        return ENSHU_EIO;
    console_hub *hub = xcalloc(1, sizeof(console_hub));
    hub->cfg = *cfg;
    hub->s = exercise_scenario(cfg->ex);
    hub->nteams = exercise_teams(cfg->ex);
    hub->codes = xcalloc(hub->nteams + 1, sizeof(char *));
    for (unsigned t = 0; t < hub->nteams; t++)
        hub->codes[t] = xstrdup(cfg->join_codes[t]);
    hub->view = (console_view){hub->s, cfg->vars};
    hub->grader = grader_new(hub->s, hub->nteams);
    if (cfg->vars)
        grader_set_team_vars(hub->grader, cfg->vars);
    hub->logins = login_limits_new(NULL, LOGIN_ADDRESSES_MAX);
    hub->tokens = session_tokens_new(TOKEN_LIFETIME_MS, TOKENS_MAX);
    memcpy(hub->rates, cfg->limits ? cfg->limits : CONSOLE_LIMITS_DEFAULT, sizeof hub->rates);
    for (int l = 0; l < LIMIT_COUNT; l++)
        hub->limits[l] =
            rate_limiter_new(hub->rates[l].per_minute, hub->rates[l].burst, hub->nteams + 1);
    hub->nlangs = hub->s->nlanguages ? hub->s->nlanguages : 1;
    hub->feeds = xcalloc(hub->nteams + 1, sizeof(team_feed));
    for (unsigned t = 0; t < hub->nteams; t++) {
        hub->feeds[t].sizes = xcalloc(TIMELINE_EVENTS, sizeof(size_t));
        hub->feeds[t].texts = xcalloc((size_t)TIMELINE_EVENTS * hub->nlangs, sizeof(char *));
    }
    hub->guests = range_guests_new(hub->s, hub->nteams, cfg->range_name);
    if (range_guests_count(hub->guests))
        hub->consoles = serial_consoles_new();
    pthread_mutex_init(&hub->lock, NULL);
    monotonic_cond_init(&hub->wake);
    hub->checks = login_checks_new(LOGIN_CHECK_THREADS, LOGIN_CHECKS_MAX, check_password,
                                   password_checked, hub);
    ws_server_config wc = {.listen = cfg->listen,
                           .static_dir = cfg->static_dir,
                           .cert_path = cfg->cert_path,
                           .key_path = cfg->key_path,
                           .allow_origins = cfg->allow_origins,
                           .on_open = ws_open,
                           .on_message = ws_received,
                           .on_close = ws_close,
                           .on_drain = ws_drain,
                           .ctx = hub};
    /* Catch up with the ledger before anyone can join. */
    tail_ledger(hub);
    int rc = hub->checks ? ws_server_start(&wc, &hub->ws) : ENSHU_EIO;
    if (rc == ENSHU_OK && pthread_create(&hub->thread, NULL, hub_main, hub) != 0) {
        fprintf(stderr, "enshu: consoles: cannot start the hub thread\n");
        rc = ENSHU_EIO;
    }
    if (rc != ENSHU_OK) {
        ws_server_free(hub->ws);
        hub->ws = NULL;
        hub->thread = 0;
        console_hub_free(hub);
        return rc;
    }
    *out = hub;
    return ENSHU_OK;
}

int console_hub_port(const console_hub *hub)
{
    return hub ? ws_server_port(hub->ws) : 0;
}

void console_hub_free(console_hub *hub)
{
    if (!hub)
        return;
    if (hub->thread) {
        pthread_mutex_lock(&hub->lock);
        hub->stopping = true;
        pthread_cond_signal(&hub->wake);
        pthread_mutex_unlock(&hub->lock);
        pthread_join(hub->thread, NULL);
    }
    /* Checks under way end; their results (and those of checks dropped)
     * wait in the inbox, freed below. */
    login_checks_free(hub->checks);
    /* Restarts and reverts under way end first: they reply through the
     * transport and record in the ledger. */
    range_guests_free(hub->guests);
    /* Consoles first (their output goes to the transport), then the
     * transport (its last on_close callbacks only queue). */
    for (size_t i = 0; i < hub->nsessions; i++)
        for (int c = 0; c < CHANNELS; c++) {
            channel_free(hub->sessions[i]->channels[c]);
            hub->sessions[i]->channels[c] = NULL;
        }
    ws_server_free(hub->ws);
    for (inbox_item *it = hub->head, *next; it; it = next) {
        next = it->next;
        pending_login_free(it->login);
        free(it->text);
        free(it);
    }
    for (size_t i = 0; i < hub->nsessions; i++)
        session_free(hub->sessions[i]);
    free(hub->sessions);
    serial_consoles_free(hub->consoles);
    for (unsigned t = 0; t < hub->nteams; t++)
        free(hub->codes[t]);
    free(hub->codes);
    free(hub->outcomes);
    grader_free(hub->grader);
    login_limits_free(hub->logins);
    session_tokens_free(hub->tokens);
    for (int l = 0; l < LIMIT_COUNT; l++)
        rate_limiter_free(hub->limits[l]);
    for (unsigned t = 0; hub->feeds && t < hub->nteams; t++) {
        team_feed *f = &hub->feeds[t];
        for (size_t i = 0; i < (size_t)TIMELINE_EVENTS * hub->nlangs; i++)
            free(f->texts[i]);
        free(f->texts);
        free(f->sizes);
    }
    free(hub->feeds);
    for (size_t i = 0; i < hub->nreports; i++)
        free(hub->reports[i].name);
    free(hub->reports);
    pthread_cond_destroy(&hub->wake);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}
