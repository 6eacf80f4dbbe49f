/*
 * libvirt hosts a range may use, and the placement of whole teams on them.
 *
 * A hosts file (YAML):
 *   hosts:
 *     - uri: qemu:///system
 *       teams: 10       # most teams it takes (optional)
 *       memory: 16G     # memory given to ranges (optional; default: the host's)
 * Without one, the only host is the local qemu:///system.
 */
#ifndef ENSHU_HOSTS_H
#define ENSHU_HOSTS_H

#include "diag.h"

#include <stdint.h>
#include <stddef.h>

typedef struct range_host {
    char *uri;
    unsigned max_teams;  /* 0 = no limit */
    uint64_t memory_mib; /* 0 = ask the host */
    uint64_t used_mib;   /* memory of guests already running there */
    unsigned placed;     /* teams placed by this plan */
    uint64_t placed_mib;
} range_host;

typedef struct host_list {
    range_host *items;
    size_t count;
} host_list;

host_list *host_list_load(const char *path, diag_list *diags) __attribute__((warn_unused_result));
host_list *host_list_single(const char *uri);
void host_list_free(host_list *hosts);

/*
 * Places nteams teams of team_mib each, least loaded host first (load =
 * memory in use and placed over memory). Writes the host index of team i
 * to out[i]. Fails with ENSHU_ECAPACITY, reported, if they do not fit.
 */
int host_list_place(host_list *hosts, unsigned nteams, uint64_t team_mib, size_t *out)
    __attribute__((warn_unused_result));

#endif
