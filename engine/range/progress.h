/*
 * Progress display on the terminal while teams are brought up or down.
 * Workers bump counters and note events from any thread; on a terminal a
 * status line is redrawn a few times a second, elsewhere only the events
 * are printed, one per line.
 */
#ifndef ENSHU_PROGRESS_H
#define ENSHU_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

typedef enum progress_counter {
    PROGRESS_NETWORKS,
    PROGRESS_VOLUMES,
    PROGRESS_DOMAINS,
    PROGRESS_READY,
    PROGRESS_FAILED,
    PROGRESS_COUNTERS
} progress_counter;

typedef struct progress progress;

/* totals[] gives the expected count of each counter. out NULL = silent. */
progress *progress_new(FILE *out, const char *title, const size_t totals[PROGRESS_COUNTERS]);
void progress_free(progress *p);

void progress_add(progress *p, progress_counter counter);
void progress_note(progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Seconds since progress_new. */
double progress_elapsed(const progress *p);

#endif
