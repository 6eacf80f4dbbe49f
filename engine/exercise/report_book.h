/*
 * Every report of every team, per objective, and where each stands: the
 * reports as submitted (their seqs, oldest first), the rubric grades and
 * the written feedback that came after them. Built from the ledger's
 * events alone (report, grade, feedback), so a restart rebuilds it by
 * replaying them: the exercise applies each event here (exercise.c's
 * apply_event).
 *
 * Not thread-safe: the exercise reads and changes it under its lock.
 */
#ifndef ENSHU_REPORT_BOOK_H
#define ENSHU_REPORT_BOOK_H

#include "event.h"
#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where a team's report on an objective stands, judged by its latest
 * report: a new report after a grade or feedback is "submitted" again. */
typedef enum report_status {
    REPORT_NONE,      /* nothing submitted */
    REPORT_SUBMITTED, /* the latest report has neither grade nor feedback after it */
    REPORT_GRADED,    /* a rubric grade came after the latest report */
    REPORT_FEEDBACK,  /* feedback was written on the latest report */
    REPORT_STATUS_COUNT
} report_status;

const char *report_status_name(report_status st);

typedef struct report_book report_book;

report_book *report_book_new(const scenario *s, unsigned nteams);
void report_book_free(report_book *rb);

/* Takes in a report, grade or feedback event (any other is ignored). */
void report_book_apply(report_book *rb, const event *ev);

/* The seqs of a team's reports on objective i (oldest first); *count
 * gets how many. NULL when none, or team or i out of range. */
const int64_t *report_book_reports(const report_book *rb, int team, size_t i, size_t *count);
/* Whether seq is one of the team's reports on objective i. */
bool report_book_has(const report_book *rb, int team, size_t i, int64_t seq);
report_status report_book_status(const report_book *rb, int team, size_t i);

#endif
