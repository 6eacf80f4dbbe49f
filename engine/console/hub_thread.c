/*
 * The consoles' server side (see console_hub.h and web/PROTOCOL.md): its
 * start and stop (console_hub.h), and the hub thread taking its inbox
 * (hub_inbox.c fills it). The other files of the hub
 * are listed in hub_internal.h.
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
#include "errors.h"
#include "hub_internal.h"
#include "log.h"
#include "monotonic_cond.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Password checks: one thread (about 3.5 checks a second). Each Argon2id
 * check takes 64 MiB while it runs and a core: one thread bounds both, so
 * a flood of guesses leaves the other core to the hub and the guests, and
 * the server's memory under it stays below 100 MB. At most 8 queued or
 * under way (under 2.5 s of waiting). */
#define LOGIN_CHECK_THREADS 1
#define LOGIN_CHECKS_MAX 8
/* Session tokens kept (TOKEN_LIFETIME_MS each), and addresses whose failed
 * logins are counted. */
#define TOKENS_MAX 4096
#define LOGIN_ADDRESSES_MAX 4096

const console_rate CONSOLE_LIMITS_DEFAULT[LIMIT_COUNT] = {
    [LIMIT_ANSWER] = {10, 10},     [LIMIT_REPORT] = {10, 10},    [LIMIT_HINT] = {10, 10},
    [LIMIT_ATTACHMENT] = {30, 20}, [LIMIT_TIMELINE] = {120, 30}, [LIMIT_SCOREBOARD] = {60, 20},
    [LIMIT_GRADE] = {120, 60},     [LIMIT_BROADCAST] = {20, 10}, [LIMIT_TEAMS] = {1200, 300},
    [LIMIT_REQUEST] = {10, 10},
};

static void handle_item(console_hub *hub, inbox_item *it)
{
    session *ss = hub_find_session(hub, it->session);
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
            hub_handle_message(hub, ss, it->text, it->len);
        break;
    case IN_CLOSE:
        if (ss)
            hub_session_channels_free(ss);
        hub_remove_session(hub, it->session);
        break;
    case IN_DRAIN:
        if (ss)
            (void)hub_resume_consoles(hub, ss);
        break;
    case IN_LOGIN:
        hub_login_checked(hub, it->login);
        break;
    case IN_CONSOLE:
        hub_console_open_ended(hub, it->opened, it->rc);
        it->opened = NULL;
        break;
    case IN_BINARY:
        if (ss) {
            hub_overview_note_activity(hub, ss);
            hub_handle_display_input(hub, ss, it->text, it->len);
        }
        break;
    }
}

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
        int64_t now = monotonic_ms();
        if (notified || now - hub->tailed_ms >= 250) {
            hub->tailed_ms = now;
            hub_tail_ledger(hub);
        }
        for (inbox_item *it = items, *next; it; it = next) {
            next = it->next;
            handle_item(hub, it);
            hub_pending_login_free(it->login);
            free(it->text);
            free(it);
        }
        bool busy = false;
        for (size_t i = 0; i < hub->nsessions; i++) {
            session *ss = hub->sessions[i];
            if (ss->catching_up)
                hub_catch_up(hub, ss);
            busy |= ss->catching_up || hub_resume_consoles(hub, ss);
        }
        pthread_mutex_lock(&hub->lock);
        hub->busy = busy;
    }
    pthread_mutex_unlock(&hub->lock);
    return NULL;
}

static void ws_open(void *ctx, uint64_t sid, const char *peer)
{
    hub_push(ctx, IN_OPEN, sid, peer ? peer : "?", peer ? strlen(peer) : 1);
}

static void ws_received(void *ctx, uint64_t sid, const char *text, size_t len)
{
    hub_push(ctx, IN_MESSAGE, sid, text, len);
}

static void ws_binary(void *ctx, uint64_t sid, const void *data, size_t len)
{
    hub_push(ctx, IN_BINARY, sid, data, len);
}

static void ws_close(void *ctx, uint64_t sid)
{
    hub_push(ctx, IN_CLOSE, sid, NULL, 0);
}

static void ws_drain(void *ctx, uint64_t sid)
{
    hub_push(ctx, IN_DRAIN, sid, NULL, 0);
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
    hub->view = (console_view){hub->s, cfg->vars, NULL, NULL};
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
    hub->active_ms = xcalloc(hub->nteams + 1, sizeof(int64_t));
    /* A course's guests come with its sandboxes (hub_course.c). */
    hub->guests = cfg->course ? range_guests_new_slots(hub->s, hub->nteams)
                              : range_guests_new(hub->s, hub->nteams, cfg->range_name);
    hub->view.runs_linux = range_guests_linux(hub->guests);
    hub->view.display = range_guests_graphical(hub->guests);
    if (range_guests_count(hub->guests) || cfg->course) {
        hub->consoles = serial_consoles_new();
        hub->displays = guest_displays_new();
    }
    pthread_mutex_init(&hub->lock, NULL);
    monotonic_cond_init(&hub->wake);
    pthread_cond_init(&hub->opens_ended, NULL);
    hub->checks = login_checks_new(LOGIN_CHECK_THREADS, LOGIN_CHECKS_MAX, hub_check_password,
                                   hub_password_checked, hub);
    ws_server_config wc = {.listen = cfg->listen,
                           .static_dir = cfg->static_dir,
                           .cert_path = cfg->cert_path,
                           .key_path = cfg->key_path,
                           .allow_origins = cfg->allow_origins,
                           .on_open = ws_open,
                           .on_message = ws_received,
                           .on_binary = ws_binary,
                           .on_close = ws_close,
                           .on_drain = ws_drain,
                           .ctx = hub};
    /* Catch up with the ledger before anyone can join. */
    hub_tail_ledger(hub);
    int rc = hub->checks ? ws_server_start(&wc, &hub->ws) : ENSHU_EIO;
    if (rc == ENSHU_OK && pthread_create(&hub->thread, NULL, hub_main, hub) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: consoles: cannot start the hub thread\n");
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
    /* Console opens under way end (they use the consoles and the guests);
     * each leaves its channel in the inbox. */
    pthread_mutex_lock(&hub->lock);
    while (hub->opens > 0 || hub->after_actions > 0 || hub->pages > 0) /* all of them send */
        pthread_cond_wait(&hub->opens_ended, &hub->lock);
    pthread_mutex_unlock(&hub->lock);
    /* Consoles first (their output goes to the transport), then the
     * transport (its last on_close callbacks only queue): those just
     * opened, then the sessions'. */
    for (inbox_item *it = hub->head; it; it = it->next) {
        if (!it->opened)
            continue;
        session *ss = hub_find_session(hub, it->session);
        if (ss && ss->channels[it->opened->number] == it->opened)
            ss->channels[it->opened->number] = NULL;
        hub_channel_free(it->opened);
        it->opened = NULL;
    }
    for (size_t i = 0; i < hub->nsessions; i++)
        hub_session_channels_free(hub->sessions[i]);
    /* Restarts and reverts under way end: they reply through the
     * transport and record in the ledger. */
    range_guests_free(hub->guests);
    ws_server_free(hub->ws);
    for (inbox_item *it = hub->head, *next; it; it = next) {
        next = it->next;
        hub_pending_login_free(it->login);
        free(it->text);
        free(it);
    }
    for (size_t i = 0; i < hub->nsessions; i++)
        hub_session_free(hub->sessions[i]);
    free(hub->sessions);
    serial_consoles_free(hub->consoles);
    guest_displays_free(hub->displays);
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
    free(hub->active_ms);
    for (size_t i = 0; i < hub->nreports; i++)
        free(hub->reports[i].name);
    free(hub->reports);
    pthread_cond_destroy(&hub->opens_ended);
    pthread_cond_destroy(&hub->wake);
    pthread_mutex_destroy(&hub->lock);
    free(hub);
}
