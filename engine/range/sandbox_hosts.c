/*
 * A sandbox pool's hosts and jobs on libvirt (see sandbox_hosts.h).
 */
#include "sandbox_hosts.h"
#include "address_pool.h"
#include "alloc.h"
#include "errors.h"
#include "host_probe.h"
#include "log.h"
#include "range.h"
#include "range_images.h"
#include "range_files.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* One team's memory: each node's own, else its image's (as range.c). */
static int team_memory(const char *scenario_path, uint64_t *mib)
{
    scenario *s = scenario_load_reported(scenario_path);
    if (!s)
        return ENSHU_EINVAL;
    image_info **images = range_images_resolve(s, range_image_dir());
    if (!images) {
        scenario_free(s);
        return ENSHU_ENOTFOUND;
    }
    *mib = 0;
    for (size_t i = 0; i < s->nnodes; i++)
        *mib += s->nodes[i].memory_mib ? s->nodes[i].memory_mib : images[i]->memory_mib;
    range_images_free(images, s->nnodes);
    scenario_free(s);
    return ENSHU_OK;
}

int sandbox_hosts_slots(const char *scenario_path, const char *hosts_path, conn_cache *conns,
                        host_list **hosts_out, unsigned **slots_out)
{
    uint64_t team_mib = 0;
    int rc = team_memory(scenario_path, &team_mib);
    if (rc < 0)
        return rc;
    diag_list *diags = diag_list_new();
    host_list *hosts =
        hosts_path ? host_list_load(hosts_path, diags) : host_list_single(range_default_uri());
    diag_list_print(diags, stderr);
    diag_list_free(diags);
    if (!hosts)
        return ENSHU_EINVAL;
    unsigned *slots = xcalloc(hosts->count ? hosts->count : 1, sizeof *slots);
    ipv4_net_list used = {0};
    for (size_t i = 0; i < hosts->count && rc == ENSHU_OK; i++) {
        range_host *h = &hosts->items[i];
        virConnectPtr conn = conn_cache_get(conns, h->uri, 0);
        rc = conn ? host_probe(conn, h, &used) : ENSHU_ELIBVIRT;
        if (rc < 0)
            break;
        uint64_t free_mib = h->memory_mib > h->used_mib ? h->memory_mib - h->used_mib : 0;
        uint64_t n = team_mib ? free_mib / team_mib : 0;
        if (h->max_teams && n > h->max_teams)
            n = h->max_teams;
        slots[i] = (unsigned)n;
    }
    ipv4_net_list_fini(&used);
    if (rc < 0) {
        free(slots);
        host_list_free(hosts);
        return rc;
    }
    *hosts_out = hosts;
    *slots_out = slots;
    return ENSHU_OK;
}

char *sandbox_range_name(const char *prefix, unsigned id)
{
    return xasprintf("%s-s%u", prefix, id);
}

int sandbox_range_build(const char *scenario_path, const char *prefix, unsigned id,
                        const char *host_uri, int64_t ready_timeout_ms, bool warm,
                        conn_cache *conns)
{
    char *name = sandbox_range_name(prefix, id);
    range_up_request req = {.scenario_path = scenario_path,
                            .name = name,
                            .teams = 1,
                            .host_uri = host_uri,
                            .workers = 4,
                            .ready_timeout_ms = ready_timeout_ms,
                            .warm = warm,
                            .conns = conns};
    int rc = range_bring_up(&req);
    free(name);
    return rc;
}

int sandbox_range_teardown(const char *prefix, unsigned id, conn_cache *conns)
{
    char *name = sandbox_range_name(prefix, id);
    char *db = range_db_path(name);
    /* A build that failed before it planned anything left nothing to remove. */
    int rc = access(db, F_OK) == 0 ? range_take_down(name, 4, NULL, conns) : ENSHU_OK;
    free(db);
    free(name);
    return rc;
}
