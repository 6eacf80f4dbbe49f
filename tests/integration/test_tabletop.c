/* The shipped tabletop exercises (scenarios/tabletop-*.yaml), each run as
 * `enshu serve` runs one: the scenario loaded from its file (attachments
 * and all) and recorded in a temp ledger, the tabletop hooks (no guests,
 * no libvirt), and the console hub on a free port of 127.0.0.1 with real
 * websocket clients speaking web/PROTOCOL.md. Two teams: a scripted good
 * team (tests/integration/tabletop/ID.json: its answers, its reports, the
 * team requests it asks for and the manual injects the facilitator
 * releases for it) and a passive team that does nothing. The facilitator
 * starts the exercise, releases injects, approves the good team's requests
 * and grades every rubric item in full from the instructor console; the
 * good team asks, answers and reports from the trainee console.
 * At the end the instructor's scoreboard must show the good team at the
 * scenario's maximum (less what its requests cost) and the passive team at 0, and every inject must
 * have fired as the script says.
 *
 * The exercise's wall clock is the test's own (hooks.wall_ms): the test
 * moves it a minute at a time and steps the exercise, so a 2-hour
 * scenario runs in a moment and nothing depends on timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "console_auth.h"
#include "console_hub.h"
#include "errors.h"
#include "exercise.h"
#include "exercise_record.h"
#include "monotonic_clock.h"
#include "tabletop_actions.h"
#include "text_file.h"
#include "ws_test_client.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WAIT_MS 20000
#define TEAMS 2
#define GOOD 1
#define PASSIVE 2
#define PASSWORD "facilitator-at-the-front"
/* 2024-06-10 00:00 UTC: the exercise's wall clock starts here. */
#define EPOCH_MS 1717977600000LL

/* ---- the exercise's clock ---- */

static _Atomic int64_t fake_now_ms;

static int64_t fake_wall_ms(void *ctx)
{
    return atomic_load(&fake_now_ms);
}

/* ---- the hub and a websocket client ---- */

static int facilitator_password(void *ctx, const char *password)
{
    return strcmp(password, PASSWORD) == 0 ? 0 : ENSHU_EINVAL;
}

static _Atomic(console_hub *) live_hub;

static void on_event(void *ctx, const event *ev)
{
    console_hub *hub = atomic_load(&live_hub);
    if (hub)
        console_hub_notify(hub);
}

typedef struct client {
    ws_test_client ws;
    json_t *all; /* every message received, in order */
    size_t mark; /* await_* look from here */
    int next_id;
} client;

static client *client_open(int port)
{
    client *c = xcalloc(1, sizeof(client));
    c->all = json_array();
    ws_test_upgrade upgrade = {.subprotocol = "enshu.v1", .timeout_ms = WAIT_MS};
    assert_int_equal(ws_test_client_open(&c->ws, port, NULL, &upgrade), 101);
    return c;
}

static void client_free(client *c)
{
    if (!c)
        return;
    ws_test_client_close(&c->ws);
    json_decref(c->all);
    free(c);
}

static const char *type_of(const json_t *m)
{
    const char *t = json_string_value(json_object_get(m, "type"));
    return t ? t : "";
}

/* The next message (false on close or timeout). */
static bool client_pump(client *c, int64_t deadline)
{
    for (;;) {
        ws_frame f;
        int64_t left = deadline - monotonic_ms();
        int op = ws_test_client_recv_message(&c->ws, &f, left > 0 ? (int)left : 0);
        if (op < 0 || op == WS_OP_CLOSE)
            return false;
        if (op != WS_OP_TEXT)
            continue;
        json_t *m = json_loads(f.payload, 0, NULL);
        if (!json_is_object(m))
            fail_msg("the server sent a message that is not a JSON object: %.300s", f.payload);
        json_array_append_new(c->all, m);
        return true;
    }
}

/* The reply to request id. */
static json_t *await_reply(client *c, int id)
{
    int64_t deadline = monotonic_ms() + WAIT_MS;
    for (;;) {
        for (size_t i = c->mark; i < json_array_size(c->all); i++) {
            json_t *m = json_array_get(c->all, i);
            json_t *mid = json_object_get(m, "id");
            if (json_is_integer(mid) && json_integer_value(mid) == id)
                return m;
        }
        if (!client_pump(c, deadline))
            fail_msg("no reply to request %d came", id);
    }
}

/* Sends msg (taken) with an id and returns its reply, which must be of
 * type want (the error's text otherwise). */
static json_t *ask(client *c, json_t *msg, const char *want)
{
    int id = ++c->next_id;
    json_object_set_new(msg, "id", json_integer(id));
    char *text = json_dumps(msg, JSON_COMPACT);
    json_decref(msg);
    assert_int_equal(ws_test_client_send_text(&c->ws, text), 0);
    json_t *reply = await_reply(c, id);
    if (strcmp(type_of(reply), want) != 0) {
        char *got = json_dumps(reply, JSON_COMPACT);
        fail_msg("%s got %s instead of %s", text, got, want);
    }
    free(text);
    return reply;
}

/* The first message of type for objective from the mark on, waiting for it. */
static json_t *await_about(client *c, const char *type, const char *objective_id)
{
    int64_t deadline = monotonic_ms() + WAIT_MS;
    for (;;) {
        for (size_t i = c->mark; i < json_array_size(c->all); i++) {
            json_t *m = json_array_get(c->all, i);
            const char *o = json_string_value(json_object_get(m, "objective"));
            if (strcmp(type_of(m), type) == 0 && o && strcmp(o, objective_id) == 0)
                return m;
        }
        if (!client_pump(c, deadline))
            fail_msg("no %s for %s came", type, objective_id);
    }
}

/* ---- one scenario ---- */

typedef struct run {
    char dir[64];
    scenario *s;
    event_store *ledger;
    tabletop_actions *ta;
    exercise_hooks hooks;
    exercise *ex;
    console_hub *hub;
    char codes[TEAMS][JOIN_CODE_SIZE];
    const char *code_list[TEAMS];
    client *facilitator, *team;
    json_t *script;
} run;

static void run_open(run *r, const char *id)
{
    char *path = xasprintf("%s/%s.yaml", SCENARIOS_DIR, id);
    char *script_path = xasprintf("%s/%s.json", SCRIPTS_DIR, id);
    json_error_t jerr;
    r->script = json_load_file(script_path, 0, &jerr);
    if (!r->script)
        fail_msg("%s: %s (line %d)", script_path, jerr.text, jerr.line);
    diag_list *d = diag_list_new();
    r->s = scenario_load_file(path, d);
    if (!r->s)
        fail_msg("%s does not load:\n%s", path, diag_list_format(d));
    diag_list_free(d);
    assert_true(r->s->tabletop);
    snprintf(r->dir, sizeof r->dir, "/tmp/enshu-tabletop-XXXXXX");
    assert_non_null(mkdtemp(r->dir));
    char *ledger_path = xasprintf("%s/events.db", r->dir);
    assert_int_equal(event_store_open(ledger_path, true, &r->ledger), ENSHU_OK);
    r->ta = tabletop_actions_new(r->s, TEAMS);
    assert_int_equal(
        exercise_record_write(r->ledger, path, r->s, TEAMS, tabletop_actions_team_vars(r->ta)),
        ENSHU_OK);
    tabletop_actions_hooks(r->ta, &r->hooks);
    r->hooks.wall_ms = fake_wall_ms;
    r->hooks.on_event = on_event;
    atomic_store(&fake_now_ms, EPOCH_MS);
    r->ex = exercise_new(r->s, TEAMS, r->ledger, &r->hooks);
    exercise_set_team_vars(r->ex, tabletop_actions_team_vars(r->ta));
    assert_int_equal(exercise_resume(r->ex), ENSHU_OK);
    for (int t = 0; t < TEAMS; t++) {
        join_code_new(r->codes[t]);
        r->code_list[t] = r->codes[t];
    }
    /* As enshu serve gives it: no range, so no guests. */
    console_hub_config cfg = {.ex = r->ex,
                              .ledger = r->ledger,
                              .vars = tabletop_actions_team_vars(r->ta),
                              .range_name = NULL,
                              .join_codes = r->code_list,
                              .listen = "127.0.0.1:0",
                              .check_password = facilitator_password};
    assert_int_equal(console_hub_start(&cfg, &r->hub), ENSHU_OK);
    atomic_store(&live_hub, r->hub);
    int port = console_hub_port(r->hub);
    r->facilitator = client_open(port);
    json_t *welcome = ask(r->facilitator,
                          json_pack("{s:s, s:i, s:s, s:s, s:i}", "type", "hello", "version", 1,
                                    "role", "instructor", "password", PASSWORD, "since", 0),
                          "welcome");
    assert_int_equal(json_array_size(json_object_get(welcome, "nodes")), 0);
    r->team = client_open(port);
    welcome =
        ask(r->team,
            json_pack("{s:s, s:i, s:s, s:s, s:s, s:s, s:i}", "type", "hello", "version", 1, "role",
                      "team", "code", r->codes[GOOD - 1], "name", "Aiko", "lang", "ja", "since", 0),
            "welcome");
    assert_int_equal(json_integer_value(json_object_get(welcome, "team")), GOOD);
    assert_int_equal(json_array_size(json_object_get(welcome, "nodes")), 0);
    free(ledger_path);
    free(script_path);
    free(path);
}

static void run_close(run *r)
{
    client_free(r->team);
    client_free(r->facilitator);
    atomic_store(&live_hub, NULL);
    console_hub_free(r->hub);
    exercise_free(r->ex);
    tabletop_actions_free(r->ta);
    event_store_free(r->ledger);
    scenario_free(r->s);
    json_decref(r->script);
    char *cmd = xasprintf("rm -rf '%s'", r->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_tabletop: %s could not be removed\n", r->dir);
    free(cmd);
}

/* Moves the clock on by one minute and fires what falls due. */
static void minute_passes(run *r)
{
    atomic_fetch_add(&fake_now_ms, 60 * 1000);
    (void)exercise_step(r->ex);
}

static bool script_lists(const json_t *list, const char *id)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (strcmp(json_string_value(v), id) == 0) return true;
    return false;
}

/* Whether one of the requests the script asks for fires inject id. */
static bool requested(const scenario *s, const json_t *requests, const char *id)
{
    for (size_t i = 0; i < s->nrequests; i++)
        for (size_t f = 0; f < s->requests[i].nfires; f++)
            if (strcmp(s->requests[i].fires[f], id) == 0 &&
                script_lists(requests, s->requests[i].id))
                return true;
    return false;
}

static void play(const char *id)
{
    run r = {0};
    run_open(&r, id);
    const scenario *s = r.s;
    json_t *answers = json_object_get(r.script, "answers");
    json_t *reports = json_object_get(r.script, "reports");
    json_t *release = json_object_get(r.script, "release");
    json_t *never = json_object_get(r.script, "never");
    json_t *requests = json_object_get(r.script, "requests"); /* may be absent */

    /* The script covers every question and report, and names only
     * manual injects to release. */
    int max = 0;
    for (size_t i = 0; i < s->nobjectives; i++) {
        const objective *o = &s->objectives[i];
        max += o->points;
        if (o->kind == OBJ_QUESTION && !json_object_get(answers, o->id))
            fail_msg("%s: the script has no answer to question %s", id, o->id);
        if (o->kind == OBJ_REPORT && !json_object_get(reports, o->id))
            fail_msg("%s: the script has no report for %s", id, o->id);
    }
    assert_true(max > 0);
    /* What the good team's requests cost comes off its full score. */
    size_t k;
    json_t *v;
    int full = max;
    json_array_foreach(requests, k, v)
    {
        const team_request *req = scenario_request(s, json_string_value(v));
        assert_non_null(req);
        full -= req->cost;
    }
    json_array_foreach(release, k, v)
    {
        const inject *inj = scenario_inject(s, json_string_value(v));
        assert_non_null(inj);
        assert_int_equal(inj->trigger, TRIGGER_MANUAL);
    }

    (void)ask(r.facilitator, json_pack("{s:s}", "type", "exercise.start"), "ok");
    int64_t minutes = s->duration_ms / 60000;
    for (int64_t m = 1; m < minutes; m++) {
        if (m == 5) {
            /* The good team asks early; the facilitator approves, and
             * reacts to it with the manual injects. */
            json_array_foreach(requests, k, v)
            {
                (void)ask(
                    r.team,
                    json_pack("{s:s, s:s}", "type", "request.ask", "request", json_string_value(v)),
                    "ok");
                (void)ask(r.facilitator,
                          json_pack("{s:s, s:i, s:s, s:b}", "type", "request.decide", "team", GOOD,
                                    "request", json_string_value(v), "approve", 1),
                          "ok");
            }
            json_array_foreach(release, k, v)(void)
                ask(r.facilitator,
                    json_pack("{s:s, s:s, s:i}", "type", "inject.release", "inject",
                              json_string_value(v), "team", GOOD),
                    "ok");
        }
        minute_passes(&r);
    }

    /* Every inject fired for each team as the script says: the timed ones
     * for both, the released ones for the good team only. */
    exercise_lock(r.ex);
    for (size_t i = 0; i < s->ninjects; i++) {
        const inject *inj = &s->injects[i];
        bool manual = inj->trigger == TRIGGER_MANUAL;
        inject_state good = timeline_state(exercise_timeline(r.ex, GOOD), i);
        inject_state passive = timeline_state(exercise_timeline(r.ex, PASSIVE), i);
        bool good_fires = manual ? script_lists(release, inj->id) || requested(s, requests, inj->id)
                                 : !script_lists(never, inj->id);
        if (good != (good_fires ? INJECT_FIRED : INJECT_PENDING))
            fail_msg("%s: inject %s is %d for the good team", id, inj->id, (int)good);
        if (passive != (manual ? INJECT_PENDING : INJECT_FIRED))
            fail_msg("%s: inject %s is %d for the passive team", id, inj->id, (int)passive);
    }
    exercise_unlock(r.ex);

    /* The good team answers and reports; each answer is right. */
    const char *objective_id;
    json_object_foreach(answers, objective_id, v)
    {
        (void)ask(r.team,
                  json_pack("{s:s, s:s, s:s}", "type", "answer", "objective", objective_id, "text",
                            json_string_value(v)),
                  "ok");
        json_t *answer = await_about(r.team, "answer", objective_id);
        if (!json_is_true(json_object_get(answer, "correct")))
            fail_msg("%s: the answer '%s' to %s was judged wrong", id, json_string_value(v),
                     objective_id);
    }
    json_object_foreach(reports, objective_id, v)(void)
        ask(r.team,
            json_pack("{s:s, s:s, s:s}", "type", "report", "objective", objective_id, "text",
                      json_string_value(v)),
            "ok");

    /* The facilitator reads each report and grades every item in full. */
    for (size_t i = 0; i < s->nobjectives; i++) {
        const objective *o = &s->objectives[i];
        if (o->kind != OBJ_REPORT)
            continue;
        (void)await_about(r.facilitator, "report", o->id);
        for (size_t item = 0; item < o->nrubric; item++)
            (void)ask(r.facilitator,
                      json_pack("{s:s, s:i, s:s, s:i, s:i}", "type", "grade", "team", GOOD,
                                "objective", o->id, "item", (int)item, "points",
                                o->rubric[item].points),
                      "ok");
    }
    minute_passes(&r);
    (void)ask(r.facilitator, json_pack("{s:s}", "type", "exercise.end"), "ok");

    /* What the instructor console shows: full marks, and nothing. */
    json_t *board = ask(r.facilitator, json_pack("{s:s}", "type", "scoreboard"), "scoreboard");
    assert_int_equal(json_integer_value(json_object_get(board, "max")), max);
    json_t *team;
    int seen = 0;
    json_array_foreach(json_object_get(board, "teams"), k, team)
    {
        int t = (int)json_integer_value(json_object_get(team, "team"));
        int total = (int)json_integer_value(json_object_get(team, "total"));
        if (t == GOOD && total != full)
            fail_msg("%s: the good team has %d of %d points", id, total, full);
        if (t == PASSIVE && total != 0)
            fail_msg("%s: the passive team has %d points", id, total);
        seen++;
    }
    assert_int_equal(seen, TEAMS);
    run_close(&r);
}

static void test_web_defacement(void **state)
{
    play("tabletop-web-defacement");
}

static void test_phishing_leak(void **state)
{
    play("tabletop-phishing-leak");
}

static void test_ransomware(void **state)
{
    play("tabletop-ransomware");
}

static void test_business_system(void **state)
{
    play("tabletop-business-system");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_web_defacement),
        cmocka_unit_test(test_phishing_leak),
        cmocka_unit_test(test_ransomware),
        cmocka_unit_test(test_business_system),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
