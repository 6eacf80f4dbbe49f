/*
 * libFuzzer target for the console request decoder (console_protocol.c):
 * any bytes, as a browser's text frame, are decoded, the replies the hub
 * would send are built from the result, and everything is freed again, so
 * AddressSanitizer's leak check turns a leak into a crash.
 *
 * Besides "no crash", it holds the decoder to its contract: a refusal says
 * which error code and why; an accepted request has every field its type
 * requires, in range, and strings that are valid UTF-8 text without NUL;
 * and every reply, accepted or refused, is a JSON object that parses back
 * with its type, a message when it is an error, and the client's id when
 * the request had one.
 */
#include "console_protocol.h"
#include "errors.h"

#include <jansson.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract_broken(const char *what)
{
    fprintf(stderr, "fuzz_console: decoder contract broken: %s\n", what);
    abort();
}

/* text must be a JSON object of type type carrying id (or none). */
static void check_reply(char *text, const char *type, const json_t *id)
{
    if (!text)
        contract_broken("a reply could not be built");
    json_error_t e;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &e);
    if (!json_is_object(o))
        contract_broken("a reply is not a JSON object");
    const char *t = json_string_value(json_object_get(o, "type"));
    if (!t || strcmp(t, type) != 0)
        contract_broken("a reply lost its type");
    json_t *echoed = json_object_get(o, "id");
    if (id ? !json_equal(echoed, (json_t *)id) : echoed != NULL)
        contract_broken("a reply does not carry the request's id");
    if (strcmp(type, "error") == 0) {
        json_t *m = json_object_get(o, "message"), *c = json_object_get(o, "code");
        if (!json_is_string(m) || json_string_length(m) == 0 || !json_is_string(c))
            contract_broken("an error reply without a code or message");
    }
    json_decref(o);
    free(text);
}

/* Puts a decoded string into reply, as the hub puts names and texts into
 * its messages: it must be text jansson takes. */
static void echo_string(json_t *reply, const char *key, const char *value)
{
    if (!value)
        return;
    json_t *s = json_string(value);
    if (!s)
        contract_broken("a decoded string is not valid UTF-8");
    json_object_set_new(reply, key, s);
}

static void need(bool ok, const char *what)
{
    if (!ok)
        contract_broken(what);
}

static void check_request(const console_request *r)
{
    need(r->type < REQ_COUNT, "accepted with no type");
    need(r->root != NULL, "accepted without its JSON");
    need(r->team >= -1 && r->team <= 1000, "a team out of range");
    need(r->since >= 0, "a negative since");
    need(r->id == NULL || json_is_integer(r->id) || json_is_string(r->id),
         "an id that is neither a number nor a string");
    switch (r->type) {
    case REQ_HELLO:
        need(r->role != NULL, "hello without a role");
        if (strcmp(r->role, "team") == 0)
            need(r->code && r->name, "a team hello without code and name");
        else
            need(strcmp(r->role, "instructor") == 0 && r->password,
                 "an instructor hello without a password");
        break;
    case REQ_LANG:
        need(r->lang != NULL, "lang without a language");
        break;
    case REQ_ANSWER:
    case REQ_REPORT:
        need(r->objective && r->text, "an answer or report without objective and text");
        need(!r->attachment_name == !r->attachment_data, "half an attachment");
        break;
    case REQ_HINT:
        need(r->objective && r->index >= 0 && r->index <= 63, "a hint out of range");
        break;
    case REQ_ATTACHMENT:
        need(r->inject != NULL, "attachment without an inject");
        break;
    case REQ_CONSOLE_OPEN:
        need(r->node != NULL, "console.open without a node");
        break;
    case REQ_CONSOLE_INPUT:
        need(r->data && *r->data, "console.input without data");
        /* fall through */
    case REQ_CONSOLE_PAUSE:
    case REQ_CONSOLE_RESUME:
    case REQ_CONSOLE_CLOSE:
        need(r->channel >= 1 && r->channel <= 255, "a channel out of range");
        break;
    case REQ_EXERCISE_SPEED:
        need(isfinite(r->speed) && r->speed > 0 && r->speed <= 1000, "a speed out of range");
        break;
    case REQ_INJECT_RELEASE:
    case REQ_INJECT_SKIP:
    case REQ_INJECT_HOLD:
        need(r->inject && r->team >= 0, "an inject request without inject and team");
        break;
    case REQ_GRADE:
        need(r->objective && r->team >= 1 && r->item >= 0 && r->points >= 0,
             "a grade out of range");
        break;
    case REQ_BROADCAST:
        need(r->text != NULL, "a broadcast without text");
        break;
    case REQ_NODE_RESTART:
        need(r->node && r->team >= 1, "node.restart without node and team");
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    console_request r;
    console_error err;
    int rc = console_request_decode((const char *)data, size, &r, &err);
    if (rc == ENSHU_OK) {
        check_request(&r);
        json_t *fields = json_object();
        static const struct {
            const char *key;
            size_t offset;
        } strings[] = {
#define S(f) {#f, offsetof(console_request, f)}
            S(role), S(code),   S(name), S(lang), S(password),        S(objective),
            S(text), S(inject), S(node), S(data), S(attachment_name), S(attachment_data),
#undef S
        };
        for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
            echo_string(fields, strings[i].key,
                        *(const char *const *)((const char *)&r + strings[i].offset));
        check_reply(console_reply(r.id, request_type_name(r.type), fields),
                    request_type_name(r.type), r.id);
        check_reply(console_reply(r.id, "ok", NULL), "ok", r.id);
        check_reply(console_reply_error_code(r.id, "forbidden", "not for this role"), "error",
                    r.id);
    } else {
        if (rc != ENSHU_EINVAL || !err.code || !err.message[0])
            contract_broken("refused without a code and message");
        if (strcmp(err.code, "bad_request") == 0 && !err.field)
            contract_broken("bad_request without the field");
        check_reply(console_reply_error(r.id, &err), "error", r.id);
    }
    console_request_clear(&r);
    return 0;
}
