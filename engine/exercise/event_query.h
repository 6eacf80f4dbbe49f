/*
 * Pages of the event ledger for people: the events of one team (or all),
 * of some kinds (or all), newest first in exercise time, a page at a time.
 * Read on a read-only connection of its own, so it never waits for nor
 * holds up the ledger's writer; it sees committed events only.
 */
#ifndef ENSHU_EVENT_QUERY_H
#define ENSHU_EVENT_QUERY_H

#include "event_store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most events one page may ask for. */
#define EVENT_QUERY_MAX_LIMIT 500

typedef struct event_query {
    int team;           /* 0: every team's and the exercise's own */
    uint32_t kinds;     /* a bit (1u << kind) per event_kind wanted; 0: every kind */
    int64_t before_seq; /* 0: from the newest; else the events that come after this one
                         * in the order below (it must exist: ENSHU_ENOTFOUND) */
    size_t limit;       /* 1..EVENT_QUERY_MAX_LIMIT */
} event_query;

/*
 * Calls fn for each event of the page, ordered by exercise time, newest
 * first (at_ms descending, then seq descending: events of the same moment in
 * reverse ledger order); stops early when fn returns non-zero. Strings are
 * valid only during the call. Sets *more (may be NULL) to whether events
 * remain after the page. ENSHU_EINVAL for a limit out of bounds.
 * Cost: read along the ledger's index on exercise time (events_time), so a
 * page reads about its own events, more for a narrow filter (a team's
 * answers: the events between them); tests/bench/bench_events measures it.
 */
int event_query_page(event_store *st, const event_query *q, int (*fn)(const event *ev, void *arg),
                     void *arg, bool *more) __attribute__((warn_unused_result));

#endif
