/*
 * The after-action report's computation (see after_action.h): every event
 * goes through the grader, and what it changed for the team (points, an
 * objective achieved, an answer counted) is read off the team's score
 * before and after, so the report never judges an answer by rules of its
 * own.
 */
#include "after_action.h"

#include "alloc.h"

#include <stdlib.h>
#include <string.h>

/* The inject whose firing starts objective o's clock, or NULL (STARTEX). */
static const char *start_inject_of(const objective *o)
{
    if (o->after)
        return o->after;
    if (o->decay.from)
        return o->decay.from;
    if (o->kind == OBJ_QUESTION && o->answer == ANSWER_TIME && o->time_inject)
        return o->time_inject;
    return NULL;
}

after_action *after_action_new(const scenario *s, unsigned nteams, const team_vars *vars)
{
    after_action *aa = xcalloc(1, sizeof *aa);
    aa->s = s;
    aa->nteams = nteams;
    aa->grader = grader_new(s, nteams);
    aa->names = team_names_new(nteams);
    grader_set_team_vars(aa->grader, vars);
    aa->startex_ms = aa->endex_ms = -1;
    aa->speed_milli = 1000;
    aa->teams = xcalloc(nteams ? nteams : 1, sizeof *aa->teams);
    for (unsigned t = 0; t < nteams; t++) {
        aa_team *at = &aa->teams[t];
        at->team = (int)t + 1;
        at->rank = 1;
        at->objectives = xcalloc(s->nobjectives ? s->nobjectives : 1, sizeof *at->objectives);
        for (size_t o = 0; o < s->nobjectives; o++) {
            aa_objective *ao = &at->objectives[o];
            ao->start_inject = start_inject_of(&s->objectives[o]);
            ao->start_ms = ao->detected_ms = ao->responded_ms = -1;
        }
        at->check_state = xmalloc((s->nchecks ? s->nchecks : 1) * sizeof *at->check_state);
        for (size_t c = 0; c < s->nchecks; c++)
            at->check_state[c] = -1;
    }
    aa->summary = xcalloc(s->nobjectives ? s->nobjectives : 1, sizeof *aa->summary);
    size_t cells = (size_t)(nteams ? nteams : 1) * (s->nobjectives ? s->nobjectives : 1);
    aa->was_total = xcalloc(nteams ? nteams : 1, sizeof *aa->was_total);
    aa->was_achieved = xcalloc(cells, sizeof *aa->was_achieved);
    aa->was_attempts = xcalloc(cells, sizeof *aa->was_attempts);
    return aa;
}

void after_action_free(after_action *aa)
{
    if (!aa)
        return;
    for (unsigned t = 0; t < aa->nteams; t++) {
        aa_team *at = &aa->teams[t];
        for (size_t i = 0; i < at->nentries; i++) {
            free(at->entries[i].subject);
            free(at->entries[i].text);
            free(at->entries[i].actor);
        }
        free(at->entries);
        for (size_t i = 0; i < at->nreports; i++) {
            free(at->reports[i].text);
            free(at->reports[i].actor);
        }
        free(at->reports);
        for (size_t i = 0; i < at->nfeedback; i++) {
            free(at->feedback[i].text);
            free(at->feedback[i].actor);
        }
        free(at->feedback);
        for (size_t m = 0; m < at->nmembers; m++) {
            free(at->members[m].name);
            free(at->members[m].actions);
            free(at->members[m].credited);
        }
        free(at->members);
        free(at->objectives);
        free(at->check_state);
    }
    free(aa->teams);
    free(aa->summary);
    free(aa->was_total);
    free(aa->was_achieved);
    free(aa->was_attempts);
    grader_free(aa->grader);
    team_names_free(aa->names);
    free(aa);
}

void after_action_set_roster(after_action *aa, const team_names *roster)
{
    team_names_copy(aa->names, roster);
}

const char *after_action_team_name(const after_action *aa, int team)
{
    return team_names_name(aa->names, team);
}

const char *after_action_team_organisation(const after_action *aa, int team)
{
    return team_names_organisation(aa->names, team);
}

const team_score *after_action_score(const after_action *aa, int team)
{
    return grader_team(aa->grader, team);
}

int64_t after_action_detection_ms(const aa_objective *o)
{
    return o->start_ms >= 0 && o->detected_ms >= 0 ? o->detected_ms - o->start_ms : -1;
}

int64_t after_action_response_ms(const aa_objective *o)
{
    return o->start_ms >= 0 && o->responded_ms >= 0 ? o->responded_ms - o->start_ms : -1;
}

const char *after_action_text(const after_action *aa, const l10n_text *t)
{
    return l10n_get(t, aa->s->default_language, aa->s->default_language);
}

const char *after_action_inject_title(const after_action *aa, const char *id)
{
    const inject *in = id ? scenario_inject(aa->s, id) : NULL;
    const char *title = in ? after_action_text(aa, &in->title) : NULL;
    return title && *title ? title : id ? id : "";
}

const char *after_action_objective_title(const after_action *aa, size_t o)
{
    const char *title = after_action_text(aa, &aa->s->objectives[o].title);
    return title && *title ? title : aa->s->objectives[o].id;
}

/* A copy of text of at most AFTER_ACTION_TEXT bytes, cut between characters. */
static char *shortened(const char *text)
{
    if (!text)
        return NULL;
    size_t len = strlen(text);
    if (len <= AFTER_ACTION_TEXT)
        return xstrdup(text);
    size_t cut = AFTER_ACTION_TEXT - 3;
    while (cut > 0 && ((unsigned char)text[cut] & 0xC0) == 0x80)
        cut--;
    char *out = xmalloc(cut + 4);
    memcpy(out, text, cut);
    memcpy(out + cut, "...", 4);
    return out;
}

static long objective_index(const scenario *s, const char *id)
{
    for (size_t o = 0; id && o < s->nobjectives; o++)
        if (strcmp(s->objectives[o].id, id) == 0)
            return (long)o;
    return -1;
}

static long check_index(const scenario *s, const char *id)
{
    for (size_t c = 0; id && c < s->nchecks; c++)
        if (s->checks[c].id && strcmp(s->checks[c].id, id) == 0)
            return (long)c;
    return -1;
}

/* The member called name of the team, added when new; NULL for no name. */
static aa_member *member_of(after_action *aa, aa_team *at, const char *name)
{
    if (!name || !*name)
        return NULL;
    for (size_t m = 0; m < at->nmembers; m++)
        if (strcmp(at->members[m].name, name) == 0)
            return &at->members[m];
    XGROW(at->members, at->cap_members, at->nmembers + 1);
    aa_member *m = &at->members[at->nmembers++];
    size_t n = aa->s->nobjectives ? aa->s->nobjectives : 1;
    m->name = xstrdup(name);
    m->actions = xcalloc(n, sizeof *m->actions);
    m->credited = xcalloc(n, sizeof *m->credited);
    return m;
}

static void note_detected(aa_objective *ao, int64_t at_ms)
{
    if (ao->start_ms >= 0 && at_ms >= ao->start_ms &&
        (ao->detected_ms < 0 || at_ms < ao->detected_ms))
        ao->detected_ms = at_ms;
}

/* A team's action on objective o (an answer, a report, a hint). */
static void note_action(after_action *aa, aa_team *at, long o, const event *ev)
{
    if (o < 0)
        return;
    aa_objective *ao = &at->objectives[o];
    ao->actions++;
    note_detected(ao, ev->at_ms);
    aa_member *m = member_of(aa, at, ev->actor);
    if (m)
        m->actions[o]++;
    if (ev->kind == EV_REPORT && ao->responded_ms < 0 && ao->start_ms >= 0 &&
        ev->at_ms >= ao->start_ms) {
        ao->responded_ms = ev->at_ms;
        ao->credited = m ? m->name : NULL;
        if (m)
            m->credited[o] = true;
    }
}

/* Whether an event of this kind is a line of the team's timeline. */
static bool shown(event_kind kind)
{
    return kind != EV_INJECT_BEGIN && kind != EV_CHECK_RESULT && kind < EV_KIND_COUNT;
}

/* A grade's rubric item, as its text gives it; -1 when it is no number. */
static int rubric_item_of(const char *text)
{
    if (!text)
        return -1;
    char *end;
    long item = strtol(text, &end, 10);
    return end != text && *end == '\0' && item >= 0 && item < 100000 ? (int)item : -1;
}

static aa_entry *add_entry(aa_team *at, const event *ev, const team_score *ts, int before)
{
    XGROW(at->entries, at->cap_entries, at->nentries + 1);
    aa_entry *e = &at->entries[at->nentries++];
    memset(e, 0, sizeof *e);
    e->at_ms = ev->at_ms;
    e->kind = ev->kind;
    e->subject = ev->subject ? xstrdup(ev->subject) : NULL;
    /* A fired inject's output and a check's are for the operators: the
     * title says what happened; a report's whole text is in reports; a
     * state's and a grade's (the rubric item) are in what the line says. */
    bool keep_text = ev->kind != EV_INJECT_FIRED && ev->kind != EV_CHECK_RESULT &&
                     ev->kind != EV_REPORT && ev->kind != EV_EXERCISE_STATE && ev->kind != EV_GRADE;
    e->text = keep_text ? shortened(ev->text) : NULL;
    e->actor = ev->actor ? xstrdup(ev->actor) : NULL;
    e->value = ev->value;
    e->item = ev->kind == EV_GRADE ? rubric_item_of(ev->text) : -1;
    e->delta = ts->total - before;
    e->total = ts->total;
    return e;
}

/* What ev did for one team; before: the team's total, and which objectives
 * it had achieved and how many answers it had given, before the grader took
 * ev. */
static void apply_to_team(after_action *aa, aa_team *at, const event *ev, int before,
                          const bool *was_achieved, const int *was_attempts)
{
    const scenario *s = aa->s;
    const team_score *ts = grader_team(aa->grader, at->team);
    long o = objective_index(s, ev->subject);

    if (ev->kind == EV_EXERCISE_STATE && ev->text && strcmp(ev->text, "running") == 0)
        for (size_t i = 0; i < s->nobjectives; i++)
            if (!at->objectives[i].start_inject && at->objectives[i].start_ms < 0)
                at->objectives[i].start_ms = ev->at_ms;
    if (ev->kind == EV_INJECT_FIRED && ev->subject)
        for (size_t i = 0; i < s->nobjectives; i++) {
            aa_objective *ao = &at->objectives[i];
            if (ao->start_inject && ao->start_ms < 0 && strcmp(ao->start_inject, ev->subject) == 0)
                ao->start_ms = ev->at_ms;
        }
    bool team_action = ev->kind == EV_ANSWER || ev->kind == EV_REPORT || ev->kind == EV_HINT;
    if (team_action)
        note_action(aa, at, o, ev);
    if (ev->kind == EV_REQUEST)
        member_of(aa, at, ev->actor);
    if (ev->kind == EV_REPORT && o >= 0) {
        XGROW(at->reports, at->cap_reports, at->nreports + 1);
        aa_report *r = &at->reports[at->nreports++];
        r->seq = ev->seq;
        r->at_ms = ev->at_ms;
        r->objective = (size_t)o;
        r->text = xstrdup(ev->text ? ev->text : "");
        r->actor = ev->actor ? xstrdup(ev->actor) : NULL;
    }

    if (ev->kind == EV_FEEDBACK) {
        XGROW(at->feedback, at->cap_feedback, at->nfeedback + 1);
        aa_feedback *fb = &at->feedback[at->nfeedback++];
        fb->at_ms = ev->at_ms;
        fb->report_seq = ev->value;
        fb->text = xstrdup(ev->text ? ev->text : "");
        fb->actor = ev->actor ? xstrdup(ev->actor) : NULL;
    }

    /* Objectives this event achieved. */
    bool achieved_any = false;
    for (size_t i = 0; i < s->nobjectives; i++) {
        const objective_score *os = &ts->objectives[i];
        if (was_achieved[i] || !os->achieved)
            continue;
        achieved_any = true;
        aa_objective *ao = &at->objectives[i];
        note_detected(ao, os->achieved_ms);
        if (s->objectives[i].kind != OBJ_REPORT && ao->responded_ms < 0) {
            ao->responded_ms = os->achieved_ms;
            aa_member *m = ev->kind == EV_ANSWER ? member_of(aa, at, ev->actor) : NULL;
            ao->credited = m ? m->name : NULL;
            if (m)
                m->credited[i] = true;
        }
    }

    aa_outcome outcome = AA_NONE;
    if (ev->kind == EV_ANSWER && o >= 0)
        outcome = ts->objectives[o].achieved && !was_achieved[o] ? AA_RIGHT
                  : ts->objectives[o].attempts > was_attempts[o] ? AA_WRONG
                                                                 : AA_NOT_COUNTED;
    if (ev->kind == EV_CHECK_RESULT) {
        long c = check_index(s, ev->subject);
        int now = ev->value ? 1 : 0;
        bool turned = c >= 0 && at->check_state[c] != now && (now || at->check_state[c] == 1);
        if (c >= 0)
            at->check_state[c] = now;
        if (!turned && !achieved_any && ts->total == before)
            return; /* the same state again: no line */
        outcome = now ? AA_PASSING : AA_FAILING;
    } else if (!shown(ev->kind) || (ev->kind == EV_EXERCISE_STATE && !aa->state_line)) {
        return;
    }
    aa_entry *e = add_entry(at, ev, ts, before);
    e->outcome = outcome;
    if (ev->kind == EV_EXERCISE_STATE)
        e->state = aa->state_line;
}

/* A state event: STARTEX, ENDEX, and what changed (aa->state_line): the
 * phase, or with the same phase the speed; the same again is no change. */
static void note_state(after_action *aa, const event *ev)
{
    static const char *const phases[] = {"planned", "provisioning", "ready",
                                         "running", "paused",       "ended"};
    const char *phase = NULL;
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++)
        if (strcmp(ev->text, phases[i]) == 0)
            phase = phases[i];
    if (!phase)
        return;
    bool running = strcmp(phase, "running") == 0;
    if (running && aa->startex_ms < 0) {
        aa->startex_ms = ev->at_ms;
        aa->startex_wall_ms = ev->wall_ms;
        aa->state_line = "started (STARTEX)";
    } else if (phase != aa->phase) {
        aa->state_line = running                       ? "resumed"
                         : strcmp(phase, "ended") == 0 ? "ended (ENDEX)"
                                                       : phase;
    } else if (ev->value > 0 && ev->value != aa->speed_milli) {
        aa->state_line = "speed";
    }
    if (strcmp(phase, "ended") == 0)
        aa->endex_ms = ev->at_ms;
    aa->phase = phase;
    if (ev->value > 0)
        aa->speed_milli = ev->value;
}

void after_action_apply(after_action *aa, const event *ev)
{
    const scenario *s = aa->s;
    if (ev->at_ms > aa->last_ms)
        aa->last_ms = ev->at_ms;
    aa->state_line = NULL;
    if (ev->kind == EV_EXERCISE_STATE && ev->team == 0 && ev->text)
        note_state(aa, ev);
    unsigned first = 1, last = aa->nteams;
    if (ev->team > 0) {
        if ((unsigned)ev->team > aa->nteams) {
            grader_apply(aa->grader, ev);
            return;
        }
        first = last = (unsigned)ev->team;
    } else if (ev->team < 0) {
        return;
    }
    /* Each team's state before the grader takes the event. */
    size_t n = s->nobjectives ? s->nobjectives : 1;
    for (unsigned t = first; t <= last; t++) {
        const team_score *ts = grader_team(aa->grader, (int)t);
        aa->was_total[t - 1] = ts->total;
        for (size_t o = 0; o < s->nobjectives; o++) {
            aa->was_achieved[(t - 1) * n + o] = ts->objectives[o].achieved;
            aa->was_attempts[(t - 1) * n + o] = ts->objectives[o].attempts;
        }
    }
    grader_apply(aa->grader, ev);
    team_names_apply(aa->names, ev);
    for (unsigned t = first; t <= last; t++)
        apply_to_team(aa, &aa->teams[t - 1], ev, aa->was_total[t - 1],
                      &aa->was_achieved[(t - 1) * n], &aa->was_attempts[(t - 1) * n]);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The median of values[0..n) (sorted in place); -1 when n is 0. */
static double median(double *values, size_t n)
{
    if (n == 0)
        return -1;
    qsort(values, n, sizeof *values, cmp_double);
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

void after_action_finish(after_action *aa)
{
    const scenario *s = aa->s;
    double *values = xcalloc(aa->nteams + 1, sizeof *values);
    for (unsigned t = 0; t < aa->nteams; t++) {
        int total = grader_team(aa->grader, (int)t + 1)->total;
        int higher = 0;
        for (unsigned u = 0; u < aa->nteams; u++)
            higher += grader_team(aa->grader, (int)u + 1)->total > total;
        aa->teams[t].rank = higher + 1;
        values[t] = total;
        if (t == 0 || total < aa->min_total)
            aa->min_total = total;
        if (t == 0 || total > aa->max_total)
            aa->max_total = total;
    }
    aa->median_total = aa->nteams ? median(values, aa->nteams) : 0;
    double *detect = xcalloc(aa->nteams + 1, sizeof *detect);
    for (size_t o = 0; o < s->nobjectives; o++) {
        size_t nresp = 0, ndetect = 0;
        aa_objective_summary *sum = &aa->summary[o];
        sum->achieved = 0;
        for (unsigned t = 0; t < aa->nteams; t++) {
            const aa_objective *ao = &aa->teams[t].objectives[o];
            sum->achieved += grader_team(aa->grader, (int)t + 1)->objectives[o].achieved;
            if (after_action_response_ms(ao) >= 0)
                values[nresp++] = (double)after_action_response_ms(ao);
            if (after_action_detection_ms(ao) >= 0)
                detect[ndetect++] = (double)after_action_detection_ms(ao);
        }
        sum->median_response_ms = median(values, nresp);
        sum->median_detection_ms = median(detect, ndetect);
    }
    free(detect);
    free(values);
}
