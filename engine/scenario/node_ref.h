/*
 * A node named where something acts or looks (an inject's `target:`, a
 * mail's `via:`, a check's or probe's `node:`): a node name as written, or
 * a whole {{var NAME}} of a one_of variable whose choices are node names,
 * so that each team's own value picks its own node (patient zero).
 *
 * Every place that acts on, waits on or records such a node resolves it
 * here, for one team, with that team's values (team_vars.h): the range
 * runs injects and probes on the team's node, the exercise records the
 * node's power state under its real name and waits while it is stopped,
 * and the validator checks every choice as it would a name as written.
 *
 * Pure, no I/O; any thread.
 */
#ifndef ENSHU_NODE_REF_H
#define ENSHU_NODE_REF_H

#include "scenario.h"
#include "team_vars.h"

#include <stdbool.h>
#include <stddef.h>

/* NAME when ref is a whole {{var NAME}} (spaces inside the braces are
 * free, nothing outside them), else NULL (caller frees). NAME is not
 * checked against any scenario. */
char *node_ref_variable(const char *ref) __attribute__((warn_unused_result));

/* The node names ref may stand for, whatever the team: ref itself, or
 * every choice of the one_of variable of s it names. Sets *names
 * (borrowed from ref or s; caller frees the array) and returns how many;
 * 0 (and *names NULL) when ref is NULL or names no one_of variable of s. */
size_t node_ref_choices(const scenario *s, const char *ref, const char ***names);

/* Whether ref may stand for the node called name (node_ref_choices). */
bool node_ref_may_be(const scenario *s, const char *ref, const char *name);

/* The node name ref stands for in team: ref itself, or the team's value of
 * its variable in v ("var NAME"). NULL when ref is NULL or v has no such
 * value (v NULL: no values). Borrowed from ref or v. */
const char *node_ref_name(const team_vars *v, int team, const char *ref);

/* The node of s that ref stands for in team (node_ref_name); NULL when
 * none. */
const node *node_ref_node(const scenario *s, const team_vars *v, int team, const char *ref);

#endif
