/*
 * What every format of the after-action report says the same way: times,
 * the sentence of a timeline line, and the rows for an LMS
 * (after_action_format.h).
 */
#include "after_action_format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void after_action_duration(int64_t ms, char *buf, size_t size)
{
    if (ms < 0) {
        snprintf(buf, size, "-");
        return;
    }
    int64_t s = ms / 1000;
    snprintf(buf, size, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, s / 3600, s / 60 % 60, s % 60);
}

void after_action_clock(int64_t ms, char *buf, size_t size)
{
    if (ms < 0) {
        snprintf(buf, size, "-");
        return;
    }
    char d[32];
    after_action_duration(ms, d, sizeof d);
    snprintf(buf, size, "T+%s", d);
}

const char *after_action_outcome_name(aa_outcome o)
{
    switch (o) {
    case AA_RIGHT:
        return "right";
    case AA_WRONG:
        return "wrong";
    case AA_NOT_COUNTED:
        return "not counted";
    case AA_PASSING:
        return "passing";
    case AA_FAILING:
        return "failing";
    case AA_NONE:
        break;
    }
    return NULL;
}

const char *after_action_kind_name(objective_kind k)
{
    return k == OBJ_QUESTION ? "question" : k == OBJ_CHECK ? "check" : "report";
}

const char *after_action_entry_side(const aa_entry *e)
{
    switch (e->kind) {
    case EV_EXERCISE_STATE:
        return "exercise";
    case EV_INJECT_BEGIN:
    case EV_INJECT_FIRED:
    case EV_INJECT_FAILED:
    case EV_INJECT_SKIPPED:
    case EV_INJECT_HELD:
    case EV_INJECT_RELEASED:
    case EV_INJECT_RETRIED:
        return "inject";
    case EV_ANSWER:
    case EV_REPORT:
    case EV_HINT:
    case EV_REQUEST:
    case EV_CHECK_RESULT: /* the team's work on its guests, as the checks see it */
        return "team";
    case EV_GRADE:
    case EV_PENALTY:
    case EV_INSTRUCTOR:
    case EV_REQUEST_DECIDED:
    case EV_FEEDBACK:
    case EV_TEAM_NAMED:
        return "instructor";
    case EV_NODE_STATE:
    case EV_KIND_COUNT:
        break;
    }
    return "range";
}

static const char *objective_title(const after_action *aa, const char *id)
{
    for (size_t o = 0; id && o < aa->s->nobjectives; o++)
        if (strcmp(aa->s->objectives[o].id, id) == 0)
            return after_action_objective_title(aa, o);
    return id ? id : "";
}

static const char *request_title(const after_action *aa, const char *id)
{
    const team_request *r = id ? scenario_request(aa->s, id) : NULL;
    const char *title = r ? after_action_text(aa, &r->title) : NULL;
    return title && *title ? title : id ? id : "";
}

const char *after_action_entry_what(const after_action *aa, const aa_entry *e, char *buf,
                                    size_t size)
{
    const char *subject = e->subject ? e->subject : "";
    const char *in = after_action_inject_title(aa, e->subject);
    switch (e->kind) {
    case EV_EXERCISE_STATE:
        if (e->state && strcmp(e->state, "speed") == 0)
            snprintf(buf, size, "Exercise speed x%g", (double)e->value / 1000.0);
        else
            snprintf(buf, size, "Exercise %s", e->state ? e->state : "");
        break;
    case EV_INJECT_FIRED: {
        /* A note is for the instructors only: the team never saw it. */
        const inject *inj = e->subject ? scenario_inject(aa->s, e->subject) : NULL;
        snprintf(buf, size, "%s: %s",
                 inj && inj->action.kind == ACTION_NOTE ? "Note for the instructors"
                                                        : "Inject fired",
                 in);
        break;
    }
    case EV_INJECT_FAILED:
        snprintf(buf, size, "Inject failed: %s", in);
        break;
    case EV_INJECT_SKIPPED:
        snprintf(buf, size, "Inject skipped: %s", in);
        break;
    case EV_INJECT_HELD:
        snprintf(buf, size, "Inject %s: %s", e->value ? "held" : "let go", in);
        break;
    case EV_INJECT_RELEASED:
        snprintf(buf, size, "Inject released: %s", in);
        break;
    case EV_INJECT_RETRIED:
        snprintf(buf, size, "Inject retried (attempt %lld): %s", (long long)e->value, in);
        break;
    case EV_CHECK_RESULT:
        snprintf(buf, size, "Check %s: %s", e->value ? "passing" : "failing", subject);
        break;
    case EV_ANSWER:
        snprintf(buf, size, "Answer to %s: %s", objective_title(aa, e->subject),
                 e->outcome ? after_action_outcome_name(e->outcome) : "given");
        break;
    case EV_REPORT:
        snprintf(buf, size, "Report sent: %s", objective_title(aa, e->subject));
        break;
    case EV_GRADE: {
        const objective *o = e->subject ? scenario_objective(aa->s, e->subject) : NULL;
        const char *item = o && e->item >= 0 && (size_t)e->item < o->nrubric
                               ? after_action_text(aa, &o->rubric[e->item].text)
                               : NULL;
        snprintf(buf, size, "Report graded: %s, %s: %lld points", objective_title(aa, e->subject),
                 item ? item : "an item", (long long)e->value);
        break;
    }
    case EV_HINT:
        snprintf(buf, size, "Hint %lld taken: %s", (long long)e->value + 1,
                 objective_title(aa, e->subject));
        break;
    case EV_PENALTY:
        snprintf(buf, size, "Penalty: %s", subject);
        break;
    case EV_INSTRUCTOR:
        snprintf(buf, size, "Instructor: %s", subject);
        break;
    case EV_NODE_STATE:
        snprintf(buf, size, "Node %s %s", subject, e->value ? "up" : "down");
        break;
    case EV_FEEDBACK:
        snprintf(buf, size, "Feedback on the report: %s", objective_title(aa, e->subject));
        break;
    case EV_TEAM_NAMED:
        snprintf(buf, size, "Team named: %s", subject);
        break;
    case EV_REQUEST: {
        const team_request *r = e->subject ? scenario_request(aa->s, e->subject) : NULL;
        snprintf(buf, size, "Request asked: %s%s", request_title(aa, e->subject),
                 r && r->approval == APPROVAL_AUTO ? " (approved at once)" : "");
        break;
    }
    case EV_REQUEST_DECIDED:
        snprintf(buf, size, "Request %s: %s", e->value ? "approved" : "refused",
                 request_title(aa, e->subject));
        break;
    case EV_INJECT_BEGIN:
    case EV_KIND_COUNT:
        snprintf(buf, size, "%s", event_kind_name(e->kind));
        break;
    }
    return buf;
}

void after_action_each_row(const after_action *aa, int team,
                           void (*fn)(const after_action *aa, const aa_row *row, void *arg),
                           void *arg)
{
    for (unsigned t = 0; t < aa->nteams; t++) {
        const aa_team *at = &aa->teams[t];
        if (team && at->team != team)
            continue;
        aa_row row = {.team = at, .score = after_action_score(aa, at->team), .credited = -1};
        for (size_t o = 0; o < aa->s->nobjectives; o++) {
            row.objective = o;
            row.actions = at->objectives[o].actions;
            fn(aa, &row, arg);
        }
        for (size_t m = 0; m < at->nmembers; m++) {
            row.member = &at->members[m];
            for (size_t o = 0; o < aa->s->nobjectives; o++) {
                row.objective = o;
                row.actions = at->members[m].actions[o];
                row.credited = at->members[m].credited[o];
                fn(aa, &row, arg);
            }
        }
    }
}
