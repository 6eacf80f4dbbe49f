/* The console protocol's decoder (web/PROTOCOL.md): every request type with
 * its fields, every way a field can be wrong (missing, of the wrong type,
 * out of range, too long) answered by bad_request naming it, frames that are
 * not JSON objects, request ids echoed in replies, and the hello rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "console_protocol.h"
#include "errors.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes text; fails the test, saying why, when the decoder refuses it. */
static void decode_ok(const char *text, console_request *r)
{
    console_error err;
    if (console_request_decode(text, strlen(text), r, &err) != ENSHU_OK)
        fail_msg("%s was refused: %s (field %s): %s", text, err.code, err.field ? err.field : "-",
                 err.message);
}

/* Decodes len bytes of text expecting a refusal with code and field (NULL:
 * no field); the request is cleared, the error returned for more checks. */
static console_error refused_len(const char *text, size_t len, const char *code, const char *field)
{
    console_request r;
    console_error err;
    int rc = console_request_decode(text, len, &r, &err);
    console_request_clear(&r);
    if (rc == ENSHU_OK)
        fail_msg("%.200s was accepted; expected %s", text, code);
    assert_int_equal(rc, ENSHU_EINVAL);
    if (strcmp(err.code, code) != 0)
        fail_msg("%.200s: code %s, expected %s (%s)", text, err.code, code, err.message);
    if (field && (!err.field || strcmp(err.field, field) != 0))
        fail_msg("%.200s: field %s, expected %s (%s)", text, err.field ? err.field : "none", field,
                 err.message);
    if (!field && err.field)
        fail_msg("%.200s: names field %s, expected none", text, err.field);
    assert_true(err.message[0] != '\0');
    return err;
}

static console_error refused(const char *text, const char *code, const char *field)
{
    return refused_len(text, strlen(text), code, field);
}

/* ---- every type decodes with its fields ---- */

static void hello_decodes_for_both_roles(void **state)
{
    console_request r;
    decode_ok("{\"type\": \"hello\", \"id\": 1, \"version\": 1, \"role\": \"team\", "
              "\"code\": \"K7QF-M2XP\", \"name\": \"Aiko\", \"lang\": \"ja\", \"since\": 1234}",
              &r);
    assert_int_equal(r.type, REQ_HELLO);
    assert_string_equal(r.role, "team");
    assert_string_equal(r.code, "K7QF-M2XP");
    assert_string_equal(r.name, "Aiko");
    assert_string_equal(r.lang, "ja");
    assert_int_equal(r.since, 1234);
    assert_null(r.password);
    assert_int_equal(r.team, -1);
    assert_true(json_is_integer(r.id) && json_integer_value(r.id) == 1);
    console_request_clear(&r);

    decode_ok("{\"type\": \"hello\", \"version\": 1, \"role\": \"instructor\", "
              "\"password\": \"correct horse\", \"since\": 0}",
              &r);
    assert_int_equal(r.type, REQ_HELLO);
    assert_string_equal(r.role, "instructor");
    assert_string_equal(r.password, "correct horse");
    assert_null(r.code);
    assert_null(r.name);
    assert_null(r.lang);
    assert_int_equal(r.since, 0);
    assert_null(r.id);
    console_request_clear(&r);

    /* since: the highest seq a client saw, which may be far beyond 32 bits. */
    decode_ok("{\"type\": \"hello\", \"role\": \"instructor\", \"password\": \"p\", "
              "\"since\": 9007199254740993}",
              &r);
    assert_true(r.since == 9007199254740993LL);
    console_request_clear(&r);
}

static void trainee_requests_decode_with_their_fields(void **state)
{
    console_request r;
    decode_ok("{\"type\": \"lang\", \"lang\": \"pt-BR\"}", &r);
    assert_int_equal(r.type, REQ_LANG);
    assert_string_equal(r.lang, "pt-BR");
    console_request_clear(&r);

    decode_ok("{\"type\": \"answer\", \"id\": \"a1\", \"objective\": \"c2-address\", "
              "\"text\": \"10.80.1.66\"}",
              &r);
    assert_int_equal(r.type, REQ_ANSWER);
    assert_string_equal(r.objective, "c2-address");
    assert_string_equal(r.text, "10.80.1.66");
    assert_int_equal(r.team, -1);
    assert_string_equal(json_string_value(r.id), "a1");
    console_request_clear(&r);

    /* An instructor answering for a team names it. */
    decode_ok("{\"type\": \"answer\", \"objective\": \"q\", \"text\": \"x\", \"team\": 4}", &r);
    assert_int_equal(r.team, 4);
    console_request_clear(&r);

    decode_ok("{\"type\": \"report\", \"objective\": \"incident-report\", \"text\": \"t\", "
              "\"attachment\": {\"name\": \"log.txt\", \"data\": \"aGVsbG8=\"}}",
              &r);
    assert_int_equal(r.type, REQ_REPORT);
    assert_string_equal(r.objective, "incident-report");
    assert_string_equal(r.text, "t");
    assert_string_equal(r.attachment_name, "log.txt");
    assert_string_equal(r.attachment_data, "aGVsbG8=");
    console_request_clear(&r);

    decode_ok("{\"type\": \"report\", \"objective\": \"r\", \"text\": \"no file\"}", &r);
    assert_null(r.attachment_name);
    assert_null(r.attachment_data);
    console_request_clear(&r);

    decode_ok("{\"type\": \"hint\", \"objective\": \"stop-beacon\", \"index\": 2}", &r);
    assert_int_equal(r.type, REQ_HINT);
    assert_string_equal(r.objective, "stop-beacon");
    assert_int_equal(r.index, 2);
    console_request_clear(&r);

    decode_ok("{\"type\": \"attachment\", \"inject\": \"phish-mail\"}", &r);
    assert_int_equal(r.type, REQ_ATTACHMENT);
    assert_string_equal(r.inject, "phish-mail");
    console_request_clear(&r);

    decode_ok("{\"type\": \"timeline\"}", &r);
    assert_int_equal(r.type, REQ_TIMELINE);
    assert_int_equal(r.team, -1);
    console_request_clear(&r);
    decode_ok("{\"type\": \"timeline\", \"team\": 3}", &r);
    assert_int_equal(r.team, 3);
    console_request_clear(&r);

    decode_ok("{\"type\": \"nodes\"}", &r);
    assert_int_equal(r.type, REQ_NODES);
    assert_int_equal(r.team, -1);
    console_request_clear(&r);
    decode_ok("{\"type\": \"nodes\", \"team\": 0}", &r);
    assert_int_equal(r.team, 0);
    console_request_clear(&r);

    decode_ok("{\"type\": \"console.open\", \"node\": \"ws1\"}", &r);
    assert_int_equal(r.type, REQ_CONSOLE_OPEN);
    assert_string_equal(r.node, "ws1");
    assert_int_equal(r.team, -1);
    console_request_clear(&r);
    decode_ok("{\"type\": \"console.open\", \"node\": \"ws1\", \"team\": 2}", &r);
    assert_int_equal(r.team, 2);
    console_request_clear(&r);

    decode_ok("{\"type\": \"console.input\", \"channel\": 3, \"data\": \"ls -l\\r\"}", &r);
    assert_int_equal(r.type, REQ_CONSOLE_INPUT);
    assert_int_equal(r.channel, 3);
    assert_string_equal(r.data, "ls -l\r");
    console_request_clear(&r);

    static const struct {
        const char *type;
        request_type t;
    } channel_types[] = {{"console.pause", REQ_CONSOLE_PAUSE},
                         {"console.resume", REQ_CONSOLE_RESUME},
                         {"console.close", REQ_CONSOLE_CLOSE}};
    for (size_t i = 0; i < sizeof channel_types / sizeof channel_types[0]; i++) {
        char *text = xasprintf("{\"type\": \"%s\", \"channel\": 255}", channel_types[i].type);
        decode_ok(text, &r);
        assert_int_equal(r.type, channel_types[i].t);
        assert_int_equal(r.channel, 255);
        console_request_clear(&r);
        free(text);
    }
}

static void instructor_requests_decode_with_their_fields(void **state)
{
    console_request r;
    static const struct {
        const char *type;
        request_type t;
    } bare[] = {{"exercise.start", REQ_EXERCISE_START},
                {"exercise.pause", REQ_EXERCISE_PAUSE},
                {"exercise.resume", REQ_EXERCISE_RESUME},
                {"exercise.end", REQ_EXERCISE_END},
                {"scoreboard", REQ_SCOREBOARD}};
    for (size_t i = 0; i < sizeof bare / sizeof bare[0]; i++) {
        char *text = xasprintf("{\"type\": \"%s\", \"id\": %zu}", bare[i].type, i);
        decode_ok(text, &r);
        assert_int_equal(r.type, bare[i].t);
        assert_int_equal(json_integer_value(r.id), (json_int_t)i);
        console_request_clear(&r);
        free(text);
    }

    decode_ok("{\"type\": \"exercise.speed\", \"speed\": 30}", &r);
    assert_int_equal(r.type, REQ_EXERCISE_SPEED);
    assert_true(r.speed == 30.0);
    console_request_clear(&r);
    decode_ok("{\"type\": \"exercise.speed\", \"speed\": 0.25}", &r);
    assert_true(r.speed == 0.25);
    console_request_clear(&r);

    decode_ok("{\"type\": \"inject.release\", \"inject\": \"instructor-tip\", \"team\": 0}", &r);
    assert_int_equal(r.type, REQ_INJECT_RELEASE);
    assert_string_equal(r.inject, "instructor-tip");
    assert_int_equal(r.team, 0);
    console_request_clear(&r);

    decode_ok("{\"type\": \"inject.skip\", \"inject\": \"leak\", \"team\": 7}", &r);
    assert_int_equal(r.type, REQ_INJECT_SKIP);
    assert_string_equal(r.inject, "leak");
    assert_int_equal(r.team, 7);
    console_request_clear(&r);

    decode_ok("{\"type\": \"inject.hold\", \"inject\": \"leak\", \"team\": 2, \"held\": true}", &r);
    assert_int_equal(r.type, REQ_INJECT_HOLD);
    assert_true(r.held);
    console_request_clear(&r);
    decode_ok("{\"type\": \"inject.hold\", \"inject\": \"leak\", \"team\": 2, \"held\": false}",
              &r);
    assert_false(r.held);
    console_request_clear(&r);
    decode_ok("{\"type\": \"inject.retry\", \"inject\": \"setup\", \"team\": 3}", &r);
    assert_int_equal(r.type, REQ_INJECT_RETRY);
    assert_string_equal(r.inject, "setup");
    assert_int_equal(r.team, 3);
    console_request_clear(&r);

    decode_ok("{\"type\": \"grade\", \"team\": 2, \"objective\": \"incident-report\", "
              "\"item\": 1, \"points\": 8}",
              &r);
    assert_int_equal(r.type, REQ_GRADE);
    assert_int_equal(r.team, 2);
    assert_string_equal(r.objective, "incident-report");
    assert_int_equal(r.item, 1);
    assert_int_equal(r.points, 8);
    console_request_clear(&r);

    decode_ok("{\"type\": \"broadcast\", \"text\": \"Lunch at 12:00\"}", &r);
    assert_int_equal(r.type, REQ_BROADCAST);
    assert_string_equal(r.text, "Lunch at 12:00");
    assert_int_equal(r.team, -1);
    console_request_clear(&r);
    decode_ok("{\"type\": \"broadcast\", \"text\": \"team 3 only\", \"team\": 3}", &r);
    assert_int_equal(r.team, 3);
    console_request_clear(&r);

    decode_ok("{\"type\": \"node.restart\", \"team\": 1, \"node\": \"web\"}", &r);
    assert_int_equal(r.type, REQ_NODE_RESTART);
    assert_int_equal(r.team, 1);
    assert_string_equal(r.node, "web");
    console_request_clear(&r);

    decode_ok("{\"type\": \"node.revert\", \"team\": 3, \"node\": \"ws1\"}", &r);
    assert_int_equal(r.type, REQ_NODE_REVERT);
    assert_int_equal(r.team, 3);
    assert_string_equal(r.node, "ws1");
    console_request_clear(&r);
}

/* Feedback on a report names the report by its seq; a team's new name
 * may come with an organisation. Both are for instructors only. */
static void feedback_and_team_names_decode(void **state)
{
    console_request r;
    decode_ok("{\"type\": \"report.feedback\", \"team\": 2, \"objective\": \"rep\", "
              "\"report\": 123456789012, \"text\": \"Name the hosts.\"}",
              &r);
    assert_int_equal(r.type, REQ_REPORT_FEEDBACK);
    assert_true(request_type_instructor_only(r.type));
    assert_int_equal(r.team, 2);
    assert_string_equal(r.objective, "rep");
    assert_true(r.report == 123456789012LL);
    assert_string_equal(r.text, "Name the hosts.");
    console_request_clear(&r);

    decode_ok("{\"type\": \"team.rename\", \"team\": 1, \"name\": \"Blue Falcons\", "
              "\"organisation\": \"Ministry of ICT\"}",
              &r);
    assert_int_equal(r.type, REQ_TEAM_RENAME);
    assert_true(request_type_instructor_only(r.type));
    assert_string_equal(r.name, "Blue Falcons");
    assert_string_equal(r.organisation, "Ministry of ICT");
    console_request_clear(&r);
    decode_ok("{\"type\": \"team.rename\", \"team\": 1, \"name\": \"Cranes\"}", &r);
    assert_null(r.organisation);
    console_request_clear(&r);

    static const char *const bad[] = {
        "{\"type\": \"report.feedback\", \"team\": 2, \"objective\": \"rep\", \"text\": \"x\"}",
        "{\"type\": \"report.feedback\", \"team\": 2, \"objective\": \"rep\", \"report\": 0, "
        "\"text\": \"x\"}",
        "{\"type\": \"report.feedback\", \"team\": 2, \"objective\": \"rep\", \"report\": 5, "
        "\"text\": \"\"}",
        "{\"type\": \"team.rename\", \"team\": 1}",
        "{\"type\": \"team.rename\", \"team\": 0, \"name\": \"x\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        console_error err;
        assert_int_equal(console_request_decode(bad[i], strlen(bad[i]), &r, &err), ENSHU_EINVAL);
        assert_string_equal(err.code, "bad_request");
        console_request_clear(&r);
    }
}

/* PROTOCOL.md's two tables: who may send what. */
static void type_names_and_roles_follow_the_protocol(void **state)
{
    static const char *const instructor_only[] = {
        "exercise.start", "exercise.pause", "exercise.resume", "exercise.end", "exercise.speed",
        "inject.release", "inject.skip",    "inject.hold",     "grade",        "broadcast",
        "node.restart",   "node.revert",    "code.rotate",     "members",      "member.remove",
        "inject.retry",   "events"};
    /* scoreboard: teams too when the scenario makes it public (the hub decides). */
    static const char *const anyone[] = {
        "hello",         "lang",          "answer",         "report",        "hint",
        "attachment",    "timeline",      "nodes",          "scoreboard",    "console.open",
        "console.input", "console.pause", "console.resume", "console.close", "logout"};
    bool seen[REQ_COUNT] = {false};
    for (int t = 0; t < REQ_COUNT; t++) {
        const char *name = request_type_name((request_type)t);
        bool listed_instr = false, listed_any = false;
        for (size_t i = 0; i < sizeof instructor_only / sizeof instructor_only[0]; i++)
            listed_instr |= strcmp(name, instructor_only[i]) == 0;
        for (size_t i = 0; i < sizeof anyone / sizeof anyone[0]; i++)
            listed_any |= strcmp(name, anyone[i]) == 0;
        if (!listed_instr && !listed_any)
            continue; /* a type newer than this test: its own tests say who sends it */
        seen[t] = true;
        if (request_type_instructor_only((request_type)t) != listed_instr)
            fail_msg("%s: instructor only is %d", name,
                     request_type_instructor_only((request_type)t));
    }
    size_t n = 0;
    for (int t = 0; t < REQ_COUNT; t++)
        n += seen[t];
    assert_int_equal(n, sizeof instructor_only / sizeof instructor_only[0] +
                            sizeof anyone / sizeof anyone[0]);
    assert_string_equal(request_type_name(REQ_COUNT), "?");
    assert_false(request_type_instructor_only(REQ_COUNT));
}

/* ---- every field, every way wrong ---- */

typedef struct field_rule {
    const char *name;
    char kind; /* s: string (min, max: length), i: integer, n: number, b: boolean */
    bool required;
    long long min, max;
} field_rule;

typedef struct type_rule {
    const char *valid; /* a message with every field (required and optional) */
    field_rule fields[5];
} type_rule;

#define MAX_TEAM 1000
static const type_rule RULES[] = {
    {"{\"type\": \"lang\", \"lang\": \"en\"}", {{"lang", 's', true, 2, 16}}},
    {"{\"type\": \"answer\", \"objective\": \"q\", \"text\": \"a\", \"team\": 1}",
     {{"objective", 's', true, 1, 200},
      {"text", 's', true, 1, 2000},
      {"team", 'i', false, 1, MAX_TEAM}}},
    {"{\"type\": \"report\", \"objective\": \"r\", \"text\": \"t\", \"team\": 1}",
     {{"objective", 's', true, 1, 200},
      {"text", 's', true, 1, 60000},
      {"team", 'i', false, 1, MAX_TEAM}}},
    {"{\"type\": \"hint\", \"objective\": \"q\", \"index\": 0, \"team\": 1}",
     {{"objective", 's', true, 1, 200},
      {"index", 'i', true, 0, 63},
      {"team", 'i', false, 1, MAX_TEAM}}},
    {"{\"type\": \"attachment\", \"inject\": \"mail\", \"team\": 1}",
     {{"inject", 's', true, 1, 200}, {"team", 'i', false, 1, MAX_TEAM}}},
    {"{\"type\": \"timeline\", \"team\": 1}", {{"team", 'i', false, 0, MAX_TEAM}}},
    {"{\"type\": \"nodes\", \"team\": 1}", {{"team", 'i', false, 0, MAX_TEAM}}},
    {"{\"type\": \"console.open\", \"node\": \"ws\", \"team\": 1}",
     {{"node", 's', true, 1, 200}, {"team", 'i', false, 1, MAX_TEAM}}},
    {"{\"type\": \"console.input\", \"channel\": 1, \"data\": \"x\"}",
     {{"channel", 'i', true, 1, 255}, {"data", 's', true, 1, 4096}}},
    {"{\"type\": \"console.pause\", \"channel\": 1}", {{"channel", 'i', true, 1, 255}}},
    {"{\"type\": \"console.resume\", \"channel\": 1}", {{"channel", 'i', true, 1, 255}}},
    {"{\"type\": \"console.close\", \"channel\": 1}", {{"channel", 'i', true, 1, 255}}},
    {"{\"type\": \"exercise.speed\", \"speed\": 1}", {{"speed", 'n', true, 0, 1000}}},
    {"{\"type\": \"inject.release\", \"inject\": \"i\", \"team\": 0}",
     {{"inject", 's', true, 1, 200}, {"team", 'i', true, 0, MAX_TEAM}}},
    {"{\"type\": \"inject.skip\", \"inject\": \"i\", \"team\": 0}",
     {{"inject", 's', true, 1, 200}, {"team", 'i', true, 0, MAX_TEAM}}},
    {"{\"type\": \"inject.hold\", \"inject\": \"i\", \"team\": 0, \"held\": true}",
     {{"inject", 's', true, 1, 200}, {"team", 'i', true, 0, MAX_TEAM}, {"held", 'b', true, 0, 0}}},
    {"{\"type\": \"grade\", \"team\": 1, \"objective\": \"r\", \"item\": 0, \"points\": 0}",
     {{"team", 'i', true, 1, MAX_TEAM},
      {"objective", 's', true, 1, 200},
      {"item", 'i', true, 0, 1000},
      {"points", 'i', true, 0, 100000}}},
    {"{\"type\": \"broadcast\", \"text\": \"t\", \"team\": 0}",
     {{"text", 's', true, 1, 4000}, {"team", 'i', false, 0, MAX_TEAM}}},
    {"{\"type\": \"node.restart\", \"team\": 1, \"node\": \"ws\"}",
     {{"team", 'i', true, 1, MAX_TEAM}, {"node", 's', true, 1, 200}}},
    {"{\"type\": \"node.revert\", \"team\": 1, \"node\": \"ws\"}",
     {{"team", 'i', true, 1, MAX_TEAM}, {"node", 's', true, 1, 200}}},
    {"{\"type\": \"events\", \"team\": 1, \"limit\": 10}",
     {{"team", 'i', false, 0, MAX_TEAM}, {"limit", 'i', false, 1, 500}}},
};

/* The valid message of rule with field set to value (NULL: removed). */
static char *with_field(const type_rule *rule, const char *field, json_t *value)
{
    json_t *o = json_loads(rule->valid, 0, NULL);
    assert_non_null(o);
    if (value)
        json_object_set_new(o, field, value);
    else
        json_object_del(o, field);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

static json_t *string_of(size_t len)
{
    char *s = xmalloc(len + 1);
    memset(s, 'x', len);
    s[len] = '\0';
    json_t *j = json_string(s);
    free(s);
    return j;
}

static void expect_refused(const type_rule *rule, const field_rule *f, json_t *value)
{
    char *text = with_field(rule, f->name, value);
    refused(text, "bad_request", f->name);
    free(text);
}

static void expect_accepted(const type_rule *rule, const field_rule *f, json_t *value)
{
    char *text = with_field(rule, f->name, value);
    console_request r;
    decode_ok(text, &r);
    console_request_clear(&r);
    free(text);
}

static void every_bad_field_is_named(void **state)
{
    for (size_t i = 0; i < sizeof RULES / sizeof RULES[0]; i++) {
        const type_rule *rule = &RULES[i];
        expect_accepted(rule, &(field_rule){.name = "unknown-field-ignored"}, json_true());
        for (const field_rule *f = rule->fields; f->name; f++) {
            /* Missing, or null: refused when required, fine when optional. */
            if (f->required) {
                expect_refused(rule, f, NULL);
                expect_refused(rule, f, json_null());
            } else {
                expect_accepted(rule, f, NULL);
                expect_accepted(rule, f, json_null());
            }
            /* Of the wrong type. */
            expect_refused(rule, f, json_pack("[i]", 1));
            expect_refused(rule, f, json_object());
            if (f->kind != 's')
                expect_refused(rule, f, json_string("1"));
            if (f->kind != 'b') {
                expect_refused(rule, f, json_true());
                expect_refused(rule, f, json_false());
            }
            if (f->kind == 's' || f->kind == 'b')
                expect_refused(rule, f, json_integer(1));
            if (f->kind == 'i')
                expect_refused(rule, f, json_real(1.5));
            /* At its bounds, and just past them. */
            switch (f->kind) {
            case 's':
                expect_accepted(rule, f, string_of((size_t)f->max));
                expect_accepted(rule, f, string_of((size_t)f->min));
                expect_refused(rule, f, string_of((size_t)f->max + 1));
                expect_refused(rule, f, string_of((size_t)f->min - 1));
                break;
            case 'i':
                expect_accepted(rule, f, json_integer(f->min));
                expect_accepted(rule, f, json_integer(f->max));
                expect_refused(rule, f, json_integer(f->min - 1));
                expect_refused(rule, f, json_integer(f->max + 1));
                expect_refused(rule, f, json_integer(INT64_MIN));
                expect_refused(rule, f, json_integer(INT64_MAX));
                /* Wrapped into an int, this would be in range. */
                expect_refused(rule, f, json_integer(0x100000000LL + f->min));
                break;
            case 'n':
                expect_accepted(rule, f, json_real((double)f->max));
                expect_accepted(rule, f, json_real(0.001));
                expect_refused(rule, f, json_real((double)f->min)); /* 0 < speed */
                expect_refused(rule, f, json_integer(f->min));
                expect_refused(rule, f, json_real(-1));
                expect_refused(rule, f, json_real((double)f->max + 0.5));
                expect_refused(rule, f, json_real(1e300));
                break;
            default:
                break;
            }
        }
    }
}

static void a_text_is_bounded_and_named_in_the_message(void **state)
{
    console_error err = refused("{\"type\": \"answer\", \"objective\": \"q\", \"text\": \"\"}",
                                "bad_request", "text");
    assert_non_null(strstr(err.message, "'text'"));
    err = refused("{\"type\": \"answer\", \"text\": \"a\"}", "bad_request", "objective");
    assert_non_null(strstr(err.message, "'objective'"));
    err = refused("{\"type\": \"hint\", \"objective\": \"q\", \"index\": 64}", "bad_request",
                  "index");
    assert_non_null(strstr(err.message, "'index'"));
    /* NUL inside a string: refused, whether jansson or the decoder stops it. */
    static const char nul[] =
        "{\"type\": \"answer\", \"objective\": \"q\", \"text\": \"a\\u0000b\"}";
    console_request r;
    console_error e;
    assert_int_equal(console_request_decode(nul, strlen(nul), &r, &e), ENSHU_EINVAL);
    console_request_clear(&r);
}

static void report_attachments_are_checked(void **state)
{
    static const char *const bad[] = {
        "\"attachment\": \"log.txt\"",
        "\"attachment\": []",
        "\"attachment\": {}",
        "\"attachment\": {\"name\": \"log.txt\"}",
        "\"attachment\": {\"data\": \"aGk=\"}",
        "\"attachment\": {\"name\": \"\", \"data\": \"aGk=\"}",
        "\"attachment\": {\"name\": 5, \"data\": \"aGk=\"}",
        "\"attachment\": {\"name\": \"a\", \"data\": 5}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *text =
            xasprintf("{\"type\": \"report\", \"objective\": \"r\", \"text\": \"t\", %s}", bad[i]);
        refused(text, "bad_request", "attachment");
        free(text);
    }
    /* Names up to 200 bytes, data up to 60,000 characters (PROTOCOL.md). */
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:{s:o, s:o}}", "type", "report", "objective", "r", "text", "t",
                  "attachment", "name", string_of(200), "data", string_of(60000));
    char *text = json_dumps(o, JSON_COMPACT);
    console_request r;
    decode_ok(text, &r);
    assert_int_equal(strlen(r.attachment_name), 200);
    assert_int_equal(strlen(r.attachment_data), 60000);
    console_request_clear(&r);
    free(text);
    json_object_set_new(json_object_get(o, "attachment"), "data", string_of(60001));
    text = json_dumps(o, JSON_COMPACT);
    refused(text, "bad_request", "attachment");
    free(text);
    json_object_set_new(json_object_get(o, "attachment"), "data", string_of(10));
    json_object_set_new(json_object_get(o, "attachment"), "name", string_of(201));
    text = json_dumps(o, JSON_COMPACT);
    refused(text, "bad_request", "attachment");
    free(text);
    json_decref(o);
    /* A null attachment is no attachment. */
    decode_ok("{\"type\": \"report\", \"objective\": \"r\", \"text\": \"t\", \"attachment\": null}",
              &r);
    assert_null(r.attachment_name);
    console_request_clear(&r);
}

/* ---- frames that are not requests ---- */

/* An events page: its position is a seq (64 bits), its kinds an array the
 * hub reads itself (hub_events.c). */
static void events_pages_decode(void **state)
{
    console_request r;
    decode_ok("{\"type\": \"events\", \"team\": 2, \"before_seq\": 9000000000, \"limit\": 500, "
              "\"kinds\": [\"answer\"]}",
              &r);
    assert_int_equal(r.type, REQ_EVENTS);
    assert_int_equal(r.team, 2);
    assert_true(r.before_seq == 9000000000LL);
    assert_int_equal(r.limit, 500);
    assert_true(json_is_array(json_object_get(r.root, "kinds")));
    console_request_clear(&r);
    decode_ok("{\"type\": \"events\"}", &r);
    assert_int_equal(r.team, -1);
    assert_true(r.before_seq == 0);
    assert_int_equal(r.limit, 0);
    console_request_clear(&r);
    refused("{\"type\": \"events\", \"before_seq\": 0}", "bad_request", "before_seq");
    refused("{\"type\": \"events\", \"before_seq\": \"7\"}", "bad_request", "before_seq");
    refused("{\"type\": \"events\", \"limit\": 501}", "bad_request", "limit");
    assert_true(request_type_instructor_only(REQ_EVENTS));
}

static void frames_that_are_not_objects_are_bad_json(void **state)
{
    refused_len("", 0, "bad_json", NULL);
    refused("   ", "bad_json", NULL);
    refused("{", "bad_json", NULL);
    refused("{\"type\": \"hello\",}", "bad_json", NULL);
    refused("hello", "bad_json", NULL);
    refused("[]", "bad_json", NULL);
    refused("[{\"type\": \"timeline\"}]", "bad_json", NULL);
    refused("\"timeline\"", "bad_json", NULL);
    refused("42", "bad_json", NULL);
    refused("null", "bad_json", NULL);
    refused("{\"type\": \"timeline\"} {\"type\": \"nodes\"}", "bad_json", NULL);
    refused("{\"type\": \"timeline\", \"text\": \"\xff\"}", "bad_json", NULL);
    /* The length counts, not a terminating NUL. */
    refused_len("{\"type\": \"timeline\"}", 10, "bad_json", NULL);
    refused_len("{\"type\": \"timeline\"}\0{", 21, "bad_json", NULL);
    console_request r;
    console_error err;
    static const char exact[] = "{\"type\": \"timeline\"}garbage";
    assert_int_equal(console_request_decode(exact, 20, &r, &err), ENSHU_OK);
    assert_int_equal(r.type, REQ_TIMELINE);
    console_request_clear(&r);
    /* One field, one meaning. */
    refused("{\"type\": \"answer\", \"objective\": \"q\", \"text\": \"a\", \"text\": \"b\"}",
            "bad_json", NULL);
    refused("{\"type\": \"nodes\", \"type\": \"scoreboard\"}", "bad_json", NULL);
}

static void types_are_checked(void **state)
{
    refused("{}", "bad_request", "type");
    refused("{\"id\": 1}", "bad_request", "type");
    refused("{\"type\": 5}", "bad_request", "type");
    refused("{\"type\": null}", "bad_request", "type");
    refused("{\"type\": [\"hello\"]}", "bad_request", "type");
    console_error err = refused("{\"type\": \"exercise.explode\"}", "unknown_type", "type");
    assert_non_null(strstr(err.message, "exercise.explode"));
    refused("{\"type\": \"\"}", "unknown_type", "type");
    refused("{\"type\": \"HELLO\"}", "unknown_type", "type");
    refused("{\"type\": \"hello \"}", "unknown_type", "type");
    refused("{\"type\": \"console\"}", "unknown_type", "type");
    /* Types the server sends are not requests. */
    refused("{\"type\": \"welcome\"}", "unknown_type", "type");
    refused("{\"type\": \"error\"}", "unknown_type", "type");
    /* A long type is shortened in the message. */
    char *text = xasprintf("{\"type\": \"%0500d\"}", 7);
    err = refused(text, "unknown_type", "type");
    assert_true(strlen(err.message) < 100);
    free(text);
}

/* ---- hello ---- */

static void hello_follows_the_role_rules(void **state)
{
    refused("{\"type\": \"hello\"}", "bad_request", "role");
    /* A session token alone is a whole hello; a short one is no token. */
    console_request tok;
    decode_ok("{\"type\": \"hello\", \"version\": 1, \"token\": "
              "\"3LJaw-4x7_Nvln2MFjhrcfs2rvsw-My78AF8MYqDiNE\", \"since\": 9}",
              &tok);
    assert_string_equal(tok.token, "3LJaw-4x7_Nvln2MFjhrcfs2rvsw-My78AF8MYqDiNE");
    assert_null(tok.role);
    assert_int_equal(tok.since, 9);
    console_request_clear(&tok);
    refused("{\"type\": \"hello\", \"token\": \"short\"}", "bad_request", "token");
    refused("{\"type\": \"hello\", \"token\": 5}", "bad_request", "token");
    refused("{\"type\": \"hello\", \"role\": \"admin\", \"password\": \"p\"}", "bad_request",
            "role");
    refused("{\"type\": \"hello\", \"role\": \"Team\", \"code\": \"c\", \"name\": \"n\"}",
            "bad_request", "role");
    refused("{\"type\": \"hello\", \"role\": 1}", "bad_request", "role");
    /* A team member gives a join code and a name. */
    refused("{\"type\": \"hello\", \"role\": \"team\", \"name\": \"Aiko\"}", "bad_request", "code");
    refused("{\"type\": \"hello\", \"role\": \"team\", \"code\": \"K7QF-M2XP\"}", "bad_request",
            "name");
    refused("{\"type\": \"hello\", \"role\": \"team\", \"password\": \"p\"}", "bad_request",
            "code");
    /* An instructor gives the password. */
    refused("{\"type\": \"hello\", \"role\": \"instructor\"}", "bad_request", "password");
    refused("{\"type\": \"hello\", \"role\": \"instructor\", \"code\": \"K7QF-M2XP\"}",
            "bad_request", "password");
    refused("{\"type\": \"hello\", \"role\": \"instructor\", \"password\": \"\"}", "bad_request",
            "password");
    refused("{\"type\": \"hello\", \"role\": \"instructor\", \"password\": 1234}", "bad_request",
            "password");
    /* This server speaks version 1; no version means 1. */
    refused("{\"type\": \"hello\", \"version\": 2, \"role\": \"instructor\", \"password\": \"p\"}",
            "bad_request", "version");
    refused("{\"type\": \"hello\", \"version\": \"1\", \"role\": \"instructor\", "
            "\"password\": \"p\"}",
            "bad_request", "version");
    refused("{\"type\": \"hello\", \"version\": 1.0, \"role\": \"instructor\", "
            "\"password\": \"p\"}",
            "bad_request", "version");
    console_request r;
    decode_ok("{\"type\": \"hello\", \"role\": \"instructor\", \"password\": \"p\"}", &r);
    assert_int_equal(r.since, 0);
    console_request_clear(&r);
    /* since: a seq, never negative. */
    refused("{\"type\": \"hello\", \"role\": \"instructor\", \"password\": \"p\", \"since\": -1}",
            "bad_request", "since");
    refused("{\"type\": \"hello\", \"role\": \"instructor\", \"password\": \"p\", "
            "\"since\": \"5\"}",
            "bad_request", "since");
    refused("{\"type\": \"hello\", \"role\": \"instructor\", \"password\": \"p\", \"since\": 1.5}",
            "bad_request", "since");
    /* lang: a language code. */
    refused("{\"type\": \"hello\", \"role\": \"team\", \"code\": \"c\", \"name\": \"n\", "
            "\"lang\": \"e\"}",
            "bad_request", "lang");
    refused("{\"type\": \"hello\", \"role\": \"team\", \"code\": \"c\", \"name\": \"n\", "
            "\"lang\": \"abcdefghijklmnopq\"}",
            "bad_request", "lang");
    refused("{\"type\": \"hello\", \"role\": \"team\", \"code\": \"\", \"name\": \"n\"}",
            "bad_request", "code");
    refused("{\"type\": \"hello\", \"role\": \"team\", \"code\": "
            "\"123456789012345678901234567890123\", \"name\": \"n\"}",
            "bad_request", "code");
    json_t *o = json_pack("{s:s, s:s, s:o}", "type", "hello", "role", "instructor", "password",
                          string_of(1025));
    char *text = json_dumps(o, JSON_COMPACT);
    refused(text, "bad_request", "password");
    free(text);
    json_decref(o);
}

/* name: the display name a trainee picks, 1 to 40 characters (not bytes). */
static void hello_names_count_characters(void **state)
{
    static const char aiko[] = "\xe3\x81\x82"; /* あ, three bytes */
    console_request r;
    char *forty = xcalloc(1, 40 * 3 + 1), *fortyone = xcalloc(1, 41 * 3 + 1);
    for (int i = 0; i < 40; i++)
        strcat(forty, aiko);
    strcpy(fortyone, forty);
    strcat(fortyone, aiko);
    char *text = xasprintf("{\"type\": \"hello\", \"role\": \"team\", \"code\": \"c\", "
                           "\"name\": \"%s\"}",
                           forty);
    decode_ok(text, &r);
    assert_string_equal(r.name, forty);
    console_request_clear(&r);
    free(text);
    text = xasprintf("{\"type\": \"hello\", \"role\": \"team\", \"code\": \"c\", "
                     "\"name\": \"%s\"}",
                     fortyone);
    refused(text, "bad_request", "name");
    free(text);
    /* Forty characters of four bytes each. */
    char emoji[40 * 4 + 1] = "";
    for (int i = 0; i < 40; i++)
        strcat(emoji, "\xf0\x9f\x90\xa7");
    json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "type", "hello", "role", "team", "code", "c",
                          "name", emoji);
    text = json_dumps(o, JSON_COMPACT);
    decode_ok(text, &r);
    assert_string_equal(r.name, emoji);
    console_request_clear(&r);
    free(text);
    json_object_set_new(o, "name", string_of(40));
    text = json_dumps(o, JSON_COMPACT);
    decode_ok(text, &r);
    console_request_clear(&r);
    free(text);
    json_object_set_new(o, "name", string_of(41));
    text = json_dumps(o, JSON_COMPACT);
    refused(text, "bad_request", "name");
    free(text);
    json_object_set_new(o, "name", json_string(""));
    text = json_dumps(o, JSON_COMPACT);
    refused(text, "bad_request", "name");
    free(text);
    json_decref(o);
    free(forty);
    free(fortyone);
}

/* ---- replies ---- */

/* Parses a reply, checking it is a JSON object of the given type. */
static json_t *parse_reply(const char *text, const char *type)
{
    assert_non_null(text);
    json_error_t e;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    if (!o)
        fail_msg("reply %s is not JSON: %s", text, e.text);
    assert_true(json_is_object(o));
    assert_string_equal(json_string_value(json_object_get(o, "type")), type);
    return o;
}

/* The error reply to text: its id as the client sent it, and a message. */
static json_t *error_reply_to(const char *text, const char *code)
{
    console_request r;
    console_error err;
    assert_int_equal(console_request_decode(text, strlen(text), &r, &err), ENSHU_EINVAL);
    char *reply = console_reply_error(r.id, &err);
    json_t *o = parse_reply(reply, "error");
    assert_string_equal(json_string_value(json_object_get(o, "code")), code);
    assert_true(json_is_string(json_object_get(o, "message")));
    assert_true(json_string_length(json_object_get(o, "message")) > 0);
    free(reply);
    console_request_clear(&r);
    return o;
}

static void ids_are_echoed_in_replies(void **state)
{
    /* A number and a string come back as they were. */
    json_t *o =
        error_reply_to("{\"type\": \"answer\", \"id\": 7, \"objective\": \"q\"}", "bad_request");
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 7);
    assert_string_equal(json_string_value(json_object_get(o, "field")), "text");
    json_decref(o);
    o = error_reply_to("{\"id\": \"req-\xe3\x81\x82\", \"type\": \"nope\"}", "unknown_type");
    assert_string_equal(json_string_value(json_object_get(o, "id")), "req-\xe3\x81\x82");
    json_decref(o);
    o = error_reply_to("{\"id\": 9007199254740993, \"type\": 1}", "bad_request");
    assert_true(json_integer_value(json_object_get(o, "id")) == 9007199254740993LL);
    json_decref(o);
    o = error_reply_to("{\"id\": -3, \"type\": \"hello\", \"role\": \"x\"}", "bad_request");
    assert_int_equal(json_integer_value(json_object_get(o, "id")), -3);
    json_decref(o);
    /* Anything else is not an id the server repeats. */
    static const char *const not_ids[] = {"{\"a\": 1}",
                                          "[1]",
                                          "null",
                                          "true",
                                          "1.5",
                                          "\"01234567890123456789012345678901234567890123"
                                          "45678901234567890123_\""};
    for (size_t i = 0; i < sizeof not_ids / sizeof not_ids[0]; i++) {
        char *text = xasprintf("{\"id\": %s, \"type\": \"nope\"}", not_ids[i]);
        o = error_reply_to(text, "unknown_type");
        if (json_object_get(o, "id"))
            fail_msg("id %s was echoed", not_ids[i]);
        json_decref(o);
        free(text);
    }
    /* A frame that is not an object has no id to echo. */
    o = error_reply_to("[{\"id\": 4}]", "bad_json");
    assert_null(json_object_get(o, "id"));
    assert_null(json_object_get(o, "field"));
    json_decref(o);
    o = error_reply_to("{\"id\": 4, ", "bad_json");
    assert_null(json_object_get(o, "id"));
    json_decref(o);
}

static void replies_are_json_with_the_id(void **state)
{
    console_request r;
    decode_ok("{\"type\": \"answer\", \"id\": \"x1\", \"objective\": \"q\", \"text\": \"a\"}", &r);
    char *text = console_reply(r.id, "ok", json_pack("{s:I}", "seq", (json_int_t)42));
    json_t *o = parse_reply(text, "ok");
    assert_string_equal(json_string_value(json_object_get(o, "id")), "x1");
    assert_int_equal(json_integer_value(json_object_get(o, "seq")), 42);
    json_decref(o);
    free(text);
    /* The reply does not depend on the request outliving it. */
    json_t *id = json_incref(r.id);
    console_request_clear(&r);
    text = console_reply(id, "ok", NULL);
    o = parse_reply(text, "ok");
    assert_string_equal(json_string_value(json_object_get(o, "id")), "x1");
    assert_int_equal(json_object_size(o), 2);
    json_decref(o);
    free(text);
    json_decref(id);

    text = console_reply(NULL, "ok", NULL);
    o = parse_reply(text, "ok");
    assert_null(json_object_get(o, "id"));
    json_decref(o);
    free(text);

    /* A typed reply keeps its fields; the reply's type and id win over theirs. */
    json_t *n = json_integer(3);
    text = console_reply(n, "console",
                         json_pack("{s:i, s:s, s:s, s:i}", "channel", 3, "node", "ws1", "type",
                                   "spoofed", "id", 99));
    o = parse_reply(text, "console");
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 3);
    assert_int_equal(json_integer_value(json_object_get(o, "channel")), 3);
    assert_string_equal(json_string_value(json_object_get(o, "node")), "ws1");
    json_decref(o);
    free(text);

    text = console_reply_error_code(n, "rate_limited", "too many answers: wait a minute");
    o = parse_reply(text, "error");
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 3);
    assert_string_equal(json_string_value(json_object_get(o, "code")), "rate_limited");
    assert_string_equal(json_string_value(json_object_get(o, "message")),
                        "too many answers: wait a minute");
    assert_null(json_object_get(o, "field"));
    json_decref(o);
    free(text);
    json_decref(n);
}

/* Whatever the client sent, the error reply is valid JSON with a message:
 * a long non-ASCII type is shortened at a character, not inside one. */
static void error_replies_stay_valid_utf8(void **state)
{
    static const char *const prefixes[] = {"", "x", "xy"};
    char *type = xcalloc(1, 60 * 3 + 1);
    for (int i = 0; i < 60; i++)
        strcat(type, "\xe6\xbc\x94"); /* 演 */
    /* Each prefix puts the cut at another byte of a character. */
    for (size_t p = 0; p < 3; p++) {
        char *text = xasprintf("{\"id\": 1, \"type\": \"%s%s\"}", prefixes[p], type);
        json_t *o = error_reply_to(text, "unknown_type");
        assert_int_equal(json_integer_value(json_object_get(o, "id")), 1);
        assert_non_null(strstr(json_string_value(json_object_get(o, "message")), "\xe6\xbc\x94"));
        json_decref(o);
        free(text);
    }
    free(type);
    /* jansson's error text quotes what broke the frame, here the first byte
     * of a character after a backslash: the message keeps whole characters. */
    json_t *o =
        error_reply_to("{\"type\":\"hello\",\"role\":\"\xe3\x81\x82&\\\xe3\x81\x82\"}", "bad_json");
    assert_null(json_object_get(o, "id"));
    json_decref(o);
    o = error_reply_to("{\"id\": 5, \"type\": \"\xe3\x81\x82\\\xe3\x81\x82\"}", "bad_json");
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hello_decodes_for_both_roles),
        cmocka_unit_test(trainee_requests_decode_with_their_fields),
        cmocka_unit_test(instructor_requests_decode_with_their_fields),
        cmocka_unit_test(type_names_and_roles_follow_the_protocol),
        cmocka_unit_test(feedback_and_team_names_decode),
        cmocka_unit_test(every_bad_field_is_named),
        cmocka_unit_test(a_text_is_bounded_and_named_in_the_message),
        cmocka_unit_test(report_attachments_are_checked),
        cmocka_unit_test(events_pages_decode),
        cmocka_unit_test(frames_that_are_not_objects_are_bad_json),
        cmocka_unit_test(types_are_checked),
        cmocka_unit_test(hello_follows_the_role_rules),
        cmocka_unit_test(hello_names_count_characters),
        cmocka_unit_test(ids_are_echoed_in_replies),
        cmocka_unit_test(replies_are_json_with_the_id),
        cmocka_unit_test(error_replies_stay_valid_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
