/*
 * The after-action report of an exercise, computed from its events alone:
 * for each team a timeline of the injects against the team's actions, the
 * detection and response time of each objective, the score with its
 * breakdown and its course over time, the reports' texts; and a class
 * summary over the teams. Pure: events are fed in ledger order (the caller
 * scans the ledger), with the grader the live exercise scores with, so the
 * points are always the ones the teams saw. The formats (after_action_format.h)
 * only print what this computes.
 *
 * Times of an objective, per team (exercise milliseconds, since STARTEX):
 *  - start: when the inject the objective relates to fired for the team:
 *    its `after:` inject, else its decay's `from:` inject, else (a time
 *    question) the inject whose time is asked; an objective related to no
 *    inject starts at STARTEX (the first time the exercise ran). No start
 *    while that inject has not fired for the team.
 *  - detection: from the start to the team's first action on the objective
 *    at or after it: an answer (right or wrong), a report, a hint taken, or
 *    the objective achieved (a check that passed shows it too).
 *  - response: from the start to the first right answer (question), the
 *    first passing check that scored (check), or the first report sent
 *    (report: when it was graded is the instructor's time, not the team's).
 * Either is unknown (-1) when what it measures to has not happened.
 *
 * Members: the names (event actors) that answered, reported, took hints
 * or asked requests for a team; instructors' actions name no member.
 *
 * Teams' names: a roster's (after_action_set_roster, since the ledger does
 * not keep the roster file), then each rename the ledger records.
 */
#ifndef ENSHU_AFTER_ACTION_H
#define ENSHU_AFTER_ACTION_H

#include "event.h"
#include "grader.h"
#include "scenario.h"
#include "team_names.h"
#include "team_vars.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a team's action or an inject turned out, as the report shows it. */
typedef enum aa_outcome {
    AA_NONE,
    AA_RIGHT,       /* an answer that achieved its question */
    AA_WRONG,       /* an answer counted as wrong */
    AA_NOT_COUNTED, /* an answer the grader took no account of (answered, out of attempts,
                     * before its inject) */
    AA_PASSING,     /* a check turned passing */
    AA_FAILING,     /* a check turned failing */
} aa_outcome;

/* One line of a team's timeline: an event of the team (or of every team). */
typedef struct aa_entry {
    int64_t at_ms;
    event_kind kind;
    char *subject; /* inject, check, objective or request id; may be NULL */
    char *text;    /* the answer, a failure's why, a state, a note; may be NULL; at most
                    * AFTER_ACTION_TEXT bytes (cut at a character) */
    char *actor;   /* may be NULL */
    int64_t value;
    const char *state; /* a change of the exercise, as words (static): "started (STARTEX)",
                        * "paused", "resumed", "ended (ENDEX)", "speed" (value: the new
                        * speed x 1000)...; else NULL */
    int item;          /* a grade's rubric item; else -1 */
    aa_outcome outcome;
    int delta; /* the change of the team's score it made */
    int total; /* the team's score after it */
} aa_entry;

#define AFTER_ACTION_TEXT 300

/* A report a team sent, with the grades given to it (rubric items). */
typedef struct aa_report {
    int64_t seq; /* the report event's */
    int64_t at_ms;
    size_t objective; /* index in the scenario's objectives */
    char *text;       /* whole */
    char *actor;      /* may be NULL */
} aa_report;

/* An instructor's feedback on one of the team's reports. */
typedef struct aa_feedback {
    int64_t at_ms;
    int64_t report_seq; /* the report it is on */
    char *text;
    char *actor; /* may be NULL */
} aa_feedback;

typedef struct aa_objective {
    const char *start_inject; /* the inject the clock starts at (scenario's); NULL: STARTEX */
    int64_t start_ms;         /* -1: not started */
    int64_t detected_ms;      /* first action at or after the start; -1: none */
    int64_t responded_ms;     /* see above; -1: none */
    int actions;              /* the team's answers, reports and hints on it */
    const char *credited;     /* the member whose action achieved (or first reported) it */
} aa_objective;

typedef struct aa_member {
    char *name;
    int *actions;   /* per objective: answers, reports and hints */
    bool *credited; /* per objective: their action achieved it */
} aa_member;

typedef struct aa_team {
    int team;
    int rank; /* 1 = the highest total; equal totals share a rank */
    aa_entry *entries;
    size_t nentries, cap_entries;
    aa_report *reports;
    size_t nreports, cap_reports;
    aa_feedback *feedback;
    size_t nfeedback, cap_feedback;
    aa_objective *objectives; /* one per scenario objective */
    aa_member *members;       /* in the order they first acted */
    size_t nmembers, cap_members;
    int *check_state; /* per scenario check: -1 unknown, 0 failing, 1 passing */
} aa_team;

/* The class summary of one objective. */
typedef struct aa_objective_summary {
    unsigned achieved;                              /* teams that achieved it */
    double median_response_ms, median_detection_ms; /* over the teams with one; -1: none */
} aa_objective_summary;

typedef struct after_action {
    const scenario *s;
    unsigned nteams;
    grader *grader;
    team_names *names;
    aa_team *teams;               /* [team - 1] */
    int64_t startex_ms, endex_ms; /* -1 until the exercise ran / ended */
    int64_t startex_wall_ms;      /* wall clock of STARTEX (Unix ms); 0: unknown */
    int64_t last_ms;              /* the latest event's exercise time */
    const char *phase;            /* the last state event's phase; NULL before one */
    int64_t speed_milli;          /* and its speed x 1000 */
    const char *state_line;       /* what the state event being applied changed; NULL: nothing */
    /* after after_action_finish: */
    int min_total, max_total;
    double median_total;
    aa_objective_summary *summary; /* per objective */
    /* Each team's state before the grader takes an event (after_action.c),
     * allocated once: [team - 1], and [(team - 1) * objectives + o]. */
    int *was_total;
    bool *was_achieved;
    int *was_attempts;
} after_action;

/* For teams 1..nteams of s (borrowed, outlives it); vars as for the grader
 * (may be NULL). */
after_action *after_action_new(const scenario *s, unsigned nteams, const team_vars *vars);
void after_action_free(after_action *aa);

/* The teams' names from a roster (copied), before the first event. */
void after_action_set_roster(after_action *aa, const team_names *roster);
/* A team's name and organisation; NULL when it has none. */
const char *after_action_team_name(const after_action *aa, int team);
const char *after_action_team_organisation(const after_action *aa, int team);

/* Takes the next event, in ledger order. Strings are copied. */
void after_action_apply(after_action *aa, const event *ev);

/* After the last event: ranks and the class summary. */
void after_action_finish(after_action *aa);

struct event_store;

/* Scans the whole ledger into a new report of s (borrowed) and finishes it;
 * roster: the teams' names to begin with (may be NULL).
 * ENSHU_OK, or the scan's error (*out NULL). Reads the ledger: not for a
 * thread that must not wait on it. */
int after_action_from_ledger(struct event_store *ledger, const scenario *s, unsigned nteams,
                             const team_vars *vars, const team_names *roster, after_action **out)
    __attribute__((warn_unused_result));

/* The grader's score of team (1..nteams). */
const team_score *after_action_score(const after_action *aa, int team);

/* An objective's detection or response time of a team in ms, -1 unknown. */
int64_t after_action_detection_ms(const aa_objective *o);
int64_t after_action_response_ms(const aa_objective *o);

/* The text of s for people, in its default language. */
const char *after_action_text(const after_action *aa, const l10n_text *t);
/* An inject's or objective's title, else its id. */
const char *after_action_inject_title(const after_action *aa, const char *id);
const char *after_action_objective_title(const after_action *aa, size_t o);

#endif
