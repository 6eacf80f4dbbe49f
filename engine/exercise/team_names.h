/*
 * The teams' names and organisations, as people see them ("Blue Falcons",
 * "Ministry of ICT") instead of "Team 3". They come from a roster file
 * (roster.h) and from instructors renaming a team in the console, which is
 * recorded in the ledger (EV_TEAM_NAMED) and applied here, so a restart
 * that replays the ledger keeps it. A team with no name is "Team N".
 *
 * Not thread-safe: the exercise reads and changes it under its lock.
 */
#ifndef ENSHU_TEAM_NAMES_H
#define ENSHU_TEAM_NAMES_H

#include "event.h"

#include <stdbool.h>

/* Bounds, in characters (UTF-8). */
#define TEAM_NAME_MAX 60
#define TEAM_ORGANISATION_MAX 100

typedef struct team_names team_names;

team_names *team_names_new(unsigned nteams);
void team_names_free(team_names *tn);
unsigned team_names_count(const team_names *tn);

/* Sets team's name and organisation (NULL or "": none); both copied.
 * ENSHU_ENOTFOUND for a team out of range; ENSHU_EINVAL when
 * team_name_problem finds one. */
int team_names_set(team_names *tn, int team, const char *name, const char *organisation)
    __attribute__((warn_unused_result));
/* NULL when the team has no name (or is out of range). */
const char *team_names_name(const team_names *tn, int team);
const char *team_names_organisation(const team_names *tn, int team);
/* The other team (not team) that has this name, or 0. */
int team_names_find(const team_names *tn, const char *name, int team);

/* Copies every name of from into tn (teams beyond tn's are left out). */
void team_names_copy(team_names *tn, const team_names *from);

/* Takes in an EV_TEAM_NAMED event (any other is ignored). */
void team_names_apply(team_names *tn, const event *ev);

/* Why name (required) or organisation (may be NULL) cannot be used, as a
 * sentence (static), or NULL when they can: empty name, too long, not
 * UTF-8, control characters. */
const char *team_name_problem(const char *name, const char *organisation);

#endif
