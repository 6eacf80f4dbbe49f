/*
 * What an inject's action did, as its hook reports it (inject_outcome), and
 * how a failed one reads in the ledger: how its command ended (an exit
 * status, or a signal by name) and the tail of what it wrote to standard
 * error, in sentences an instructor reads as they are. Pure: no I/O.
 */
#ifndef ENSHU_INJECT_FAILURE_H
#define ENSHU_INJECT_FAILURE_H

#include <stdint.h>

typedef struct inject_outcome {
    /* What the action did, or why it failed when no command ran to its
     * end; heap, may stay NULL. The exercise records it and frees it. */
    char *output;
    /* A command's standard error; heap, may stay NULL; freed likewise. */
    char *err;
    /* How a command ended: its exit status (-1: it did not exit) or the
     * signal that ended it (0: none). */
    int exit_status;
    int signal;
} inject_outcome;

#define INJECT_OUTCOME_INIT                                                                        \
    {                                                                                              \
        .exit_status = -1                                                                          \
    }

/* The tail of standard error kept in the ledger: its last lines, at most. */
#define INJECT_FAILURE_TAIL_LINES 10
#define INJECT_FAILURE_TAIL_BYTES 2048

/* An inject.failed event's value for a signal: this plus its number. */
#define INJECT_FAILURE_SIGNAL_BASE 256

/* An inject.failed event's value: the exit status (0-255) when its command
 * exited, INJECT_FAILURE_SIGNAL_BASE + the signal number when a signal
 * ended it, else rc (a negative ENSHU_E* code: it did not run to its end). */
int64_t inject_failure_value(const inject_outcome *o, int rc);

/* An inject.failed event's text (caller frees): a first line saying how it
 * ended ("exit status 2", "killed by signal 9 (SIGKILL)", or the action's
 * own output), then, when the command wrote any, "stderr (last N lines):"
 * and at most INJECT_FAILURE_TAIL_LINES lines and _BYTES bytes of it (of
 * its output, when it wrote nothing on stderr). */
char *inject_failure_text(const inject_outcome *o, int rc);

/* "SIGKILL" for 9 (static), or NULL for a number that names no signal. */
const char *inject_signal_name(int sig);

/* Frees what o holds (output, err); o itself is the caller's. */
void inject_outcome_fini(inject_outcome *o);

#endif
