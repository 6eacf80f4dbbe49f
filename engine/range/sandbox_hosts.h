/*
 * The hosts of a self-paced course's sandbox pool (sandbox_pool.h), and
 * its jobs carried out on them: each sandbox is a range of one team of the
 * course's scenario, on the host the pool chose.
 *
 * Every call blocks on libvirt: call them off the consoles' service thread.
 * Calls on different sandboxes may run at once (each range has its own
 * lock and state store); a conn_cache is not shared between threads.
 */
#ifndef ENSHU_SANDBOX_HOSTS_H
#define ENSHU_SANDBOX_HOSTS_H

#include "hosts.h"
#include "libvirt_conn.h"

#include <stdbool.h>
#include <stdint.h>

/* Most characters of a course's range prefix (its ranges are PREFIX-sN). */
#define SANDBOX_PREFIX_MAX 16

/*
 * How many sandboxes of the scenario each host takes, read as range.c
 * places teams: min(the host's team limit, its memory not in use divided
 * by one team's memory). Loads the hosts file (NULL: the local host only),
 * probes every host, and returns the list and the slots (index for index;
 * free both). Reports errors.
 */
int sandbox_hosts_slots(const char *scenario_path, const char *hosts_path, conn_cache *conns,
                        host_list **hosts_out, unsigned **slots_out)
    __attribute__((warn_unused_result));

/* The range name of sandbox id: "PREFIX-sID" (malloc'd). */
char *sandbox_range_name(const char *prefix, unsigned id);

/* Brings sandbox id up on host_uri: a range of one team of the scenario.
 * ready_timeout_ms as range_up_request's (0: do not wait for guests);
 * warm: its guests restored from saved templates where their images allow
 * (warm_restore.h), else booted. */
int sandbox_range_build(const char *scenario_path, const char *prefix, unsigned id,
                        const char *host_uri, int64_t ready_timeout_ms, bool warm,
                        conn_cache *conns) __attribute__((warn_unused_result));

/* Takes sandbox id's range down; removes everything of it. A sandbox
 * whose build failed before its range was planned has nothing to remove:
 * 0. */
int sandbox_range_teardown(const char *prefix, unsigned id, conn_cache *conns)
    __attribute__((warn_unused_result));

#endif
