/*
 * Each team's template values (team_vars.h) built from a range: the
 * addresses, subnets and gateways of its own network, from the range's plan,
 * or from the state store of a range that is up.
 */
#ifndef ENSHU_RANGE_TEAM_VARS_H
#define ENSHU_RANGE_TEAM_VARS_H

#include "range_plan.h"
#include "scenario.h"
#include "state_store.h"
#include "team_vars.h"

/* The seed of the range's variables (variation.h) kept in its state store:
 * the stored one, or else wanted (a valid seed, or NULL) stored now, or
 * else a new one stored now (a new range, or one planned before there were
 * variables). A range keeps its seed: a stored one wins over wanted, with a
 * warning when they differ. ENSHU_EIO when it cannot be kept. */
int range_variation_seed(state_store *st, const char *wanted, char **seed)
    __attribute__((warn_unused_result));

/* Every team's values from a range plan: addresses, and the scenario's
 * variables when the plan has a seed. */
team_vars *team_vars_from_plan(const range_plan *plan);

/* The plan of range name, which runs scenario s, as `up` made it (its state
 * store gives the team count and address blocks; no images: see
 * range_plan_use_images). Reports and returns NULL when the range is not
 * there. */
range_plan *range_plan_of_range(const scenario *s, const char *name);

/* The values of range name, which runs scenario s (range_plan_of_range).
 * Reports and returns a negative code when the range is not there. */
int team_vars_from_range(const scenario *s, const char *name, team_vars **out)
    __attribute__((warn_unused_result));

#endif
