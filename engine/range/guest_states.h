/*
 * The power states of a set of guests, watched on a thread of its own: each
 * host is asked once per round for all its guests' states (one call, not
 * two per guest), and readers get the last answer at once. The consoles
 * show node states from here, so a trainee's page asking every few seconds
 * costs the consoles' thread no libvirt call.
 */
#ifndef ENSHU_GUEST_STATES_H
#define ENSHU_GUEST_STATES_H

#include "libvirt_conn.h"

typedef struct guest_states guest_states;

/* Looks every interval_ms (and when asked to, sooner), through connections
 * from conns as worker (borrowed). */
guest_states *guest_states_new(conn_cache *conns, unsigned worker, unsigned interval_ms);

/* Adds a guest to watch, before or after guest_states_start (any thread;
 * one added after the start is looked at soon). */
void guest_states_watch(guest_states *g, const char *host_uri, const char *domain);

/* Looks once (so the first readers see real states), then starts watching. */
void guest_states_start(guest_states *g);

/* guest_state_name() of its last seen state, or "unknown" (not watched,
 * not seen yet, its host does not answer, or no such guest there). */
const char *guest_states_get(guest_states *g, const char *host_uri, const char *domain);

/* The one name of a libvirt domain state (a virDomainState) that the
 * consoles and `enshu status` show: "running" (also blocked), "paused"
 * (also suspended by power management), "shut off" (also shutting down),
 * "crashed", or "unknown" (no state, or one this libvirt does not know). */
const char *guest_state_name(int state);

/* Looks again now (a guest was just started, stopped or reverted). */
void guest_states_refresh_soon(guest_states *g);

void guest_states_free(guest_states *g);

#endif
