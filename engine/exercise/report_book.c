/*
 * Every report of every team, per objective (see report_book.h).
 */
#include "report_book.h"
#include "alloc.h"

#include <stdlib.h>
#include <string.h>

typedef struct report_slot {
    int64_t *seqs; /* the reports, oldest first */
    size_t count, cap;
    int64_t graded_seq;  /* the seq of the latest grade (0: none) */
    int64_t feedback_on; /* the report the latest feedback was on (0: none) */
} report_slot;

struct report_book {
    const scenario *s;
    unsigned nteams;
    report_slot *slots; /* [team - 1][objective] */
};

static const char *const STATUS_NAMES[REPORT_STATUS_COUNT] = {"none", "submitted", "graded",
                                                              "feedback"};

const char *report_status_name(report_status st)
{
    return st < REPORT_STATUS_COUNT ? STATUS_NAMES[st] : "?";
}

report_book *report_book_new(const scenario *s, unsigned nteams)
{
    report_book *rb = xcalloc(1, sizeof *rb);
    rb->s = s;
    rb->nteams = nteams;
    rb->slots = xcalloc((size_t)nteams * s->nobjectives + 1, sizeof(report_slot));
    return rb;
}

void report_book_free(report_book *rb)
{
    if (!rb)
        return;
    for (size_t i = 0; i < (size_t)rb->nteams * rb->s->nobjectives; i++)
        free(rb->slots[i].seqs);
    free(rb->slots);
    free(rb);
}

static report_slot *slot_of(const report_book *rb, int team, size_t i)
{
    if (team < 1 || (unsigned)team > rb->nteams || i >= rb->s->nobjectives)
        return NULL;
    return &rb->slots[(size_t)(team - 1) * rb->s->nobjectives + i];
}

void report_book_apply(report_book *rb, const event *ev)
{
    if (ev->kind != EV_REPORT && ev->kind != EV_GRADE && ev->kind != EV_FEEDBACK)
        return;
    const objective *o = ev->subject ? scenario_objective(rb->s, ev->subject) : NULL;
    report_slot *sl = o ? slot_of(rb, ev->team, (size_t)(o - rb->s->objectives)) : NULL;
    if (!sl)
        return;
    switch (ev->kind) {
    case EV_REPORT:
        if (sl->count == sl->cap) {
            sl->cap = sl->cap ? 2 * sl->cap : 4;
            sl->seqs = xrealloc(sl->seqs, sl->cap * sizeof *sl->seqs);
        }
        sl->seqs[sl->count++] = ev->seq;
        break;
    case EV_GRADE:
        sl->graded_seq = ev->seq;
        break;
    default: /* EV_FEEDBACK */
        if (ev->value > sl->feedback_on)
            sl->feedback_on = ev->value;
        break;
    }
}

const int64_t *report_book_reports(const report_book *rb, int team, size_t i, size_t *count)
{
    const report_slot *sl = slot_of(rb, team, i);
    *count = sl ? sl->count : 0;
    return sl && sl->count ? sl->seqs : NULL;
}

bool report_book_has(const report_book *rb, int team, size_t i, int64_t seq)
{
    size_t n;
    const int64_t *seqs = report_book_reports(rb, team, i, &n);
    for (size_t k = 0; k < n; k++)
        if (seqs[k] == seq)
            return true;
    return false;
}

report_status report_book_status(const report_book *rb, int team, size_t i)
{
    const report_slot *sl = slot_of(rb, team, i);
    if (!sl || !sl->count)
        return REPORT_NONE;
    int64_t latest = sl->seqs[sl->count - 1];
    if (sl->feedback_on >= latest)
        return REPORT_FEEDBACK;
    if (sl->graded_seq > latest)
        return REPORT_GRADED;
    return REPORT_SUBMITTED;
}
