/*
 * Events: everything that happens in an exercise, in the order it happened.
 * The event ledger (event_store.c) keeps them durably; the grader computes
 * scores from them alone; the timeline is rebuilt from them after a restart.
 */
#ifndef ENSHU_EVENT_H
#define ENSHU_EVENT_H

#include <stdint.h>

typedef enum event_kind {
    EV_EXERCISE_STATE,  /* text: planned, provisioning, ready, running, paused, ended;
                         * value: speed x 1000; subject: "speed" when only the speed changed */
    EV_INJECT_BEGIN,    /* subject: inject; written once per team before its action runs */
    EV_INJECT_FIRED,    /* subject: inject; text: output or message */
    EV_INJECT_FAILED,   /* subject: inject; text: why, as sentences (inject_failure.h);
                         * value: how its command ended (inject_failure_value) */
    EV_INJECT_SKIPPED,  /* subject: inject */
    EV_INJECT_HELD,     /* subject: inject; value: 1 held, 0 let go */
    EV_INJECT_RELEASED, /* subject: inject */
    EV_CHECK_RESULT,    /* subject: check; value: 1 passing, 0 failing; text: output */
    EV_ANSWER,          /* subject: objective; text: the answer as given */
    EV_REPORT,          /* subject: objective; text: the report */
    EV_GRADE,           /* subject: objective; value: points; text: rubric item index */
    EV_HINT,            /* subject: objective; value: hint index */
    EV_PENALTY,         /* subject: why; value: points taken */
    EV_INSTRUCTOR,      /* text: what an instructor did */
    EV_NODE_STATE,      /* subject: node; value: 1 up, 0 down (a power inject) */
    EV_REQUEST,         /* subject: team request; text: the team's note (may be NULL) */
    EV_REQUEST_DECIDED, /* subject: team request; value: 1 approved, 0 refused; text: note */
    EV_INJECT_RETRIED,  /* subject: inject (one that failed); value: the attempt it begins,
                         * from 1: it is pending again and due at once */
    EV_FEEDBACK,        /* subject: objective; value: seq of the report it is on; text: the
                         * instructor's feedback to the team */
    EV_TEAM_NAMED,      /* subject: the team's name; text: its organisation (may be NULL) */
    EV_KIND_COUNT
} event_kind;

typedef struct event {
    int64_t seq;     /* ledger order, from 1; assigned when stored */
    int64_t at_ms;   /* exercise time */
    int64_t wall_ms; /* wall clock, for people */
    int team;        /* 0: the whole exercise */
    event_kind kind;
    const char *subject; /* id of an inject, check, objective or request; may be NULL */
    int64_t value;
    const char *text;  /* may be NULL */
    const char *actor; /* who did it: a trainee's name, "instructor"; may be NULL */
} event;

const char *event_kind_name(event_kind kind);
/* EV_KIND_COUNT when name is not a kind. */
event_kind event_kind_parse(const char *name);

#endif
