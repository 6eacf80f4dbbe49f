/*
 * The hub's insides, shared by the files of the hub (console_hub.h is its
 * outside): the session, channel and inbox types, the hub itself, and the
 * functions one of its files calls in another. Each file is one idea:
 *
 *   hub_thread.c             start and stop (console_hub.h), the hub thread taking its inbox
 *   hub_inbox.c              what other threads hand to the hub thread
 *   hub_sessions.c           sessions, replies to them, the team a request acts on
 *   hub_feeds.c              what the hub keeps of the events it fanned out:
 *                            answers' outcomes, reports' files, teams' feeds
 *   hub_fanout.c             new events to every session; a joining session's catch-up
 *   hub_logins.c             hello (token, join code, password) and the welcome
 *   hub_members.c            join codes replaced, members listed and removed, logout
 *   hub_reports.c            feedback on a team's report, and the teams' names
 *   hub_requests.c           every request decoded, authorized, rate-limited, dispatched
 *   hub_exercise_requests.c  submissions, attachments, timelines, scores, exercise control
 *   hub_nodes.c              the nodes' power states, restarts and reverts
 *   hub_channels.c           a session's console channels: serial consoles, and what
 *                            both kinds share (opening, flow, ending)
 *   hub_displays.c           a session's graphical consoles (displays) and their input
 *   hub_after_action.c       the after-action report, made from the ledger on its own thread
 *   hub_events.c             pages of the ledger's events, filtered, for instructors
 *   hub_overview.c           every team at once for the instructors; what members do
 *   hub_course.c             a self-paced course's requests (course.*)
 *   hub_course_presence.c    a course's trainees coming and going (sessions, logins)
 *
 * Every file includes this header and headers of layers below; none includes
 * another file's insides, so there is no cycle. Calls go one way too: the
 * hub thread (hub_thread.c) calls the request dispatch (hub_requests.c),
 * which calls the handlers, which call the sessions and replies
 * (hub_sessions.c) and the inbox (hub_inbox.c); nothing calls back up.
 *
 * Threads, and who owns what in struct console_hub:
 * - Set in console_hub_start before any thread starts, read-only after
 *   (any thread may read them): cfg, s, nteams, view, ws, guests, consoles,
 *   checks, rates, nlangs.
 * - The hub thread owns everything else but the inbox, without a lock:
 *   sessions and their channels' slots, codes, grader, fanned, outcomes,
 *   reports, feeds, logins, tokens, limits, tailed_ms. (console_hub_start
 *   tails the ledger once before the hub thread exists.)
 * - lock guards the inbox (head, tail), notified, stopping, busy,
 *   opens, after_actions and pages; any thread queues (hub_inbox.c) or
 *   notifies, and the hub thread takes.
 * - Hub code that runs on other threads, and all it touches:
 *   - the transport's service thread: ws_open, ws_received, ws_close,
 *     ws_drain (hub_thread.c) queue an inbox item (hub_inbox.c);
 *   - a password-check thread: hub_check_password (hub_logins.c) reads cfg;
 *     hub_password_checked (hub_inbox.c) queues the result;
 *   - the libvirt event loop thread: console_output and console_closed
 *     (hub_channels.c) send on the transport (any thread) and touch only
 *     their own channel, whose pause flags are atomic;
 *   - the displays' relay thread (guest_display.h): display_output and
 *     display_closed (hub_displays.c), likewise;
 *   - a guest job's thread: node_job_done (hub_nodes.c) appends to the
 *     ledger, sends on the transport, notifies the hub and frees its job;
 *   - a console-open thread: console_open_main (hub_channels.c) or
 *     its channel kind's open_main (hub_displays.c for screens) opens its console or
 *     display (cfg, consoles, displays, the channel's guest) and queues the
 *     channel back (hub_console_opened, hub_inbox.c), which ends its use
 *     of the hub.
 *   - an after-action report's thread: job_main (hub_after_action.c) reads
 *     cfg and s, scans the ledger, sends its reply on the transport and
 *     counts itself off under lock, which ends its use of the hub.
 *   - an events page's thread: events_main (hub_events.c) reads the
 *     ledger (its own connection), s and view, sends its reply on the
 *     transport and counts itself off (pages, opens_ended).
 *   None of these reads a session: a session is found by its id on the hub
 *   thread, and the transport drops what is sent to an id that is gone.
 */
#ifndef ENSHU_HUB_INTERNAL_H
#define ENSHU_HUB_INTERNAL_H

#include "console_auth.h"
#include "console_hub.h"
#include "console_protocol.h"
#include "console_view.h"
#include "grader.h"
#include "guest_display.h"
#include "login_checks.h"
#include "login_limits.h"
#include "monotonic_clock.h"
#include "range_guests.h"
#include "serial_console.h"
#include "session_tokens.h"
#include "ws_server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define CHANNELS 256
/* A timeline reply lists at most this many events (the newest), of at
 * most this many bytes in all (a reply must fit in a session's queue). */
#define TIMELINE_EVENTS 2000
#define TIMELINE_BYTES (1024u * 1024)
/* Session tokens: how long one lasts, and how many are kept. */
#define TOKEN_LIFETIME_MS (12LL * 3600 * 1000)

typedef enum role { ROLE_NONE, ROLE_TEAM, ROLE_INSTRUCTOR } role;

struct session;

/* Where a channel's opening stands, for its console's callbacks and the
 * hub thread (whichever comes second sends what the other left). */
enum { CHANNEL_OPENING, CHANNEL_SHOWN, CHANNEL_ENDED_EARLY };

/* A console channel of a session. While it opens (opening), it belongs to
 * its console-open thread, then to the inbox item that brings it back: its
 * session's slot only keeps the number taken, and nothing but that thread
 * touches console. Then it belongs to its session. */
struct channel;
struct session;

/* What opens a channel of one kind (a serial console, a screen) and
 * answers its open: set by the kind's request handler, so that
 * hub_channels.c knows no kind but its own. */
typedef struct channel_kind {
    bool is_display;
    /* The type of the message that tells the browser the channel ended. */
    const char *closed_type;
    /* A console-open thread's main (arg: the channel). */
    void *(*open_main)(void *arg);
    /* On the hub thread, the open over (rc), the channel's session alive. */
    void (*open_ended)(console_hub *hub, struct session *ss, struct channel *ch, int rc);
    /* Hold and let go the channel's output (any thread; its console is open). */
    void (*pause)(struct channel *ch);
    void (*resume)(struct channel *ch);
} channel_kind;

typedef struct channel {
    const channel_kind *kind;
    console_hub *hub;
    uint64_t session;
    int number;
    int team;
    char *node;
    const range_guest *guest; /* in hub->guests */
    json_t *id;               /* of the console.open request, until it is answered */
    bool opening;             /* hub thread only */
    bool is_display;          /* a graphical console (display), not a serial one */
    bool view_only;           /* a display whose input is not forwarded */
    serial_console *console;
    guest_display *display;
    atomic_int phase;          /* CHANNEL_*: the console was announced, or ended first */
    char *early_end;           /* CHANNEL_ENDED_EARLY: the console.closed message to send */
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
    char *token;            /* the session token it joined with or was given */
    unsigned course_ticket; /* its place in a course's queue (hub_course.c); 0: none */
    bool checking;          /* its instructor password is being checked */
    /* A joining session first catches up with the ledger at its own pace
     * (cursor: the last seq sent), then follows the live fan-out. */
    bool catching_up;
    int64_t cursor;
    channel *channels[CHANNELS];
    int nchannels; /* open (not those opening) */
    /* Display channels closed by display.close: binary frames still in
     * flight to them are dropped, not taken as a protocol error. */
    bool display_closed[CHANNELS];
} session;

typedef enum inbox_kind {
    IN_OPEN,
    IN_MESSAGE,
    IN_CLOSE,
    IN_DRAIN,
    IN_LOGIN,
    IN_CONSOLE, /* a console open ended */
    IN_BINARY   /* a binary message: a display's input */
} inbox_kind;

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
    channel *opened;      /* IN_CONSOLE, with its result in rc */
    int rc;
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
    login_limits *logins;              /* failures per address and kind of credential */
    login_checks *checks;              /* the password-check threads */
    session_tokens *tokens;            /* issued at login */
    rate_limiter *limits[LIMIT_COUNT]; /* per team ("0": instructors); LIMIT_TEAMS: one key */
    console_rate rates[LIMIT_COUNT];
    range_guests *guests; /* the nodes' guests: power states, restarts and reverts */
    serial_consoles *consoles;
    guest_displays *displays;
    pthread_t thread;
    pthread_mutex_t lock; /* inbox, notified, stopping, busy, opens, after_actions */
    pthread_cond_t wake;
    unsigned opens;             /* console opens under way (their threads) */
    unsigned after_actions;     /* after-action reports being made (hub_after_action.c) */
    pthread_cond_t opens_ended; /* signalled when opens, after_actions or pages drops */
    unsigned pages;             /* events pages being read (their threads) */
    inbox_item *head, *tail;
    bool notified, stopping;
    bool busy;         /* a session catches up or a console waits: look again soon */
    int64_t tailed_ms; /* when the hub last looked for new events */
    /* [team - 1]: when a member last did something (hub_overview.c;
     * monotonic ms, 0: never) */
    int64_t *active_ms;
};

/* ---- hub_inbox.c: any thread ---- */

/* Queues an inbox item of kind for session sid (text copied, when given). */
void hub_push(console_hub *hub, inbox_kind kind, uint64_t sid, const char *text, size_t len);
/* On a password-check thread: queues the checked login (arg) to the hub
 * thread (login_checks' done callback; ctx is the hub). */
void hub_password_checked(void *ctx, void *arg, int rc);
/* On a console-open thread: queues ch back to the hub thread with the
 * open's result, and counts the open as ended (the thread must not touch
 * the hub afterwards). */
void hub_console_opened(console_hub *hub, channel *ch, int rc);

/* ---- hub_sessions.c: sessions, and replies to them (hub thread, except
 * monotonic_ms (base) and the hub_send_* calls, which take any thread) ---- */

void hub_send_bytes(console_hub *hub, uint64_t id, const void *data, size_t len, bool binary);
/* Sends text and frees it; NULL: nothing. */
void hub_send_text(console_hub *hub, uint64_t id, char *text);
/* Sends msg and drops its reference; NULL: nothing. */
void hub_send_json(console_hub *hub, uint64_t id, json_t *msg);
void hub_reply_error(console_hub *hub, session *ss, const json_t *id, const char *code,
                     const char *message);
/* fields: taken over; may be NULL. */
void hub_reply_ok(console_hub *hub, session *ss, const json_t *id, json_t *fields);
void hub_reply_rc(console_hub *hub, session *ss, const json_t *id, int rc, const char *what);
session *hub_find_session(console_hub *hub, uint64_t id);
console_audience hub_audience_of(const session *ss);
/* Both need the session's channels freed first (hub_session_channels_free,
 * hub_channels.c): sessions know nothing of consoles. */
void hub_session_free(session *ss);
void hub_remove_session(console_hub *hub, uint64_t id);
void hub_log_refusal(const session *ss, const char *what);

/* The team a request acts on: a trainee's own (naming another is
 * forbidden), or the one an instructor names (-1: every team, when zero_ok
 * and the request names 0). 0 when refused (replied). */
int hub_team_for(console_hub *hub, session *ss, const console_request *rq, bool zero_ok);

/* ---- hub_feeds.c: what the hub keeps of the events it fanned out ---- */

bool hub_grade(console_hub *hub, const event *ev);
const report_file *hub_find_report(const console_hub *hub, int64_t seq);
void hub_note_report(console_hub *hub, const event *ev);
json_t *hub_report_attachment(console_hub *hub, const event *ev);
json_t *hub_view_event(console_hub *hub, const console_audience *a, const event *ev,
                       json_t *attachment);
size_t hub_lang_index(const console_hub *hub, const char *lang);
void hub_feed_event(console_hub *hub, const event *ev, json_t *attachment);

/* ---- hub_fanout.c: new events to the sessions, and catch-up ---- */

void hub_tail_ledger(console_hub *hub);
void hub_catch_up(console_hub *hub, session *ss);

/* ---- hub_logins.c: hello and the welcome ---- */

void hub_send_welcome(console_hub *hub, session *ss, const json_t *id, json_t *extra);
/* The session joins as owner's team member or instructor: a session token
 * issued, the welcome (with extra, taken over; may be NULL) and its
 * catch-up from since. */
void hub_join(console_hub *hub, session *ss, const token_owner *owner, const json_t *id,
              const char *lang, int64_t since, json_t *extra);
void hub_pending_login_free(pending_login *pl);
/* On a password-check thread (login_checks.h); ctx: the hub. */
int hub_check_password(void *ctx, const char *password);
void hub_handle_hello(console_hub *hub, session *ss, const console_request *rq);
void hub_login_checked(console_hub *hub, pending_login *pl);

/* ---- hub_members.c: join codes, members, logout (instructors but logout) ---- */

void hub_handle_code_rotate(console_hub *hub, session *ss, const console_request *rq);
void hub_handle_members(console_hub *hub, session *ss, const console_request *rq);
void hub_handle_member_remove(console_hub *hub, session *ss, const console_request *rq);
void hub_handle_logout(console_hub *hub, session *ss, const console_request *rq);

/* ---- hub_reports.c: feedback on reports, teams' names (instructors) ---- */

void hub_handle_report_feedback(console_hub *hub, session *ss, const console_request *rq);
void hub_handle_team_rename(console_hub *hub, session *ss, const console_request *rq);
/* [{team, name, organisation}] of the teams that have a name (a welcome's
 * exercise.names). */
json_t *hub_team_names(console_hub *hub);

/* ---- hub_course.c: a self-paced course (course.*) ---- */

void hub_handle_course(console_hub *hub, session *ss, const console_request *rq);

/* ---- hub_course_presence.c: a course's trainees coming and going ---- */

/* In a course, a team member's session joined (away false) or closed
 * (away true): the team's trainee is away once no session of the team is
 * left, and their clock pauses when the scenario says so. Nothing in a
 * class. */
void hub_course_presence(console_hub *hub, int team, bool away);
/* A session closes: a place it held in the course's queue is given up. */
void hub_course_session_closed(console_hub *hub, session *ss);

/* ---- hub_requests.c: every request, to its handler ---- */

void hub_handle_message(console_hub *hub, session *ss, const char *text, size_t len);

/* ---- hub_exercise_requests.c: requests on the exercise ---- */

void hub_handle_submission(console_hub *hub, session *ss, const console_request *rq);
void hub_handle_team_request(console_hub *hub, session *ss, const console_request *rq);
void hub_handle_attachment(console_hub *hub, session *ss, const console_request *rq);
void hub_handle_timeline(console_hub *hub, session *ss, const console_request *rq);
void hub_handle_instructor(console_hub *hub, session *ss, const console_request *rq);

/* ---- hub_after_action.c: the after-action report, made on a thread of its own ---- */

void hub_handle_after_action(console_hub *hub, session *ss, const console_request *rq);
/* ---- hub_events.c: pages of the ledger's events (instructors) ---- */

void hub_handle_events(console_hub *hub, session *ss, const console_request *rq);

/* ---- hub_nodes.c: the nodes ---- */

void hub_handle_nodes(console_hub *hub, session *ss, const console_request *rq);
void hub_handle_node_power(console_hub *hub, session *ss, const console_request *rq);

/* ---- hub_channels.c: serial consoles, and what channels of both kinds share ---- */

/* Closes the channel's console (no callback runs after this) and frees it; NULL ok. */
void hub_channel_free(channel *ch);
/* A session's channels, but those opening (their open threads own them). */
void hub_session_channels_free(session *ss);
void hub_handle_console_open(console_hub *hub, session *ss, const console_request *rq);
/* Opens a channel of kind for rq (console.open, display.open): checks the
 * team and node, takes a channel number and starts the open. */
void hub_channel_request_open(console_hub *hub, session *ss, const console_request *rq,
                              const channel_kind *kind);
/* An open ended (IN_CONSOLE): answers it through its kind, or closes what
 * it opened when its session is gone. */
void hub_console_open_ended(console_hub *hub, channel *ch, int rc);
void hub_handle_console(console_hub *hub, session *ss, const console_request *rq);
bool hub_resume_consoles(console_hub *hub, session *ss);
/* Starts ch's open (a console or a display) on a console-open thread;
 * ENSHU_ECAPACITY when too many are under way or no thread could start. */
int hub_channel_open_start(console_hub *hub, channel *ch);
/* The message that says ch ended for reason (its kind's closed_type); to free. */
char *hub_channel_closed_message(const channel *ch, const char *reason);
/* In ch's output callback, after a send: pauses ch while its session's
 * queue holds more than high bytes (hub_resume_consoles resumes it). */
void hub_channel_queue_check(channel *ch, size_t high);
/* In ch's end callback (reason: why it ended): tells the browser, or, before
 * the hub announced the channel, leaves the message to hub_channel_shown. */
void hub_channel_end(channel *ch, const char *reason);
/* On the hub thread, once ch's open was answered: lets its output go, or
 * sends the end that came first. */
void hub_channel_shown(console_hub *hub, session *ss, channel *ch);

/* ---- hub_displays.c: graphical consoles ---- */

void hub_handle_display_open(console_hub *hub, session *ss, const console_request *rq);
void hub_handle_display_close(console_hub *hub, session *ss, const console_request *rq);
/* A binary message of the session: input to one of its open displays. */
void hub_handle_display_input(console_hub *hub, session *ss, const char *data, size_t len);

/* ---- hub_overview.c: every team at once (instructors), and what members do ---- */

void hub_handle_overview(console_hub *hub, session *ss, const console_request *rq);
/* A team session's request of type: noted as the team's last action when
 * a member does something by it (not a console's own polling). */
void hub_overview_note_request(console_hub *hub, const session *ss, request_type type);
/* Something a member did (a screen's input): noted as the team's last action. */
void hub_overview_note_activity(console_hub *hub, const session *ss);

#endif
