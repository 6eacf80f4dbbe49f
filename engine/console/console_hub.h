/*
 * The consoles' server side: browser sessions over the websocket transport
 * (ws_server.c), each joined as a team member (join code) or an instructor
 * (password), every request decoded (console_protocol.c), authorized and
 * carried out on the running exercise, and every ledger event fanned out,
 * in ledger order, to the sessions allowed to see it (console_view.c).
 *
 * Threads: one hub thread does all of it, so sessions need no locks; the
 * transport's callbacks only queue work for it, and the exercise tells it
 * of new events with console_hub_notify(). A client that reconnects with
 * the last seq it saw gets everything after it: no loss, no duplicates.
 *
 * Logins: the instructor password is checked on a small pool of threads of
 * its own (login_checks.h), never on the hub thread; its result comes back
 * through the hub's inbox. Join codes and session tokens are checked on
 * the hub thread (no hashing). Login limits per address and kind of
 * credential (login_limits.h); tokens issued at login (session_tokens.h)
 * live in memory, as long as the process or 12 h. Rotated join codes are
 * kept in the ledger's meta ("join_codes"), where enshu run reads them.
 * Serial consoles are opened on a thread of their own each (connecting to
 * the guest's host, finding the domain, opening its stream), never on the
 * hub thread: the `console` reply (or the error) comes back through the
 * inbox when the open ends (hub_channels.c).
 * Cost: requests do not read the ledger. What they show (timelines, scores,
 * reports' files) is kept up to date as the hub tails the ledger, once per
 * event; a `timeline` reply copies at most TIMELINE_EVENTS already encoded
 * messages. Only a joining session's catch-up reads past events, in slices;
 * an after-action report (instructors) reads the whole ledger on a thread
 * of its own (hub_after_action.c), at most two at once; and the
 * instructors' `events` pages read the ledger on threads of their own
 * (hub_events.c), never on the hub thread.
 */
#ifndef ENSHU_CONSOLE_HUB_H
#define ENSHU_CONSOLE_HUB_H

#include "event_store.h"
#include "exercise.h"
#include "team_vars.h"

/* serial_console.h (the range layer's), for the open_console hook. */
struct serial_consoles;
struct serial_console;
struct serial_console_callbacks;

/*
 * Rate limits on the requests that write or cost (the defaults and their
 * reasons are in web/PROTOCOL.md). Each is a token bucket per team: all of
 * a team's sessions share it, and the instructors share one of their own.
 * LIMIT_TEAMS bounds the limited requests of every team together, so the
 * hub's work stays bounded however many teams there are; instructors are
 * not counted in it, so trainees cannot crowd them out. A refusal is the
 * error `rate_limited` with `retry_ms`.
 */
typedef enum console_limit {
    LIMIT_ANSWER,
    LIMIT_REPORT,
    LIMIT_HINT,
    LIMIT_ATTACHMENT,
    LIMIT_TIMELINE,
    LIMIT_SCOREBOARD,
    LIMIT_GRADE,
    LIMIT_BROADCAST,
    LIMIT_REQUEST, /* a team's requests (request.ask) */
    LIMIT_TEAMS,   /* every team's limited requests together */
    LIMIT_COUNT
} console_limit;

typedef struct console_rate {
    unsigned per_minute; /* tokens back each minute */
    unsigned burst;      /* tokens at most */
} console_rate;

extern const console_rate CONSOLE_LIMITS_DEFAULT[LIMIT_COUNT];

typedef struct console_hub_config {
    exercise *ex;
    event_store *ledger;
    const team_vars *vars;         /* may be NULL */
    const char *range_name;        /* its guests (nodes, consoles); NULL: none */
    const char *const *join_codes; /* one per team */
    const char *listen;            /* "host:port"; NULL: 127.0.0.1:8080 */
    const char *static_dir;        /* the consoles (web/) */
    const char *cert_path, *key_path;
    /* Checks an instructor password on a password-check thread (0: right);
     * NULL: the stored hash (instructor_password_check). */
    int (*check_password)(void *ctx, const char *password);
    void *check_ctx;
    /* Opens a guest's serial console on a console-open thread, as
     * serial_console_open_paused does (it must leave the viewer paused);
     * NULL: serial_console_open_paused. */
    int (*open_console)(void *ctx, struct serial_consoles *h, const char *host_uri,
                        const char *domain, const struct serial_console_callbacks *cb, void *cb_ctx,
                        struct serial_console **out);
    void *open_ctx;
    const console_rate *limits; /* LIMIT_COUNT of them; NULL: CONSOLE_LIMITS_DEFAULT */
    /* Origins besides the serving one whose pages may connect (ws_server.h); may be NULL. */
    const char *const *allow_origins;
} console_hub_config;

typedef struct console_hub console_hub;

int console_hub_start(const console_hub_config *cfg, console_hub **out)
    __attribute__((warn_unused_result));
int console_hub_port(const console_hub *hub);
/* New events may be in the ledger (from the exercise's on_event; any thread). */
void console_hub_notify(console_hub *hub);
/* Closes every session and stops. NULL ok. */
void console_hub_free(console_hub *hub);

#endif
