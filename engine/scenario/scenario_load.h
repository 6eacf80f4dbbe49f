/*
 * Internal split of scenario loading: the YAML tree walk (scenario_load.c)
 * and the cross-reference checks (scenario_check.c), both called by
 * scenario_file.c. Users call scenario_load_file() from scenario.h.
 */
#ifndef ENSHU_SCENARIO_LOAD_H
#define ENSHU_SCENARIO_LOAD_H

#include "scenario.h"
#include "yaml_tree.h"

#include <errno.h>

/* Fills s from the document tree, reporting every key and type problem.
 * Attachments come from `from` first (may be NULL), else from files. */
void scenario_load_tree(scenario *s, const ynode *root, const scenario_attachments *from,
                        diag_list *diags);

/* A scenario without network and nodes: marks it tabletop and reports
 * what only guests could carry out (scenario_tabletop.c). Before
 * scenario_check_model, which then sees none of it. */
void scenario_check_tabletop(scenario *s, const ynode *root, diag_list *diags);

/* References, uniqueness, cycles and the address plan. */
void scenario_check_model(scenario *s, diag_list *diags);

#endif
