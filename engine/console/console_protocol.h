/*
 * The console protocol's requests (web/PROTOCOL.md): one JSON text frame
 * from a browser decoded into a typed request, every field checked for
 * presence, type and size. Pure (no I/O, no state), so it is fuzzed on its
 * own. Replies are built by console_reply_* into JSON text.
 */
#ifndef ENSHU_CONSOLE_PROTOCOL_H
#define ENSHU_CONSOLE_PROTOCOL_H

#include <jansson.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_PROTOCOL_VERSION 1

typedef enum request_type {
    REQ_HELLO,
    REQ_LANG,
    /* trainees (and instructors, naming a team) */
    REQ_ANSWER,
    REQ_REPORT,
    REQ_HINT,
    REQ_ATTACHMENT,
    REQ_TIMELINE,
    REQ_NODES,
    REQ_CONSOLE_OPEN,
    REQ_CONSOLE_INPUT,
    REQ_CONSOLE_PAUSE,
    REQ_CONSOLE_RESUME,
    REQ_CONSOLE_CLOSE,
    REQ_DISPLAY_OPEN,
    REQ_DISPLAY_CLOSE,
    REQ_REQUEST_ASK,
    /* instructors only */
    REQ_EXERCISE_START,
    REQ_EXERCISE_PAUSE,
    REQ_EXERCISE_RESUME,
    REQ_EXERCISE_END,
    REQ_EXERCISE_SPEED,
    REQ_INJECT_RELEASE,
    REQ_INJECT_SKIP,
    REQ_INJECT_HOLD,
    REQ_INJECT_RETRY,
    REQ_SCOREBOARD,
    REQ_GRADE,
    REQ_BROADCAST,
    REQ_NODE_RESTART,
    REQ_NODE_REVERT,
    REQ_CODE_ROTATE,
    REQ_MEMBERS,
    REQ_MEMBER_REMOVE,
    REQ_REQUEST_DECIDE,
    REQ_EVENTS,
    REQ_REPORT_FEEDBACK,
    REQ_TEAM_RENAME,
    REQ_AFTER_ACTION,
    REQ_OVERVIEW,
    /* any role */
    REQ_LOGOUT,
    REQ_COUNT
} request_type;

typedef struct console_request {
    request_type type;
    json_t *root; /* owns every string below */
    json_t *id;   /* the client's request id, or NULL (borrowed from root) */
    const char *role, *code, *name, *lang, *password, *token;
    const char *objective, *text, *inject, *node, *data;
    const char *attachment_name, *attachment_data;
    const char *request;      /* a team request's id */
    const char *organisation; /* team.rename */
    const char *format;       /* after_action: html, csv or json */
    int64_t since;
    int team;  /* -1 when not given */
    int index; /* hint index */
    int item;  /* rubric item */
    int points;
    int channel;
    int64_t report;     /* seq of a report (attachment); 0 when not given */
    int64_t before_seq; /* events: the page follows this event; 0 when not given */
    int limit;          /* events: how many at most; 0 when not given */
    double speed;
    bool held;
    bool approve;                    /* request.decide */
    bool view_only, view_only_given; /* display.open */
} console_request;

typedef struct console_error {
    const char *code; /* bad_json, bad_request, unknown_type... (static) */
    char message[200];
    const char *field; /* static, or NULL */
} console_error;

/* Decodes one message; on failure fills err (and out->id when the frame
 * had one, so the error can name it). Always call console_request_clear. */
int console_request_decode(const char *text, size_t len, console_request *out, console_error *err)
    __attribute__((warn_unused_result));
void console_request_clear(console_request *r);

const char *request_type_name(request_type t);
/* Only instructors may send it. */
bool request_type_instructor_only(request_type t);

/* {"type": "error", "id": ..., "code", "message", "field"} (caller frees). */
char *console_reply_error(const json_t *id, const console_error *err);
char *console_reply_error_code(const json_t *id, const char *code, const char *message);
/* Adds "type" and "id" to fields (taken over) and dumps it (caller frees). */
char *console_reply(const json_t *id, const char *type, json_t *fields);

#endif
