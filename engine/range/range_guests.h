/*
 * The guests of a running range as the consoles use them: each team's nodes
 * with the libvirt domain and host that run them, their power states, and
 * restarts and reverts, behind functions that take no libvirt types. The
 * nodes come from the range's state store once, when the set is made.
 *
 * Threads: power states are watched on a thread of their own
 * (guest_states.h), restarts and reverts each run on one (guest_jobs.h), so
 * no call here waits for a host. Any thread may call these functions, except
 * range_guests_free. The serial consoles of these guests are opened with
 * serial_console.h, from each guest's host_uri and domain.
 */
#ifndef ENSHU_RANGE_GUESTS_H
#define ENSHU_RANGE_GUESTS_H

#include "scenario.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct range_guest {
    int team;
    const node *node; /* in the scenario given to range_guests_new */
    const char *domain;
    const char *host_uri;
} range_guest;

typedef struct range_guests range_guests;

/* The guests of range name that run scenario s's nodes for teams
 * 1..nteams, from its state store (s borrowed; it must outlive the set).
 * name NULL, or a range that is not up: a set without guests. */
range_guests *range_guests_new(const scenario *s, unsigned nteams, const char *name);

/* A self-paced course's set: no guests at first, room for the guests of
 * teams 1..nteams of s, each added from its sandbox's range as it is
 * granted (range_guests_add_range). */
range_guests *range_guests_new_slots(const scenario *s, unsigned nteams);

/* In a course's set: range name's team-1 guests become team's (read from
 * its state store; no libvirt call), their power states watched from now.
 * A guest added is never removed (team slots are never reused): once its
 * range is torn down its state is "unknown" and its consoles do not open.
 * Its restarts and reverts do not set its addresses and accounts again.
 * Call it on the thread that calls range_guests_find and _count.
 * ENSHU_EEXIST: team has guests already; ENSHU_ENOTFOUND: the range has
 * none (not up); ENSHU_EINVAL: not a course's set. */
int range_guests_add_range(range_guests *g, int team, const char *name)
    __attribute__((warn_unused_result));

size_t range_guests_count(const range_guests *g);

/* The guest of node_name in team; NULL when there is none. Valid as long
 * as g. */
const range_guest *range_guests_find(const range_guests *g, int team, const char *node_name);

/* Its power state as last seen: "running", "paused", "shut off", "crashed"
 * or "unknown" (guest_state_name()). Never waits for a host. */
const char *range_guests_state(const range_guests *g, const range_guest *guest);

/* Looks at the power states again now (a guest was just started, stopped
 * or reverted). */
void range_guests_refresh_soon(range_guests *g);

/* Whether each node's image runs Linux (in the scenario's node order), for
 * which nodes have the scenario's accounts; NULL: take every one for Linux
 * (no guests, or no accounts). Valid as long as g. */
const bool *range_guests_linux(const range_guests *g);

/* Whether each node's image offers a screen (graphical console), in the
 * scenario's node order; NULL without guests. Valid as long as g. */
const bool *range_guests_graphical(const range_guests *g);

/* Called on the job's thread when a restart or revert ends: rc is 0 or a
 * negative code (the failure already reported, naming the guest). */
typedef void (*range_guest_done)(void *ctx, int rc);

/* Starts restarting (power cycle) or, with revert, reverting (a fresh disk
 * over the base image) guest, on a thread of its own. When the scenario
 * has accounts on the guest's node, the job then waits for its agent and
 * makes them again (guest_accounts.h) before done. ENSHU_EEXIST when that
 * guest has a job running; on failure done is not called. */
int range_guests_restart(range_guests *g, const range_guest *guest, bool revert,
                         range_guest_done done, void *ctx) __attribute__((warn_unused_result));

/* Waits for the restarts and reverts under way (their done callbacks
 * included), stops watching, frees. NULL ok. */
void range_guests_free(range_guests *g);

#endif
