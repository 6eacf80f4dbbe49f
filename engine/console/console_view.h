/*
 * What each audience of the consoles sees: the JSON messages of
 * web/PROTOCOL.md built from the scenario, events and scores, for one
 * team (its own things only, in its language, templates filled in with its
 * addresses) or for instructors (everything). Pure: no I/O, no state.
 */
#ifndef ENSHU_CONSOLE_VIEW_H
#define ENSHU_CONSOLE_VIEW_H

#include "event.h"
#include "grader.h"
#include "scenario.h"
#include "team_vars.h"

#include <jansson.h>

#include <stdbool.h>

typedef struct console_audience {
    int team;         /* 0: instructors */
    const char *lang; /* NULL: the scenario's default */
} console_audience;

/* What the grader made of an answer when it was recorded. */
typedef struct answer_outcome {
    bool known;
    bool correct;
    int points;
    int attempts_left; /* -1: unlimited */
} answer_outcome;

typedef struct console_view {
    const scenario *s;
    const team_vars *vars;  /* may be NULL */
    const bool *runs_linux; /* [node]: its image runs Linux; NULL: every one does */
    /* One per node of s: its image offers a graphical console (a screen);
     * NULL: no node has one. */
    const bool *display;
} console_view;

/* The message an event gives this audience, or NULL when it sees nothing
 * of it. outcome: for EV_ANSWER (may be NULL). */
json_t *console_view_event(const console_view *v, const console_audience *a, const event *ev,
                           const answer_outcome *outcome);

/* {"type": "score", team, total, penalties, objectives: [{id, points, achieved}]} */
json_t *console_view_score(const console_view *v, const team_score *ts);

/* The exercise facts of a welcome (title, languages, phase...). */
json_t *console_view_exercise(const console_view *v, const console_audience *a, const char *phase,
                              int64_t at_ms, double speed, unsigned nteams);

/* The objectives as the audience reads them (texts, points, hints' costs, rubric). */
json_t *console_view_objectives(const console_view *v, const console_audience *a);

/* The scenario's team requests as the audience reads them:
 * [{id, title, text, approval: instructor|auto, cost, limit}]. */
json_t *console_view_requests(const console_view *v, const console_audience *a);

/* The visible nodes of a team (instructors: every node), with their
 * addresses for that team. */
json_t *console_view_nodes(const console_view *v, const console_audience *a, int team);

/* The scenario's accounts of team (scenario.h: users), as the audience
 * sees them: [{team, name, title, password, sudo, nodes: [NODE...]}], the
 * password filled in for team. Teams see their own accounts only (the
 * caller asks for a->team's), on the nodes they may see: a user on none of
 * them is left out. Instructors see every node. */
json_t *console_view_accounts(const console_view *v, const console_audience *a, int team);

/* The scenario text in the audience's language, templates filled in for
 * team (caller frees). */
char *console_view_text(const console_view *v, const console_audience *a, int team,
                        const l10n_text *t);

#endif
