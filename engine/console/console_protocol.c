/*
 * Decoding console requests (see console_protocol.h and web/PROTOCOL.md).
 *
 * One table says, for every message type, which fields it has, of which
 * JSON type, whether required, and how long a string may be; one function
 * applies it. Nothing outside the table is read, and unknown fields are
 * ignored (newer clients may send more).
 */
#include "console_protocol.h"
#include "alloc.h"
#include "errors.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum field_kind { F_STR, F_INT, F_NUM, F_BOOL } field_kind;

typedef struct field_spec {
    const char *name;
    field_kind kind;
    bool required;
    size_t offset;
    int64_t min, max; /* F_STR: length bounds; F_INT: value bounds */
} field_spec;

#define OFF(f) offsetof(console_request, f)
#define STR(n, f, req, lo, hi)                                                                     \
    {                                                                                              \
        n, F_STR, req, OFF(f), lo, hi                                                              \
    }
#define INT(n, f, req, lo, hi)                                                                     \
    {                                                                                              \
        n, F_INT, req, OFF(f), lo, hi                                                              \
    }

#define MAX_TEXT 60000 /* below the transport's 64 KiB frame bound */
#define MAX_TEAM 1000
#define MAX_NAME 40 /* characters of a trainee's display name (UTF-8: up to 4 bytes each) */

static const field_spec NONE[] = {{.name = NULL}};
static const field_spec HELLO[] = {STR("role", role, false, 1, 16),
                                   STR("code", code, false, 1, 32),
                                   STR("token", token, false, 16, 128),
                                   STR("name", name, false, 1, 4 * MAX_NAME),
                                   STR("lang", lang, false, 2, 16),
                                   STR("password", password, false, 1, 1024),
                                   {"since", F_INT, false, OFF(since), 0, INT64_MAX},
                                   {.name = NULL}};
static const field_spec LANG[] = {STR("lang", lang, true, 2, 16), {.name = NULL}};
static const field_spec ANSWER[] = {STR("objective", objective, true, 1, 200),
                                    STR("text", text, true, 1, 2000),
                                    INT("team", team, false, 1, MAX_TEAM),
                                    {.name = NULL}};
static const field_spec REPORT[] = {STR("objective", objective, true, 1, 200),
                                    STR("text", text, true, 1, MAX_TEXT),
                                    INT("team", team, false, 1, MAX_TEAM),
                                    {.name = NULL}};
static const field_spec HINT[] = {STR("objective", objective, true, 1, 200),
                                  INT("index", index, true, 0, 63),
                                  INT("team", team, false, 1, MAX_TEAM),
                                  {.name = NULL}};
static const field_spec ATTACHMENT[] = {STR("inject", inject, false, 1, 200),
                                        {"report", F_INT, false, OFF(report), 1, INT64_MAX},
                                        INT("team", team, false, 1, MAX_TEAM),
                                        {.name = NULL}};
static const field_spec TEAM_OPT[] = {INT("team", team, false, 0, MAX_TEAM), {.name = NULL}};
static const field_spec CONSOLE_OPEN[] = {
    STR("node", node, true, 1, 200), INT("team", team, false, 1, MAX_TEAM), {.name = NULL}};
static const field_spec CONSOLE_INPUT[] = {
    INT("channel", channel, true, 1, 255), STR("data", data, true, 1, 4096), {.name = NULL}};
static const field_spec DISPLAY_OPEN[] = {STR("node", node, true, 1, 200),
                                          INT("team", team, false, 1, MAX_TEAM),
                                          {"view_only", F_BOOL, false, OFF(view_only), 0, 0},
                                          {.name = NULL}};
static const field_spec CHANNEL[] = {INT("channel", channel, true, 1, 255), {.name = NULL}};
static const field_spec SPEED[] = {{"speed", F_NUM, true, OFF(speed), 0, 1000}, {.name = NULL}};
static const field_spec INJECT[] = {
    STR("inject", inject, true, 1, 200), INT("team", team, true, 0, MAX_TEAM), {.name = NULL}};
static const field_spec HOLD[] = {STR("inject", inject, true, 1, 200),
                                  INT("team", team, true, 0, MAX_TEAM),
                                  {"held", F_BOOL, true, OFF(held), 0, 0},
                                  {.name = NULL}};
static const field_spec GRADE[] = {INT("team", team, true, 1, MAX_TEAM),
                                   STR("objective", objective, true, 1, 200),
                                   INT("item", item, true, 0, 1000),
                                   INT("points", points, true, 0, 100000),
                                   {.name = NULL}};
static const field_spec BROADCAST[] = {
    STR("text", text, true, 1, 4000), INT("team", team, false, 0, MAX_TEAM), {.name = NULL}};
static const field_spec NODE[] = {
    INT("team", team, true, 1, MAX_TEAM), STR("node", node, true, 1, 200), {.name = NULL}};
static const field_spec TEAM[] = {INT("team", team, true, 1, MAX_TEAM), {.name = NULL}};
static const field_spec REQUEST_ASK[] = {STR("request", request, true, 1, 200),
                                         STR("text", text, false, 1, 2000),
                                         INT("team", team, false, 1, MAX_TEAM),
                                         {.name = NULL}};
static const field_spec REQUEST_DECIDE[] = {INT("team", team, true, 1, MAX_TEAM),
                                            STR("request", request, true, 1, 200),
                                            {"approve", F_BOOL, true, OFF(approve), 0, 0},
                                            STR("text", text, false, 1, 2000),
                                            {.name = NULL}};
static const field_spec REPORT_FEEDBACK[] = {INT("team", team, true, 1, MAX_TEAM),
                                             STR("objective", objective, true, 1, 200),
                                             {"report", F_INT, true, OFF(report), 1, INT64_MAX},
                                             STR("text", text, true, 1, 4000),
                                             {.name = NULL}};
/* A team's name and organisation: 60 and 100 characters (team_names.h),
 * of up to 4 bytes each; team_name_problem counts the characters. */
static const field_spec TEAM_RENAME[] = {INT("team", team, true, 1, MAX_TEAM),
                                         STR("name", name, true, 1, 4 * 60),
                                         STR("organisation", organisation, false, 0, 4 * 100),
                                         {.name = NULL}};
static const field_spec MEMBER[] = {
    INT("team", team, true, 1, MAX_TEAM), STR("name", name, true, 1, 4 * MAX_NAME), {.name = NULL}};

/* A self-paced course (hub_course.c). */
static const field_spec COURSE_JOIN[] = {STR("code", code, true, 1, 64),
                                         STR("name", name, true, 1, 4 * MAX_NAME),
                                         STR("lang", lang, false, 2, 16),
                                         {.name = NULL}};
static const field_spec COURSE_POLL[] = {
    INT("ticket", ticket, true, 1, INT32_MAX), STR("lang", lang, false, 2, 16), {.name = NULL}};
static const field_spec COURSE_RESUME[] = {
    STR("token", token, true, 16, 128), STR("lang", lang, false, 2, 16), {.name = NULL}};
static const field_spec COURSE_EXTEND[] = {INT("sandbox", sandbox, true, 1, INT32_MAX),
                                           INT("minutes", minutes, true, -10080, 10080),
                                           {.name = NULL}};
static const field_spec COURSE_SANDBOX[] = {INT("sandbox", sandbox, true, 1, INT32_MAX),
                                            {.name = NULL}};
static const field_spec AFTER_ACTION[] = {
    STR("format", format, true, 1, 8), INT("team", team, false, 0, MAX_TEAM), {.name = NULL}};
/* `kinds`, an array, is read by the events handler (hub_events.c). */
static const field_spec EVENTS[] = {INT("team", team, false, 0, MAX_TEAM),
                                    {"before_seq", F_INT, false, OFF(before_seq), 1, INT64_MAX},
                                    INT("limit", limit, false, 1, 500),
                                    {.name = NULL}};

static const struct {
    const char *name;
    const field_spec *fields;
    bool instructor_only;
} TYPES[REQ_COUNT] = {
    [REQ_HELLO] = {"hello", HELLO, false},
    [REQ_LANG] = {"lang", LANG, false},
    [REQ_ANSWER] = {"answer", ANSWER, false},
    [REQ_REPORT] = {"report", REPORT, false},
    [REQ_HINT] = {"hint", HINT, false},
    [REQ_ATTACHMENT] = {"attachment", ATTACHMENT, false},
    [REQ_TIMELINE] = {"timeline", TEAM_OPT, false},
    [REQ_NODES] = {"nodes", TEAM_OPT, false},
    [REQ_CONSOLE_OPEN] = {"console.open", CONSOLE_OPEN, false},
    [REQ_CONSOLE_INPUT] = {"console.input", CONSOLE_INPUT, false},
    [REQ_CONSOLE_PAUSE] = {"console.pause", CHANNEL, false},
    [REQ_CONSOLE_RESUME] = {"console.resume", CHANNEL, false},
    [REQ_CONSOLE_CLOSE] = {"console.close", CHANNEL, false},
    [REQ_DISPLAY_OPEN] = {"display.open", DISPLAY_OPEN, false},
    [REQ_DISPLAY_CLOSE] = {"display.close", CHANNEL, false},
    [REQ_REQUEST_ASK] = {"request.ask", REQUEST_ASK, false},
    [REQ_EXERCISE_START] = {"exercise.start", NONE, true},
    [REQ_EXERCISE_PAUSE] = {"exercise.pause", NONE, true},
    [REQ_EXERCISE_RESUME] = {"exercise.resume", NONE, true},
    [REQ_EXERCISE_END] = {"exercise.end", NONE, true},
    [REQ_EXERCISE_SPEED] = {"exercise.speed", SPEED, true},
    [REQ_INJECT_RELEASE] = {"inject.release", INJECT, true},
    [REQ_INJECT_SKIP] = {"inject.skip", INJECT, true},
    [REQ_INJECT_HOLD] = {"inject.hold", HOLD, true},
    [REQ_INJECT_RETRY] = {"inject.retry", INJECT, true},
    [REQ_SCOREBOARD] = {"scoreboard", NONE, false}, /* teams too, when public */
    [REQ_GRADE] = {"grade", GRADE, true},
    [REQ_BROADCAST] = {"broadcast", BROADCAST, true},
    [REQ_NODE_RESTART] = {"node.restart", NODE, true},
    [REQ_NODE_REVERT] = {"node.revert", NODE, true},
    [REQ_CODE_ROTATE] = {"code.rotate", TEAM, true},
    [REQ_MEMBERS] = {"members", TEAM_OPT, true},
    [REQ_MEMBER_REMOVE] = {"member.remove", MEMBER, true},
    [REQ_REQUEST_DECIDE] = {"request.decide", REQUEST_DECIDE, true},
    [REQ_EVENTS] = {"events", EVENTS, true},
    [REQ_REPORT_FEEDBACK] = {"report.feedback", REPORT_FEEDBACK, true},
    [REQ_TEAM_RENAME] = {"team.rename", TEAM_RENAME, true},
    [REQ_COURSE_JOIN] = {"course.join", COURSE_JOIN, false},
    [REQ_COURSE_POLL] = {"course.poll", COURSE_POLL, false},
    [REQ_COURSE_RESUME] = {"course.resume", COURSE_RESUME, false},
    [REQ_COURSE_LIST] = {"course.list", NONE, true},
    [REQ_COURSE_EXTEND] = {"course.extend", COURSE_EXTEND, true},
    [REQ_COURSE_REVOKE] = {"course.revoke", COURSE_SANDBOX, true},
    [REQ_AFTER_ACTION] = {"after_action", AFTER_ACTION, true},
    [REQ_OVERVIEW] = {"overview", NONE, true},
    [REQ_LOGOUT] = {"logout", NONE, false},
};

const char *request_type_name(request_type t)
{
    return t < REQ_COUNT ? TYPES[t].name : "?";
}

bool request_type_instructor_only(request_type t)
{
    return t < REQ_COUNT && TYPES[t].instructor_only;
}

/* Length of the longest prefix of s made of whole, valid UTF-8 characters
 * (the rules jansson's json_string() applies). */
static size_t utf8_valid_prefix(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (p[i]) {
        unsigned c = p[i];
        size_t n = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (n == 0)
            return i;
        for (size_t k = 1; k < n; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return i;
        if ((c == 0xE0 && p[i + 1] < 0xA0) || (c == 0xED && p[i + 1] > 0x9F) ||
            (c == 0xF0 && p[i + 1] < 0x90) || (c == 0xF4 && p[i + 1] > 0x8F))
            return i; /* overlong, a surrogate, or beyond U+10FFFF */
        i += n;
    }
    return i;
}

__attribute__((format(printf, 4, 5))) static int fail(console_error *err, const char *code,
                                                      const char *field, const char *fmt, ...)
{
    err->code = code;
    err->field = field;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    /* The message goes into a JSON reply, so it must be UTF-8: jansson's
     * error text may quote part of a character that broke the frame. */
    err->message[utf8_valid_prefix(err->message)] = '\0';
    return ENSHU_EINVAL;
}

/* Reads one field into out per spec; a missing optional field stays as is. */
static int read_field(json_t *root, const field_spec *f, console_request *out, console_error *err)
{
    json_t *v = json_object_get(root, f->name);
    char *slot = (char *)out + f->offset;
    if (!v || json_is_null(v))
        return f->required ? fail(err, "bad_request", f->name, "'%s' is required", f->name)
                           : ENSHU_OK;
    switch (f->kind) {
    case F_STR: {
        if (!json_is_string(v))
            return fail(err, "bad_request", f->name, "'%s' must be a string", f->name);
        size_t len = json_string_length(v);
        if ((int64_t)len < f->min || (int64_t)len > f->max)
            return fail(err, "bad_request", f->name, "'%s' is empty or too long", f->name);
        if (strlen(json_string_value(v)) != len)
            return fail(err, "bad_request", f->name, "'%s' must not contain NUL", f->name);
        *(const char **)slot = json_string_value(v);
        return ENSHU_OK;
    }
    case F_INT: {
        if (!json_is_integer(v))
            return fail(err, "bad_request", f->name, "'%s' must be an integer", f->name);
        json_int_t n = json_integer_value(v);
        if (n < f->min || n > f->max)
            return fail(err, "bad_request", f->name, "'%s' is out of range", f->name);
        if (f->offset == OFF(since) || f->offset == OFF(report) || f->offset == OFF(before_seq))
            *(int64_t *)slot = n;
        else
            *(int *)slot = (int)n;
        return ENSHU_OK;
    }
    case F_NUM: {
        if (!json_is_number(v))
            return fail(err, "bad_request", f->name, "'%s' must be a number", f->name);
        double d = json_number_value(v);
        if (!isfinite(d) || !(d > (double)f->min) || d > (double)f->max)
            return fail(err, "bad_request", f->name, "'%s' is out of range", f->name);
        *(double *)slot = d;
        return ENSHU_OK;
    }
    case F_BOOL:
        if (!json_is_boolean(v))
            return fail(err, "bad_request", f->name, "'%s' must be true or false", f->name);
        *(bool *)slot = json_is_true(v);
        return ENSHU_OK;
    }
    return ENSHU_EINVAL;
}

int console_request_decode(const char *text, size_t len, console_request *out, console_error *err)
{
    memset(out, 0, sizeof *out);
    memset(err, 0, sizeof *err);
    out->type = REQ_COUNT;
    out->team = -1;
    if (len == 0)
        return fail(err, "bad_json", NULL, "%sempty message", "");
    json_error_t jerr;
    /* No duplicate keys: one field, one meaning. */
    out->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!out->root)
        return fail(err, "bad_json", NULL, "not JSON: %s", jerr.text);
    if (!json_is_object(out->root))
        return fail(err, "bad_json", NULL, "%sthe message must be a JSON object", "");
    json_t *id = json_object_get(out->root, "id");
    if (id && (json_is_string(id) ? json_string_length(id) <= 64 : json_is_integer(id)))
        out->id = id;
    json_t *type = json_object_get(out->root, "type");
    if (!json_is_string(type))
        return fail(err, "bad_request", "type", "%s'type' must be a string", "");
    const char *name = json_string_value(type);
    for (int t = 0; t < REQ_COUNT; t++)
        if (strcmp(name, TYPES[t].name) == 0)
            out->type = (request_type)t;
    if (out->type == REQ_COUNT) {
        /* Shortened between characters: a cut inside one would leave the
         * message, and so the error reply, invalid UTF-8. */
        int shown = 0;
        while (shown < 40 && name[shown])
            shown++;
        while (shown > 0 && ((unsigned char)name[shown] & 0xC0) == 0x80)
            shown--;
        return fail(err, "unknown_type", "type", "unknown message type '%.*s'", shown, name);
    }
    for (const field_spec *f = TYPES[out->type].fields; f->name; f++)
        if (read_field(out->root, f, out, err) != ENSHU_OK)
            return ENSHU_EINVAL;
    if (out->type == REQ_HELLO) {
        json_t *version = json_object_get(out->root, "version");
        if (version &&
            (!json_is_integer(version) || json_integer_value(version) != CONSOLE_PROTOCOL_VERSION))
            return fail(err, "bad_request", "version", "this server speaks protocol version %s",
                        "1");
        /* A session token stands for the role, team and name it was
         * issued to: nothing else is needed (nor read). */
        if (out->token)
            return ENSHU_OK;
        if (!out->role)
            return fail(err, "bad_request", "role", "%s'role' or 'token' is required", "");
        if (strcmp(out->role, "team") != 0 && strcmp(out->role, "instructor") != 0)
            return fail(err, "bad_request", "role", "%s'role' must be team or instructor", "");
        if (strcmp(out->role, "team") == 0 && (!out->code || !out->name))
            return fail(err, "bad_request", out->code ? "name" : "code",
                        "%sa team member gives the join code and a name", "");
        size_t chars = 0; /* jansson checked the UTF-8: count the bytes that start a character */
        for (const char *c = out->name; c && *c; c++)
            chars += ((unsigned char)*c & 0xC0) != 0x80;
        if (chars > MAX_NAME)
            return fail(err, "bad_request", "name", "'name' must be at most %d characters",
                        MAX_NAME);
        if (strcmp(out->role, "instructor") == 0 && !out->password)
            return fail(err, "bad_request", "password", "%sthe instructor gives a password", "");
    }
    if (out->type == REQ_DISPLAY_OPEN) {
        json_t *v = json_object_get(out->root, "view_only");
        out->view_only_given = v && !json_is_null(v);
    }
    if (out->type == REQ_ATTACHMENT && !out->inject && !out->report)
        return fail(err, "bad_request", "inject", "%s", "'inject' or 'report' is required");
    if (out->type == REQ_REPORT) {
        json_t *att = json_object_get(out->root, "attachment");
        if (att && !json_is_null(att)) {
            json_t *an = json_object_get(att, "name"), *ad = json_object_get(att, "data");
            if (!json_is_object(att) || !json_is_string(an) || !json_is_string(ad) ||
                json_string_length(an) == 0 || json_string_length(an) > 200 ||
                json_string_length(ad) > MAX_TEXT)
                return fail(err, "bad_request", "attachment",
                            "%s'attachment' must be {name, data} (base64), small enough", "");
            out->attachment_name = json_string_value(an);
            out->attachment_data = json_string_value(ad);
        }
    }
    return ENSHU_OK;
}

void console_request_clear(console_request *r)
{
    if (r && r->root)
        json_decref(r->root);
    if (r)
        memset(r, 0, sizeof *r);
}

char *console_reply(const json_t *id, const char *type, json_t *fields)
{
    json_t *o = fields ? fields : json_object();
    json_object_set_new(o, "type", json_string(type));
    if (id)
        json_object_set(o, "id", (json_t *)id);
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

char *console_reply_error(const json_t *id, const console_error *err)
{
    json_t *o = json_object();
    json_object_set_new(o, "code", json_string(err->code ? err->code : "bad_request"));
    json_object_set_new(o, "message", json_string(err->message));
    if (err->field)
        json_object_set_new(o, "field", json_string(err->field));
    return console_reply(id, "error", o);
}

char *console_reply_error_code(const json_t *id, const char *code, const char *message)
{
    console_error err = {.code = code};
    snprintf(err.message, sizeof err.message, "%s", message);
    return console_reply_error(id, &err);
}
