/*
 * A self-paced course through the consoles (hub_course.c): a course's pool
 * of sandboxes on simulated hosts (libvirt's test driver) and a fake
 * clock, behind a console hub on 127.0.0.1. Two trainees join with the
 * course code and get sandboxes, each their own team slot and clock; a
 * third waits with a place and an estimate; an instructor lists the
 * sandboxes, extends one and revokes another, whose trainee's clock ends
 * and whose token stops working; the waiting trainee's poll then gets the
 * sandbox built in its place; a resume token joins its trainee again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "sim_images.h"
#include "console_auth.h"
#include "console_hub.h"
#include "errors.h"
#include "exercise.h"
#include "guestless_hooks.h"
#include "libvirt_conn.h"
#include "monotonic_clock.h"
#include "sandbox_course.h"
#include "../unit/test_support.h"
#include "ws_test_client.h"

#include <jansson.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIM(n) "test://" HOSTS_DIR "/sim" #n ".xml"
#define WAIT_MS 20000
#define MINUTE 60000
#define SLOTS 8 /* team slots of the exercise: sandboxes 1..8 */

static char *workdir;
static _Atomic int64_t fake_now = 1700000000000;

static int64_t fake_wall(void *ctx)
{
    (void)ctx;
    return atomic_load(&fake_now);
}

static int check_password(void *ctx, const char *password)
{
    (void)ctx;
    return strcmp(password, "teacher-pw") == 0 ? ENSHU_OK : ENSHU_EINVAL;
}

typedef struct fixture {
    scenario *s;
    char *ledger_path;
    event_store *ledger;
    exercise_hooks hooks;
    exercise *ex;
    sandbox_course *course;
    char codes[SLOTS][JOIN_CODE_SIZE];
    const char *code_list[SLOTS];
    _Atomic(console_hub *) hub;
    int port;
} fixture;

static void on_event(void *ctx, const event *ev)
{
    (void)ev;
    fixture *f = ctx;
    console_hub *hub = atomic_load(&f->hub);
    if (hub)
        console_hub_notify(hub);
}

/* The exercise's scenario says self_paced: {while_away: pause}. */
static bool setup_pause;

static scenario *load_course_scenario(void)
{
    diag_list *d = diag_list_new();
    scenario *s = NULL;
    if (!setup_pause) {
        s = scenario_load_file(SCENARIO, d);
    } else {
        FILE *in = fopen(SCENARIO, "r");
        assert_non_null(in);
        char *text = xcalloc(1, 1 << 20);
        size_t n = fread(text, 1, (1 << 20) - 64, in);
        fclose(in);
        n += (size_t)sprintf(text + n, "\nself_paced: {while_away: pause}\n");
        s = scenario_load_buffer("course.yaml", text, n, d);
        free(text);
    }
    diag_list_print(d, stderr);
    diag_list_free(d);
    assert_non_null(s);
    return s;
}

static int setup(void **state)
{
    char tmpl[] = "/tmp/enshu-course-hub-XXXXXX";
    workdir = xstrdup(mkdtemp(tmpl));
    char *images = xasprintf("%s/images", workdir);
    char *pool = xasprintf("%s/pool", workdir);
    setenv("ENSHU_STATE_DIR", workdir, 1);
    setenv("ENSHU_IMAGE_DIR", images, 1);
    setenv("ENSHU_POOL_DIR", pool, 1);
    free(pool);
    free(images);
    static const char *const imgs[] = {"workstation", "server", "attacker", "router"};
    for (size_t i = 0; i < 4; i++)
        sim_make_image(imgs[i]);
    char *hosts = xasprintf("%s/hosts.yaml", workdir);
    sim_write_file(hosts, "hosts:\n"
                          "  - {uri: '" SIM(1) "', memory: 2G}\n"
                                               "  - {uri: '" SIM(2) "', teams: 1}\n");
    libvirt_setup();
    assert_true(sodium_init() >= 0);

    fixture *f = xcalloc(1, sizeof *f);
    f->s = load_course_scenario();
    f->ledger_path = xasprintf("%s/events.db", workdir);
    assert_int_equal(event_store_open(f->ledger_path, true, &f->ledger), ENSHU_OK);
    f->hooks = guestless_hooks(on_event, f);
    f->hooks.wall_ms = fake_wall; /* the course's clock and the trainees' are one */
    f->ex = exercise_new(f->s, SLOTS, f->ledger, &f->hooks);
    exercise_set_self_paced(f->ex);
    /* Two sandboxes at most: the third trainee waits. */
    sandbox_course_config cc = {.scenario_path = SCENARIO,
                                .hosts_path = hosts,
                                .prefix = "hubc",
                                .pool = {.course_code = "SEC-101",
                                         .warm = 2,
                                         .max = 2,
                                         .max_jobs = 2,
                                         .host_builds = 1,
                                         .ttl_ms = 60 * MINUTE,
                                         .build_guess_ms = 30000,
                                         .teardown_guess_ms = 4000},
                                .wall_ms = fake_wall};
    f->course = sandbox_course_open(&cc);
    assert_non_null(f->course);
    sandbox_course_wait_idle(f->course);
    assert_int_equal(sandbox_course_count(f->course, SANDBOX_WARM), 2);
    free(hosts);
    for (int t = 0; t < SLOTS; t++) {
        join_code_new(f->codes[t]);
        f->code_list[t] = f->codes[t];
    }
    console_hub_config cfg = {.ex = f->ex,
                              .ledger = f->ledger,
                              .join_codes = f->code_list,
                              .listen = "127.0.0.1:0",
                              .check_password = check_password,
                              .course = f->course};
    console_hub *hub;
    assert_int_equal(console_hub_start(&cfg, &hub), ENSHU_OK);
    atomic_store(&f->hub, hub);
    f->port = console_hub_port(hub);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    console_hub *hub = atomic_exchange(&f->hub, NULL);
    console_hub_free(hub);
    sandbox_course_close(f->course); /* every sandbox torn down */
    exercise_free(f->ex);
    event_store_free(f->ledger);
    scenario_free(f->s);
    free(f->ledger_path);
    free(f);
    char *cmd = xasprintf("rm -rf %s", workdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", workdir);
    free(cmd);
    free(workdir);
    return 0;
}

/* ---- a small websocket client: requests and their replies ---- */

typedef struct client {
    ws_test_client ws;
    int next_id;
} client;

static client *client_open(int port)
{
    client *c = xcalloc(1, sizeof *c);
    ws_test_upgrade upgrade = {.subprotocol = "enshu.v1", .timeout_ms = WAIT_MS};
    assert_int_equal(ws_test_client_open(&c->ws, port, NULL, &upgrade), 101);
    return c;
}

static void client_free(client *c)
{
    ws_test_client_close(&c->ws);
    free(c);
}

/* Sends msg (json_pack'd, taken) with an id and returns the reply to it
 * (to json_decref); other messages (events, catch-up) are passed over. */
static json_t *ask(client *c, json_t *msg)
{
    int id = ++c->next_id;
    json_object_set_new(msg, "id", json_integer(id));
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    assert_int_equal(ws_test_client_send_text(&c->ws, text), ENSHU_OK);
    free(text);
    int64_t deadline = monotonic_ms() + WAIT_MS;
    for (;;) {
        ws_frame fr;
        int64_t left = deadline - monotonic_ms();
        int op = ws_test_client_recv_message(&c->ws, &fr, left > 0 ? (int)left : 0);
        if (op < 0 || op == WS_OP_CLOSE)
            fail_msg("no reply to request %d", id);
        if (op != WS_OP_TEXT)
            continue;
        json_t *m = json_loads(fr.payload, 0, NULL);
        assert_non_null(m);
        json_t *rid = json_object_get(m, "id");
        if (json_is_integer(rid) && json_integer_value(rid) == id)
            return m;
        json_decref(m);
    }
}

static const char *type_of(const json_t *m)
{
    const char *t = json_string_value(json_object_get(m, "type"));
    return t ? t : "";
}

static void assert_type(const json_t *m, const char *type)
{
    if (strcmp(type_of(m), type) != 0) {
        char *text = json_dumps(m, JSON_COMPACT);
        fail_msg("expected %s, got %s", type, text);
    }
}

static void assert_error(json_t *m, const char *code)
{
    assert_type(m, "error");
    assert_string_equal(json_string_value(json_object_get(m, "code")), code);
    json_decref(m);
}

static json_t *course_join(client *c, const char *code, const char *name)
{
    return ask(c, json_pack("{s:s, s:s, s:s}", "type", "course.join", "code", code, "name", name));
}

/* The sandbox of the trainee called name in a course.list reply; NULL: none. */
static json_t *listed(json_t *list, const char *name)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(list, "sandboxes"), i, o)
    {
        const char *t = json_string_value(json_object_get(o, "trainee"));
        if (t && strcmp(t, name) == 0)
            return o;
    }
    return NULL;
}

static void trainees_get_sandboxes_queue_and_are_revoked(void **state)
{
    fixture *f = *state;
    /* Ann and Bob get the two warm sandboxes, each their own team slot. */
    client *ann = client_open(f->port);
    json_t *w_ann = course_join(ann, "SEC-101", "Ann");
    assert_type(w_ann, "welcome");
    assert_string_equal(json_string_value(json_object_get(w_ann, "role")), "team");
    json_t *c_ann = json_object_get(w_ann, "course");
    int team_ann = (int)json_integer_value(json_object_get(w_ann, "team"));
    assert_int_equal(json_integer_value(json_object_get(c_ann, "sandbox")), team_ann);
    char *token_ann = xstrdup(json_string_value(json_object_get(c_ann, "resume_token")));
    assert_int_equal(strlen(token_ann), 43);
    assert_int_equal(json_integer_value(json_object_get(c_ann, "expires_in_ms")), 60 * MINUTE);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(w_ann, "exercise"), "phase")), "running");
    assert_int_equal(exercise_team_phase(f->ex, team_ann), PHASE_RUNNING);
    /* Her nodes are her sandbox's guests: running once their states are seen. */
    int64_t seen_by = monotonic_ms() + WAIT_MS;
    bool running = false;
    while (!running && monotonic_ms() < seen_by) {
        json_t *nodes = ask(ann, json_pack("{s:s}", "type", "nodes"));
        assert_type(nodes, "nodes");
        json_t *list = json_object_get(nodes, "nodes");
        size_t k;
        json_t *n;
        running = json_array_size(list) > 0;
        json_array_foreach(list, k, n)
        {
            assert_int_equal(json_integer_value(json_object_get(n, "team")), team_ann);
            running = running && !strcmp(json_string_value(json_object_get(n, "state")), "running");
        }
        json_decref(nodes);
        if (!running)
            usleep(50000); /* within the websocket's 50 messages a second */
    }
    assert_true(running);

    atomic_fetch_add(&fake_now, 5 * MINUTE);
    client *bob = client_open(f->port);
    json_t *w_bob = course_join(bob, "SEC-101", "Bob");
    assert_type(w_bob, "welcome");
    int team_bob = (int)json_integer_value(json_object_get(w_bob, "team"));
    assert_int_not_equal(team_bob, team_ann);
    char *token_bob = xstrdup(
        json_string_value(json_object_get(json_object_get(w_bob, "course"), "resume_token")));
    /* Their clocks are their own: Ann is 5 minutes in, Bob just began. */
    assert_int_equal(exercise_team_now(f->ex, team_ann), 5 * MINUTE);
    assert_int_equal(exercise_team_now(f->ex, team_bob), 0);
    /* A joined session does not join again. */
    assert_error(course_join(bob, "SEC-101", "Bob2"), "conflict");

    /* Wrong code, and a name that holds a sandbox already. */
    client *eve = client_open(f->port);
    assert_error(course_join(eve, "SEC-102", "Eve"), "bad_login");
    assert_error(course_join(eve, "SEC-101", "Ann"), "conflict");

    /* Carol waits: no room for a third sandbox. */
    client *carol = client_open(f->port);
    json_t *q = course_join(carol, "SEC-101", "Carol");
    assert_type(q, "course.queued");
    assert_int_equal(json_integer_value(json_object_get(q, "position")), 1);
    assert_true(json_integer_value(json_object_get(q, "estimate_ms")) > 0);
    int ticket = (int)json_integer_value(json_object_get(q, "ticket"));
    json_t *still = ask(carol, json_pack("{s:s, s:i}", "type", "course.poll", "ticket", ticket));
    assert_type(still, "course.queued");
    json_decref(still);

    /* Dave waits behind her, then closes the page: his place is given up. */
    client *dave = client_open(f->port);
    json_t *q_dave = course_join(dave, "SEC-101", "Dave");
    assert_type(q_dave, "course.queued");
    assert_int_equal(json_integer_value(json_object_get(q_dave, "position")), 2);
    json_decref(q_dave);
    client_free(dave);
    int64_t deadline = monotonic_ms() + WAIT_MS;
    while (sandbox_course_queue_length(f->course) != 1 && monotonic_ms() < deadline)
        usleep(10000);
    assert_int_equal(sandbox_course_queue_length(f->course), 1);

    /* Trainees may not look at the course. */
    assert_error(ask(ann, json_pack("{s:s}", "type", "course.list")), "forbidden");

    /* The instructor's view: two sandboxes in use, one trainee waiting. */
    client *ins = client_open(f->port);
    json_t *w_ins = ask(ins, json_pack("{s:s, s:s, s:s}", "type", "hello", "role", "instructor",
                                       "password", "teacher-pw"));
    assert_type(w_ins, "welcome");
    json_t *list = ask(ins, json_pack("{s:s}", "type", "course.list"));
    assert_type(list, "course");
    assert_int_equal(json_integer_value(json_object_get(list, "queued")), 1);
    json_t *sb_ann = listed(list, "Ann");
    assert_non_null(sb_ann);
    assert_non_null(listed(list, "Bob"));
    assert_string_equal(json_string_value(json_object_get(sb_ann, "phase")), "running");
    assert_int_equal(json_integer_value(json_object_get(sb_ann, "time_ms")), 5 * MINUTE);
    assert_int_equal(json_integer_value(json_object_get(sb_ann, "expires_in_ms")), 55 * MINUTE);
    assert_int_equal(json_integer_value(json_object_get(sb_ann, "score")), 0);
    json_decref(list);

    /* Bob (60 minutes left) gets ten more; Ann's sandbox is revoked. */
    json_t *ok = ask(ins, json_pack("{s:s, s:i, s:i}", "type", "course.extend", "sandbox", team_bob,
                                    "minutes", 10));
    assert_type(ok, "ok");
    json_decref(ok);
    ok = ask(ins, json_pack("{s:s, s:i}", "type", "course.revoke", "sandbox", team_ann));
    assert_type(ok, "ok");
    json_decref(ok);
    assert_int_equal(exercise_team_phase(f->ex, team_ann), PHASE_ENDED);
    assert_int_equal(exercise_team_phase(f->ex, team_bob), PHASE_RUNNING);
    list = ask(ins, json_pack("{s:s}", "type", "course.list"));
    assert_int_equal(json_integer_value(json_object_get(listed(list, "Bob"), "expires_in_ms")),
                     70 * MINUTE);
    assert_null(listed(list, "Ann"));
    json_decref(list);

    /* Ann's token no longer opens anything; Bob's joins him again. */
    client *ann2 = client_open(f->port);
    assert_error(ask(ann2, json_pack("{s:s, s:s}", "type", "course.resume", "token", token_ann)),
                 "bad_login");
    client *bob2 = client_open(f->port);
    json_t *again = ask(bob2, json_pack("{s:s, s:s}", "type", "course.resume", "token", token_bob));
    assert_type(again, "welcome");
    assert_int_equal(json_integer_value(json_object_get(again, "team")), team_bob);
    assert_null(json_object_get(json_object_get(again, "course"), "resume_token"));
    json_decref(again);

    /* Ann's sandbox torn down, one built for Carol: her poll collects it. */
    sandbox_course_wait_idle(f->course);
    json_t *w_carol = ask(carol, json_pack("{s:s, s:i}", "type", "course.poll", "ticket", ticket));
    assert_type(w_carol, "welcome");
    int team_carol = (int)json_integer_value(json_object_get(w_carol, "team"));
    assert_true(team_carol != team_ann && team_carol != team_bob);
    assert_string_equal(json_string_value(json_object_get(w_carol, "name")), "Carol");
    assert_int_equal(exercise_team_phase(f->ex, team_carol), PHASE_RUNNING);
    json_decref(w_carol);

    json_decref(w_ann);
    json_decref(w_bob);
    json_decref(q);
    json_decref(w_ins);
    free(token_ann);
    free(token_bob);
    client_free(ann);
    client_free(ann2);
    client_free(bob);
    client_free(bob2);
    client_free(eve);
    client_free(carol);
    client_free(ins);
}

/* Waits (a bounded while) for the hub to see a closed connection. */
static bool phase_becomes(exercise *ex, int team, exercise_phase want)
{
    int64_t deadline = monotonic_ms() + WAIT_MS;
    while (exercise_team_phase(ex, team) != want && monotonic_ms() < deadline)
        usleep(10000);
    return exercise_team_phase(ex, team) == want;
}

static void a_trainee_s_clock_stands_while_they_are_away(void **state)
{
    fixture *f = *state;
    client *dan = client_open(f->port);
    json_t *w = course_join(dan, "SEC-101", "Dan");
    assert_type(w, "welcome");
    int team = (int)json_integer_value(json_object_get(w, "team"));
    char *token =
        xstrdup(json_string_value(json_object_get(json_object_get(w, "course"), "resume_token")));
    json_decref(w);
    /* A second session of Dan's (another tab) keeps him present. */
    client *tab = client_open(f->port);
    json_t *w_tab = ask(tab, json_pack("{s:s, s:s}", "type", "course.resume", "token", token));
    assert_type(w_tab, "welcome");
    json_decref(w_tab);
    atomic_fetch_add(&fake_now, 2 * MINUTE);
    client_free(tab);
    /* Whenever the hub handles the tab's close, Dan's first session keeps
     * him present: his clock runs on. */
    json_t *sync = ask(dan, json_pack("{s:s}", "type", "timeline"));
    json_decref(sync);
    assert_int_equal(exercise_team_phase(f->ex, team), PHASE_RUNNING);
    client_free(dan);
    assert_true(phase_becomes(f->ex, team, PHASE_PAUSED));
    atomic_fetch_add(&fake_now, 10 * MINUTE);
    assert_int_equal(exercise_team_now(f->ex, team), 2 * MINUTE);
    /* Back with his token: his clock runs on from where it stood. */
    client *back = client_open(f->port);
    json_t *again = ask(back, json_pack("{s:s, s:s}", "type", "course.resume", "token", token));
    assert_type(again, "welcome");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(again, "exercise"), "phase")), "running");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(again, "course"), "time_ms")),
        2 * MINUTE);
    assert_int_equal(exercise_team_phase(f->ex, team), PHASE_RUNNING);
    json_decref(again);
    client_free(back);
    free(token);
}

static int setup_paused_away(void **state)
{
    setup_pause = true;
    return setup(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(trainees_get_sandboxes_queue_and_are_revoked, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_trainee_s_clock_stands_while_they_are_away,
                                        setup_paused_away, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
