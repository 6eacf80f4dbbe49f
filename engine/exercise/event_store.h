/*
 * The event ledger: an append-only sqlite file (WAL) of exercise events.
 * An append returns only once its event is durable (fsync'd); appends from
 * many threads are committed together in one transaction by a writer thread
 * (group commit), so durability costs one sync per batch, not per event.
 * The schema is versioned (PRAGMA user_version) and migrated on open.
 */
#ifndef ENSHU_EVENT_STORE_H
#define ENSHU_EVENT_STORE_H

#include "event.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVENT_STORE_SCHEMA_VERSION 4

typedef struct event_store event_store;

/* Opens the ledger at path; create also makes a new one (else a file that
 * is not a ledger is refused, untouched). */
int event_store_open(const char *path, bool create, event_store **out)
    __attribute__((warn_unused_result));
/* Waits for pending appends, stops the writer, closes the file. */
void event_store_free(event_store *st);

/*
 * Appends ev durably and sets *seq. once_key (may be NULL) makes the append
 * idempotent: a second append with the same key fails with ENSHU_EEXIST and
 * stores nothing. That is how an inject never runs twice for a team, even
 * across a crash.
 */
int event_store_append(event_store *st, const event *ev, const char *once_key, int64_t *seq)
    __attribute__((warn_unused_result));

/* Called from the ledger's writer thread once a submitted event is durable
 * (result 0, with its seq) or has failed (negative result). */
typedef void (*event_store_done_fn)(int result, int64_t seq, void *arg);

/* Like event_store_append, without waiting: the event and key are copied,
 * and done(arg) is called when it is durable. For servers that acknowledge
 * to clients only then, without a thread per client. */
int event_store_submit(event_store *st, const event *ev, const char *once_key,
                       event_store_done_fn done, void *arg) __attribute__((warn_unused_result));

/* Calls fn for every event with seq > after_seq, in order; stops early when
 * fn returns non-zero. Strings are valid only during the call. */
int event_store_scan(event_store *st, int64_t after_seq, int (*fn)(const event *ev, void *arg),
                     void *arg) __attribute__((warn_unused_result));

/* Facts about the exercise kept beside its events (the scenario text, the
 * team count), so scores can be recomputed from the ledger alone. */
int event_store_set_meta(event_store *st, const char *key, const char *value)
    __attribute__((warn_unused_result));
char *event_store_get_meta(event_store *st, const char *key); /* NULL when absent */
/* The ledger file's path, as opened. */
const char *event_store_path(const event_store *st);

/* Statistics of the group commit and of reads, for benchmarks and tests. */
typedef struct event_store_stats {
    uint64_t events;
    uint64_t batches;
    uint64_t scanned; /* events handed to event_store_scan's callbacks */
} event_store_stats;
event_store_stats event_store_get_stats(event_store *st);

#endif
