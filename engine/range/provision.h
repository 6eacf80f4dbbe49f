/*
 * Provisioning: carries out a range plan on libvirt hosts (networks,
 * overlay volumes, domains, then waits for every guest agent), and removes
 * a range again from what its state store recorded. Teams are worked on in
 * parallel; each step is recorded before and after it happens.
 */
#ifndef ENSHU_PROVISION_H
#define ENSHU_PROVISION_H

#include "libvirt_conn.h"
#include "progress.h"
#include "range_plan.h"
#include "state_store.h"

#include <stdbool.h>
#include <stdint.h>

#define ENSHU_STORAGE_POOL "enshu"

typedef struct provision_opts {
    unsigned workers;
    int64_t ready_timeout_ms; /* 0: do not wait for the guest agents */
    const char *pool_dir;     /* where the overlay storage pool lives */
    progress *progress;       /* may be NULL */
    /* Restore guests from saved templates instead of booting them, where
     * their image allows (warm_restore.h); a guest whose restore fails
     * boots. */
    bool warm;
} provision_opts;

/* Brings every team of plan up; every domain of the plan has its image
 * (range_plan_use_images). Safe to run again: existing objects are
 * reused, missing ones created. Once every guest of a team answers, the
 * scenario's accounts are made on them (guest_accounts.h), with the team's
 * passwords; without waiting for the agents (ready_timeout_ms 0) they are
 * not. Returns 0 when every team is ready. */
int provision_up(const range_plan *plan, state_store *st, conn_cache *conns,
                 const provision_opts *opts) __attribute__((warn_unused_result));

/* Removes every resource st records, domains first. Returns 0 when none is
 * left. */
int provision_down(state_store *st, conn_cache *conns, unsigned workers, progress *prog)
    __attribute__((warn_unused_result));

#endif
