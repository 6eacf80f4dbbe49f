/*
 * The grader: a team's score as a pure function of the exercise's events.
 * Live scoring feeds events one by one as they are recorded; `enshu score`
 * feeds the whole ledger to a fresh grader; both run this same code, so
 * they always agree.
 *
 * Rules:
 *  - check objective: its points once its check passes (the first time);
 *    with 'decay', full points within decay.full of its inject firing for
 *    the team, then linearly less down to decay.floor at decay.zero_at;
 *  - question: its points for the first right answer, within its attempts
 *    (with 'decay' as for checks, measured at that answer);
 *    templated answers ({{addr c2}}) as the team sees them (team values
 *    given with grader_set_team_vars); a time answer is right within its
 *    tolerance of when its inject fired for the team (wall clock, UTC);
 *  - report: per rubric item, the latest grade an instructor gave, capped
 *    at the item's points;
 *  - hints cost their cost once, when taken; penalties take their points;
 *  - a team request costs its cost at each approval (an auto request is
 *    approved when asked; a team has at most one ask of a request waiting
 *    for an instructor and at most its limit of asks not refused; a
 *    decision with no ask waiting changes nothing);
 *  - a penalty rule takes its points each time its check turns to the
 *    rule's state (once its 'after' inject fired), up to its max;
 *  - an objective with 'after' counts only what happens once that inject
 *    has fired for the team (a stopped beacon scores once there was one);
 *    for checks, a result counts (for objectives and penalty rules alike)
 *    only if its probe began after the inject fired: its at_ms is when the
 *    probe began, and one under way when the inject fired saw the guest as
 *    it was before.
 */
#ifndef ENSHU_GRADER_H
#define ENSHU_GRADER_H

#include "event.h"
#include "scenario.h"
#include "team_vars.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* When something first happened for a team (conditions on the team's
 * progress read these: progress_condition.h). */
typedef struct first_time {
    bool happened;
    int64_t at_ms;
} first_time;

typedef struct objective_score {
    int points; /* earned */
    bool achieved;
    int64_t achieved_ms;
    int attempts; /* answers given (questions) */
    int hint_cost;
    uint64_t hints_taken; /* bit per hint */
    int *rubric;          /* latest grade per rubric item (reports) */
    first_time reached;   /* first achieved (a report: its first grade) */
    first_time answered, answered_wrong, reported;
    first_time *hints; /* per hint of the objective */
} objective_score;

/* A team's asks of one request (scenario.h: team_request). */
typedef struct request_score {
    int asked, approved, refused;
    bool pending; /* an ask waits for an instructor */
    first_time first_asked, first_approved, first_refused;
    int cost; /* points its approvals took */
} request_score;

typedef struct score_point {
    int64_t at_ms;
    int total;
} score_point;

typedef struct team_score {
    int team;
    int total;
    int penalties;               /* all points taken: instructors' and rules' */
    int *penalty_rules;          /* points taken per scenario penalty rule */
    objective_score *objectives; /* one per scenario objective */
    request_score *requests;     /* one per scenario request */
    int request_cost;            /* points all approved requests took */
    score_point *history;        /* the total after every change */
    size_t nhistory;
    size_t cap_history;
} team_score;

typedef struct grader grader;

/* s must outlive the grader; teams are numbered 1..nteams. */
grader *grader_new(const scenario *s, unsigned nteams);
void grader_free(grader *g);

/* Each team's template values, for templated answers; v must outlive the
 * grader. Give them before the first event (NULL: answers as written). */
void grader_set_team_vars(grader *g, const team_vars *v);

/* Takes one event into account; events of other kinds, unknown subjects
 * or teams out of range change nothing. */
void grader_apply(grader *g, const event *ev);

/* NULL when team is out of range. */
const team_score *grader_team(const grader *g, int team);
unsigned grader_teams(const grader *g);

/* o's points when achieved late ms after its decay inject fired. */
int grader_decayed_points(const objective *o, int64_t late);

/* The most a team can score (hints and penalties aside). */
int grader_max_points(const grader *g);

#endif
