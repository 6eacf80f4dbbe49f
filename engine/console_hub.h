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
 */
#ifndef ENSHU_CONSOLE_HUB_H
#define ENSHU_CONSOLE_HUB_H

#include "event_store.h"
#include "exercise.h"
#include "team_vars.h"

typedef struct console_hub_config {
    exercise *ex;
    event_store *ledger;
    const team_vars *vars;        /* may be NULL */
    const char *range_name;       /* its guests (nodes, consoles); NULL: none */
    const char *const *join_codes; /* one per team */
    const char *listen;           /* "host:port"; NULL: 127.0.0.1:8080 */
    const char *static_dir;       /* the consoles (web/) */
    const char *cert_path, *key_path;
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
