/*
 * What each audience of the consoles sees (see console_view.h).
 *
 * The rule for teams: they see what the scenario sends them (messages),
 * what they themselves did (answers, reports, hints, requests), what
 * instructors gave them (grades, broadcasts, decisions on requests) and
 * the exercise's phase. Never check results, attack steps, instructor
 * notes or anything of another team: discovering the attack is the
 * exercise.
 */
#include "console_view.h"
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *lang_of(const console_view *v, const console_audience *a)
{
    return a->lang ? a->lang : v->s->default_language;
}

char *console_view_text(const console_view *v, const console_audience *a, int team,
                        const l10n_text *t)
{
    const char *text = l10n_get(t, lang_of(v, a), v->s->default_language);
    return team_vars_expand(v->vars, team, text ? text : "");
}

static void set_text(json_t *o, const char *key, const console_view *v, const console_audience *a,
                     int team, const l10n_text *t)
{
    if (!t->count)
        return;
    char *text = console_view_text(v, a, team, t);
    json_object_set_new(o, key, json_string(text));
    free(text);
}

static void set_str(json_t *o, const char *key, const char *value)
{
    if (value)
        json_object_set_new(o, key, json_string(value));
}

static const inject *find_inject(const scenario *s, const char *id)
{
    return id ? scenario_inject(s, id) : NULL;
}

static json_t *message(const char *type, const event *ev)
{
    json_t *o = json_object();
    json_object_set_new(o, "type", json_string(type));
    json_object_set_new(o, "seq", json_integer(ev->seq));
    json_object_set_new(o, "at_ms", json_integer(ev->at_ms));
    json_object_set_new(o, "team", json_integer(ev->team));
    return o;
}

/* A message's text as its team got it: {{now}} is when it was sent. */
static void set_sent_text(json_t *o, const char *key, const console_view *v, const event *ev,
                          const char *text)
{
    if (!text)
        return;
    char *filled = team_vars_expand_at(v->vars, ev->team, text, ev->wall_ms, v->s->time_zone);
    json_object_set_new(o, key, json_string(filled));
    free(filled);
}

static json_t *inbox(const console_view *v, const console_audience *a, const event *ev)
{
    const inject *inj = find_inject(v->s, ev->subject);
    if (!inj || inj->action.kind != ACTION_MESSAGE)
        return NULL;
    const action *m = &inj->action;
    json_t *o = message("inbox", ev);
    set_str(o, "inject", inj->id);
    set_sent_text(o, "from", v, ev, m->from ? m->from : "");
    set_text(o, "title", v, a, ev->team, &inj->title);
    if (m->subject.count)
        set_sent_text(o, "subject", v, ev,
                      l10n_get(&m->subject, lang_of(v, a), v->s->default_language));
    if (m->body.count)
        set_sent_text(o, "body", v, ev, l10n_get(&m->body, lang_of(v, a), v->s->default_language));
    json_object_set_new(o, "wall_ms", json_integer(ev->wall_ms));
    if (m->attachment) {
        const char *base = strrchr(m->attachment, '/');
        json_object_set_new(o, "attachment",
                            json_pack("{s:s, s:I}", "name", base ? base + 1 : m->attachment, "size",
                                      (json_int_t)m->attachment_size));
    }
    return o;
}

static json_t *raw(const event *ev)
{
    json_t *o = message("event", ev);
    json_object_set_new(o, "wall_ms", json_integer(ev->wall_ms));
    json_object_set_new(o, "kind", json_string(event_kind_name(ev->kind)));
    set_str(o, "subject", ev->subject);
    json_object_set_new(o, "value", json_integer(ev->value));
    set_str(o, "text", ev->text);
    set_str(o, "by", ev->actor);
    return o;
}

static const char *const APPROVALS[] = {"instructor", "auto"};

/* A team request asked (approved at once when auto) or decided. */
static json_t *request_message(const console_view *v, const console_audience *a, const event *ev)
{
    const team_request *r = ev->subject ? scenario_request(v->s, ev->subject) : NULL;
    if (!r)
        return NULL;
    json_t *o = message("request", ev);
    set_str(o, "request", r->id);
    set_text(o, "title", v, a, ev->team, &r->title);
    const char *state = ev->kind == EV_REQUEST_DECIDED ? (ev->value ? "approved" : "refused")
                        : r->approval == APPROVAL_AUTO ? "approved"
                                                       : "asked";
    set_str(o, "state", state);
    set_str(o, "approval", APPROVALS[r->approval]);
    set_str(o, "note", ev->text);
    set_str(o, "by", ev->actor);
    return o;
}

json_t *console_view_requests(const console_view *v, const console_audience *a)
{
    json_t *list = json_array();
    for (size_t i = 0; i < v->s->nrequests; i++) {
        const team_request *r = &v->s->requests[i];
        json_t *j = json_pack("{s:s, s:s, s:i, s:i}", "id", r->id, "approval",
                              APPROVALS[r->approval], "cost", r->cost, "limit", r->limit);
        set_text(j, "title", v, a, a->team, &r->title);
        set_text(j, "text", v, a, a->team, &r->text);
        json_array_append_new(list, j);
    }
    return list;
}

json_t *console_view_event(const console_view *v, const console_audience *a, const event *ev,
                           const answer_outcome *outcome)
{
    if (ev->kind == EV_EXERCISE_STATE) {
        json_t *o = message("exercise", ev);
        json_object_del(o, "team");
        set_str(o, "phase", ev->text);
        json_object_set_new(o, "wall_ms", json_integer(ev->wall_ms));
        json_object_set_new(o, "speed", json_real(ev->value > 0 ? ev->value / 1000.0 : 1.0));
        if (ev->subject && strcmp(ev->subject, "speed") == 0)
            json_object_set_new(o, "change", json_string("speed")); /* the phase is kept */
        return o;
    }
    /* A broadcast to everyone (team 0) reaches every team. */
    bool everyone = ev->kind == EV_INSTRUCTOR && ev->team == 0;
    /* Teams' names are for everyone to see (the scoreboard shows them). */
    everyone = everyone || ev->kind == EV_TEAM_NAMED;
    if (a->team != 0 && ev->team != a->team && !everyone)
        return NULL;
    const objective *o_obj = scenario_objective(v->s, ev->subject);
    json_t *o = NULL;
    switch (ev->kind) {
    case EV_INJECT_FIRED:
        o = inbox(v, a, ev);
        break;
    case EV_ANSWER:
        if (!o_obj)
            break;
        o = message("answer", ev);
        set_str(o, "objective", o_obj->id);
        set_str(o, "text", ev->text);
        set_str(o, "by", ev->actor);
        /* Right or wrong at once, unless the scenario keeps it for later. */
        if (outcome && outcome->known && (a->team == 0 || v->s->feedback)) {
            json_object_set_new(o, "correct", json_boolean(outcome->correct));
            json_object_set_new(o, "points", json_integer(outcome->points));
            if (outcome->attempts_left >= 0)
                json_object_set_new(o, "attempts_left", json_integer(outcome->attempts_left));
        }
        break;
    case EV_REPORT:
        if (!o_obj)
            break;
        o = message("report", ev);
        set_str(o, "objective", o_obj->id);
        set_str(o, "text", ev->text);
        set_str(o, "by", ev->actor);
        break;
    case EV_GRADE:
        if (!o_obj)
            break;
        o = message("grade", ev);
        set_str(o, "objective", o_obj->id);
        json_object_set_new(o, "item", json_integer(ev->text ? strtol(ev->text, NULL, 10) : 0));
        json_object_set_new(o, "points", json_integer(ev->value));
        break;
    case EV_HINT:
        if (!o_obj || ev->value < 0 || (size_t)ev->value >= o_obj->nhints)
            break;
        o = message("hint", ev);
        set_str(o, "objective", o_obj->id);
        json_object_set_new(o, "index", json_integer(ev->value));
        set_text(o, "text", v, a, ev->team, &o_obj->hints[ev->value].text);
        json_object_set_new(o, "cost", json_integer(o_obj->hints[ev->value].cost));
        break;
    case EV_REQUEST:
    case EV_REQUEST_DECIDED:
        o = request_message(v, a, ev);
        break;
    case EV_FEEDBACK:
        if (!o_obj)
            break;
        o = message("feedback", ev);
        set_str(o, "objective", o_obj->id);
        json_object_set_new(o, "report", json_integer(ev->value));
        set_str(o, "text", ev->text);
        set_str(o, "by", ev->actor);
        break;
    case EV_TEAM_NAMED:
        o = message("team", ev);
        set_str(o, "name", ev->subject);
        set_str(o, "organisation", ev->text);
        set_str(o, "by", ev->actor);
        break;
    case EV_INSTRUCTOR:
        if (!ev->subject || strcmp(ev->subject, "broadcast") != 0)
            break;
        o = message("message", ev);
        set_str(o, "text", ev->text);
        set_str(o, "from", ev->actor ? ev->actor : "instructor");
        break;
    default:
        break;
    }
    if (a->team == 0 && !o)
        o = raw(ev); /* instructors see everything */
    return o;
}

json_t *console_view_score(const console_view *v, const team_score *ts)
{
    json_t *objs = json_array();
    for (size_t i = 0; i < v->s->nobjectives; i++)
        json_array_append_new(objs, json_pack("{s:s, s:i, s:b}", "id", v->s->objectives[i].id,
                                              "points", ts->objectives[i].points, "achieved",
                                              ts->objectives[i].achieved));
    return json_pack("{s:s, s:i, s:i, s:i, s:o}", "type", "score", "team", ts->team, "total",
                     ts->total, "penalties", ts->penalties, "objectives", objs);
}

json_t *console_view_exercise(const console_view *v, const console_audience *a, const char *phase,
                              int64_t at_ms, double speed, unsigned nteams)
{
    json_t *langs = json_array();
    for (size_t i = 0; i < v->s->nlanguages; i++)
        json_array_append_new(langs, json_string(v->s->languages[i]));
    json_t *o = json_pack("{s:s, s:o, s:s, s:s, s:s, s:I, s:f, s:I, s:i, s:b}", "id", v->s->id,
                          "languages", langs, "default_language", v->s->default_language, "lang",
                          lang_of(v, a), "phase", phase, "at_ms", (json_int_t)at_ms, "speed", speed,
                          "duration_ms", (json_int_t)v->s->duration_ms, "teams", (int)nteams,
                          "scoreboard", v->s->public_scoreboard);
    json_object_set_new(o, "feedback", json_boolean(v->s->feedback));
    set_text(o, "title", v, a, a->team, &v->s->title);
    set_text(o, "description", v, a, a->team, &v->s->description);
    return o;
}

static const char *const OBJECTIVE_KINDS[] = {"question", "check", "report"};

json_t *console_view_objectives(const console_view *v, const console_audience *a)
{
    json_t *list = json_array();
    for (size_t i = 0; i < v->s->nobjectives; i++) {
        const objective *o = &v->s->objectives[i];
        json_t *j = json_pack("{s:s, s:s, s:i}", "id", o->id, "kind", OBJECTIVE_KINDS[o->kind],
                              "points", o->points);
        set_text(j, "title", v, a, a->team, &o->title);
        set_text(j, "text", v, a, a->team, &o->text);
        if (o->kind == OBJ_QUESTION)
            json_object_set_new(j, "attempts", json_integer(o->attempts));
        json_t *hints = json_array();
        for (size_t h = 0; h < o->nhints; h++)
            json_array_append_new(
                hints, json_pack("{s:i, s:i}", "index", (int)h, "cost", o->hints[h].cost));
        json_object_set_new(j, "hints", hints);
        if (o->kind == OBJ_REPORT) {
            json_t *rubric = json_array();
            for (size_t r = 0; r < o->nrubric; r++) {
                json_t *item =
                    json_pack("{s:i, s:i}", "item", (int)r, "points", o->rubric[r].points);
                set_text(item, "text", v, a, a->team, &o->rubric[r].text);
                json_array_append_new(rubric, item);
            }
            json_object_set_new(j, "rubric", rubric);
        }
        json_array_append_new(list, j);
    }
    return list;
}

json_t *console_view_nodes(const console_view *v, const console_audience *a, int team)
{
    json_t *list = json_array();
    for (size_t i = 0; i < v->s->nnodes; i++) {
        const node *n = &v->s->nodes[i];
        if (a->team != 0 && !n->visible)
            continue;
        json_t *addrs = json_array();
        for (size_t k = 0; k < n->nnics; k++) {
            char *key = xasprintf("addr %s %s", n->name, n->nics[k].segment);
            const char *addr = v->vars ? team_vars_get(v->vars, team, key) : NULL;
            if (addr)
                json_array_append_new(addrs, json_string(addr));
            free(key);
        }
        json_t *j = json_pack("{s:s, s:i, s:s, s:o, s:b, s:b}", "name", n->name, "team", team,
                              "role", node_role_name(n->role), "addresses", addrs, "console",
                              a->team == 0 || n->visible, "display",
                              (a->team == 0 || n->visible) && v->display && v->display[i]);
        set_text(j, "title", v, a, team, &n->title);
        json_array_append_new(list, j);
    }
    return list;
}

json_t *console_view_accounts(const console_view *v, const console_audience *a, int team)
{
    json_t *list = json_array();
    if (a->team != 0 && a->team != team)
        return list; /* never another team's passwords */
    for (size_t i = 0; i < v->s->nusers; i++) {
        const scenario_user *u = &v->s->users[i];
        json_t *nodes = json_array();
        for (size_t n = 0; n < v->s->nnodes; n++) {
            const node *nd = &v->s->nodes[n];
            bool runs_linux = !v->runs_linux || v->runs_linux[n];
            if (scenario_user_on_node(v->s, u, nd, runs_linux) && (a->team == 0 || nd->visible))
                json_array_append_new(nodes, json_string(nd->name));
        }
        if (json_array_size(nodes) == 0) {
            json_decref(nodes);
            continue;
        }
        char *password = team_vars_expand(v->vars, team, u->password);
        json_t *j = json_pack("{s:i, s:s, s:s, s:b, s:o}", "team", team, "name", u->name,
                              "password", password, "sudo", u->sudo, "nodes", nodes);
        free(password);
        set_text(j, "title", v, a, team, &u->title);
        json_array_append_new(list, j);
    }
    return list;
}
