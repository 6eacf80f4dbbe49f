/*
 * A range is one exercise's set of team LANs on libvirt hosts. This module
 * ties the pieces together for the commands: load and check the scenario,
 * place teams on hosts, choose addresses, record the plan, provision; and
 * the reverse.
 */
#ifndef ENSHU_RANGE_H
#define ENSHU_RANGE_H

#include "libvirt_conn.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct range_up_request {
    const char *scenario_path;
    const char *name; /* NULL: the scenario's id */
    unsigned teams;
    const char *hosts_path; /* NULL: the local host only */
    /* Every team on this one host (a sandbox placed by its pool); NULL: as
     * hosts_path says. */
    const char *host_uri;
    unsigned workers; /* parallel teams; 0: a default */
    int64_t ready_timeout_ms;
    FILE *progress_out; /* NULL: quiet */
    conn_cache *conns;  /* NULL: opened for the call (tests pass one to keep test:// state) */
    /* The seed of the teams' variables a range that has none takes (an
     * exercise carried on over new guests keeps its ledger's); NULL: new. */
    const char *variation_seed;
    bool warm; /* restore guests from saved templates (warm_restore.h) */
} range_up_request;

/* The URI used when no hosts file is given: ENSHU_LIBVIRT_URI or qemu:///system. */
const char *range_default_uri(void);

int range_bring_up(const range_up_request *req) __attribute__((warn_unused_result));

/* Removes every resource of the range, then its state. */
int range_take_down(const char *name, unsigned workers, FILE *progress_out, conn_cache *conns)
    __attribute__((warn_unused_result));

#endif
