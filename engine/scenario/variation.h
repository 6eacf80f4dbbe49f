/*
 * Per-team variation: each team's values of the scenario's `variables:`
 * (scenario.h, scenario_variable), drawn from one seed per exercise so that
 * teams cannot copy each other's answers, and the same seed always gives the
 * same values (a range brought up again, `enshu score --db`).
 *
 * The values are a keyed hash (SipHash-2-4, keyed by the seed) of the
 * variable's name and the team: knowing its own values does not tell a team
 * the seed or another team's values. Where the choices allow, teams get
 * different values: one_of deals the choices out in a seeded order (teams
 * 1..N get N different choices while N <= the number of choices), number
 * steps through its range by a seeded stride prime to its size (different
 * for as many teams as the range has numbers), and password and word draw
 * again when an earlier team already has the value.
 *
 * Pure: no I/O except variation_seed_new.
 */
#ifndef ENSHU_VARIATION_H
#define ENSHU_VARIATION_H

#include "scenario.h"
#include "team_vars.h"

#include <stdbool.h>
#include <stdint.h>

/* A seed as text: 32 lower-case hex digits (128 bits), NUL-terminated. */
#define VARIATION_SEED_SIZE 33

/* A new random seed (getrandom). */
void variation_seed_new(char seed[VARIATION_SEED_SIZE]);

/* True if seed is 32 hex digits. */
bool variation_seed_valid(const char *seed);

/* Sets "var NAME" (template.h: {{var NAME}}) of every team of v for every
 * variable of s, and records the seed in v. ENSHU_EINVAL if seed is not
 * valid (v unchanged). */
int variation_fill(team_vars *v, const scenario *s, const char *seed)
    __attribute__((warn_unused_result));

/* One team's value of var (1-based team, of nteams); caller frees. The same
 * as variation_fill gives; NULL if seed is not valid. */
char *variation_value(const scenario_variable *var, const char *seed, int team, unsigned nteams)
    __attribute__((warn_unused_result));

#endif
