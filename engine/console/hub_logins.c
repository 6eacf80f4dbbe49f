/*
 * Logins: a session's hello joins it by session token, join code or the
 * instructor password (checked on the password-check threads, the result
 * coming back through the inbox), under the login limits of its address;
 * then the welcome and its catch-up.
 */
#include "alloc.h"
#include "display_name.h"
#include "errors.h"
#include "hub_internal.h"
#include "log.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* extra: more fields for the welcome (taken over), or NULL. */
void hub_send_welcome(console_hub *hub, session *ss, const json_t *id, json_t *extra)
{
    console_audience a = hub_audience_of(ss);
    exercise *ex = hub->cfg.ex;
    /* A team's own phase and time: in a self-paced course its clock is
     * its own (in a class they are the exercise's). */
    int own_team = ss->role == ROLE_TEAM ? ss->team : 0;
    json_t *exj = console_view_exercise(
        &hub->view, &a, exercise_phase_name(exercise_team_phase(ex, own_team)),
        exercise_team_now(ex, own_team), exercise_speed(ex), hub->nteams);
    json_t *nodes = json_array();
    json_t *accounts = json_array();
    if (ss->role == ROLE_INSTRUCTOR) {
        json_t *codes = json_array();
        for (unsigned t = 1; t <= hub->nteams; t++) {
            json_array_append_new(
                codes, json_pack("{s:i, s:s}", "team", (int)t, "code", hub->codes[t - 1]));
            json_t *team_nodes = console_view_nodes(&hub->view, &a, (int)t);
            json_array_extend(nodes, team_nodes);
            json_decref(team_nodes);
            json_t *team_accounts = console_view_accounts(&hub->view, &a, (int)t);
            json_array_extend(accounts, team_accounts);
            json_decref(team_accounts);
        }
        json_object_set_new(exj, "join_codes", codes);
        json_t *injects = json_array();
        for (size_t i = 0; i < hub->s->ninjects; i++) {
            const inject *inj = &hub->s->injects[i];
            json_t *o =
                json_pack("{s:s, s:b}", "id", inj->id, "manual", inj->trigger == TRIGGER_MANUAL);
            char *title = console_view_text(&hub->view, &a, 0, &inj->title);
            json_object_set_new(o, "title", json_string(*title ? title : inj->id));
            free(title);
            json_array_append_new(injects, o);
        }
        json_object_set_new(exj, "injects", injects);
    } else {
        json_t *mine = console_view_nodes(&hub->view, &a, ss->team);
        json_array_extend(nodes, mine);
        json_decref(mine);
        json_t *own = console_view_accounts(&hub->view, &a, ss->team);
        json_array_extend(accounts, own);
        json_decref(own);
    }
    json_t *fields =
        json_pack("{s:i, s:s, s:o, s:o, s:o, s:I}", "protocol", CONSOLE_PROTOCOL_VERSION, "role",
                  ss->role == ROLE_INSTRUCTOR ? "instructor" : "team", "exercise", exj,
                  "objectives", console_view_objectives(&hub->view, &a), "nodes", nodes, "last_seq",
                  (json_int_t)hub->fanned);
    json_object_set_new(exj, "names", hub_team_names(hub));
    json_object_set_new(fields, "accounts", accounts);
    json_object_set_new(fields, "requests", console_view_requests(&hub->view, &a));
    if (ss->role == ROLE_TEAM) {
        json_object_set_new(fields, "team", json_integer(ss->team));
        json_object_set_new(fields, "name", json_string(ss->name));
    }
    if (extra)
        json_object_update(fields, extra);
    json_decref(extra);
    hub_send_text(hub, ss->id, console_reply(id, "welcome", fields));
}

static void reply_rate_limited(console_hub *hub, session *ss, const json_t *id, const char *what,
                               int64_t retry)
{
    char msg[128];
    snprintf(msg, sizeof msg, "%s; try again in %lld s", what, (long long)(retry / 1000 + 1));
    /* With retry_ms, as web/PROTOCOL.md promises (answers have it too). */
    json_t *f = json_pack("{s:s, s:s, s:I}", "code", "rate_limited", "message", msg, "retry_ms",
                          (json_int_t)retry);
    hub_send_text(hub, ss->id, console_reply(id, "error", f));
}

/* The session joins as owner: a token is issued unless it came with one
 * (token), then the welcome and its catch-up from since. */
static void join(console_hub *hub, session *ss, const token_owner *owner, const char *token,
                 const json_t *id, const char *lang, int64_t since, json_t *more)
{
    ss->role = owner->instructor ? ROLE_INSTRUCTOR : ROLE_TEAM;
    ss->team = owner->instructor ? 0 : owner->team;
    free(ss->name);
    ss->name = xstrdup(owner->name ? owner->name : "instructor");
    free(ss->lang);
    ss->lang = lang ? xstrdup(lang) : NULL;
    json_t *extra = NULL;
    if (!token) {
        char issued[SESSION_TOKEN_SIZE];
        session_tokens_issue(hub->tokens, owner, monotonic_ms(), issued);
        ss->token = xstrdup(issued);
        extra = json_pack("{s:s, s:I}", "token", issued, "token_expires_in_ms",
                          (json_int_t)TOKEN_LIFETIME_MS);
        sodium_memzero(issued, sizeof issued);
    } else {
        ss->token = xstrdup(token);
    }
    if (more) {
        if (!extra)
            extra = json_object();
        json_object_update(extra, more);
        json_decref(more);
    }
    ws_server_admit(hub->ws, ss->id); /* joined: no longer held to the login deadline */
    if (ss->role == ROLE_TEAM)
        hub_course_presence(hub, ss->team, false);
    hub_send_welcome(hub, ss, id, extra);
    ss->cursor = since;
    ss->catching_up = true;
    hub_catch_up(hub, ss);
}

void hub_join(console_hub *hub, session *ss, const token_owner *owner, const json_t *id,
              const char *lang, int64_t since, json_t *extra)
{
    join(hub, ss, owner, NULL, id, lang, since, extra);
}

void hub_pending_login_free(pending_login *pl)
{
    if (!pl)
        return;
    free(pl->peer);
    json_decref(pl->id);
    free(pl->lang);
    free(pl);
}

int hub_check_password(void *ctx, const char *password)
{
    console_hub *hub = ctx;
    return hub->cfg.check_password ? hub->cfg.check_password(hub->cfg.check_ctx, password)
                                   : instructor_password_check(password);
}

/*
 * A hello. A session token is checked at once and is never limited. A join
 * code is checked here too (a constant-time comparison: no cost); the
 * instructor password goes to the password-check threads and the session
 * waits for the result (IN_LOGIN). Both are subject to the login limits of
 * their address and kind (login_limits.h).
 */
void hub_handle_hello(console_hub *hub, session *ss, const console_request *rq)
{
    if (ss->role != ROLE_NONE || ss->checking) {
        hub_reply_error(hub, ss, rq->id, "conflict",
                        ss->checking ? "this session's login is being checked"
                                     : "this session has joined already");
        return;
    }
    int64_t retry = 0;
    if (rq->token) {
        token_owner owner;
        if (session_tokens_check(hub->tokens, rq->token, monotonic_ms(), &owner) != ENSHU_OK) {
            hub_log_refusal(ss, "an unknown, expired or revoked session token");
            hub_send_text(
                hub, ss->id,
                console_reply(rq->id, "error",
                              json_pack("{s:s, s:s, s:s}", "code", "bad_login", "field", "token",
                                        "message",
                                        "this login has expired or was ended: join again")));
            return;
        }
        join(hub, ss, &owner, rq->token, rq->id, rq->lang, rq->since, NULL);
        token_owner_clear(&owner);
        return;
    }
    if (strcmp(rq->role, "instructor") == 0) {
        if (!login_limits_begin(hub->logins, ss->peer, LOGIN_PASSWORD, monotonic_ms(), &retry)) {
            reply_rate_limited(hub, ss, rq->id, "too many failed logins from this address", retry);
            return;
        }
        pending_login *pl = xcalloc(1, sizeof(pending_login));
        pl->session = ss->id;
        pl->peer = xstrdup(ss->peer);
        pl->id = rq->id ? json_deep_copy(rq->id) : NULL;
        pl->lang = rq->lang ? xstrdup(rq->lang) : NULL;
        pl->since = rq->since;
        if (login_checks_submit(hub->checks, rq->password, pl) != ENSHU_OK) {
            /* Not checked: no failure of this address. */
            login_limits_end(hub->logins, ss->peer, LOGIN_PASSWORD, true, monotonic_ms());
            hub_pending_login_free(pl);
            reply_rate_limited(hub, ss, rq->id, "too many logins are being checked", 1000);
            return;
        }
        ss->checking = true;
        return;
    }
    /* A name that cannot be shown is refused before the code is looked
     * at: it says nothing of the code, and spends nothing. */
    char *name = NULL;
    const char *why = NULL;
    if (display_name_normalize(rq->name, &name, &why) != ENSHU_OK) {
        hub_send_text(hub, ss->id,
                      console_reply(rq->id, "error",
                                    json_pack("{s:s, s:s, s:s}", "code", "bad_request", "field",
                                              "name", "message", why)));
        return;
    }
    if (!login_limits_begin(hub->logins, ss->peer, LOGIN_CODE, monotonic_ms(), &retry)) {
        free(name);
        reply_rate_limited(hub, ss, rq->id, "too many wrong join codes from this address", retry);
        return;
    }
    int team = 0;
    for (unsigned t = 1; t <= hub->nteams; t++)
        if (join_code_matches(hub->codes[t - 1], rq->code))
            team = (int)t; /* every code compared: the time says nothing of which */
    login_limits_end(hub->logins, ss->peer, LOGIN_CODE, team > 0, monotonic_ms());
    if (!team) {
        free(name);
        hub_log_refusal(ss, "wrong join code");
        hub_reply_error(hub, ss, rq->id, "bad_login", "wrong join code or password");
        return;
    }
    token_owner owner = {false, team, name};
    join(hub, ss, &owner, NULL, rq->id, rq->lang, rq->since, NULL);
    token_owner_clear(&owner);
}

/* On the hub thread: the instructor password of a pending login was checked. */
void hub_login_checked(console_hub *hub, pending_login *pl)
{
    if (pl->rc == ENSHU_ETIMEOUT)
        return; /* dropped as the hub stops */
    login_limits_end(hub->logins, pl->peer, LOGIN_PASSWORD, pl->rc == ENSHU_OK, monotonic_ms());
    if (pl->rc == ENSHU_ENOTFOUND)
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: consoles: no instructor password is set (enshu passwd)\n");
    session *ss = hub_find_session(hub, pl->session);
    if (!ss)
        return; /* it closed meanwhile */
    ss->checking = false;
    if (pl->rc != ENSHU_OK) {
        hub_log_refusal(ss, "wrong instructor password");
        hub_reply_error(hub, ss, pl->id, "bad_login", "wrong join code or password");
        return;
    }
    token_owner owner = {true, 0, (char *)"instructor"};
    join(hub, ss, &owner, NULL, pl->id, pl->lang, pl->since, NULL);
}
