/*
 * The after-action report (after_action.h) as documents: HTML for people
 * (printable, with an inline SVG chart, no script), CSV and JSON for a
 * learning management system, one row per team (and per member) and
 * objective. Each format in its own file; what they share (times, the
 * sentence of a timeline line, the rows) here. All in the scenario's
 * default language; the report's own words in English.
 *
 * team: 0 for every team, else only that team's sections and rows (the
 * class summary still covers every team, so a team sees where it stands).
 */
#ifndef ENSHU_AFTER_ACTION_FORMAT_H
#define ENSHU_AFTER_ACTION_FORMAT_H

#include "after_action.h"

#include <jansson.h>
#include <stdio.h>

/* Exercise time as "T+HH:MM:SS" ("-" when ms < 0). */
void after_action_clock(int64_t ms, char *buf, size_t size);
/* A duration as "HH:MM:SS" ("-" when ms < 0). */
void after_action_duration(int64_t ms, char *buf, size_t size);

/* What a timeline line says, as one sentence without its detail text (the
 * entry's text) into buf; returns buf. */
const char *after_action_entry_what(const after_action *aa, const aa_entry *e, char *buf,
                                    size_t size);
/* Whose line it is: "exercise", "inject", "team", "instructor" or "range". */
const char *after_action_entry_side(const aa_entry *e);
/* "right", "wrong", "not counted", "passing", "failing" or NULL. */
const char *after_action_outcome_name(aa_outcome o);
const char *after_action_kind_name(objective_kind k);

/* One row for an LMS: a team's (member NULL) or a member's result on one
 * objective. A member shares the team's points; actions and credited are
 * the member's own (credited -1 on a team's row). */
typedef struct aa_row {
    const aa_team *team;
    const team_score *score;
    const aa_member *member; /* NULL: the team's row */
    size_t objective;
    int actions;
    int credited;
} aa_row;

/* Calls fn for every row: per team (in order), the team's row of each
 * objective, then each member's. */
void after_action_each_row(const after_action *aa, int team,
                           void (*fn)(const after_action *aa, const aa_row *row, void *arg),
                           void *arg);

/* Write to out; ENSHU_OK or ENSHU_EIO when out failed. */
int after_action_write_html(const after_action *aa, int team, FILE *out)
    __attribute__((warn_unused_result));
int after_action_write_csv(const after_action *aa, int team, FILE *out)
    __attribute__((warn_unused_result));
/* The whole report as JSON (see README: "After-action reports"); new reference.
 * Dump it with AFTER_ACTION_JSON_FLAGS, so a share prints as 0.6667, not
 * as its nearest double in 17 digits. */
json_t *after_action_to_json(const after_action *aa, int team);
#define AFTER_ACTION_JSON_FLAGS (JSON_INDENT(2) | JSON_REAL_PRECISION(12))

#endif
