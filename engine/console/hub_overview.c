/*
 * The instructors' overview of every team at once (`overview`): each team's
 * injects counted by state, with why each pending one has not fired yet;
 * its members (holding a live token, and those with a session open); how
 * long since one of them last did something; its guests that do not run.
 * One reply instead of a timeline, a members list and a nodes list per
 * team: with 40 teams the console asks once, not 120 times.
 *
 * What a member "does" is kept here too (hub_overview_note_*): answers,
 * reports, hints, asks, opening a message's file, opening or typing into a
 * console or screen. What a console does by itself (reconnecting, asking
 * for its nodes or scoreboard, flow control) is not activity: an idle team
 * with its pages open must still look idle.
 *
 * Hub thread only, as every request handler; the exercise's lock is held
 * while the timelines are read.
 */
#include "alloc.h"
#include "errors.h"
#include "hub_internal.h"

#include <stdlib.h>
#include <string.h>

void hub_overview_note_activity(console_hub *hub, const session *ss)
{
    if (ss->role != ROLE_TEAM || ss->team < 1 || (unsigned)ss->team > hub->nteams)
        return;
    int64_t now = monotonic_ms();
    /* 0 means "never": a clock that starts at 0 must not look like it. */
    hub->active_ms[ss->team - 1] = now > 0 ? now : 1;
}

void hub_overview_note_request(console_hub *hub, const session *ss, request_type type)
{
    switch (type) {
    case REQ_ANSWER:
    case REQ_REPORT:
    case REQ_HINT:
    case REQ_REQUEST_ASK:
    case REQ_ATTACHMENT:
    case REQ_CONSOLE_OPEN:
    case REQ_CONSOLE_INPUT:
    case REQ_DISPLAY_OPEN:
        hub_overview_note_activity(hub, ss);
        break;
    default:
        break;
    }
}

/* Appends name to the array of names unless it holds it already. */
static void add_name(json_t *names, const char *name)
{
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        if (strcmp(json_string_value(n), name) == 0)
            return;
    }
    json_array_append_new(names, json_string(name));
}

typedef struct token_names {
    json_t **members; /* [team - 1]: names holding a live token */
    unsigned nteams;
} token_names;

static void add_token_owner(const token_owner *o, void *arg)
{
    token_names *tn = arg;
    if (o->instructor || o->team < 1 || (unsigned)o->team > tn->nteams)
        return;
    add_name(tn->members[o->team - 1], o->name);
}

/* A team's injects: counted by state (a held one counts as held, not as
 * pending) and the pending ones with why they wait. The exercise is locked. */
static json_t *team_injects(console_hub *hub, int team, int64_t now, timeline_clock clock,
                            json_t **waiting)
{
    const timeline *tl = exercise_timeline(hub->cfg.ex, team);
    json_int_t count[4] = {0}, held = 0;
    *waiting = json_array();
    for (size_t i = 0; i < hub->s->ninjects; i++) {
        const inject *inj = &hub->s->injects[i];
        inject_state st = timeline_state(tl, i);
        if (st != INJECT_PENDING) {
            count[st]++;
            continue;
        }
        bool is_held = timeline_held(tl, i);
        if (is_held)
            held++;
        else
            count[INJECT_PENDING]++;
        char *why = timeline_explain(tl, i, now, clock);
        json_array_append_new(
            *waiting, json_pack("{s:s, s:b, s:s}", "id", inj->id, "held", is_held, "why", why));
        free(why);
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:I}", "pending", count[INJECT_PENDING], "held", held,
                     "fired", count[INJECT_FIRED], "failed", count[INJECT_FAILED], "skipped",
                     count[INJECT_SKIPPED]);
}

/* The team's guests whose power state is not "running". */
static json_t *team_nodes_down(console_hub *hub, int team, json_int_t *total)
{
    json_t *down = json_array();
    *total = 0;
    for (size_t i = 0; i < hub->s->nnodes; i++) {
        const range_guest *g = range_guests_find(hub->guests, team, hub->s->nodes[i].name);
        if (!g)
            continue;
        (*total)++;
        const char *state = range_guests_state(hub->guests, g);
        if (strcmp(state, "running") != 0)
            json_array_append_new(
                down, json_pack("{s:s, s:s}", "name", hub->s->nodes[i].name, "state", state));
    }
    return down;
}

/* The scenario's injects once, with their titles in the session's
 * language and whether an instructor releases them (manual): the teams'
 * entries name them by id. */
static json_t *inject_list(console_hub *hub, const console_audience *a)
{
    json_t *list = json_array();
    for (size_t i = 0; i < hub->s->ninjects; i++) {
        const inject *inj = &hub->s->injects[i];
        char *title = console_view_text(&hub->view, a, 0, &inj->title);
        json_array_append_new(list, json_pack("{s:s, s:s, s:b}", "id", inj->id, "title",
                                              *title ? title : inj->id, "manual",
                                              inj->trigger == TRIGGER_MANUAL));
        free(title);
    }
    return list;
}

void hub_handle_overview(console_hub *hub, session *ss, const console_request *rq)
{
    console_audience a = hub_audience_of(ss);
    exercise *ex = hub->cfg.ex;
    int64_t mono = monotonic_ms();

    token_names tn = {xcalloc(hub->nteams + 1, sizeof(json_t *)), hub->nteams};
    json_t **online = xcalloc(hub->nteams + 1, sizeof(json_t *));
    for (unsigned t = 0; t < hub->nteams; t++) {
        tn.members[t] = json_array();
        online[t] = json_array();
    }
    session_tokens_each(hub->tokens, mono, add_token_owner, &tn);
    for (size_t k = 0; k < hub->nsessions; k++) {
        const session *o = hub->sessions[k];
        if (o->role == ROLE_TEAM && o->team >= 1 && (unsigned)o->team <= hub->nteams && o->name)
            add_name(online[o->team - 1], o->name);
    }

    json_t *teams = json_array();
    /* Both take the exercise's lock: read before it is held. */
    int64_t now = exercise_now(ex);
    exercise_phase phase = exercise_get_phase(ex);
    timeline_clock clock = phase == PHASE_ENDED     ? TIMELINE_ENDED
                           : phase != PHASE_RUNNING ? TIMELINE_PAUSED
                                                    : TIMELINE_RUNNING;
    exercise_lock(ex);
    for (unsigned t = 1; t <= hub->nteams; t++) {
        json_t *waiting;
        json_t *injects = team_injects(hub, (int)t, now, clock, &waiting);
        json_t *team = json_pack(
            "{s:i, s:o, s:o, s:I, s:o}", "team", (int)t, "injects", injects, "waiting", waiting,
            "members", (json_int_t)json_array_size(tn.members[t - 1]), "online", online[t - 1]);
        json_array_append_new(teams, team);
    }
    exercise_unlock(ex);

    for (unsigned t = 1; t <= hub->nteams; t++) {
        json_t *team = json_array_get(teams, t - 1);
        int64_t active = hub->active_ms[t - 1];
        if (active)
            json_object_set_new(team, "idle_ms", json_integer(mono - active));
        json_int_t total;
        json_object_set_new(team, "down", team_nodes_down(hub, (int)t, &total));
        json_object_set_new(team, "nodes", json_integer(total));
        json_decref(tn.members[t - 1]);
    }
    free(tn.members);
    free(online);

    hub_send_text(hub, ss->id,
                  console_reply(rq->id, "overview",
                                json_pack("{s:I, s:o, s:o}", "at_ms", (json_int_t)now, "injects",
                                          inject_list(hub, &a), "teams", teams)));
}
