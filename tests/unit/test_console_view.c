/* What each audience of the consoles sees: for every event kind, what a
 * team sees of its own events and of another team's (nothing); that check
 * results, instructor notes and injects other than messages never reach a
 * team; that instructors see everything; texts in the audience's language
 * with each team's templates filled in; broadcasts to everyone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "console_view.h"
#include "errors.h"
#include "team_vars.h"
#include "diag.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char SCRIPT[] =
    "enshu: 1\n"
    "id: view\n"
    "title: {en: Office LAN, ja: 事務LAN}\n"
    "description: {en: 'Team {{team}} defends', ja: 'チーム{{team}}が守る'}\n"
    "languages: [en, ja]\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes:\n"
    "  - {name: ws, title: {en: Workstation, ja: 端末}, image: workstation,\n"
    "     interfaces: [{segment: lan}]}\n"
    "  - {name: c2, image: attacker, role: red, interfaces: [{segment: lan, host: 66}]}\n"
    "injects:\n"
    "  - id: mail\n"
    "    at: 5m\n"
    "    title: {en: Phishing, ja: フィッシング}\n"
    "    message:\n"
    "      from: 'it@{{addr ws}}'\n"
    "      subject: {en: 'Your host {{addr ws}}', ja: '端末 {{addr ws}} について'}\n"
    "      body: {en: 'Team {{team}}: run the updater', ja: 'チーム{{team}}: 更新を実行'}\n"
    "      attachment: updater.sh\n"
    "  - {id: tip, manual: true, note: {en: 'SECRET-NOTE for team {{team}}', ja: 'SECRET-NOTE'}}\n"
    "  - {id: drop, after: mail, target: ws, run: 'start SECRET-BEACON'}\n"
    "  - {id: cut, manual: true, target: ws, power: stop}\n"
    "  - {id: dated, manual: true,\n"
    "     message: {from: it, subject: 'Sent {{now}}', body: '{{now -1d %Y-%m-%d}} {{team}}'}}\n"
    "checks:\n"
    "  - {id: beacon, node: ws, command: 'pgrep SECRET-BEACON'}\n"
    "requests:\n"
    "  - {id: reimage, title: {en: 'Re-image ws', ja: 'ws を再イメージ'}, fires: [cut]}\n"
    "  - {id: call, title: Call management, approval: auto}\n"
    "users:\n"
    "  - {name: alice, password: 'Pw-{{team}}-{{addr ws}}', title: {en: Accounting, ja: 経理}}\n"
    "  - {name: mallory, password: 'SECRET-C2-PW', nodes: [c2]}\n"
    "objectives:\n"
    "  - id: q\n"
    "    kind: question\n"
    "    title: {en: The C2, ja: C2サーバ}\n"
    "    text: {en: 'Which address?', ja: 'どのアドレス?'}\n"
    "    answer: {exact: SECRET-ANSWER}\n"
    "    attempts: 3\n"
    "    points: 10\n"
    "    hints:\n"
    "      - {text: {en: 'Look at {{addr ws}}', ja: '{{addr ws}} を見て'}, cost: 2}\n"
    "  - {id: stop, kind: check, check: beacon, after: drop, points: 20}\n"
    "  - id: rep\n"
    "    kind: report\n"
    "    rubric:\n"
    "      - {text: {en: Timeline, ja: 時系列}, points: 10}\n"
    "      - {text: {en: Hosts, ja: 端末}, points: 5}\n";

static const char VARS[] =
    "{\"teams\": ["
    "{\"team\": 1, \"vars\": {\"addr ws\": \"10.80.0.10\", \"addr ws lan\": \"10.80.0.10\","
    " \"addr c2\": \"10.80.0.66\", \"addr c2 lan\": \"10.80.0.66\"}},"
    "{\"team\": 2, \"vars\": {\"addr ws\": \"10.80.1.10\", \"addr ws lan\": \"10.80.1.10\","
    " \"addr c2\": \"10.80.1.66\", \"addr c2 lan\": \"10.80.1.66\"}}]}";

typedef struct fixture {
    char dir[64];
    scenario *s;
    team_vars *vars;
    console_view v;
} fixture;

/* The scenario is loaded from a directory of its own, beside its attachment. */
static int setup(void **state)
{
    fixture *f = xcalloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/enshu-view-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char *att = xasprintf("%s/updater.sh", f->dir);
    FILE *out = fopen(att, "w");
    assert_non_null(out);
    fputs("#!/bin/sh\necho updated\n", out); /* 23 bytes */
    fclose(out);
    char *name = xasprintf("%s/view.yaml", f->dir);
    diag_list *d = diag_list_new();
    f->s = scenario_load_buffer(name, SCRIPT, strlen(SCRIPT), d);
    if (!f->s)
        fail_msg("scenario does not load:\n%s", diag_list_format(d));
    diag_list_free(d);
    free(name);
    unlink(att);
    free(att);
    rmdir(f->dir);
    assert_int_equal(team_vars_from_json(VARS, &f->vars), ENSHU_OK);
    f->v = (console_view){f->s, f->vars, NULL, NULL};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    team_vars_free(f->vars);
    scenario_free(f->s);
    free(f);
    return 0;
}

static const console_audience TEAM1 = {1, NULL}, TEAM2 = {2, NULL}, INSTRUCTORS = {0, NULL};

static const char *str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static json_int_t num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("'%s' is not an integer", key);
    return json_integer_value(v);
}

/* What audience a sees of ev: NULL, or a message of type type carrying the
 * event's seq. */
static json_t *seen(const fixture *f, const console_audience *a, const event *ev, const char *type)
{
    json_t *m = console_view_event(&f->v, a, ev, NULL);
    if (!type) {
        if (m) {
            char *text = json_dumps(m, 0);
            fail_msg("team %d sees a %s event: %s", a->team, event_kind_name(ev->kind), text);
        }
        return NULL;
    }
    if (!m)
        fail_msg("audience %d sees nothing of a %s event", a->team, event_kind_name(ev->kind));
    if (!str(m, "type") || strcmp(str(m, "type"), type) != 0)
        fail_msg("a %s event is shown as %s, not %s", event_kind_name(ev->kind), str(m, "type"),
                 type);
    assert_int_equal(num(m, "seq"), ev->seq);
    return m;
}

/* For one event of team 1: team 1 sees own_type (NULL: nothing), team 2
 * nothing, instructors instr_type. */
static void sees(const fixture *f, const event *ev, const char *own_type, const char *instr_type)
{
    json_decref(seen(f, &TEAM1, ev, own_type));
    seen(f, &TEAM2, ev, NULL);
    json_t *m = seen(f, &INSTRUCTORS, ev, instr_type);
    if (json_object_get(m, "team"))
        assert_int_equal(num(m, "team"), ev->team);
    json_decref(m);
}

static void every_kind_of_event_has_its_audience(void **state)
{
    fixture *f = *state;
    bool covered[EV_KIND_COUNT] = {false};
    int64_t seq = 100;
#define EV(...)                                                                                    \
    (event)                                                                                        \
    {                                                                                              \
        .seq = ++seq, .at_ms = 300000, .wall_ms = 1700000000000, .team = 1, __VA_ARGS__            \
    }
    const struct {
        event ev;
        const char *own, *instr;
    } cases[] = {
        {EV(.kind = EV_INJECT_BEGIN, .subject = "mail"), NULL, "event"},
        {EV(.kind = EV_INJECT_FIRED, .subject = "mail", .text = "from it@10.80.0.10"), "inbox",
         "inbox"},
        {EV(.kind = EV_INJECT_FIRED, .subject = "tip", .text = "SECRET-NOTE for team 1"), NULL,
         "event"},
        {EV(.kind = EV_INJECT_FIRED, .subject = "drop", .text = "SECRET-BEACON started"), NULL,
         "event"},
        {EV(.kind = EV_INJECT_FIRED, .subject = "cut", .text = "ws stopped"), NULL, "event"},
        {EV(.kind = EV_INJECT_FAILED, .subject = "drop", .text = "agent down"), NULL, "event"},
        {EV(.kind = EV_INJECT_RETRIED, .subject = "drop", .value = 1, .actor = "instructor"), NULL,
         "event"},
        {EV(.kind = EV_INJECT_SKIPPED, .subject = "drop"), NULL, "event"},
        {EV(.kind = EV_INJECT_HELD, .subject = "drop", .value = 1), NULL, "event"},
        {EV(.kind = EV_INJECT_RELEASED, .subject = "tip"), NULL, "event"},
        {EV(.kind = EV_CHECK_RESULT, .subject = "beacon", .value = 1, .text = "4242"), NULL,
         "event"},
        {EV(.kind = EV_ANSWER, .subject = "q", .text = "10.80.0.66", .actor = "Aiko"), "answer",
         "answer"},
        {EV(.kind = EV_REPORT, .subject = "rep", .text = "what we did", .actor = "Ken"), "report",
         "report"},
        {EV(.kind = EV_GRADE, .subject = "rep", .value = 8, .text = "1", .actor = "instructor"),
         "grade", "grade"},
        {EV(.kind = EV_HINT, .subject = "q", .value = 0, .actor = "Aiko"), "hint", "hint"},
        {EV(.kind = EV_FEEDBACK, .subject = "rep", .value = 42, .text = "Name the hosts",
            .actor = "instructor"),
         "feedback", "feedback"},
        {EV(.kind = EV_FEEDBACK, .subject = "no-such-objective", .value = 42, .text = "x"), NULL,
         "event"},
        {EV(.kind = EV_PENALTY, .subject = "restarted the server", .value = 5), NULL, "event"},
        {EV(.kind = EV_INSTRUCTOR, .subject = "broadcast", .text = "Lunch at 12",
            .actor = "instructor"),
         "message", "message"},
        {EV(.kind = EV_INSTRUCTOR, .subject = "node.restart", .text = "node ws restarted",
            .actor = "instructor"),
         NULL, "event"},
        {EV(.kind = EV_NODE_STATE, .subject = "ws", .value = 0), NULL, "event"},
        {EV(.kind = EV_REQUEST, .subject = "reimage", .text = "ws is lost", .actor = "Aiko"),
         "request", "request"},
        {EV(.kind = EV_REQUEST_DECIDED, .subject = "reimage", .value = 0, .text = "not yet",
            .actor = "instructor"),
         "request", "request"},
        {EV(.kind = EV_REQUEST, .subject = "no-such-request"), NULL, "event"},
        /* Events about things the scenario does not have. */
        {EV(.kind = EV_ANSWER, .subject = "no-such-objective", .text = "x"), NULL, "event"},
        {EV(.kind = EV_HINT, .subject = "q", .value = 7), NULL, "event"},
        {EV(.kind = EV_INJECT_FIRED, .subject = "no-such-inject"), NULL, "event"},
    };
#undef EV
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sees(f, &cases[i].ev, cases[i].own, cases[i].instr);
        covered[cases[i].ev.kind] = true;
    }
    /* The exercise's phase goes to everyone, without a team. */
    event state_ev = {.seq = ++seq,
                      .at_ms = 0,
                      .wall_ms = 1700000000000,
                      .team = 0,
                      .kind = EV_EXERCISE_STATE,
                      .text = "running",
                      .value = 30000};
    covered[EV_EXERCISE_STATE] = true;
    const console_audience *all[] = {&TEAM1, &TEAM2, &INSTRUCTORS};
    /* A team's name is everyone's to see. */
    event named = {.seq = ++seq,
                   .team = 1,
                   .kind = EV_TEAM_NAMED,
                   .subject = "Blue Falcons",
                   .text = "Ministry of ICT",
                   .actor = "instructor"};
    covered[EV_TEAM_NAMED] = true;
    for (size_t i = 0; i < 3; i++) {
        json_t *m = seen(f, all[i], &named, "team");
        assert_int_equal(num(m, "team"), 1);
        assert_string_equal(str(m, "name"), "Blue Falcons");
        assert_string_equal(str(m, "organisation"), "Ministry of ICT");
        json_decref(m);
    }
    named.text = NULL;
    json_t *unorganised = seen(f, &TEAM2, &named, "team");
    assert_null(json_object_get(unorganised, "organisation"));
    json_decref(unorganised);
    for (size_t i = 0; i < 3; i++) {
        json_t *m = seen(f, all[i], &state_ev, "exercise");
        assert_string_equal(str(m, "phase"), "running");
        assert_true(json_real_value(json_object_get(m, "speed")) == 30.0);
        assert_int_equal(num(m, "at_ms"), 0);
        assert_int_equal(num(m, "wall_ms"), 1700000000000);
        assert_null(json_object_get(m, "team"));
        json_decref(m);
    }
    for (int k = 0; k < EV_KIND_COUNT; k++)
        if (!covered[k])
            fail_msg("event kind %s is not tested", event_kind_name((event_kind)k));
}

/* Feedback names the report it is on, and who wrote it. */
static void feedback_names_its_report(void **state)
{
    fixture *f = *state;
    event ev = {.seq = 50,
                .at_ms = 60000,
                .team = 2,
                .kind = EV_FEEDBACK,
                .subject = "rep",
                .value = 17,
                .text = "Good timeline; name the hosts.",
                .actor = "Sato"};
    json_t *m = seen(f, &TEAM2, &ev, "feedback");
    assert_string_equal(str(m, "objective"), "rep");
    assert_int_equal(num(m, "report"), 17);
    assert_string_equal(str(m, "text"), "Good timeline; name the hosts.");
    assert_string_equal(str(m, "by"), "Sato");
    assert_int_equal(num(m, "team"), 2);
    json_decref(m);
    seen(f, &TEAM1, &ev, NULL);
}

/* Whatever a team is shown, none of it gives the attack away. */
static void teams_never_see_attack_steps_checks_or_notes(void **state)
{
    fixture *f = *state;
    static const char *const secrets[] = {"SECRET-NOTE", "SECRET-BEACON", "SECRET-ANSWER", "pgrep",
                                          "4242"};
    event evs[] = {
        {.seq = 1,
         .team = 1,
         .kind = EV_INJECT_FIRED,
         .subject = "tip",
         .text = "SECRET-NOTE for team 1"},
        {.seq = 2, .team = 1, .kind = EV_INJECT_BEGIN, .subject = "drop"},
        {.seq = 3,
         .team = 1,
         .kind = EV_INJECT_FIRED,
         .subject = "drop",
         .text = "SECRET-BEACON started"},
        {.seq = 4,
         .team = 1,
         .kind = EV_CHECK_RESULT,
         .subject = "beacon",
         .value = 1,
         .text = "4242"},
        {.seq = 5, .team = 1, .kind = EV_INJECT_FIRED, .subject = "mail", .text = "from it"},
        {.seq = 6, .team = 0, .kind = EV_INJECT_RELEASED, .subject = "tip"},
        {.seq = 7, .team = 0, .kind = EV_CHECK_RESULT, .subject = "beacon", .value = 0},
        {.seq = 8, .team = 0, .kind = EV_INSTRUCTOR, .subject = "note", .text = "SECRET-NOTE"},
    };
    const console_audience langs[] = {{1, NULL}, {1, "ja"}, {2, NULL}};
    for (size_t a = 0; a < 3; a++)
        for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
            json_t *m = console_view_event(&f->v, &langs[a], &evs[i], NULL);
            if (!m)
                continue;
            /* Only the mail's inbox message reaches team 1. */
            assert_int_equal(evs[i].seq, 5);
            assert_int_equal(langs[a].team, 1);
            char *text = json_dumps(m, 0);
            for (size_t s = 0; s < sizeof secrets / sizeof secrets[0]; s++)
                if (strstr(text, secrets[s]))
                    fail_msg("team %d sees %s: %s", langs[a].team, secrets[s], text);
            free(text);
            json_decref(m);
        }
    /* Instructors do see each of these, with its text. */
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
        json_t *m = console_view_event(&f->v, &INSTRUCTORS, &evs[i], NULL);
        assert_non_null(m);
        if (evs[i].text && evs[i].seq != 5)
            assert_string_equal(str(m, "text"), evs[i].text);
        json_decref(m);
    }
    /* Nor does the objectives list give answers or check commands away. */
    const console_audience team = {1, NULL};
    json_t *objs = console_view_objectives(&f->v, &team);
    char *text = json_dumps(objs, 0);
    for (size_t s = 0; s < sizeof secrets / sizeof secrets[0]; s++)
        if (strstr(text, secrets[s]))
            fail_msg("objectives show %s: %s", secrets[s], text);
    free(text);
    json_decref(objs);
}

static void instructors_see_the_raw_event(void **state)
{
    fixture *f = *state;
    event ev = {.seq = 9,
                .at_ms = 120000,
                .wall_ms = 1700000000123,
                .team = 2,
                .kind = EV_CHECK_RESULT,
                .subject = "beacon",
                .value = 1,
                .text = "4242",
                .actor = "enshu"};
    json_t *m = seen(f, &INSTRUCTORS, &ev, "event");
    assert_int_equal(num(m, "team"), 2);
    assert_string_equal(str(m, "kind"), event_kind_name(EV_CHECK_RESULT));
    assert_string_equal(str(m, "subject"), "beacon");
    assert_int_equal(num(m, "value"), 1);
    assert_string_equal(str(m, "text"), "4242");
    assert_int_equal(num(m, "at_ms"), 120000);
    assert_int_equal(num(m, "wall_ms"), 1700000000123);
    json_decref(m);
    /* ...of every team, and of the whole exercise. */
    ev.team = 0;
    ev.kind = EV_PENALTY;
    ev.subject = NULL;
    ev.text = NULL;
    m = seen(f, &INSTRUCTORS, &ev, "event");
    assert_int_equal(num(m, "team"), 0);
    assert_null(json_object_get(m, "subject"));
    assert_null(json_object_get(m, "text"));
    json_decref(m);
    seen(f, &TEAM1, &ev, NULL);
}

static void inbox_messages_come_in_the_audience_language_with_team_values(void **state)
{
    fixture *f = *state;
    event ev = {.seq = 11,
                .at_ms = 300000,
                .wall_ms = 1700000000000,
                .team = 1,
                .kind = EV_INJECT_FIRED,
                .subject = "mail"};
    const console_audience ja1 = {1, "ja"};
    json_t *m = seen(f, &ja1, &ev, "inbox");
    assert_int_equal(num(m, "team"), 1);
    assert_string_equal(str(m, "inject"), "mail");
    assert_string_equal(str(m, "from"), "it@10.80.0.10");
    assert_string_equal(str(m, "title"), "フィッシング");
    assert_string_equal(str(m, "subject"), "端末 10.80.0.10 について");
    assert_string_equal(str(m, "body"), "チーム1: 更新を実行");
    assert_int_equal(num(m, "at_ms"), 300000);
    json_t *att = json_object_get(m, "attachment");
    assert_string_equal(str(att, "name"), "updater.sh");
    assert_int_equal(num(att, "size"), 23);
    assert_null(json_object_get(att, "data"));
    json_decref(m);

    /* Team 2, in the default language, with its own addresses. */
    ev.team = 2;
    m = seen(f, &TEAM2, &ev, "inbox");
    assert_string_equal(str(m, "from"), "it@10.80.1.10");
    assert_string_equal(str(m, "title"), "Phishing");
    assert_string_equal(str(m, "subject"), "Your host 10.80.1.10");
    assert_string_equal(str(m, "body"), "Team 2: run the updater");
    json_decref(m);
    seen(f, &TEAM1, &ev, NULL);

    /* A language the scenario does not have falls back to its default. */
    const console_audience fr2 = {2, "fr"};
    m = seen(f, &fr2, &ev, "inbox");
    assert_string_equal(str(m, "subject"), "Your host 10.80.1.10");
    json_decref(m);

    /* Instructors read it as the team does, in their own language. */
    const console_audience ja_instr = {0, "ja"};
    m = seen(f, &ja_instr, &ev, "inbox");
    assert_int_equal(num(m, "team"), 2);
    assert_string_equal(str(m, "subject"), "端末 10.80.1.10 について");
    assert_string_equal(str(m, "body"), "チーム2: 更新を実行");
    json_decref(m);

    /* Without values, {{team}} is still filled in and addresses stay as written. */
    console_view bare = {f->s, NULL, NULL, NULL};
    m = console_view_event(&bare, &TEAM2, &ev, NULL);
    assert_non_null(m);
    assert_string_equal(str(m, "body"), "Team 2: run the updater");
    assert_string_equal(str(m, "subject"), "Your host {{addr ws}}");
    json_decref(m);
}

/* {{now}} in a message is when it was sent (the event's wall clock), in
 * the scenario's time zone (none: UTC), however late a console shows it. */
static void messages_show_the_time_they_were_sent(void **state)
{
    fixture *f = *state;
    event ev = {.seq = 12,
                .at_ms = 600000,
                .wall_ms = 1700000000000, /* 2023-11-14 22:13:20 UTC */
                .team = 2,
                .kind = EV_INJECT_FIRED,
                .subject = "dated"};
    json_t *m = seen(f, &TEAM2, &ev, "inbox");
    assert_string_equal(str(m, "subject"), "Sent Tue, 14 Nov 2023 22:13:20 +0000");
    assert_string_equal(str(m, "body"), "2023-11-13 2");
    json_decref(m);
}

static void what_teams_do_comes_back_to_them(void **state)
{
    fixture *f = *state;
    event ev = {.seq = 20,
                .at_ms = 600000,
                .team = 2,
                .kind = EV_ANSWER,
                .subject = "q",
                .text = "10.80.1.66",
                .actor = "Ken"};
    answer_outcome right = {.known = true, .correct = true, .points = 10, .attempts_left = 2};
    json_t *m = console_view_event(&f->v, &TEAM2, &ev, &right);
    assert_string_equal(str(m, "type"), "answer");
    assert_int_equal(num(m, "team"), 2);
    assert_string_equal(str(m, "objective"), "q");
    assert_string_equal(str(m, "text"), "10.80.1.66");
    assert_string_equal(str(m, "by"), "Ken");
    assert_true(json_is_true(json_object_get(m, "correct")));
    assert_int_equal(num(m, "points"), 10);
    assert_int_equal(num(m, "attempts_left"), 2);
    json_decref(m);
    answer_outcome wrong_unlimited = {
        .known = true, .correct = false, .points = 0, .attempts_left = -1};
    m = console_view_event(&f->v, &TEAM2, &ev, &wrong_unlimited);
    assert_true(json_is_false(json_object_get(m, "correct")));
    assert_null(json_object_get(m, "attempts_left"));
    json_decref(m);
    /* No feedback known: no verdict at all. */
    answer_outcome unknown = {.known = false, .correct = true, .points = 10};
    const answer_outcome *outcomes[] = {NULL, &unknown};
    for (int i = 0; i < 2; i++) {
        m = console_view_event(&f->v, &TEAM2, &ev, outcomes[i]);
        assert_null(json_object_get(m, "correct"));
        assert_null(json_object_get(m, "points"));
        json_decref(m);
    }
    assert_null(console_view_event(&f->v, &TEAM1, &ev, &right));
    /* A scenario without feedback: teams get no verdict, instructors do. */
    scenario *quiet = (scenario *)f->s;
    quiet->feedback = false;
    m = console_view_event(&f->v, &TEAM2, &ev, &right);
    assert_null(json_object_get(m, "correct"));
    assert_null(json_object_get(m, "points"));
    json_decref(m);
    console_audience instructors = {0, NULL};
    m = console_view_event(&f->v, &instructors, &ev, &right);
    assert_true(json_is_true(json_object_get(m, "correct")));
    json_decref(m);
    quiet->feedback = true;

    ev = (event){.seq = 21,
                 .team = 2,
                 .kind = EV_REPORT,
                 .subject = "rep",
                 .text = "Timeline: ...",
                 .actor = "Ken"};
    m = seen(f, &TEAM2, &ev, "report");
    assert_string_equal(str(m, "objective"), "rep");
    assert_string_equal(str(m, "text"), "Timeline: ...");
    assert_string_equal(str(m, "by"), "Ken");
    json_decref(m);

    ev = (event){.seq = 22, .team = 2, .kind = EV_GRADE, .subject = "rep", .value = 4, .text = "1"};
    m = seen(f, &TEAM2, &ev, "grade");
    assert_string_equal(str(m, "objective"), "rep");
    assert_int_equal(num(m, "item"), 1);
    assert_int_equal(num(m, "points"), 4);
    json_decref(m);

    /* A hint's text, in the team's language, with its addresses. */
    ev = (event){.seq = 23, .team = 2, .kind = EV_HINT, .subject = "q", .value = 0};
    const console_audience ja2 = {2, "ja"};
    m = seen(f, &ja2, &ev, "hint");
    assert_string_equal(str(m, "objective"), "q");
    assert_int_equal(num(m, "index"), 0);
    assert_string_equal(str(m, "text"), "10.80.1.10 を見て");
    assert_int_equal(num(m, "cost"), 2);
    json_decref(m);
    m = seen(f, &TEAM2, &ev, "hint");
    assert_string_equal(str(m, "text"), "Look at 10.80.1.10");
    json_decref(m);
    ev.value = -1;
    seen(f, &TEAM2, &ev, NULL);
}

static void broadcasts_reach_whom_they_address(void **state)
{
    fixture *f = *state;
    event ev = {.seq = 30,
                .at_ms = 1000,
                .team = 0,
                .kind = EV_INSTRUCTOR,
                .subject = "broadcast",
                .text = "Lunch at 12:00",
                .actor = "instructor"};
    const console_audience all[] = {{1, NULL}, {2, "ja"}, {3, NULL}, {0, NULL}};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        json_t *m = seen(f, &all[i], &ev, "message");
        assert_int_equal(num(m, "team"), 0);
        assert_string_equal(str(m, "text"), "Lunch at 12:00");
        assert_string_equal(str(m, "from"), "instructor");
        json_decref(m);
    }
    /* To one team: only that team (and instructors). */
    ev.team = 2;
    ev.actor = NULL;
    seen(f, &TEAM1, &ev, NULL);
    json_t *m = seen(f, &TEAM2, &ev, "message");
    assert_int_equal(num(m, "team"), 2);
    assert_string_equal(str(m, "from"), "instructor");
    json_decref(m);
    json_decref(seen(f, &INSTRUCTORS, &ev, "message"));
    /* Only a broadcast goes to everyone: other team-0 instructor events do not. */
    ev.team = 0;
    ev.subject = "node.restart";
    seen(f, &TEAM1, &ev, NULL);
    json_decref(seen(f, &INSTRUCTORS, &ev, "event"));
}

static void welcome_parts_in_the_audience_language(void **state)
{
    fixture *f = *state;
    const console_audience ja2 = {2, "ja"};
    json_t *ex = console_view_exercise(&f->v, &ja2, "running", 754000, 1.5, 4);
    assert_string_equal(str(ex, "id"), "view");
    assert_string_equal(str(ex, "title"), "事務LAN");
    assert_string_equal(str(ex, "description"), "チーム2が守る");
    assert_string_equal(str(ex, "lang"), "ja");
    assert_string_equal(str(ex, "default_language"), "en");
    assert_string_equal(str(ex, "phase"), "running");
    assert_int_equal(num(ex, "at_ms"), 754000);
    assert_true(json_real_value(json_object_get(ex, "speed")) == 1.5);
    assert_int_equal(num(ex, "teams"), 4);
    json_t *langs = json_object_get(ex, "languages");
    assert_int_equal(json_array_size(langs), 2);
    assert_string_equal(json_string_value(json_array_get(langs, 1)), "ja");
    json_decref(ex);
    ex = console_view_exercise(&f->v, &TEAM1, "ready", 0, 1, 2);
    assert_string_equal(str(ex, "title"), "Office LAN");
    assert_string_equal(str(ex, "lang"), "en");
    json_decref(ex);

    json_t *objs = console_view_objectives(&f->v, &ja2);
    assert_int_equal(json_array_size(objs), 3);
    json_t *q = json_array_get(objs, 0), *stop = json_array_get(objs, 1),
           *rep = json_array_get(objs, 2);
    assert_string_equal(str(q, "id"), "q");
    assert_string_equal(str(q, "kind"), "question");
    assert_string_equal(str(q, "title"), "C2サーバ");
    assert_string_equal(str(q, "text"), "どのアドレス?");
    assert_int_equal(num(q, "points"), 10);
    assert_int_equal(num(q, "attempts"), 3);
    json_t *first_hint = json_array_get(json_object_get(q, "hints"), 0);
    assert_int_equal(num(first_hint, "index"), 0);
    assert_int_equal(num(first_hint, "cost"), 2);
    assert_null(json_object_get(first_hint, "text")); /* only once taken */
    assert_string_equal(str(stop, "kind"), "check");
    assert_null(json_object_get(stop, "attempts"));
    assert_null(json_object_get(stop, "check"));
    assert_string_equal(str(rep, "kind"), "report");
    assert_int_equal(num(rep, "points"), 15);
    json_t *rubric = json_object_get(rep, "rubric");
    assert_int_equal(json_array_size(rubric), 2);
    assert_string_equal(str(json_array_get(rubric, 0), "text"), "時系列");
    assert_int_equal(num(json_array_get(rubric, 1), "item"), 1);
    assert_int_equal(num(json_array_get(rubric, 1), "points"), 5);
    json_decref(objs);
}

static void teams_see_their_visible_nodes_with_their_addresses(void **state)
{
    fixture *f = *state;
    json_t *nodes = console_view_nodes(&f->v, &TEAM2, 2);
    assert_int_equal(json_array_size(nodes), 1); /* not the attacker */
    json_t *ws = json_array_get(nodes, 0);
    assert_string_equal(str(ws, "name"), "ws");
    assert_string_equal(str(ws, "title"), "Workstation");
    assert_int_equal(num(ws, "team"), 2);
    json_t *addrs = json_object_get(ws, "addresses");
    assert_int_equal(json_array_size(addrs), 1);
    assert_string_equal(json_string_value(json_array_get(addrs, 0)), "10.80.1.10");
    assert_true(json_is_true(json_object_get(ws, "console")));
    assert_true(json_is_false(json_object_get(ws, "display")));
    json_decref(nodes);

    /* A screen where the node's image offers one (ws, not c2). */
    const bool display[] = {true, false};
    console_view with_screens = {f->s, f->vars, NULL, display};
    nodes = console_view_nodes(&with_screens, &TEAM2, 2);
    assert_true(json_is_true(json_object_get(json_array_get(nodes, 0), "display")));
    json_decref(nodes);

    const console_audience ja_instr = {0, "ja"};
    nodes = console_view_nodes(&f->v, &ja_instr, 1);
    assert_int_equal(json_array_size(nodes), 2);
    assert_string_equal(str(json_array_get(nodes, 0), "title"), "端末");
    json_t *c2 = json_array_get(nodes, 1);
    assert_string_equal(str(c2, "name"), "c2");
    assert_string_equal(str(c2, "role"), "red");
    assert_string_equal(json_string_value(json_array_get(json_object_get(c2, "addresses"), 0)),
                        "10.80.0.66");
    json_decref(nodes);
}

static void scores_list_every_objective(void **state)
{
    fixture *f = *state;
    objective_score objs[3] = {{.points = 10, .achieved = true}, {.points = 0}, {.points = 7}};
    team_score ts = {.team = 2, .total = 15, .penalties = 2, .objectives = objs};
    json_t *m = console_view_score(&f->v, &ts);
    assert_string_equal(str(m, "type"), "score");
    assert_int_equal(num(m, "team"), 2);
    assert_int_equal(num(m, "total"), 15);
    assert_int_equal(num(m, "penalties"), 2);
    json_t *list = json_object_get(m, "objectives");
    assert_int_equal(json_array_size(list), 3);
    assert_string_equal(str(json_array_get(list, 0), "id"), "q");
    assert_true(json_is_true(json_object_get(json_array_get(list, 0), "achieved")));
    assert_string_equal(str(json_array_get(list, 2), "id"), "rep");
    assert_int_equal(num(json_array_get(list, 2), "points"), 7);
    assert_true(json_is_false(json_object_get(json_array_get(list, 2), "achieved")));
    json_decref(m);
}

static void texts_are_filled_in_per_team(void **state)
{
    fixture *f = *state;
    const inject *mail = scenario_inject(f->s, "mail");
    const console_audience ja = {0, "ja"};
    char *t = console_view_text(&f->v, &ja, 1, &mail->action.subject);
    assert_string_equal(t, "端末 10.80.0.10 について");
    free(t);
    t = console_view_text(&f->v, &TEAM2, 2, &mail->action.body);
    assert_string_equal(t, "Team 2: run the updater");
    free(t);
    /* A text the scenario does not give is empty, not missing. */
    const inject *drop = scenario_inject(f->s, "drop");
    t = console_view_text(&f->v, &TEAM1, 1, &drop->title);
    assert_string_equal(t, "");
    free(t);
}

/* Each team its own accounts with its own passwords, on the nodes it may
 * see; never another team's; instructors every team's, on every node. */
static void teams_see_their_own_accounts(void **state)
{
    fixture *f = *state;
    const console_audience team2_ja = {2, "ja"};
    json_t *mine = console_view_accounts(&f->v, &team2_ja, 2);
    assert_int_equal(json_array_size(mine), 1); /* mallory is on a node teams do not see */
    json_t *alice = json_array_get(mine, 0);
    assert_string_equal(str(alice, "name"), "alice");
    assert_string_equal(str(alice, "password"), "Pw-2-10.80.1.10");
    assert_string_equal(str(alice, "title"), "経理");
    assert_int_equal(num(alice, "team"), 2);
    assert_true(json_is_false(json_object_get(alice, "sudo")));
    json_t *nodes = json_object_get(alice, "nodes");
    assert_int_equal(json_array_size(nodes), 1);
    assert_string_equal(json_string_value(json_array_get(nodes, 0)), "ws");
    json_decref(mine);
    /* Asked for another team's, a team gets nothing. */
    json_t *other = console_view_accounts(&f->v, &TEAM1, 2);
    assert_int_equal(json_array_size(other), 0);
    json_decref(other);
    json_t *own = console_view_accounts(&f->v, &TEAM1, 1);
    char *text = json_dumps(own, 0);
    assert_non_null(strstr(text, "Pw-1-10.80.0.10"));
    assert_null(strstr(text, "Pw-2"));
    assert_null(strstr(text, "SECRET-C2-PW"));
    free(text);
    json_decref(own);
    /* Instructors: every node, the attacker's too. */
    json_t *all = console_view_accounts(&f->v, &INSTRUCTORS, 2);
    assert_int_equal(json_array_size(all), 2);
    json_t *mallory = json_array_get(all, 1);
    assert_string_equal(str(mallory, "password"), "SECRET-C2-PW");
    assert_string_equal(json_string_value(json_array_get(json_object_get(mallory, "nodes"), 0)),
                        "c2");
    json_decref(all);
    /* A node whose image does not run Linux has no default accounts. */
    const bool runs_linux[] = {false, true};
    console_view other_images = {f->s, f->vars, runs_linux, NULL};
    json_t *none = console_view_accounts(&other_images, &TEAM1, 1);
    assert_int_equal(json_array_size(none), 0);
    json_decref(none);
}

/* A team's requests come back to it and to instructors with their state:
 * an instructor's one asked, then approved or refused with a note; an auto
 * one approved at once. The welcome lists them in the audience's language. */
static void requests_show_their_state(void **state)
{
    fixture *f = *state;
    const console_audience ja1 = {1, "ja"};
    event ask = {.seq = 7,
                 .at_ms = 1000,
                 .team = 1,
                 .kind = EV_REQUEST,
                 .subject = "reimage",
                 .text = "ws is lost",
                 .actor = "Aiko"};
    json_t *m = console_view_event(&f->v, &ja1, &ask, NULL);
    assert_string_equal(str(m, "type"), "request");
    assert_string_equal(str(m, "request"), "reimage");
    assert_string_equal(str(m, "title"), "ws を再イメージ");
    assert_string_equal(str(m, "state"), "asked");
    assert_string_equal(str(m, "approval"), "instructor");
    assert_string_equal(str(m, "note"), "ws is lost");
    assert_string_equal(str(m, "by"), "Aiko");
    json_decref(m);
    event yes = {.seq = 8,
                 .team = 1,
                 .kind = EV_REQUEST_DECIDED,
                 .subject = "reimage",
                 .value = 1,
                 .text = "done in 5 minutes",
                 .actor = "instructor"};
    m = console_view_event(&f->v, &INSTRUCTORS, &yes, NULL);
    assert_string_equal(str(m, "state"), "approved");
    assert_string_equal(str(m, "note"), "done in 5 minutes");
    assert_int_equal(num(m, "team"), 1);
    json_decref(m);
    yes.value = 0;
    m = console_view_event(&f->v, &TEAM1, &yes, NULL);
    assert_string_equal(str(m, "state"), "refused");
    json_decref(m);
    event call = {.seq = 9, .team = 1, .kind = EV_REQUEST, .subject = "call"};
    m = console_view_event(&f->v, &TEAM1, &call, NULL);
    assert_string_equal(str(m, "state"), "approved");
    assert_string_equal(str(m, "approval"), "auto");
    assert_null(json_object_get(m, "note"));
    json_decref(m);

    json_t *list = console_view_requests(&f->v, &ja1);
    assert_int_equal(json_array_size(list), 2);
    assert_string_equal(str(json_array_get(list, 0), "title"), "ws を再イメージ");
    assert_int_equal(num(json_array_get(list, 0), "limit"), 1);
    assert_string_equal(str(json_array_get(list, 1), "approval"), "auto");
    json_decref(list);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(every_kind_of_event_has_its_audience),
        T(teams_never_see_attack_steps_checks_or_notes),
        T(instructors_see_the_raw_event),
        T(inbox_messages_come_in_the_audience_language_with_team_values),
        T(messages_show_the_time_they_were_sent),
        T(what_teams_do_comes_back_to_them),
        T(broadcasts_reach_whom_they_address),
        T(welcome_parts_in_the_audience_language),
        T(teams_see_their_visible_nodes_with_their_addresses),
        T(scores_list_every_objective),
        T(texts_are_filled_in_per_team),
        T(teams_see_their_own_accounts),
        T(requests_show_their_state),
        T(feedback_names_its_report),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
