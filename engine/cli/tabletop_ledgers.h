/*
 * Tabletop exercises as `enshu status` and `enshu down` find them: a
 * tabletop exercise has no range (no state store, no guests), only its
 * ledger ($ENSHU_STATE_DIR/ranges/NAME.events.db), whose recorded scenario
 * says it is one. Nothing here opens a libvirt connection.
 */
#ifndef ENSHU_TABLETOP_LEDGERS_H
#define ENSHU_TABLETOP_LEDGERS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Whether name is a tabletop exercise: it has no range and its ledger
 * records a tabletop scenario. Quiet when it is not. */
bool tabletop_ledger_is(const char *name);

/* The names of every tabletop exercise in the state directory, sorted
 * (caller frees each and the array). */
char **tabletop_ledger_list(size_t *count);

/* What `enshu status --json` shows of tabletop exercise name: name,
 * scenario_id, scenario_path, "tabletop": true, phase, at_ms, and teams
 * [{team, nodes: []}]. NULL (reported after "enshu status: ") when its
 * ledger cannot be read. */
json_t *tabletop_ledger_json(const char *name);

/* The table `enshu status` prints for that JSON. */
void tabletop_ledger_print(const json_t *info);

#endif
