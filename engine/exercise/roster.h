/*
 * A roster file: the teams' names and organisations for an exercise, given
 * with `enshu run/serve --roster FILE`. CSV, one team a line (README.md,
 * "Named teams"):
 *
 *     team,name,organisation
 *     1,Blue Falcons,Ministry of ICT
 *     2,"Herons, Red",National CERT
 *
 * UTF-8 (a leading byte-order mark is skipped); blank lines and lines that
 * start with '#' are ignored; the header line (first field "team") is
 * optional. A field may be quoted ("" stands for a quote inside); spaces
 * around fields are dropped. The organisation may be left out. Teams not
 * listed keep "Team N".
 *
 * Every problem is collected as a FILE:LINE:COL diagnostic (never only the
 * first): a team number that is not 1..N or is listed twice, a name
 * empty, too long, with control characters or given to two teams, too
 * many fields, an unclosed quote. Pure but for roster_load's read.
 */
#ifndef ENSHU_ROSTER_H
#define ENSHU_ROSTER_H

#include "diag.h"
#include "team_names.h"

/* A roster file is at most this big. */
#define ROSTER_MAX_BYTES (1024 * 1024)

/* Parses text (read from path, named in diagnostics) for nteams teams.
 * *out gets the names when there was no problem, else NULL and diags
 * holds every problem: ENSHU_EINVAL. */
int roster_parse(const char *path, const char *text, unsigned nteams, diag_list *diags,
                 team_names **out) __attribute__((warn_unused_result));

/* Reads path and parses it; a file that cannot be read is one diagnostic. */
int roster_load(const char *path, unsigned nteams, diag_list *diags, team_names **out)
    __attribute__((warn_unused_result));

#endif
