/* The consoles' server side as browsers meet it: a running exercise on fake
 * guests (a temp ledger, no libvirt), console_hub on a free port of
 * 127.0.0.1, and real websocket clients speaking web/PROTOCOL.md to it.
 * Logins and their limits, password checks off the hub thread, session
 * tokens, join code rotation, member removal, display names, the live fan-out (who sees what, in
 * ledger order), answers and their limits, authorization, resuming with `since`, the catch-up of a
 * long ledger and pause/resume, timelines served from what the hub keeps (the same as a ledger scan
 * gives, without reading the ledger), the rate limit of every request that writes or costs,
 * submissions refused while the exercise does not run, team requests
 * asked, approved or refused and the injects they fire, and serial console
 * opens off the hub thread (guests recorded in a state store on libvirt's
 * test driver, which has no consoles: every open fails, after a gate the
 * test holds). Waits are on messages with generous deadlines, never on
 * sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "base64.h"
#include "console_auth.h"
#include "console_hub.h"
#include "errors.h"
#include "exercise.h"
#include "guestless_hooks.h"
#include "libvirt_conn.h"
#include "libvirt_events.h"
#include "monotonic_clock.h"
#include "range_files.h"
#include "serial_console.h"
#include "state_store.h"
#include "wall_clock.h"
#include "../unit/test_support.h"
#include "ws_test_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define WAIT_MS 20000
#define LONG_LEDGER 20000

static const char SCRIPT[] =
    "enshu: 1\n"
    "id: hub-test\n"
    "title: {en: Hub test, ja: ハブ試験}\n"
    "languages: [en, ja]\n"
    "default_language: en\n"
    "teams: {min: 1, max: 4}\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "injects:\n"
    "  - id: notice\n"
    "    title: {en: Notice, ja: 通知}\n"
    "    manual: true\n"
    "    message:\n"
    "      from: soc@example.org\n"
    "      subject: {en: Suspicious login, ja: 不審なログイン}\n"
    "      body: {en: Someone logged in at night., ja: 夜間にログインがありました。}\n"
    "  - {id: reimaged, manual: true, message: {from: it@example.org, subject: ws re-imaged,"
    " body: done}}\n"
    "  - {id: called, manual: true, message: {from: ceo@example.org, subject: Keep me informed,"
    " body: call}}\n"
    "requests:\n"
    "  - {id: reimage, title: {en: Re-image ws, ja: ws を再イメージ}, fires: [reimaged], cost: 3}\n"
    "  - {id: call, title: Call management, approval: auto, fires: [called], limit: 5}\n"
    "users: [{name: alice, password: 'Pw-{{team}}-hub', title: {en: Accounting, ja: 経理}}]\n"
    "objectives:\n"
    "  - {id: host, kind: question, text: '?', answer: {nocase: ws}, attempts: 2, points: 10,\n"
    "     hints: [{text: {en: Read the notice., ja: 通知を読んで。}, cost: 2}]}\n"
    "  - {id: addr, kind: question, text: '?', answer: {exact: 10.0.0.1}, attempts: 2,"
    " points: 5}\n"
    "  - {id: summary, kind: report, text: 'What happened?',"
    " rubric: [{text: {en: Timeline, ja: 時系列}, points: 5}]}\n";

/* ---- the exercise and the hub ---- */

/* The instructor password check, with a gate a test may close: checks
 * then wait on their threads until it opens (the hub's answers to other
 * requests meanwhile show it never waits for them). */
typedef struct gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool closed;
    int waiting;
} gate;

static gate password_gate = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static int gated_password_check(void *ctx, const char *password)
{
    gate *g = ctx;
    pthread_mutex_lock(&g->lock);
    g->waiting++;
    pthread_cond_broadcast(&g->cond);
    while (g->closed)
        pthread_cond_wait(&g->cond, &g->lock);
    g->waiting--;
    pthread_mutex_unlock(&g->lock);
    return instructor_password_check(password);
}

static void gate_set(gate *g, bool closed)
{
    pthread_mutex_lock(&g->lock);
    g->closed = closed;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

/* Until n checks wait at the closed gate. */
static void gate_await(gate *g, int n)
{
    pthread_mutex_lock(&g->lock);
    while (g->waiting < n)
        pthread_cond_wait(&g->cond, &g->lock);
    pthread_mutex_unlock(&g->lock);
}

/* Serial console opens, on their console-open threads, wait at this gate. */
static gate open_gate = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static int gated_console_open(void *ctx, struct serial_consoles *h, const char *host_uri,
                              const char *domain, const struct serial_console_callbacks *cb,
                              void *cb_ctx, struct serial_console **out)
{
    gate *g = ctx;
    pthread_mutex_lock(&g->lock);
    g->waiting++;
    pthread_cond_broadcast(&g->cond);
    while (g->closed)
        pthread_cond_wait(&g->cond, &g->lock);
    g->waiting--;
    pthread_mutex_unlock(&g->lock);
    return serial_console_open_paused(h, host_uri, domain, cb, cb_ctx, out);
}

typedef struct fixture {
    char dir[64];
    char *ledger_path;
    scenario *s;
    event_store *ledger;
    exercise *ex;
    _Atomic(console_hub *) hub;
    char codes[2][JOIN_CODE_SIZE];
    const char *code_list[2];
    pthread_t stepper;
    atomic_bool stop;
    int port;
} fixture;

static void on_event(void *ctx, const event *ev)
{
    fixture *f = ctx;
    console_hub_notify(atomic_load(&f->hub));
}

/* The engine's loop: fires what is due (a released inject) every few ms. */
static void *stepper_main(void *arg)
{
    fixture *f = arg;
    while (!atomic_load(&f->stop)) {
        (void)exercise_step(f->ex);
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static exercise_hooks hooks;

/* What setup_with() gives the hub and the exercise. */
static const console_rate *setup_limits; /* NULL: the defaults */
static bool setup_started = true;        /* false: the exercise stays before STARTEX */
static const char *setup_range;          /* the range whose guests the hub gets; NULL: none */

static int setup(void **state)
{
    fixture *f = xcalloc(1, sizeof(fixture));
    snprintf(f->dir, sizeof f->dir, "/tmp/enshu-hub-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->ledger_path = xasprintf("%s/events.db", f->dir);
    f->s = load_or_fail(SCRIPT);
    assert_int_equal(event_store_open(f->ledger_path, true, &f->ledger), ENSHU_OK);
    hooks = guestless_hooks(on_event, f);
    f->ex = exercise_new(f->s, 2, f->ledger, &hooks);
    assert_non_null(f->ex);
    if (setup_started)
        assert_int_equal(exercise_start(f->ex), ENSHU_OK);
    for (int t = 0; t < 2; t++) {
        join_code_new(f->codes[t]);
        f->code_list[t] = f->codes[t];
    }
    console_hub_config cfg = {.ex = f->ex,
                              .ledger = f->ledger,
                              .range_name = setup_range,
                              .join_codes = f->code_list,
                              .listen = "127.0.0.1:0",
                              .check_password = gated_password_check,
                              .check_ctx = &password_gate,
                              .open_console = gated_console_open,
                              .open_ctx = &open_gate,
                              .limits = setup_limits};
    gate_set(&password_gate, false);
    gate_set(&open_gate, false);
    console_hub *hub;
    assert_int_equal(console_hub_start(&cfg, &hub), ENSHU_OK);
    atomic_store(&f->hub, hub);
    f->port = console_hub_port(hub);
    assert_true(f->port > 0);
    assert_int_equal(pthread_create(&f->stepper, NULL, stepper_main, f), 0);
    *state = f;
    return 0;
}

/* Every limit at a burst of 2 (one token back a minute), the teams
 * together unbounded. */
static console_rate tight_each[LIMIT_COUNT];
/* The teams together at a burst of 3, each limit alone unbounded. */
static console_rate tight_all[LIMIT_COUNT];

static int setup_tight_each(void **state)
{
    for (int l = 0; l < LIMIT_COUNT; l++)
        tight_each[l] = l == LIMIT_TEAMS ? (console_rate){1000, 1000} : (console_rate){1, 2};
    setup_limits = tight_each;
    int rc = setup(state);
    setup_limits = NULL;
    return rc;
}

static int setup_tight_all(void **state)
{
    for (int l = 0; l < LIMIT_COUNT; l++)
        tight_all[l] = l == LIMIT_TEAMS ? (console_rate){1, 3} : (console_rate){1000, 1000};
    setup_limits = tight_all;
    int rc = setup(state);
    setup_limits = NULL;
    return rc;
}

static int setup_not_started(void **state)
{
    setup_started = false;
    int rc = setup(state);
    setup_started = true;
    return rc;
}

/* A range "hub-guests" whose node ws of teams 1 and 2 is the test
 * driver's domain "test" (its power state is real, its console fails). */
static int setup_with_guests(void **state)
{
    assert_int_equal(range_dirs_ensure(), ENSHU_OK);
    char *path = range_db_path("hub-guests");
    state_store *st;
    assert_int_equal(state_store_open(path, true, &st), ENSHU_OK);
    for (int t = 1; t <= 2; t++) {
        stored_node n = {.team = t,
                         .node = "ws",
                         .domain = "test",
                         .host_uri = "test:///default",
                         .role = "",
                         .addresses = "",
                         .state = "ready"};
        assert_int_equal(state_store_set_node(st, &n), ENSHU_OK);
    }
    state_store_free(st);
    free(path);
    setup_range = "hub-guests";
    int rc = setup(state);
    setup_range = NULL;
    return rc;
}

static int teardown(void **state)
{
    fixture *f = *state;
    atomic_store(&f->stop, true);
    pthread_join(f->stepper, NULL);
    console_hub *hub = atomic_exchange(&f->hub, NULL);
    console_hub_free(hub);
    exercise_free(f->ex);
    event_store_free(f->ledger);
    scenario_free(f->s);
    char *cmd = xasprintf("rm -rf '%s'", f->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_console_hub: %s could not be removed\n", f->dir);
    free(cmd);
    free(f->ledger_path);
    free(f);
    return 0;
}

/* ---- a websocket client (tests/support/ws_test_client.h) ---- */

typedef struct client {
    ws_test_client ws;
    json_t *all; /* every text message received, in order */
    size_t mark; /* await() looks from here */
    int64_t last_seq;
    bool closed;
    int close_code;
    int next_id;
} client;

/* A client from a loopback address of its own (127.0.0.0/8 is all local):
 * the login limits count per address. NULL: 127.0.0.1. */
static client *client_open_from(int port, const char *from)
{
    client *c = xcalloc(1, sizeof(client));
    c->all = json_array();
    ws_test_source source = {.address = from};
    ws_test_upgrade upgrade = {.subprotocol = "enshu.v1", .timeout_ms = WAIT_MS};
    assert_int_equal(ws_test_client_open(&c->ws, port, &source, &upgrade), 101);
    return c;
}

static client *client_open(int port)
{
    return client_open_from(port, NULL);
}

static void client_free(client *c)
{
    if (!c)
        return;
    ws_test_client_close(&c->ws);
    json_decref(c->all);
    free(c);
}

static void client_send(client *c, const char *text)
{
    (void)ws_test_client_send_text(&c->ws, text);
}

/* Sends a JSON object built by json_pack (an id of the client's choosing
 * added); returns the id. */
static int client_request(client *c, json_t *msg)
{
    int id = ++c->next_id;
    json_object_set_new(msg, "id", json_integer(id));
    char *text = json_dumps(msg, JSON_COMPACT);
    client_send(c, text);
    free(text);
    json_decref(msg);
    return id;
}

static int seq_of(const json_t *m)
{
    json_t *s = json_object_get(m, "seq");
    return json_is_integer(s) ? (int)json_integer_value(s) : -1;
}

static const char *type_of(const json_t *m)
{
    const char *t = json_string_value(json_object_get(m, "type"));
    return t ? t : "";
}

static int int_of(const json_t *m, const char *key)
{
    json_t *v = json_object_get(m, key);
    assert_true(json_is_integer(v));
    return (int)json_integer_value(v);
}

/* Receives one message within the deadline: a text message (joined from
 * its fragments: the server sends a long one in pieces) is checked and
 * recorded; false on close, timeout or end of stream. Every message that
 * carries a seq must come in ledger order, and none twice (the same seq
 * with the same type and team). */
static bool client_pump(client *c, int64_t deadline)
{
    for (;;) {
        ws_frame f;
        int64_t left = deadline - monotonic_ms();
        int op = ws_test_client_recv_message(&c->ws, &f, left > 0 ? (int)left : 0);
        if (op == ENSHU_EINVAL)
            fail_msg("the server sent a broken frame or fragments out of order");
        if (op < 0)
            return false;
        assert_false(f.masked);
        if (op == WS_OP_CLOSE) {
            c->closed = true;
            c->close_code = ws_frame_close_code(&f, NULL, NULL);
            return false;
        }
        if (op != WS_OP_TEXT)
            continue;
        json_error_t err;
        json_t *m = json_loads(f.payload, 0, &err);
        if (!json_is_object(m))
            fail_msg("the server sent a message that is not a JSON object (%s): %.300s", err.text,
                     f.payload);
        int seq = seq_of(m);
        if (seq >= 0 && strcmp(type_of(m), "ok") != 0) {
            if (seq < c->last_seq)
                fail_msg("%s with seq %d came after seq %lld", type_of(m), seq,
                         (long long)c->last_seq);
            for (size_t i = json_array_size(c->all); i-- > 0;) {
                json_t *o = json_array_get(c->all, i);
                if (strcmp(type_of(o), "ok") == 0 || seq_of(o) < 0)
                    continue;
                if (seq_of(o) != seq)
                    break;
                if (strcmp(type_of(o), type_of(m)) == 0 &&
                    json_equal(json_object_get(o, "team"), json_object_get(m, "team")))
                    fail_msg("%s with seq %d came twice", type_of(m), seq);
            }
            c->last_seq = seq;
        }
        json_array_append_new(c->all, m);
        return true;
    }
}

typedef bool (*match_fn)(const json_t *m, const void *arg);

/* The first message from c->mark on that matches (receiving as needed);
 * moves the mark past it. Fails the test when none comes in time. */
static json_t *await_match(client *c, match_fn match, const void *arg, const char *what)
{
    int64_t deadline = monotonic_ms() + WAIT_MS;
    for (;;) {
        while (c->mark < json_array_size(c->all)) {
            json_t *m = json_array_get(c->all, c->mark++);
            if (match(m, arg))
                return m;
        }
        if (!client_pump(c, deadline))
            fail_msg("no %s came (%s)", what, c->closed ? "the server closed" : "timed out");
    }
}

static bool is_type(const json_t *m, const void *arg)
{
    return strcmp(type_of(m), arg) == 0;
}

static bool has_id(const json_t *m, const void *arg)
{
    json_t *id = json_object_get(m, "id");
    return json_is_integer(id) && json_integer_value(id) == *(const int *)arg;
}

static json_t *await_type(client *c, const char *type)
{
    return await_match(c, is_type, type, type);
}

static json_t *await_reply(client *c, int id)
{
    return await_match(c, has_id, &id, "reply");
}

/* Sends a request and returns its reply. */
static json_t *ask(client *c, json_t *msg)
{
    return await_reply(c, client_request(c, msg));
}

static void assert_error(const json_t *reply, const char *code)
{
    if (strcmp(type_of(reply), "error") != 0 ||
        strcmp(json_string_value(json_object_get(reply, "code")), code) != 0) {
        char *text = json_dumps(reply, JSON_COMPACT);
        fail_msg("expected error %s, got %s", code, text);
    }
    const char *message = json_string_value(json_object_get(reply, "message"));
    assert_non_null(message);
    assert_true(strlen(message) > 0);
}

static void assert_type(const json_t *m, const char *type)
{
    if (strcmp(type_of(m), type) != 0) {
        char *text = json_dumps(m, JSON_COMPACT);
        fail_msg("expected %s, got %s", type, text);
    }
}

/* Everything the hub had to send this session before it handled this
 * request has arrived once this returns (one hub thread, ordered queues). */
static void sync_with(client *c)
{
    assert_type(ask(c, json_pack("{s:s, s:i}", "type", "nodes", "team", 0)), "nodes");
}

static json_t *hello_team(client *c, const char *code, const char *lang, int64_t since)
{
    return ask(c, json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:I}", "type", "hello", "version", 1,
                            "role", "team", "code", code, "name", "Aiko", "lang", lang, "since",
                            (json_int_t)since));
}

static client *join_team(fixture *f, int team, const char *lang, int64_t since)
{
    client *c = client_open(f->port);
    json_t *w = hello_team(c, f->codes[team - 1], lang, since);
    assert_type(w, "welcome");
    assert_int_equal(int_of(w, "team"), team);
    return c;
}

static json_t *hello_instructor(client *c, const char *password)
{
    return ask(c, json_pack("{s:s, s:i, s:s, s:s, s:i}", "type", "hello", "version", 1, "role",
                            "instructor", "password", password, "since", 0));
}

static client *join_instructor(fixture *f)
{
    client *c = client_open(f->port);
    json_t *w = hello_instructor(c, "correct horse");
    assert_type(w, "welcome");
    assert_string_equal(json_string_value(json_object_get(w, "role")), "instructor");
    return c;
}

/* How many messages of this type (and team, unless 0) c has received. */
static size_t count_of(const client *c, const char *type, int team)
{
    size_t n = 0;
    for (size_t i = 0; i < json_array_size(c->all); i++) {
        json_t *m = json_array_get(c->all, i);
        if (strcmp(type_of(m), type) == 0 &&
            (team == 0 || json_integer_value(json_object_get(m, "team")) == team))
            n++;
    }
    return n;
}

/* ---- the cases ---- */

static void teams_join_with_their_code_in_any_form(void **state)
{
    fixture *f = *state;
    /* Lower case, the dash left out. */
    char typed[JOIN_CODE_SIZE];
    size_t k = 0;
    for (const char *p = f->codes[1]; *p; p++)
        if (*p != '-')
            typed[k++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
    typed[k] = '\0';
    client *c = client_open(f->port);
    json_t *w = hello_team(c, typed, "ja", 0);
    assert_type(w, "welcome");
    assert_int_equal(int_of(w, "team"), 2);
    assert_string_equal(json_string_value(json_object_get(w, "name")), "Aiko");
    json_t *exj = json_object_get(w, "exercise");
    assert_string_equal(json_string_value(json_object_get(exj, "lang")), "ja");
    assert_string_equal(json_string_value(json_object_get(exj, "phase")), "running");
    /* A team's welcome does not carry the join codes. */
    assert_null(json_object_get(exj, "join_codes"));
    /* It carries the team's accounts, with its own passwords and no other
     * team's. */
    json_t *accounts = json_object_get(w, "accounts");
    assert_int_equal(json_array_size(accounts), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(accounts, 0), "password")),
                        "Pw-2-hub");
    char *whole = json_dumps(w, 0);
    assert_null(strstr(whole, "Pw-1-hub"));
    free(whole);
    /* Joined once: a second hello is a conflict. */
    assert_error(hello_team(c, f->codes[1], "en", 0), "conflict");
    client_free(c);

    c = client_open(f->port);
    assert_error(hello_team(c, "ABCD-EFGH", "en", 0), "bad_login");
    /* The same session may try again. */
    assert_type(hello_team(c, f->codes[0], "en", 0), "welcome");
    client_free(c);
}

static void instructors_join_with_the_password(void **state)
{
    fixture *f = *state;
    client *c = client_open(f->port);
    assert_error(hello_instructor(c, "wrong horse"), "bad_login");
    /* A wrong password leaves the session unjoined. */
    assert_error(ask(c, json_pack("{s:s}", "type", "scoreboard")), "not_joined");
    json_t *w = hello_instructor(c, "correct horse");
    assert_type(w, "welcome");
    json_t *codes = json_object_get(json_object_get(w, "exercise"), "join_codes");
    assert_int_equal(json_array_size(codes), 2);
    /* Instructors see every team's accounts. */
    json_t *accounts = json_object_get(w, "accounts");
    assert_int_equal(json_array_size(accounts), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(accounts, 1), "password")),
                        "Pw-2-hub");
    assert_string_equal(json_string_value(json_object_get(json_array_get(codes, 0), "code")),
                        f->codes[0]);
    assert_type(ask(c, json_pack("{s:s}", "type", "scoreboard")), "scoreboard");
    client_free(c);
}

static bool is_inbox_of(const json_t *m, const void *arg)
{
    return strcmp(type_of(m), "inbox") == 0 &&
           json_integer_value(json_object_get(m, "team")) == *(const int *)arg;
}

static void a_released_message_reaches_its_team_only(void **state)
{
    fixture *f = *state;
    client *ins = join_instructor(f);
    client *t1 = join_team(f, 1, "ja", 0);
    client *t1en = join_team(f, 1, "en", 0);
    client *t2 = join_team(f, 2, "en", 0);
    json_t *r = ask(
        ins, json_pack("{s:s, s:s, s:i}", "type", "inject.release", "inject", "notice", "team", 1));
    assert_type(r, "ok");
    json_t *m = await_type(t1, "inbox");
    assert_int_equal(int_of(m, "team"), 1);
    assert_string_equal(json_string_value(json_object_get(m, "inject")), "notice");
    assert_string_equal(json_string_value(json_object_get(m, "from")), "soc@example.org");
    assert_string_equal(json_string_value(json_object_get(m, "subject")), "不審なログイン");
    assert_string_equal(json_string_value(json_object_get(m, "body")),
                        "夜間にログインがありました。");
    int seq = seq_of(m);
    assert_true(seq > 0);
    m = await_type(t1en, "inbox");
    assert_string_equal(json_string_value(json_object_get(m, "subject")), "Suspicious login");
    assert_int_equal(seq_of(m), seq);
    int one = 1;
    m = await_match(ins, is_inbox_of, &one, "inbox for the instructor");
    assert_int_equal(seq_of(m), seq);
    /* Team 2 gets nothing of it, however long it asks. */
    sync_with(t2);
    assert_int_equal(count_of(t2, "inbox", 0), 0);
    assert_int_equal(count_of(t2, "event", 0), 0);
    for (size_t i = 0; i < json_array_size(t2->all); i++)
        assert_true(seq_of(json_array_get(t2->all, i)) < seq);
    /* Released twice: it has fired already, and fires no second time. */
    assert_error(ask(ins, json_pack("{s:s, s:s, s:i}", "type", "inject.release", "inject", "notice",
                                    "team", 1)),
                 "conflict");
    sync_with(t1);
    assert_int_equal(count_of(t1, "inbox", 0), 1);
    client_free(t2);
    client_free(t1en);
    client_free(t1);
    client_free(ins);
}

static bool is_failure_of(const json_t *m, const void *arg)
{
    const char *kind = json_string_value(json_object_get(m, "kind"));
    return strcmp(type_of(m), "event") == 0 && kind && strcmp(kind, "inject.failed") == 0 &&
           json_integer_value(json_object_get(m, "team")) == *(const int *)arg;
}

/* An inject that failed (here, cut off by a restart of the engine, as
 * another process left it in the ledger) reaches the instructors with its
 * text; an instructor retries it, and it fires, once. Only a failed inject
 * is retried. */
static void an_instructor_retries_a_failed_inject(void **state)
{
    fixture *f = *state;
    client *ins = join_instructor(f);
    client *t1 = join_team(f, 1, "en", 0);
    assert_error(ask(ins, json_pack("{s:s, s:s, s:i}", "type", "inject.retry", "inject", "notice",
                                    "team", 1)),
                 "conflict");
    event begin = {.team = 1, .kind = EV_INJECT_BEGIN, .subject = "notice"};
    event failed = {.team = 1,
                    .kind = EV_INJECT_FAILED,
                    .subject = "notice",
                    .value = ENSHU_EAGENT,
                    .text = "interrupted by a restart of the engine; not run again"};
    begin.wall_ms = failed.wall_ms = wall_clock_ms(NULL);
    assert_int_equal(event_store_append(f->ledger, &begin, "inject/1/notice", NULL), ENSHU_OK);
    assert_int_equal(event_store_append(f->ledger, &failed, NULL, NULL), ENSHU_OK);
    assert_int_equal(exercise_poll_ledger(f->ex), ENSHU_OK);
    int one = 1;
    json_t *m = await_match(ins, is_failure_of, &one, "the failure for the instructor");
    assert_string_equal(json_string_value(json_object_get(m, "text")),
                        "interrupted by a restart of the engine; not run again");
    assert_type(ask(ins, json_pack("{s:s, s:s, s:i}", "type", "inject.retry", "inject", "notice",
                                   "team", 1)),
                "ok");
    m = await_type(t1, "inbox");
    assert_string_equal(json_string_value(json_object_get(m, "inject")), "notice");
    /* It fired: nothing to retry, and it fires no second time. */
    assert_error(ask(ins, json_pack("{s:s, s:s, s:i}", "type", "inject.retry", "inject", "notice",
                                    "team", 1)),
                 "conflict");
    sync_with(t1);
    assert_int_equal(count_of(t1, "inbox", 0), 1);
    client_free(t1);
    client_free(ins);
}

static json_t *answer(client *c, const char *objective_id, const char *text)
{
    return ask(
        c, json_pack("{s:s, s:s, s:s}", "type", "answer", "objective", objective_id, "text", text));
}

static bool is_answer_with_seq(const json_t *m, const void *arg)
{
    return strcmp(type_of(m), "answer") == 0 && seq_of(m) == *(const int *)arg;
}

static void answers_right_wrong_exhausted_and_rate_limited(void **state)
{
    fixture *f = *state;
    client *t1 = join_team(f, 1, "en", 0);
    client *t2 = join_team(f, 2, "en", 0);
    client *ins = join_instructor(f);

    /* Wrong: ok with its seq, then the answer, marked wrong. */
    json_t *r = answer(t1, "host", "fs1");
    assert_type(r, "ok");
    int seq = int_of(r, "seq");
    json_t *a = await_match(t1, is_answer_with_seq, &seq, "the wrong answer");
    assert_false(json_is_true(json_object_get(a, "correct")));
    assert_true(json_is_false(json_object_get(a, "correct")));
    assert_int_equal(int_of(a, "attempts_left"), 1);
    assert_string_equal(json_string_value(json_object_get(a, "text")), "fs1");
    assert_string_equal(json_string_value(json_object_get(a, "by")), "Aiko");

    /* Right (any case): then the score that changed, with the same seq. */
    r = answer(t1, "host", "WS");
    assert_type(r, "ok");
    seq = int_of(r, "seq");
    a = await_match(t1, is_answer_with_seq, &seq, "the right answer");
    assert_true(json_is_true(json_object_get(a, "correct")));
    assert_int_equal(int_of(a, "points"), 10);
    size_t at = t1->mark;
    json_t *s = await_type(t1, "score");
    assert_true(t1->mark > at);
    assert_int_equal(seq_of(s), seq);
    assert_int_equal(int_of(s, "team"), 1);
    assert_int_equal(int_of(s, "total"), 10);
    s = await_type(ins, "score");
    while (seq_of(s) != seq)
        s = await_type(ins, "score");
    assert_int_equal(int_of(s, "total"), 10);

    /* Answered already, and attempts used up: conflict. */
    assert_error(answer(t1, "host", "ws"), "conflict");
    assert_type(answer(t1, "addr", "10.0.0.2"), "ok");
    assert_type(answer(t1, "addr", "10.0.0.3"), "ok");
    assert_error(answer(t1, "addr", "10.0.0.1"), "conflict");
    assert_error(answer(t1, "nothing", "x"), "not_found");
    /* Seven answers so far; the eleventh within the minute is limited. */
    for (int i = 0; i < 3; i++)
        assert_error(answer(t1, "addr", "10.0.0.1"), "conflict");
    r = answer(t1, "addr", "10.0.0.1");
    assert_error(r, "rate_limited");
    json_t *retry = json_object_get(r, "retry_ms");
    assert_true(json_is_integer(retry) && json_integer_value(retry) > 0);
    /* Per team: team 2 may still answer. */
    assert_type(answer(t2, "host", "ws"), "ok");

    /* Team 2 saw none of team 1's answers or scores. */
    sync_with(t2);
    for (size_t i = 0; i < json_array_size(t2->all); i++) {
        json_t *m = json_array_get(t2->all, i);
        json_t *team = json_object_get(m, "team");
        if (team)
            assert_int_equal(json_integer_value(team), 2);
    }
    assert_int_equal(count_of(t1, "answer", 1), 4);
    client_free(ins);
    client_free(t2);
    client_free(t1);
}

/* Event-derived messages (not replies, not the scores sent after a
 * catch-up) with seq > after, as "type seq" lines. */
static char *event_messages(const client *c, int after)
{
    size_t size = 1;
    char *out = xcalloc(1, size);
    for (size_t i = 0; i < json_array_size(c->all); i++) {
        json_t *m = json_array_get(c->all, i);
        const char *type = type_of(m);
        if (seq_of(m) <= after || json_object_get(m, "id") || strcmp(type, "score") == 0)
            continue;
        char *line = xasprintf("%s %d %s\n", type, seq_of(m),
                               json_string_value(json_object_get(m, "text"))
                                   ? json_string_value(json_object_get(m, "text"))
                                   : "");
        out = xrealloc(out, size + strlen(line));
        strcat(out, line);
        size += strlen(line);
        free(line);
    }
    return out;
}

static bool is_message_text(const json_t *m, const void *arg)
{
    const char *t = json_string_value(json_object_get(m, "text"));
    return strcmp(type_of(m), "message") == 0 && t && strcmp(t, arg) == 0;
}

static void broadcast(client *ins, int team, const char *text)
{
    assert_type(
        ask(ins, json_pack("{s:s, s:i, s:s}", "type", "broadcast", "team", team, "text", text)),
        "ok");
}

static void a_reconnecting_client_gets_exactly_what_it_missed(void **state)
{
    fixture *f = *state;
    client *ins = join_instructor(f);
    client *stayed = join_team(f, 1, "en", 0);
    client *left = join_team(f, 1, "en", 0);
    broadcast(ins, 1, "one");
    broadcast(ins, 0, "two");
    await_match(left, is_message_text, "two", "message two");
    await_match(stayed, is_message_text, "two", "message two");
    int seen = (int)left->last_seq;
    assert_true(seen > 0);
    client_free(left);

    /* While it is away: for it, for the other team, for everyone, an
     * answer of its team, a released inject. */
    broadcast(ins, 1, "three");
    broadcast(ins, 2, "not for team 1");
    broadcast(ins, 0, "four");
    client *t2 = join_team(f, 2, "en", 0);
    assert_type(answer(stayed, "host", "ws"), "ok");
    assert_type(answer(t2, "host", "nope"), "ok");
    assert_type(ask(ins, json_pack("{s:s, s:s, s:i}", "type", "inject.release", "inject", "notice",
                                   "team", 0)),
                "ok");
    await_type(stayed, "inbox");
    broadcast(ins, 0, "last");
    await_match(stayed, is_message_text, "last", "the last message");

    client *back = join_team(f, 1, "en", seen);
    /* Its catch-up ends with the scores, after every past event. */
    json_t *s = await_type(back, "score");
    assert_int_equal(int_of(s, "team"), 1);
    sync_with(back);
    char *want = event_messages(stayed, seen);
    char *got = event_messages(back, seen);
    assert_string_equal(got, want);
    assert_non_null(strstr(got, "message"));
    assert_non_null(strstr(got, "inbox"));
    assert_non_null(strstr(got, "answer"));
    assert_null(strstr(got, "not for team 1"));
    assert_null(strstr(got, " one\n"));
    /* Nothing before what it saw came again. */
    for (size_t i = 0; i < json_array_size(back->all); i++) {
        json_t *m = json_array_get(back->all, i);
        if (!json_object_get(m, "id") && strcmp(type_of(m), "score") != 0)
            assert_true(seq_of(m) > seen);
    }
    free(want);
    free(got);
    client_free(back);
    client_free(t2);
    client_free(stayed);
    client_free(ins);
}

static void stored(int result, int64_t seq, void *arg)
{
    if (result != ENSHU_OK)
        atomic_fetch_add((atomic_int *)arg, 1);
}

static void a_long_ledger_is_caught_up_whole_and_in_order(void **state)
{
    fixture *f = *state;
    /* Broadcasts written by another handle on the same file, as another
     * process would (enshu broadcast): the hub tails the ledger file. */
    event_store *writer;
    assert_int_equal(event_store_open(f->ledger_path, false, &writer), ENSHU_OK);
    atomic_int failures = 0;
    char text[64];
    for (int i = 0; i < LONG_LEDGER; i++) {
        snprintf(text, sizeof text, "bulletin %d", i);
        event ev = {.at_ms = exercise_now(f->ex),
                    .wall_ms = wall_clock_ms(NULL),
                    .team = i % 3,
                    .kind = EV_INSTRUCTOR,
                    .subject = "broadcast",
                    .text = text,
                    .actor = "instructor"};
        assert_int_equal(event_store_submit(writer, &ev, NULL, stored, &failures), ENSHU_OK);
    }
    event_store_free(writer); /* every one durable */
    assert_int_equal(atomic_load(&failures), 0);
    console_hub_notify(atomic_load(&f->hub));

    client *c = join_team(f, 1, "en", 0);
    int64_t deadline = monotonic_ms() + 60000;
    size_t want = (size_t)(LONG_LEDGER - LONG_LEDGER / 3); /* teams 0 and 1, not 2 */
    size_t got = 0, looked = 0;
    while (got < want) {
        if (!client_pump(c, deadline))
            break;
        for (; looked < json_array_size(c->all); looked++)
            got += strcmp(type_of(json_array_get(c->all, looked)), "message") == 0;
    }
    assert_false(c->closed);
    assert_int_equal(got, want);
    /* In ledger order (client_pump checks the seqs), none missing: the
     * bulletins for teams 0 and 1 in the order they were sent. */
    int expect = 0;
    for (size_t i = 0; i < json_array_size(c->all); i++) {
        json_t *m = json_array_get(c->all, i);
        if (strcmp(type_of(m), "message") != 0)
            continue;
        if (expect % 3 == 2)
            expect++;
        snprintf(text, sizeof text, "bulletin %d", expect++);
        assert_string_equal(json_string_value(json_object_get(m, "text")), text);
    }
    /* Then the scores, and the session is live. */
    await_type(c, "score");
    sync_with(c);
    client *ins = join_instructor(f);
    broadcast(ins, 1, "live again");
    await_match(c, is_message_text, "live again", "the live message");
    assert_false(c->closed);
    client_free(ins);
    client_free(c);
}

static void teams_may_not_act_as_instructors_or_other_teams(void **state)
{
    fixture *f = *state;
    client *t1 = join_team(f, 1, "en", 0);
    static const char *const requests[] = {
        "{\"type\":\"exercise.start\"}",
        "{\"type\":\"exercise.pause\"}",
        "{\"type\":\"exercise.resume\"}",
        "{\"type\":\"exercise.end\"}",
        "{\"type\":\"exercise.speed\",\"speed\":2}",
        "{\"type\":\"inject.release\",\"inject\":\"notice\",\"team\":1}",
        "{\"type\":\"inject.skip\",\"inject\":\"notice\",\"team\":1}",
        "{\"type\":\"inject.hold\",\"inject\":\"notice\",\"team\":1,\"held\":true}",
        "{\"type\":\"grade\",\"team\":1,\"objective\":\"host\",\"item\":0,\"points\":5}",
        "{\"type\":\"broadcast\",\"text\":\"hi\",\"team\":0}",
        "{\"type\":\"node.restart\",\"team\":1,\"node\":\"ws\"}",
        "{\"type\":\"node.revert\",\"team\":1,\"node\":\"ws\"}",
        "{\"type\":\"scoreboard\"}",
        /* another team's */
        "{\"type\":\"timeline\",\"team\":2}",
        "{\"type\":\"nodes\",\"team\":2}",
        "{\"type\":\"answer\",\"objective\":\"host\",\"text\":\"ws\",\"team\":2}",
        "{\"type\":\"report\",\"objective\":\"host\",\"text\":\"r\",\"team\":2}",
        "{\"type\":\"hint\",\"objective\":\"host\",\"index\":0,\"team\":2}",
        "{\"type\":\"attachment\",\"inject\":\"notice\",\"team\":2}",
        "{\"type\":\"console.open\",\"node\":\"ws\",\"team\":2}",
    };
    for (size_t i = 0; i < sizeof requests / sizeof *requests; i++) {
        json_t *msg = json_loads(requests[i], 0, NULL);
        assert_non_null(msg);
        json_t *r = ask(t1, msg);
        if (strcmp(type_of(r), "error") != 0 ||
            strcmp(json_string_value(json_object_get(r, "code")), "forbidden") != 0)
            fail_msg("%s from a team: %s", requests[i], json_dumps(r, JSON_COMPACT));
    }
    /* None of it happened. */
    assert_int_equal(exercise_get_phase(f->ex), PHASE_RUNNING);
    assert_true(exercise_speed(f->ex) == 1.0);
    sync_with(t1);
    assert_int_equal(count_of(t1, "message", 0), 0);
    assert_int_equal(count_of(t1, "answer", 0), 0);
    client_free(t1);
}

/* Feedback on a report reaches that team and the instructors, naming the
 * report; a team's new name reaches everyone and every later welcome.
 * Trainees may do neither. */
static void feedback_and_team_names_reach_whom_they_concern(void **state)
{
    fixture *f = *state;
    client *ins = join_instructor(f);
    client *t1 = join_team(f, 1, "en", 0);
    client *t2 = join_team(f, 2, "en", 0);
    json_t *r = ask(t1, json_pack("{s:s, s:s, s:s}", "type", "report", "objective", "summary",
                                  "text", "A login at night."));
    assert_type(r, "ok");
    int report = int_of(r, "seq");
    assert_error(ask(t1, json_pack("{s:s, s:i, s:s, s:i, s:s}", "type", "report.feedback", "team",
                                   1, "objective", "summary", "report", report, "text", "Self")),
                 "forbidden");
    assert_error(
        ask(t1, json_pack("{s:s, s:i, s:s}", "type", "team.rename", "team", 1, "name", "Us")),
        "forbidden");
    /* Only a report of that team on that objective. */
    assert_error(ask(ins, json_pack("{s:s, s:i, s:s, s:i, s:s}", "type", "report.feedback", "team",
                                    2, "objective", "summary", "report", report, "text", "x")),
                 "not_found");
    assert_error(ask(ins, json_pack("{s:s, s:i, s:s, s:i, s:s}", "type", "report.feedback", "team",
                                    1, "objective", "host", "report", report, "text", "x")),
                 "not_found");
    r = ask(ins, json_pack("{s:s, s:i, s:s, s:i, s:s}", "type", "report.feedback", "team", 1,
                           "objective", "summary", "report", report, "text", "Which host?"));
    assert_type(r, "ok");
    assert_true(int_of(r, "seq") > report);
    json_t *fb = await_type(t1, "feedback");
    assert_int_equal(int_of(fb, "report"), report);
    assert_int_equal(int_of(fb, "team"), 1);
    assert_string_equal(json_string_value(json_object_get(fb, "objective")), "summary");
    assert_string_equal(json_string_value(json_object_get(fb, "text")), "Which host?");
    assert_int_equal(int_of(await_type(ins, "feedback"), "report"), report);

    r = ask(ins, json_pack("{s:s, s:i, s:s, s:s}", "type", "team.rename", "team", 2, "name",
                           "Cranes", "organisation", "National CERT"));
    assert_type(r, "ok");
    json_t *named = await_type(t1, "team"); /* every team sees every name */
    assert_int_equal(int_of(named, "team"), 2);
    assert_string_equal(json_string_value(json_object_get(named, "name")), "Cranes");
    assert_string_equal(json_string_value(json_object_get(named, "organisation")), "National CERT");
    await_type(t2, "team");
    r = ask(ins, json_pack("{s:s, s:i, s:s}", "type", "team.rename", "team", 1, "name", "Cranes"));
    assert_error(r, "conflict");
    r = ask(ins, json_pack("{s:s, s:i, s:s}", "type", "team.rename", "team", 1, "name", " "));
    assert_error(r, "bad_request");
    assert_string_equal(json_string_value(json_object_get(r, "field")), "name");
    assert_error(
        ask(ins, json_pack("{s:s, s:i, s:s}", "type", "team.rename", "team", 9, "name", "Nine")),
        "not_found");
    sync_with(t2);
    assert_int_equal(count_of(t2, "feedback", 0), 0);
    assert_int_equal(count_of(t1, "team", 0), 1);

    /* A later welcome has the name. */
    client *t3 = client_open(f->port);
    json_t *w = hello_team(t3, f->codes[0], "en", 0);
    assert_type(w, "welcome");
    json_t *names = json_object_get(json_object_get(w, "exercise"), "names");
    assert_int_equal(json_array_size(names), 1);
    assert_int_equal(int_of(json_array_get(names, 0), "team"), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(names, 0), "name")),
                        "Cranes");
    client_free(t3);
    client_free(t2);
    client_free(t1);
    client_free(ins);
}

static void requests_before_hello_and_bad_json(void **state)
{
    fixture *f = *state;
    client *c = client_open(f->port);
    assert_error(
        ask(c, json_pack("{s:s, s:s, s:s}", "type", "answer", "objective", "host", "text", "ws")),
        "not_joined");
    assert_error(ask(c, json_pack("{s:s}", "type", "exercise.pause")), "not_joined");
    assert_error(ask(c, json_pack("{s:s}", "type", "timeline")), "not_joined");
    assert_int_equal(exercise_get_phase(f->ex), PHASE_RUNNING);

    static const char *const bad[] = {"{\"type\": \"hello\"", "[1, 2]", "nonsense", "\"text\"",
                                      "{\"type\":\"x\",\"type\":\"y\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        client_send(c, bad[i]);
        assert_error(await_type(c, "error"), "bad_json");
    }
    /* The session is still usable: it joins and works. */
    json_t *w = hello_team(c, f->codes[0], "en", 0);
    assert_type(w, "welcome");
    client_send(c, "{\"type\": \"answer\", ");
    assert_error(await_type(c, "error"), "bad_json");
    assert_type(answer(c, "host", "ws"), "ok");
    assert_error(ask(c, json_pack("{s:s}", "type", "no.such.thing")), "unknown_type");
    assert_false(c->closed);
    client_free(c);
}

static bool is_phase(const json_t *m, const void *arg)
{
    return strcmp(type_of(m), "exercise") == 0 &&
           strcmp(json_string_value(json_object_get(m, "phase")), arg) == 0;
}

static void pause_and_resume_reach_every_session(void **state)
{
    fixture *f = *state;
    client *ins = join_instructor(f);
    client *t1 = join_team(f, 1, "en", 0);
    client *t2 = join_team(f, 2, "ja", 0);
    client *all[] = {ins, t1, t2};
    assert_type(ask(ins, json_pack("{s:s}", "type", "exercise.pause")), "ok");
    for (int i = 0; i < 3; i++) {
        json_t *m = await_match(all[i], is_phase, "paused", "exercise paused");
        assert_true(seq_of(m) > 0);
        assert_true(json_is_integer(json_object_get(m, "at_ms")));
    }
    assert_int_equal(exercise_get_phase(f->ex), PHASE_PAUSED);
    /* Not possible twice. */
    assert_error(ask(ins, json_pack("{s:s}", "type", "exercise.pause")), "conflict");
    assert_type(ask(ins, json_pack("{s:s}", "type", "exercise.resume")), "ok");
    for (int i = 0; i < 3; i++)
        await_match(all[i], is_phase, "running", "exercise running");
    assert_int_equal(exercise_get_phase(f->ex), PHASE_RUNNING);
    /* Each once: paused, then running again (after the start every
     * session was shown when it joined). */
    for (int i = 0; i < 3; i++) {
        sync_with(all[i]);
        int paused = 0, running_after = 0, paused_seq = 0;
        for (size_t k = 0; k < json_array_size(all[i]->all); k++) {
            json_t *m = json_array_get(all[i]->all, k);
            if (is_phase(m, "paused")) {
                paused++;
                paused_seq = seq_of(m);
            } else if (is_phase(m, "running") && paused) {
                running_after++;
                assert_true(seq_of(m) > paused_seq);
            }
        }
        assert_int_equal(paused, 1);
        assert_int_equal(running_after, 1);
        client_free(all[i]);
    }
}

static json_t *hello_named(client *c, const char *code, const char *name)
{
    return ask(c, json_pack("{s:s, s:i, s:s, s:s, s:s, s:i}", "type", "hello", "version", 1, "role",
                            "team", "code", code, "name", name, "since", 0));
}

static json_t *hello_token(client *c, const char *token, int64_t since)
{
    return ask(c, json_pack("{s:s, s:i, s:s, s:I}", "type", "hello", "version", 1, "token", token,
                            "since", (json_int_t)since));
}

static int64_t retry_of(const json_t *r)
{
    json_t *retry = json_object_get(r, "retry_ms");
    assert_true(json_is_integer(retry));
    assert_true(json_integer_value(retry) > 0);
    return json_integer_value(retry);
}

static void wrong_passwords_then_the_right_one_from_the_same_address(void **state)
{
    fixture *f = *state;
    client *c = client_open(f->port);
    /* Five wrong passwords are free; then the address waits 1 s. */
    for (int i = 0; i < 5; i++)
        assert_error(hello_instructor(c, "wrong horse"), "bad_login");
    json_t *r = hello_instructor(c, "wrong horse");
    assert_error(r, "rate_limited");
    assert_true(retry_of(r) <= 1000);
    /* Meanwhile a trainee from the same address (a room behind one NAT)
     * joins with the code: codes are limited apart from passwords. */
    client *trainee = client_open(f->port);
    assert_type(hello_team(trainee, f->codes[0], "en", 0), "welcome");
    /* And another address's instructor is not held back at all. */
    client *elsewhere = client_open_from(f->port, "127.0.0.2");
    assert_type(hello_instructor(elsewhere, "correct horse"), "welcome");
    /* The right password from the guessing address is checked once the
     * wait it was told has passed, and accepted. */
    json_t *w = NULL;
    int64_t deadline = monotonic_ms() + WAIT_MS;
    while (monotonic_ms() < deadline) {
        w = hello_instructor(c, "correct horse");
        if (strcmp(type_of(w), "welcome") == 0)
            break;
        assert_error(w, "rate_limited");
        int64_t retry = retry_of(w);
        assert_true(retry <= 1000);
        struct timespec ts = {retry / 1000, (retry % 1000) * 1000000};
        nanosleep(&ts, NULL); /* the server's own wait, not a guess */
    }
    assert_type(w, "welcome");
    assert_string_equal(json_string_value(json_object_get(w, "role")), "instructor");
    client_free(elsewhere);
    client_free(trainee);
    client_free(c);
}

static void wrong_codes_are_limited_but_not_the_passwords_of_that_address(void **state)
{
    fixture *f = *state;
    client *c = client_open_from(f->port, "127.0.0.3");
    for (int i = 0; i < 10; i++)
        assert_error(hello_team(c, "ABCD-EFGH", "en", 0), "bad_login");
    json_t *r = hello_team(c, "ABCD-EFGH", "en", 0);
    assert_error(r, "rate_limited");
    assert_true(retry_of(r) <= 1000);
    /* Refused without being looked at, right or wrong. */
    assert_error(hello_team(c, f->codes[0], "en", 0), "rate_limited");
    assert_type(hello_instructor(c, "correct horse"), "welcome");
    /* A member who joined before reconnects with the token, whatever
     * the address has done. */
    client *before = client_open_from(f->port, "127.0.0.4");
    json_t *w = hello_team(before, f->codes[1], "en", 0);
    const char *token = json_string_value(json_object_get(w, "token"));
    assert_non_null(token);
    char *kept = xstrdup(token);
    client_free(before);
    client *again = client_open_from(f->port, "127.0.0.3");
    assert_type(hello_token(again, kept, 0), "welcome");
    free(kept);
    client_free(again);
    client_free(c);
}

static void the_hub_answers_while_passwords_are_checked(void **state)
{
    fixture *f = *state;
    client *team = join_team(f, 1, "en", 0);
    gate_set(&password_gate, true);
    /* Eight logins from four addresses (two each, the most one address
     * may have under way) fill the checks queued and under way. */
    enum { LOGINS = 8 };
    client *ins[LOGINS];
    int ids[LOGINS];
    for (int i = 0; i < LOGINS; i++) {
        char from[32];
        snprintf(from, sizeof from, "127.0.1.%d", 1 + i / 2);
        ins[i] = client_open_from(f->port, from);
        ids[i] = client_request(ins[i], json_pack("{s:s, s:i, s:s, s:s}", "type", "hello",
                                                  "version", 1, "role", "instructor", "password",
                                                  i == 5 ? "correct horse" : "wrong horse"));
    }
    gate_await(&password_gate, 1); /* the check thread holds a check */
    /* The hub answers other sessions while they wait: it handled every
     * hello before this request (one hub thread, in order), and answers
     * this one although no check has ended. */
    sync_with(team);
    assert_type(ask(team, json_pack("{s:s}", "type", "timeline")), "timeline");
    /* Every hello was taken (none answered yet): the ninth check
     * would pass the bound, and is refused at once. */
    for (int i = 0; i < LOGINS; i++)
        assert_int_equal(json_array_size(ins[i]->all), 0);
    client *extra = client_open_from(f->port, "127.0.1.100");
    json_t *r = hello_instructor(extra, "correct horse");
    assert_error(r, "rate_limited");
    retry_of(r);
    /* A second hello in a session whose check is under way: conflict. */
    assert_error(hello_instructor(ins[0], "wrong horse"), "conflict");
    gate_set(&password_gate, false);
    for (int i = 0; i < LOGINS; i++) {
        json_t *reply = await_reply(ins[i], ids[i]);
        if (i == 5)
            assert_type(reply, "welcome");
        else
            assert_error(reply, "bad_login");
    }
    /* With the checks done, the one refused is checked now. */
    assert_type(hello_instructor(extra, "correct horse"), "welcome");
    client_free(extra);
    for (int i = 0; i < LOGINS; i++)
        client_free(ins[i]);
    client_free(team);
}

static void a_token_rejoins_without_the_code_or_password(void **state)
{
    fixture *f = *state;
    client *c = client_open(f->port);
    json_t *w = hello_named(c, f->codes[1], "  Ren\xc3\xa9   Dupont ");
    assert_type(w, "welcome");
    assert_string_equal(json_string_value(json_object_get(w, "name")), "Ren\xc3\xa9 Dupont");
    assert_int_equal(int_of(w, "token_expires_in_ms"), 12 * 3600 * 1000);
    char *token = xstrdup(json_string_value(json_object_get(w, "token")));
    assert_int_equal(strlen(token), 43);
    client *ins = join_instructor(f);
    broadcast(ins, 2, "while away");
    await_match(c, is_message_text, "while away", "the message");
    int seen = (int)c->last_seq;
    client_free(c);
    broadcast(ins, 2, "after");

    /* Back with the token alone: the same team and name, what it missed. */
    c = client_open(f->port);
    w = hello_token(c, token, seen);
    assert_type(w, "welcome");
    assert_int_equal(int_of(w, "team"), 2);
    assert_string_equal(json_string_value(json_object_get(w, "name")), "Ren\xc3\xa9 Dupont");
    assert_null(json_object_get(w, "token")); /* it has one */
    await_match(c, is_message_text, "after", "the missed message");
    assert_type(answer(c, "host", "nope"), "ok");

    /* An instructor's token is an instructor's. */
    client *i2 = client_open(f->port);
    w = hello_instructor(i2, "correct horse");
    char *itoken = xstrdup(json_string_value(json_object_get(w, "token")));
    client_free(i2);
    i2 = client_open(f->port);
    w = hello_token(i2, itoken, 0);
    assert_string_equal(json_string_value(json_object_get(w, "role")), "instructor");
    assert_type(ask(i2, json_pack("{s:s}", "type", "scoreboard")), "scoreboard");

    /* A wrong token, and one logged out, are refused. */
    client *bad = client_open(f->port);
    token[5] = token[5] == 'x' ? 'y' : 'x';
    json_t *r = hello_token(bad, token, 0);
    assert_error(r, "bad_login");
    assert_string_equal(json_string_value(json_object_get(r, "field")), "token");
    assert_type(ask(i2, json_pack("{s:s}", "type", "logout")), "ok");
    while (client_pump(i2, monotonic_ms() + WAIT_MS))
        ;
    assert_true(i2->closed);
    assert_error(hello_token(bad, itoken, 0), "bad_login");
    free(itoken);
    free(token);
    client_free(bad);
    client_free(i2);
    client_free(ins);
    client_free(c);
}

static void a_rotated_code_replaces_the_old_one(void **state)
{
    fixture *f = *state;
    client *member = join_team(f, 1, "en", 0);
    char *token =
        xstrdup(json_string_value(json_object_get(json_array_get(member->all, 0), "token")));
    client *ins = join_instructor(f);
    client *other = join_instructor(f);
    assert_error(ask(member, json_pack("{s:s, s:i}", "type", "code.rotate", "team", 1)),
                 "forbidden");
    json_t *r = ask(ins, json_pack("{s:s, s:i}", "type", "code.rotate", "team", 1));
    assert_type(r, "ok");
    assert_int_equal(int_of(r, "team"), 1);
    char *code = xstrdup(json_string_value(json_object_get(r, "code")));
    assert_int_equal(strlen(code), 9);
    assert_string_not_equal(code, f->codes[0]);
    /* Every instructor is told. */
    json_t *m = await_type(other, "join_code");
    assert_int_equal(int_of(m, "team"), 1);
    assert_string_equal(json_string_value(json_object_get(m, "code")), code);
    /* Kept where enshu run keeps the codes: team 2's is unchanged. */
    char *stored = event_store_get_meta(f->ledger, "join_codes");
    json_t *list = json_loads(stored, 0, NULL);
    assert_string_equal(json_string_value(json_array_get(list, 0)), code);
    assert_string_equal(json_string_value(json_array_get(list, 1)), f->codes[1]);
    json_decref(list);
    free(stored);
    /* The old code is refused, the new one joins team 1. */
    client *c = client_open(f->port);
    assert_error(hello_team(c, f->codes[0], "en", 0), "bad_login");
    json_t *w = hello_team(c, code, "en", 0);
    assert_type(w, "welcome");
    assert_int_equal(int_of(w, "team"), 1);
    /* A new instructor session sees the new code. */
    client *third = join_instructor(f);
    json_t *codes =
        json_object_get(json_object_get(json_array_get(third->all, 0), "exercise"), "join_codes");
    assert_string_equal(json_string_value(json_object_get(json_array_get(codes, 0), "code")), code);
    /* Who joined before keeps their session and token. */
    assert_type(answer(member, "host", "nope"), "ok");
    client *back = client_open(f->port);
    assert_type(hello_token(back, token, 0), "welcome");
    free(code);
    free(token);
    client_free(back);
    client_free(third);
    client_free(c);
    client_free(other);
    client_free(ins);
    client_free(member);
}

static bool is_member(const json_t *list, int team, const char *name, int sessions)
{
    size_t i;
    json_t *m;
    json_array_foreach(list, i, m)
    {
        if (json_integer_value(json_object_get(m, "team")) == team &&
            strcmp(json_string_value(json_object_get(m, "name")), name) == 0)
            return sessions < 0 || json_integer_value(json_object_get(m, "sessions")) == sessions;
    }
    return false;
}

static void a_removed_member_is_closed_and_cannot_come_back_with_the_token(void **state)
{
    fixture *f = *state;
    client *aiko1 = client_open(f->port), *aiko2 = client_open(f->port);
    client *ben = client_open(f->port), *aiko_t2 = client_open(f->port);
    json_t *w = hello_named(aiko1, f->codes[0], "Aiko");
    char *token = xstrdup(json_string_value(json_object_get(w, "token")));
    assert_type(hello_named(aiko2, f->codes[0], "Aiko"), "welcome");
    assert_type(hello_named(ben, f->codes[0], "Ben"), "welcome");
    assert_type(hello_named(aiko_t2, f->codes[1], "Aiko"), "welcome");
    client *ins = join_instructor(f);
    json_t *r = ask(ins, json_pack("{s:s}", "type", "members"));
    assert_type(r, "members");
    json_t *list = json_object_get(r, "members");
    assert_true(is_member(list, 1, "Aiko", 2));
    assert_true(is_member(list, 1, "Ben", 1));
    assert_true(is_member(list, 2, "Aiko", 1));
    assert_int_equal(json_array_size(list), 3);

    r = ask(ins, json_pack("{s:s, s:i, s:s}", "type", "member.remove", "team", 1, "name", "Aiko"));
    assert_type(r, "ok");
    assert_int_equal(int_of(r, "sessions"), 2);
    /* Both of Aiko's sessions close, with the reason. */
    client *gone[] = {aiko1, aiko2};
    for (int i = 0; i < 2; i++) {
        while (client_pump(gone[i], monotonic_ms() + WAIT_MS))
            ;
        assert_true(gone[i]->closed);
        assert_int_equal(gone[i]->close_code, 1008);
    }
    /* Their token is dead. */
    client *back = client_open(f->port);
    assert_error(hello_token(back, token, 0), "bad_login");
    /* Ben, and the Aiko of team 2, are untouched. */
    assert_type(answer(ben, "host", "nope"), "ok");
    assert_type(answer(aiko_t2, "host", "nope"), "ok");
    list =
        json_object_get(ask(ins, json_pack("{s:s, s:i}", "type", "members", "team", 1)), "members");
    assert_false(is_member(list, 1, "Aiko", -1));
    assert_true(is_member(list, 1, "Ben", 1));
    assert_int_equal(json_array_size(list), 1);
    /* Nobody left by that name. */
    assert_error(
        ask(ins, json_pack("{s:s, s:i, s:s}", "type", "member.remove", "team", 1, "name", "Aiko")),
        "not_found");
    assert_error(
        ask(ben, json_pack("{s:s, s:i, s:s}", "type", "member.remove", "team", 1, "name", "Ben")),
        "forbidden");
    free(token);
    client_free(back);
    client_free(ins);
    client_free(aiko_t2);
    client_free(ben);
    client_free(aiko2);
    client_free(aiko1);
}

static void names_that_would_mislead_are_refused(void **state)
{
    fixture *f = *state;
    client *c = client_open(f->port);
    static const char *const bad[] = {
        "\xe2\x80\xae"
        "rotcurtsni", /* shows as "instructor" */
        "Instructor",
        "\xef\xbc\xa1\xef\xbd\x84\xef\xbd\x8d\xef\xbd\x89\xef\xbd\x8e", /* full-width Admin */
        "Ai\xe2\x80\x8bko",
        "Ai\x01ko",
        "   ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json_t *r = hello_named(c, f->codes[0], bad[i]);
        assert_error(r, "bad_request");
        assert_string_equal(json_string_value(json_object_get(r, "field")), "name");
    }
    /* Refused names are no failed logins: the code still works at once. */
    assert_type(hello_named(c, f->codes[0], "Aiko"), "welcome");
    client_free(c);
}

/* ---- timelines, limits and phases ---- */

/* The messages derived from events that c received (not replies, not
 * scores), as a JSON array of borrowed references. */
static json_t *event_messages_of(const client *c)
{
    json_t *out = json_array();
    for (size_t i = 0; i < json_array_size(c->all); i++) {
        json_t *m = json_array_get(c->all, i);
        if (seq_of(m) < 0 || json_object_get(m, "id") || strcmp(type_of(m), "score") == 0)
            continue;
        json_array_append(out, m);
    }
    return out;
}

/* A team session that joined with since 0 got every past event from the
 * ledger itself (its catch-up scans it): what the old timeline, a scan
 * per request, gave. The timeline's events must be the newest of those,
 * equal message for message. */
static void assert_timeline_is_the_scan(client *reader, const json_t *reply, size_t want)
{
    json_t *events = json_object_get(reply, "events");
    json_t *scanned = event_messages_of(reader);
    assert_true(json_is_array(events));
    size_t n = json_array_size(events), total = json_array_size(scanned);
    assert_int_equal(n, want < total ? want : total);
    assert_true(json_is_true(json_object_get(reply, "truncated")) == (total > n));
    for (size_t i = 0; i < n; i++) {
        json_t *got = json_array_get(events, i), *expect = json_array_get(scanned, total - n + i);
        if (!json_equal(got, expect)) {
            char *g = json_dumps(got, JSON_COMPACT), *e = json_dumps(expect, JSON_COMPACT);
            fail_msg("timeline event %zu of %zu: got %s, the ledger gives %s", i, n, g, e);
        }
    }
    json_decref(scanned);
}

/* Joins and waits until its catch-up is over (the scores come last). */
static client *join_and_catch_up(fixture *f, int team, const char *lang)
{
    client *c = join_team(f, team, lang, 0);
    await_type(c, "score");
    sync_with(c);
    return c;
}

#define BULK 3000

/* The team's entry of an overview reply. */
static json_t *overview_team(json_t *reply, int team)
{
    assert_type(reply, "overview");
    json_t *entry = json_array_get(json_object_get(reply, "teams"), (size_t)team - 1);
    assert_non_null(entry);
    assert_int_equal(int_of(entry, "team"), team);
    return entry;
}

static int injects_in(json_t *entry, const char *state)
{
    return int_of(json_object_get(entry, "injects"), state);
}

static void the_overview_gives_every_team_at_once(void **state)
{
    fixture *f = *state;
    client *ins = join_instructor(f);
    json_t *r = ask(ins, json_pack("{s:s}", "type", "overview"));
    assert_type(r, "overview");
    assert_int_equal(json_array_size(json_object_get(r, "teams")), 2);
    /* The scenario's injects once, with titles and whether they are manual. */
    json_t *first = json_array_get(json_object_get(r, "injects"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), "notice");
    assert_string_equal(json_string_value(json_object_get(first, "title")), "Notice");
    assert_true(json_is_true(json_object_get(first, "manual")));
    for (int t = 1; t <= 2; t++) {
        json_t *e = overview_team(r, t);
        assert_int_equal(injects_in(e, "pending"), 3);
        assert_int_equal(injects_in(e, "fired"), 0);
        assert_int_equal(json_array_size(json_object_get(e, "waiting")), 3);
        assert_non_null(json_string_value(
            json_object_get(json_array_get(json_object_get(e, "waiting"), 0), "why")));
        assert_int_equal(int_of(e, "members"), 0);
        assert_int_equal(json_array_size(json_object_get(e, "online")), 0);
        assert_null(json_object_get(e, "idle_ms")); /* nobody did anything yet */
    }

    /* A member joins: online, but a login is not something the team did. */
    client *t1 = join_team(f, 1, "en", 0);
    assert_type(ask(ins, json_pack("{s:s, s:s, s:i, s:b}", "type", "inject.hold", "inject",
                                   "reimaged", "team", 2, "held", 1)),
                "ok");
    assert_type(ask(ins, json_pack("{s:s, s:s, s:i}", "type", "inject.release", "inject", "notice",
                                   "team", 0)),
                "ok");
    for (int t = 1; t <= 2; t++)
        await_match(ins, is_inbox_of, &t, "the released message of each team");
    r = ask(ins, json_pack("{s:s}", "type", "overview"));
    json_t *e1 = overview_team(r, 1), *e2 = overview_team(r, 2);
    assert_int_equal(int_of(e1, "members"), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(e1, "online"), 0)),
                        "Aiko");
    assert_null(json_object_get(e1, "idle_ms"));
    /* Released for all: fired for both; team 2's held one counts as held. */
    assert_int_equal(injects_in(e1, "fired"), 1);
    assert_int_equal(injects_in(e1, "pending"), 2);
    assert_int_equal(injects_in(e2, "fired"), 1);
    assert_int_equal(injects_in(e2, "pending"), 1);
    assert_int_equal(injects_in(e2, "held"), 1);
    json_t *held = json_array_get(json_object_get(e2, "waiting"), 0);
    assert_string_equal(json_string_value(json_object_get(held, "id")), "reimaged");
    assert_true(json_is_true(json_object_get(held, "held")));

    /* Team 1 answers: it has a last action, team 2 still none. */
    assert_type(answer(t1, "host", "nope"), "ok");
    r = ask(ins, json_pack("{s:s}", "type", "overview"));
    e1 = overview_team(r, 1);
    assert_non_null(json_object_get(e1, "idle_ms"));
    assert_true(int_of(e1, "idle_ms") >= 0);
    assert_null(json_object_get(overview_team(r, 2), "idle_ms"));
    /* For instructors only. */
    assert_error(ask(t1, json_pack("{s:s}", "type", "overview")), "forbidden");
    client_free(t1);
    client_free(ins);
}

/* With guests (on libvirt's test driver): each team's guests are counted,
 * and those the engine has not seen running are listed with their state. */
static void the_overview_counts_each_teams_guests(void **state)
{
    fixture *f = *state;
    client *ins = join_instructor(f);
    json_t *r = ask(ins, json_pack("{s:s}", "type", "overview"));
    for (int t = 1; t <= 2; t++) {
        json_t *e = overview_team(r, t);
        assert_int_equal(int_of(e, "nodes"), 1);
        json_t *down = json_object_get(e, "down");
        assert_true(json_is_array(down));
        size_t i;
        json_t *d;
        json_array_foreach(down, i, d)
        {
            assert_string_equal(json_string_value(json_object_get(d, "name")), "ws");
            assert_string_not_equal(json_string_value(json_object_get(d, "state")), "running");
        }
    }
    client_free(ins);
}

static void a_timeline_is_what_the_ledger_gives_without_reading_it(void **state)
{
    fixture *f = *state;
    client *ins = join_instructor(f);
    client *t1 = join_team(f, 1, "ja", 0);
    client *t2 = join_team(f, 2, "en", 0);
    /* Before the bulk (so team 1's timeline forgets them): team 2's answer,
     * a pause and a resume for everyone. */
    assert_type(answer(t2, "host", "nope"), "ok");
    assert_type(ask(ins, json_pack("{s:s}", "type", "exercise.pause")), "ok");
    assert_type(ask(ins, json_pack("{s:s}", "type", "exercise.resume")), "ok");
    /* The bulk, from another handle (as enshu broadcast would): for
     * everyone, team 1 (twice as many) and team 2. */
    event_store *writer;
    assert_int_equal(event_store_open(f->ledger_path, false, &writer), ENSHU_OK);
    atomic_int failures = 0;
    char text[64];
    static const int bulk_team[] = {0, 1, 1, 2};
    for (int i = 0; i < BULK; i++) {
        snprintf(text, sizeof text, "bulletin %d", i);
        event ev = {.at_ms = exercise_now(f->ex),
                    .wall_ms = wall_clock_ms(NULL),
                    .team = bulk_team[i % 4],
                    .kind = EV_INSTRUCTOR,
                    .subject = "broadcast",
                    .text = text,
                    .actor = "instructor"};
        assert_int_equal(event_store_submit(writer, &ev, NULL, stored, &failures), ENSHU_OK);
    }
    event_store_free(writer);
    assert_int_equal(atomic_load(&failures), 0);
    console_hub_notify(atomic_load(&f->hub));
    /* After it, one of everything a team sees: a message in its language,
     * answers with their outcome, a hint, a report with a file, a grade,
     * broadcasts. */
    assert_type(ask(ins, json_pack("{s:s, s:s, s:i}", "type", "inject.release", "inject", "notice",
                                   "team", 1)),
                "ok");
    await_type(t1, "inbox");
    assert_type(
        ask(t1, json_pack("{s:s, s:s, s:i}", "type", "hint", "objective", "host", "index", 0)),
        "ok");
    assert_type(answer(t1, "host", "gw"), "ok");
    assert_type(answer(t1, "host", "ws"), "ok");
    json_t *r = ask(t1, json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}", "type", "report", "objective",
                                  "summary", "text", "It began at night.", "attachment", "name",
                                  "notes.txt", "data", "aGVsbG8="));
    assert_type(r, "ok");
    int report = int_of(r, "seq");
    assert_type(ask(ins, json_pack("{s:s, s:i, s:s, s:i, s:i}", "type", "grade", "team", 1,
                                   "objective", "summary", "item", 0, "points", 4)),
                "ok");
    broadcast(ins, 1, "for team 1");
    broadcast(ins, 0, "for everyone");
    broadcast(ins, 2, "for team 2");
    await_match(t2, is_message_text, "for team 2", "the last broadcast");

    /* Readers that got everything from the ledger: team 1 in Japanese and
     * English, team 2. */
    client *scan1ja = join_and_catch_up(f, 1, "ja");
    client *scan1en = join_and_catch_up(f, 1, "en");
    client *scan2 = join_and_catch_up(f, 2, "en");

    event_store_stats before = event_store_get_stats(f->ledger);
    json_t *tl1 = ask(t1, json_pack("{s:s}", "type", "timeline"));
    assert_type(tl1, "timeline");
    assert_timeline_is_the_scan(scan1ja, tl1, 2000);
    assert_true(json_is_true(json_object_get(tl1, "truncated")));
    /* The instructors see a team's timeline as the team saw it, in their
     * own language (the scenario's default here). */
    json_t *tli = ask(ins, json_pack("{s:s, s:i}", "type", "timeline", "team", 1));
    assert_type(tli, "timeline");
    assert_true(json_array_size(json_object_get(tli, "injects")) == f->s->ninjects);
    assert_timeline_is_the_scan(scan1en, tli, 2000);
    json_t *tl2 = ask(t2, json_pack("{s:s}", "type", "timeline"));
    assert_timeline_is_the_scan(scan2, tl2, 2000);
    assert_null(json_object_get(tl2, "truncated"));
    /* What is in them: team 1's newest, in Japanese; team 2's whole. */
    json_t *events = json_object_get(tl1, "events");
    json_t *last = json_array_get(events, json_array_size(events) - 1);
    assert_string_equal(json_string_value(json_object_get(last, "text")), "for everyone");
    bool inbox = false, hint_text = false, report_file = false;
    for (size_t i = 0; i < json_array_size(events); i++) {
        json_t *m = json_array_get(events, i);
        inbox |= strcmp(type_of(m), "inbox") == 0 &&
                 strcmp(json_string_value(json_object_get(m, "subject")), "不審なログイン") == 0;
        hint_text |= strcmp(type_of(m), "hint") == 0 &&
                     strcmp(json_string_value(json_object_get(m, "text")), "通知を読んで。") == 0;
        report_file |=
            strcmp(type_of(m), "report") == 0 && json_object_get(m, "attachment") &&
            json_integer_value(json_object_get(json_object_get(m, "attachment"), "size")) == 5;
    }
    assert_true(inbox && hint_text && report_file);
    json_t *first2 = json_array_get(json_object_get(tl2, "events"), 0);
    assert_string_equal(type_of(first2), "exercise"); /* from STARTEX on */
    /* The report's file, for its team and the instructors only. */
    json_t *att = ask(t1, json_pack("{s:s, s:i}", "type", "attachment", "report", report));
    assert_type(att, "attachment");
    assert_string_equal(json_string_value(json_object_get(att, "name")), "notes.txt");
    assert_string_equal(json_string_value(json_object_get(att, "data")), "aGVsbG8=");
    assert_type(ask(ins, json_pack("{s:s, s:i}", "type", "attachment", "report", report)),
                "attachment");
    assert_error(ask(t2, json_pack("{s:s, s:i}", "type", "attachment", "report", report)),
                 "not_found");
    /* None of it read an event from the ledger: its cost does not grow
     * with the ledger. */
    for (int i = 0; i < 5; i++)
        assert_type(ask(t1, json_pack("{s:s}", "type", "timeline")), "timeline");
    sync_with(t1);
    event_store_stats after = event_store_get_stats(f->ledger);
    assert_int_equal(after.scanned, before.scanned);
    client_free(scan2);
    client_free(scan1en);
    client_free(scan1ja);
    client_free(t2);
    client_free(t1);
    client_free(ins);
}

/* Refused with rate_limited and a retry_ms within the minute. */
static void assert_rate_limited(const json_t *r)
{
    assert_error(r, "rate_limited");
    json_t *retry = json_object_get(r, "retry_ms");
    assert_true(json_is_integer(retry));
    assert_true(json_integer_value(retry) > 0);
    assert_true(json_integer_value(retry) <= 60000 + 1); /* rounded up */
}

static bool is_rate_limited(const json_t *r)
{
    const char *code = json_string_value(json_object_get(r, "code"));
    return strcmp(type_of(r), "error") == 0 && code && strcmp(code, "rate_limited") == 0;
}

/* Two go through (whatever their answer), the third is limited. */
static void assert_limited_after_two(client *c, const char *request)
{
    for (int i = 0; i < 2; i++) {
        json_t *r = ask(c, json_loads(request, 0, NULL));
        if (is_rate_limited(r))
            fail_msg("%s was limited after %d", request, i);
    }
    assert_rate_limited(ask(c, json_loads(request, 0, NULL)));
}

static void every_request_that_writes_or_costs_is_limited_per_team(void **state)
{
    fixture *f = *state;
    client *t1 = join_team(f, 1, "en", 0);
    client *t1b = join_team(f, 1, "en", 0);
    client *t2 = join_team(f, 2, "en", 0);
    client *ins = join_instructor(f);
    static const char *const team_requests[] = {
        "{\"type\":\"answer\",\"objective\":\"addr\",\"text\":\"10.0.0.9\"}",
        "{\"type\":\"report\",\"objective\":\"summary\",\"text\":\"r\"}",
        "{\"type\":\"hint\",\"objective\":\"host\",\"index\":0}",
        "{\"type\":\"attachment\",\"inject\":\"notice\"}",
        "{\"type\":\"timeline\"}",
        "{\"type\":\"request.ask\",\"request\":\"call\"}",
    };
    for (size_t i = 0; i < sizeof team_requests / sizeof *team_requests; i++) {
        assert_limited_after_two(t1, team_requests[i]);
        /* The team's other sessions share its limit; other teams do not. */
        assert_rate_limited(ask(t1b, json_loads(team_requests[i], 0, NULL)));
        assert_false(is_rate_limited(ask(t2, json_loads(team_requests[i], 0, NULL))));
    }
    /* The instructors have limits of their own. */
    assert_type(ask(ins, json_pack("{s:s, s:i}", "type", "timeline", "team", 1)), "timeline");
    static const char *const instructor_requests[] = {
        "{\"type\":\"grade\",\"team\":1,\"objective\":\"summary\",\"item\":0,\"points\":1}",
        "{\"type\":\"broadcast\",\"team\":0,\"text\":\"hello\"}",
        "{\"type\":\"scoreboard\"}",
    };
    for (size_t i = 0; i < sizeof instructor_requests / sizeof *instructor_requests; i++)
        assert_limited_after_two(ins, instructor_requests[i]);
    /* Requests that neither write nor cost are not limited. */
    for (int i = 0; i < 5; i++)
        assert_type(ask(t1, json_pack("{s:s}", "type", "nodes")), "nodes");
    client_free(ins);
    client_free(t2);
    client_free(t1b);
    client_free(t1);
}

static void all_teams_together_are_limited_but_not_the_instructors(void **state)
{
    fixture *f = *state;
    client *t1 = join_team(f, 1, "en", 0);
    client *t2 = join_team(f, 2, "en", 0);
    client *ins = join_instructor(f);
    assert_type(ask(t1, json_pack("{s:s}", "type", "timeline")), "timeline");
    assert_type(answer(t1, "addr", "10.0.0.9"), "ok");
    assert_type(ask(t2, json_pack("{s:s}", "type", "timeline")), "timeline");
    json_t *r = ask(t2, json_pack("{s:s}", "type", "timeline"));
    assert_rate_limited(r);
    assert_non_null(strstr(json_string_value(json_object_get(r, "message")), "teams together"));
    assert_rate_limited(answer(t1, "addr", "10.0.0.8"));
    for (int i = 0; i < 5; i++)
        assert_type(ask(ins, json_pack("{s:s, s:i}", "type", "timeline", "team", 2)), "timeline");
    client_free(ins);
    client_free(t2);
    client_free(t1);
}

/* conflict, saying why in words and as the phase. */
static void assert_refused_in(const json_t *r, const char *phase, const char *why)
{
    assert_error(r, "conflict");
    assert_string_equal(json_string_value(json_object_get(r, "phase")), phase);
    assert_non_null(strstr(json_string_value(json_object_get(r, "message")), why));
}

static void refuse_all_three(client *c, const char *phase, const char *why)
{
    assert_refused_in(answer(c, "host", "ws"), phase, why);
    assert_refused_in(
        ask(c, json_pack("{s:s, s:s, s:s}", "type", "report", "objective", "summary", "text", "r")),
        phase, why);
    assert_refused_in(
        ask(c, json_pack("{s:s, s:s, s:i}", "type", "hint", "objective", "host", "index", 0)),
        phase, why);
}

static json_t *grade(client *ins, int points)
{
    return ask(ins, json_pack("{s:s, s:i, s:s, s:i, s:i}", "type", "grade", "team", 1, "objective",
                              "summary", "item", 0, "points", points));
}

static void submissions_wait_for_the_exercise_to_run(void **state)
{
    fixture *f = *state;
    client *t1 = join_team(f, 1, "en", 0);
    client *ins = join_instructor(f);
    refuse_all_three(t1, "ready", "the exercise has not started");
    assert_refused_in(ask(t1, json_pack("{s:s, s:s}", "type", "request.ask", "request", "call")),
                      "ready", "the exercise has not started");
    assert_type(ask(ins, json_pack("{s:s}", "type", "exercise.start")), "ok");
    assert_type(ask(t1, json_pack("{s:s, s:s, s:s}", "type", "report", "objective", "summary",
                                  "text", "first")),
                "ok");
    assert_type(ask(ins, json_pack("{s:s}", "type", "exercise.pause")), "ok");
    refuse_all_three(t1, "paused", "the exercise is paused");
    /* Grading goes on while paused. */
    assert_type(grade(ins, 3), "ok");
    assert_type(ask(ins, json_pack("{s:s}", "type", "exercise.resume")), "ok");
    assert_type(answer(t1, "host", "ws"), "ok");
    assert_type(ask(ins, json_pack("{s:s}", "type", "exercise.end")), "ok");
    refuse_all_three(t1, "ended", "the exercise has ended");
    assert_type(grade(ins, 4), "ok");
    /* Only what was taken reached the team. */
    sync_with(t1);
    assert_int_equal(count_of(t1, "answer", 0), 1);
    assert_int_equal(count_of(t1, "report", 0), 1);
    assert_int_equal(count_of(t1, "hint", 0), 0);
    assert_int_equal(count_of(t1, "grade", 0), 2);
    client_free(ins);
    client_free(t1);
}

static json_t *request_ask(client *c, const char *request, const char *text)
{
    json_t *msg = json_pack("{s:s, s:s}", "type", "request.ask", "request", request);
    if (text)
        json_object_set_new(msg, "text", json_string(text));
    return ask(c, msg);
}

static json_t *request_decide(client *c, int team, const char *request, bool approve,
                              const char *text)
{
    json_t *msg = json_pack("{s:s, s:i, s:s, s:b}", "type", "request.decide", "team", team,
                            "request", request, "approve", approve);
    if (text)
        json_object_set_new(msg, "text", json_string(text));
    return ask(c, msg);
}

static bool is_request_in_state(const json_t *m, const void *arg)
{
    const char *state = json_string_value(json_object_get(m, "state"));
    return strcmp(type_of(m), "request") == 0 && state && strcmp(state, arg) == 0;
}

static bool is_inbox_from_inject(const json_t *m, const void *arg)
{
    const char *inj = json_string_value(json_object_get(m, "inject"));
    return strcmp(type_of(m), "inbox") == 0 && inj && strcmp(inj, arg) == 0;
}

static bool is_score_total(const json_t *m, const void *arg)
{
    return strcmp(type_of(m), "score") == 0 &&
           json_integer_value(json_object_get(m, "team")) == 1 &&
           json_integer_value(json_object_get(m, "total")) == *(const int *)arg;
}

/* A team asks for a re-image from its console: the instructors see it
 * waiting, approve it with a note, and the inject it names fires for that
 * team (its message arrives), at its cost; another team's ask is refused
 * and fires nothing; an auto request acts at once. */
/* The after-action report from the ledger as it stands, made off the hub
 * thread: the instructor gets it whole, in the format asked for; a team may
 * not ask, and a format or team that does not exist is refused. */
static void an_instructor_downloads_the_after_action_report(void **state)
{
    fixture *f = *state;
    client *t1 = join_team(f, 1, "en", 0);
    client *ins = join_instructor(f);
    assert_type(answer(t1, "host", "db"), "ok");
    assert_type(answer(t1, "host", "ws"), "ok");
    assert_type(ask(ins, json_pack("{s:s, s:i, s:s}", "type", "team.rename", "team", 1, "name",
                                   "Blue Falcons")),
                "ok");

    json_t *r = ask(ins, json_pack("{s:s, s:s}", "type", "after_action", "format", "csv"));
    assert_type(r, "after_action");
    assert_string_equal(json_string_value(json_object_get(r, "name")), "hub-test-after-action.csv");
    assert_string_equal(json_string_value(json_object_get(r, "mime")), "text/csv;charset=utf-8");
    size_t len = 0;
    char *csv = base64_decode(json_string_value(json_object_get(r, "data")), &len);
    assert_non_null(csv);
    static const char header[] = "scenario,team,team_name,organisation,member,rank,team_total,";
    assert_true(strncmp(csv, header, strlen(header)) == 0);
    /* Team 1's row of the question it answered at the second try, and Aiko's,
     * with the name the team was given. */
    assert_non_null(strstr(csv, "\r\nhub-test,1,Blue Falcons,,,1,10,0,0,0,host,question,"));
    assert_non_null(strstr(csv, "\r\nhub-test,1,Blue Falcons,,Aiko,1,10,0,0,0,host,question,"));
    free(csv);

    r = ask(ins, json_pack("{s:s, s:s, s:i}", "type", "after_action", "format", "html", "team", 2));
    assert_type(r, "after_action");
    assert_string_equal(json_string_value(json_object_get(r, "name")),
                        "hub-test-team2-after-action.html");
    char *html = base64_decode(json_string_value(json_object_get(r, "data")), &len);
    assert_non_null(strstr(html, "<section class=\"team\" id=\"team-2\">"));
    assert_null(strstr(html, "id=\"team-1\""));
    free(html);

    assert_error(ask(ins, json_pack("{s:s, s:s}", "type", "after_action", "format", "pdf")),
                 "bad_request");
    assert_error(
        ask(ins, json_pack("{s:s, s:s, s:i}", "type", "after_action", "format", "csv", "team", 99)),
        "not_found");
    assert_error(ask(t1, json_pack("{s:s, s:s}", "type", "after_action", "format", "csv")),
                 "forbidden");
    client_free(ins);
    client_free(t1);
}

static void a_request_approved_fires_its_inject(void **state)
{
    fixture *f = *state;
    client *ins = join_instructor(f);
    client *t1 = client_open(f->port);
    json_t *w = hello_team(t1, f->codes[0], "ja", 0);
    json_t *list = json_object_get(w, "requests");
    assert_int_equal(json_array_size(list), 2);
    json_t *first = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(first, "title")), "ws を再イメージ");
    assert_string_equal(json_string_value(json_object_get(first, "approval")), "instructor");
    assert_int_equal(int_of(first, "cost"), 3);
    client *t2 = join_team(f, 2, "en", 0);

    json_t *r = request_ask(t1, "reimage", "ws is encrypted");
    assert_type(r, "ok");
    assert_true(int_of(r, "seq") > 0);
    json_t *m = await_match(t1, is_request_in_state, "asked", "the team's ask");
    assert_string_equal(json_string_value(json_object_get(m, "request")), "reimage");
    assert_string_equal(json_string_value(json_object_get(m, "note")), "ws is encrypted");
    m = await_match(ins, is_request_in_state, "asked", "the ask for the instructors");
    assert_int_equal(int_of(m, "team"), 1);
    assert_string_equal(json_string_value(json_object_get(m, "by")), "Aiko");
    /* One ask at a time; unknown requests are not found; teams do not decide. */
    assert_error(request_ask(t1, "reimage", NULL), "conflict");
    assert_error(request_ask(t1, "reimag", NULL), "not_found");
    assert_error(request_decide(t1, 1, "reimage", true, NULL), "forbidden");
    assert_int_equal(count_of(t1, "inbox", 0), 0);

    assert_type(request_decide(ins, 1, "reimage", true, "re-imaging now"), "ok");
    m = await_match(t1, is_request_in_state, "approved", "the approval");
    assert_string_equal(json_string_value(json_object_get(m, "note")), "re-imaging now");
    int total = -3;
    await_match(t1, is_score_total, &total, "the request's cost");
    m = await_match(t1, is_inbox_from_inject, "reimaged", "the inject the request fires");
    assert_string_equal(json_string_value(json_object_get(m, "subject")), "ws re-imaged");
    assert_error(request_decide(ins, 1, "reimage", false, NULL), "conflict"); /* decided */
    assert_error(request_ask(t1, "reimage", NULL), "conflict");               /* its limit */

    /* Team 2's ask is refused: nothing fires for it. */
    assert_type(request_ask(t2, "reimage", NULL), "ok");
    await_match(t2, is_request_in_state, "asked", "team 2's ask");
    assert_type(request_decide(ins, 2, "reimage", false, "not now"), "ok");
    m = await_match(t2, is_request_in_state, "refused", "the refusal");
    assert_string_equal(json_string_value(json_object_get(m, "note")), "not now");
    /* An auto request acts at once. */
    assert_type(request_ask(t2, "call", NULL), "ok");
    m = await_match(t2, is_request_in_state, "approved", "the auto approval");
    assert_string_equal(json_string_value(json_object_get(m, "approval")), "auto");
    await_match(t2, is_inbox_from_inject, "called", "the auto request's inject");
    sync_with(t2);
    assert_int_equal(count_of(t2, "inbox", 0), 1);
    /* Team 1 saw nothing of team 2's requests. */
    sync_with(t1);
    assert_int_equal(count_of(t1, "request", 2), 0);
    assert_int_equal(count_of(t1, "inbox", 0), 1);
    client_free(t2);
    client_free(t1);
    client_free(ins);
}

static json_t *console_open(client *c)
{
    return ask(c, json_pack("{s:s, s:s}", "type", "console.open", "node", "ws"));
}

static bool has_reply(const client *c, int id)
{
    size_t i;
    json_t *m;
    json_array_foreach(c->all, i, m)
    {
        if (json_integer_value(json_object_get(m, "id")) == id)
            return true;
    }
    return false;
}

/* Until the instructors' member list no longer shows name of team with a session. */
static void await_member_gone(client *ins, int team, const char *name)
{
    int64_t deadline = monotonic_ms() + WAIT_MS;
    for (;;) {
        json_t *r = ask(ins, json_pack("{s:s}", "type", "members"));
        assert_type(r, "members");
        if (!is_member(json_object_get(r, "members"), team, name, 1))
            return;
        assert_true(monotonic_ms() < deadline);
    }
}

static void a_console_open_holds_up_no_one(void **state)
{
    fixture *f = *state;
    client *t1 = join_team(f, 1, "en", 0);
    client *t2 = join_team(f, 2, "en", 0);
    client *ins = join_instructor(f);
    client *leaving = client_open(f->port);
    assert_type(hello_named(leaving, f->codes[0], "Ben"), "welcome");
    gate_set(&open_gate, true);
    int first = client_request(t1, json_pack("{s:s, s:s}", "type", "console.open", "node", "ws"));
    gate_await(&open_gate, 1); /* a console-open thread holds it */
    /* The hub answers while it is held: the same session's other requests,
     * other teams', the instructors' (one hub thread, in order: it took the
     * open before each of these). */
    assert_error(console_open(t1), "conflict"); /* the same console again */
    sync_with(t1);
    assert_type(ask(t2, json_pack("{s:s}", "type", "timeline")), "timeline");
    assert_type(ask(ins, json_pack("{s:s}", "type", "members")), "members");
    /* Consoles of the same node from other sessions open alongside. */
    int second = client_request(t2, json_pack("{s:s, s:s}", "type", "console.open", "node", "ws"));
    int third = client_request(
        ins, json_pack("{s:s, s:s, s:i}", "type", "console.open", "node", "ws", "team", 1));
    (void)client_request(leaving, json_pack("{s:s, s:s}", "type", "console.open", "node", "ws"));
    gate_await(&open_gate, 4);
    /* A session that leaves while its console opens: its open ends
     * after the session is gone, and nothing is left of it. */
    client_free(leaving);
    await_member_gone(ins, 1, "Ben");
    assert_false(has_reply(t1, first));
    assert_false(has_reply(t2, second));
    assert_false(has_reply(ins, third));
    gate_set(&open_gate, false);
    /* Each open is answered when it ends: the test driver has no console. */
    assert_error(await_reply(t1, first), "unavailable");
    assert_error(await_reply(t2, second), "unavailable");
    assert_error(await_reply(ins, third), "unavailable");
    /* That console is no longer being opened: asking again is no conflict. */
    assert_error(console_open(t1), "unavailable");
    client_free(ins);
    client_free(t2);
    client_free(t1);
}

typedef struct hub_free_run {
    fixture *f;
    atomic_bool done;
} hub_free_run;

static void *free_hub_main(void *arg)
{
    hub_free_run *run = arg;
    /* Out of the exercise's on_event first, as enshu run does. */
    exercise_lock(run->f->ex);
    console_hub *hub = atomic_exchange(&run->f->hub, NULL);
    exercise_unlock(run->f->ex);
    console_hub_free(hub);
    atomic_store(&run->done, true);
    return NULL;
}

static void a_hub_freed_while_a_console_opens_waits_for_the_open(void **state)
{
    fixture *f = *state;
    client *t1 = join_team(f, 1, "en", 0);
    gate_set(&open_gate, true);
    (void)client_request(t1, json_pack("{s:s, s:s}", "type", "console.open", "node", "ws"));
    gate_await(&open_gate, 1);
    hub_free_run run = {.f = f};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, free_hub_main, &run), 0);
    /* The free cannot end while the open is held (it may not have started
     * waiting yet: either way it waits, and nothing is used after it). */
    assert_false(atomic_load(&run.done));
    gate_set(&open_gate, false);
    pthread_join(thread, NULL);
    assert_true(atomic_load(&run.done));
    client_free(t1);
}

/* ---- events: pages of the ledger, filtered (hub_events.c) ---- */

typedef struct written {
    int64_t seq, at_ms;
    int team;
    event_kind kind;
} written;

/* The newest-first exercise-time order of the events pages. */
static int later_first(const void *x, const void *y)
{
    const written *a = x, *b = y;
    if (a->at_ms != b->at_ms)
        return a->at_ms > b->at_ms ? -1 : 1;
    return a->seq > b->seq ? -1 : a->seq < b->seq ? 1 : 0;
}

static json_t *events_page(client *c, int team, const char *kinds_json, int64_t before, int limit)
{
    json_t *msg = json_pack("{s:s}", "type", "events");
    if (team)
        json_object_set_new(msg, "team", json_integer(team));
    if (kinds_json)
        json_object_set_new(msg, "kinds", json_loads(kinds_json, JSON_DECODE_ANY, NULL));
    if (before)
        json_object_set_new(msg, "before_seq", json_integer(before));
    if (limit)
        json_object_set_new(msg, "limit", json_integer(limit));
    return ask(c, msg);
}

static void events_are_paged_from_the_ledger_by_team_and_kind_in_exercise_time(void **state)
{
    fixture *f = *state;
    enum { N = 31 };
    written w[N];
    char text[32];
    /* Far ahead of the exercise's own events, and the last one written
     * is the earliest in exercise time: pages follow exercise time, not
     * the order of the ledger. Pairs of events share a moment. */
    for (int i = 0; i < N; i++) {
        int64_t at = i == N - 1 ? 3000000 : 4000000 + (i / 2) * 1000;
        snprintf(text, sizeof text, "event %d", i);
        event ev = {.at_ms = at,
                    .wall_ms = wall_clock_ms(NULL),
                    .team = 1 + i % 2,
                    .kind = i % 3 == 0 ? EV_CHECK_RESULT : EV_INSTRUCTOR,
                    .subject = i % 3 == 0 ? "probe" : "broadcast",
                    .value = i,
                    .text = text,
                    .actor = "instructor"};
        w[i] = (written){.at_ms = at, .team = ev.team, .kind = ev.kind};
        assert_int_equal(event_store_append(f->ledger, &ev, NULL, &w[i].seq), ENSHU_OK);
    }
    qsort(w, N, sizeof w[0], later_first);
    client *ins = join_instructor(f);

    /* Team 2's check results, three at a time, to the end. */
    written want[N];
    size_t nwant = 0;
    for (int i = 0; i < N; i++)
        if (w[i].team == 2 && w[i].kind == EV_CHECK_RESULT)
            want[nwant++] = w[i];
    assert_true(nwant >= 4);
    size_t got = 0;
    int64_t before = 0;
    for (int pages = 0;; pages++) {
        assert_true(pages <= (int)nwant);
        json_t *r = events_page(ins, 2, "[\"check.result\"]", before, 3);
        assert_type(r, "events");
        json_t *list = json_object_get(r, "events");
        size_t i;
        json_t *e;
        json_array_foreach(list, i, e)
        {
            assert_true(got < nwant);
            assert_int_equal(int_of(e, "seq"), want[got].seq);
            assert_int_equal(json_integer_value(json_object_get(e, "at_ms")), want[got].at_ms);
            assert_int_equal(int_of(e, "team"), 2);
            assert_string_equal(json_string_value(json_object_get(e, "kind")), "check.result");
            got++;
        }
        bool more = json_is_true(json_object_get(r, "more"));
        assert_int_equal(more, got < nwant);
        if (!more) {
            assert_null(json_object_get(r, "next_before_seq"));
            break;
        }
        assert_int_equal(json_array_size(list), 3);
        before = json_integer_value(json_object_get(r, "next_before_seq"));
        assert_int_equal(before, want[got - 1].seq);
    }
    assert_int_equal(got, nwant);

    /* Every kind of team 1: a page of exactly all of them says there is
     * no more; one fewer says there is. */
    size_t team1 = 0;
    for (int i = 0; i < N; i++)
        team1 += w[i].team == 1;
    json_t *all = events_page(ins, 1, "[\"check.result\", \"instructor\"]", 0, (int)team1);
    assert_int_equal(json_array_size(json_object_get(all, "events")), team1);
    assert_false(json_is_true(json_object_get(all, "more")));
    json_t *short_page = events_page(ins, 1, NULL, 0, (int)team1 - 1);
    assert_true(json_is_true(json_object_get(short_page, "more")));
    /* Every team: the newest first is the latest of ours. */
    json_t *newest = events_page(ins, 0, NULL, 0, 1);
    assert_int_equal(int_of(json_array_get(json_object_get(newest, "events"), 0), "seq"), w[0].seq);
    /* After the earliest of ours come only the exercise's own events,
     * earlier still. */
    json_t *older = events_page(ins, 0, NULL, w[N - 1].seq, 500);
    json_t *e;
    size_t i;
    json_array_foreach(json_object_get(older, "events"), i, e)
        assert_true(json_integer_value(json_object_get(e, "at_ms")) <= w[N - 1].at_ms);

    /* A long text comes cut between characters, and says so. */
    size_t long_len = 3 * 3000;
    char *long_text = xmalloc(long_len + 1);
    for (size_t k = 0; k < long_len; k += 3)
        memcpy(long_text + k, "\xe3\x81\x82", 3); /* あ */
    long_text[long_len] = '\0';
    event big = {.at_ms = 5000000,
                 .team = 2,
                 .kind = EV_CHECK_RESULT,
                 .subject = "probe",
                 .text = long_text};
    int64_t big_seq;
    assert_int_equal(event_store_append(f->ledger, &big, NULL, &big_seq), ENSHU_OK);
    json_t *cut = json_array_get(json_object_get(events_page(ins, 2, NULL, 0, 1), "events"), 0);
    assert_int_equal(int_of(cut, "seq"), big_seq);
    assert_true(json_is_true(json_object_get(cut, "text_cut")));
    size_t cut_len = json_string_length(json_object_get(cut, "text"));
    assert_true(cut_len <= 4096 && cut_len >= 4090 && cut_len % 3 == 0);
    free(long_text);

    /* What is not a page is refused, and changes nothing. */
    assert_error(events_page(ins, 0, "[\"no.such.kind\"]", 0, 10), "bad_request");
    assert_error(events_page(ins, 0, "\"answer\"", 0, 10), "bad_request");
    assert_error(events_page(ins, 0, "[7]", 0, 10), "bad_request");
    assert_error(events_page(ins, 0, "[]", 0, 10), "bad_request");
    assert_error(events_page(ins, 0, NULL, 0, 501), "bad_request");
    assert_error(ask(ins, json_pack("{s:s, s:i}", "type", "events", "limit", 0)), "bad_request");
    assert_error(ask(ins, json_pack("{s:s, s:i}", "type", "events", "before_seq", -3)),
                 "bad_request");
    assert_error(events_page(ins, 0, NULL, 99999999, 10), "not_found");
    assert_error(events_page(ins, 9, NULL, 0, 10), "not_found");
    client *team = join_team(f, 1, "en", 0);
    assert_error(events_page(team, 1, NULL, 0, 10), "forbidden");
    client_free(team);

    /* A pending inject's reason comes as a code for consoles to translate. */
    json_t *tl = ask(ins, json_pack("{s:s, s:i}", "type", "timeline", "team", 1));
    json_t *inj;
    bool seen = false;
    json_array_foreach(json_object_get(tl, "injects"), i, inj)
    {
        if (strcmp(json_string_value(json_object_get(inj, "id")), "notice") != 0)
            continue;
        json_t *reason = json_object_get(inj, "reason");
        assert_string_equal(json_string_value(json_object_get(reason, "code")), "manual");
        seen = true;
    }
    assert_true(seen);
    client_free(ins);
}

int main(void)
{
    char dir[] = "/tmp/enshu-hub-state-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    setenv("ENSHU_STATE_DIR", dir, 1);
    libvirt_events_init_once();
    libvirt_setup();
    if (console_auth_init() != ENSHU_OK || instructor_password_set("correct horse") != ENSHU_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(teams_join_with_their_code_in_any_form, setup, teardown),
        cmocka_unit_test_setup_teardown(instructors_join_with_the_password, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_passwords_then_the_right_one_from_the_same_address,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            wrong_codes_are_limited_but_not_the_passwords_of_that_address, setup, teardown),
        cmocka_unit_test_setup_teardown(the_hub_answers_while_passwords_are_checked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_token_rejoins_without_the_code_or_password, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_rotated_code_replaces_the_old_one, setup, teardown),
        cmocka_unit_test_setup_teardown(
            a_removed_member_is_closed_and_cannot_come_back_with_the_token, setup, teardown),
        cmocka_unit_test_setup_teardown(names_that_would_mislead_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(a_released_message_reaches_its_team_only, setup, teardown),
        cmocka_unit_test_setup_teardown(an_instructor_retries_a_failed_inject, setup, teardown),
        cmocka_unit_test_setup_teardown(answers_right_wrong_exhausted_and_rate_limited, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_reconnecting_client_gets_exactly_what_it_missed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_long_ledger_is_caught_up_whole_and_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(teams_may_not_act_as_instructors_or_other_teams, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(requests_before_hello_and_bad_json, setup, teardown),
        cmocka_unit_test_setup_teardown(pause_and_resume_reach_every_session, setup, teardown),
        cmocka_unit_test_setup_teardown(a_timeline_is_what_the_ledger_gives_without_reading_it,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(the_overview_gives_every_team_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(the_overview_counts_each_teams_guests, setup_with_guests,
                                        teardown),
        cmocka_unit_test_setup_teardown(every_request_that_writes_or_costs_is_limited_per_team,
                                        setup_tight_each, teardown),
        cmocka_unit_test_setup_teardown(all_teams_together_are_limited_but_not_the_instructors,
                                        setup_tight_all, teardown),
        cmocka_unit_test_setup_teardown(a_request_approved_fires_its_inject, setup, teardown),
        cmocka_unit_test_setup_teardown(an_instructor_downloads_the_after_action_report, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            events_are_paged_from_the_ledger_by_team_and_kind_in_exercise_time, setup, teardown),
        cmocka_unit_test_setup_teardown(feedback_and_team_names_reach_whom_they_concern, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(submissions_wait_for_the_exercise_to_run, setup_not_started,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_console_open_holds_up_no_one, setup_with_guests,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_hub_freed_while_a_console_opens_waits_for_the_open,
                                        setup_with_guests, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char *path = instructor_password_path();
    unlink(path);
    free(path);
    char *cmd = xasprintf("rm -rf '%s'", dir); /* with the range's state store */
    if (system(cmd) != 0)
        fprintf(stderr, "test_console_hub: %s could not be removed\n", dir);
    free(cmd);
    return failed;
}
