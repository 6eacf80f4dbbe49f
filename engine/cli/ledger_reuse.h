/*
 * Whether `enshu run` may carry on the exercise a range's ledger holds.
 *
 * A ledger belongs to the range its exercise ran on: the first run on a
 * range gives the range an instance name (in its state store) and writes it
 * into the ledger. After a crash, run finds the same range (its guests as
 * the story left them) and carries on. After `enshu down` the guests are
 * gone: a run then finds no range, or a range of another instance, and
 * must be told what to do: --resume carries the old exercise on over the
 * new guests, --fresh starts a new one and keeps the old ledger, renamed.
 */
#ifndef ENSHU_LEDGER_REUSE_H
#define ENSHU_LEDGER_REUSE_H

#include "event_store.h"

#include <stdbool.h>

typedef enum ledger_choice {
    LEDGER_ASK,    /* neither --resume nor --fresh */
    LEDGER_RESUME, /* --resume */
    LEDGER_FRESH,  /* --fresh */
} ledger_choice;

typedef struct ledger_reuse {
    bool has_exercise; /* the ledger holds events of an exercise */
    bool stale;        /* ... of a range that was taken down since */
    bool archived;     /* --fresh moved it away (archive_path) */
    char *archive_path;
    char *variation_seed; /* the ledger's seed of the teams' variables, or NULL */
} ledger_reuse;

/* Looks at range name's ledger and state before the range is brought up
 * (and keeps the ledger's variation seed, so that new guests of a resumed
 * exercise get the values its ledger grades by), and acts on choice: refuses (ENSHU_EEXIST, saying
 * what to do on stderr) when the ledger's range was taken down and choice is LEDGER_ASK; with
 * LEDGER_FRESH, renames a ledger that holds an exercise to
 * NAME.<UTC time>.events.db beside it (with its -wal and -shm). */
int ledger_reuse_prepare(const char *cmd, const char *name, ledger_choice choice, ledger_reuse *out)
    __attribute__((warn_unused_result));

/* Once the range is up: names its instance (made on its first run) in the
 * ledger, so a later run knows the range is the same. */
int ledger_reuse_bind(const char *name, event_store *ledger) __attribute__((warn_unused_result));

void ledger_reuse_fini(ledger_reuse *r);

#endif
