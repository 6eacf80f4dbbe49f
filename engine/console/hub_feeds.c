/*
 * What the hub keeps of the events it has fanned out, so that no request
 * reads the ledger: how each answer went (for its message), the index of
 * reports' files, and each team's feed of its newest messages, already
 * encoded in every language of the scenario (for `timeline` replies).
 * Kept up to date once per event, in ledger order, on the hub thread.
 */
#include "alloc.h"
#include "hub_internal.h"
#include "ledger_meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const answer_outcome *find_outcome(const console_hub *hub, int64_t seq)
{
    size_t lo = 0, hi = hub->noutcomes; /* sorted by seq */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (hub->outcomes[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < hub->noutcomes && hub->outcomes[lo].seq == seq ? &hub->outcomes[lo].outcome : NULL;
}

/* Feeds ev to the hub's grader; remembers how an answer went. Returns
 * whether the team's score changed. */
bool hub_grade(console_hub *hub, const event *ev)
{
    const team_score *ts = grader_team(hub->grader, ev->team);
    int before_total = ts ? ts->total : 0, before_pen = ts ? ts->penalties : 0;
    const objective *answered =
        ev->kind == EV_ANSWER ? scenario_objective(hub->s, ev->subject) : NULL;
    size_t oi = answered ? (size_t)(answered - hub->s->objectives) : SIZE_MAX;
    bool was = ts && oi != SIZE_MAX ? ts->objectives[oi].achieved : false;
    grader_apply(hub->grader, ev);
    if (ts && oi != SIZE_MAX) {
        const objective *o = &hub->s->objectives[oi];
        const objective_score *os = &ts->objectives[oi];
        if (hub->noutcomes == hub->cap_outcomes) {
            hub->cap_outcomes = hub->cap_outcomes ? hub->cap_outcomes * 2 : 64;
            hub->outcomes = xrealloc(hub->outcomes, hub->cap_outcomes * sizeof(outcome_entry));
        }
        hub->outcomes[hub->noutcomes++] = (outcome_entry){
            ev->seq,
            {true, !was && os->achieved, !was && os->achieved ? os->points : 0,
             o->attempts ? (os->attempts < o->attempts ? o->attempts - os->attempts : 0) : -1}};
    }
    return ts && (ts->total != before_total || ts->penalties != before_pen);
}

const report_file *hub_find_report(const console_hub *hub, int64_t seq)
{
    size_t lo = 0, hi = hub->nreports; /* sorted by seq */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (hub->reports[mid].seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < hub->nreports && hub->reports[lo].seq == seq ? &hub->reports[lo] : NULL;
}

/* Notes a report's file as its event is fanned out (in ledger order, so
 * the index stays sorted). The file's name is in the ledger's meta beside
 * the event: the hub writes both on this thread, so the name is there
 * before the event is fanned out. */
void hub_note_report(console_hub *hub, const event *ev)
{
    if (ev->kind != EV_REPORT || ev->value <= 0)
        return;
    char key[48];
    snprintf(key, sizeof key, LEDGER_META_REPORT_FILE, (long long)ev->seq);
    char *stored = event_store_get_meta(hub->cfg.ledger, key);
    json_t *att = stored ? json_loads(stored, 0, NULL) : NULL;
    free(stored);
    const char *name = json_string_value(json_object_get(att, "name"));
    if (hub->nreports == hub->cap_reports) {
        hub->cap_reports = hub->cap_reports ? hub->cap_reports * 2 : 16;
        hub->reports = xrealloc(hub->reports, hub->cap_reports * sizeof(report_file));
    }
    hub->reports[hub->nreports++] =
        (report_file){ev->seq, ev->team, ev->value, xstrdup(name ? name : "file")};
    json_decref(att);
}

/* A report's file as its message shows it ({name, size}), or NULL. */
json_t *hub_report_attachment(console_hub *hub, const event *ev)
{
    const report_file *r = ev->kind == EV_REPORT ? hub_find_report(hub, ev->seq) : NULL;
    return r ? json_pack("{s:s, s:I}", "name", r->name, "size", (json_int_t)r->size) : NULL;
}

/* The event's message for one audience, with the report's file (attachment,
 * from hub_report_attachment; may be NULL); NULL when it sees nothing. */
json_t *hub_view_event(console_hub *hub, const console_audience *a, const event *ev,
                       json_t *attachment)
{
    json_t *msg = console_view_event(&hub->view, a, ev, find_outcome(hub, ev->seq));
    if (msg && attachment)
        json_object_set(msg, "attachment", attachment);
    return msg;
}

/* The scenario's language a session's texts are in: its own when the
 * scenario has it, else the default (what console_view gives it too). */
size_t hub_lang_index(const console_hub *hub, const char *lang)
{
    size_t fallback = 0;
    for (size_t i = 0; i < hub->s->nlanguages; i++) {
        if (lang && strcmp(hub->s->languages[i], lang) == 0)
            return i;
        if (strcmp(hub->s->languages[i], hub->s->default_language) == 0)
            fallback = i;
    }
    return fallback;
}

static void feed_drop_oldest(console_hub *hub, team_feed *f)
{
    size_t slot = f->first;
    for (size_t l = 0; l < hub->nlangs; l++) {
        free(f->texts[slot * hub->nlangs + l]);
        f->texts[slot * hub->nlangs + l] = NULL;
    }
    f->bytes -= f->sizes[slot];
    f->first = (f->first + 1) % TIMELINE_EVENTS;
    f->count--;
    f->forgot = true;
}

/* Adds ev, as team sees it in each language, to the team's feed (nothing
 * when the team does not see it). */
static void feed_add(console_hub *hub, int team, const event *ev, json_t *attachment)
{
    team_feed *f = &hub->feeds[team - 1];
    char **texts = xcalloc(hub->nlangs, sizeof(char *));
    size_t size = 0;
    for (size_t l = 0; l < hub->nlangs; l++) {
        console_audience a = {team, hub->s->nlanguages ? hub->s->languages[l] : NULL};
        json_t *msg = hub_view_event(hub, &a, ev, attachment);
        char *text = msg ? json_dumps(msg, JSON_COMPACT) : NULL;
        json_decref(msg);
        if (!text && l == 0) { /* what a team sees does not depend on its language */
            free(texts);
            return;
        }
        if (text && l > 0 && strcmp(text, texts[0]) == 0) {
            free(text); /* the same in every language: kept once */
            text = NULL;
        }
        if (text && strlen(text) > size)
            size = strlen(text);
        texts[l] = text;
    }
    while (f->count && (f->count == TIMELINE_EVENTS || f->bytes + size > TIMELINE_BYTES))
        feed_drop_oldest(hub, f);
    size_t slot = (f->first + f->count) % TIMELINE_EVENTS;
    f->sizes[slot] = size;
    memcpy(&f->texts[slot * hub->nlangs], texts, hub->nlangs * sizeof(char *));
    f->count++;
    f->bytes += size;
    free(texts);
}

/* Every team that sees ev keeps it in its feed: its own team, or every
 * team for what concerns all (the exercise's phase, broadcasts to all). */
void hub_feed_event(console_hub *hub, const event *ev, json_t *attachment)
{
    if (ev->team >= 1 && (unsigned)ev->team <= hub->nteams) {
        feed_add(hub, ev->team, ev, attachment);
        return;
    }
    for (unsigned t = 1; t <= hub->nteams; t++)
        feed_add(hub, (int)t, ev, attachment);
}
