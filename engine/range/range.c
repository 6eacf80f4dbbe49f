/*
 * Bringing a range up and down (see range.h).
 *
 * The first `up` of a range decides placement and addresses and writes
 * them to the state store before creating anything; a later `up` of the
 * same range (after a crash or a failure) reads them back, so the plan is
 * the same and provisioning resumes where it stopped.
 */
#include "range.h"
#include "address_pool.h"
#include "alloc.h"
#include "errors.h"
#include "host_probe.h"
#include "hosts.h"
#include "log.h"
#include "provision.h"
#include "range_files.h"
#include "range_images.h"
#include "range_plan.h"
#include "range_team_vars.h"
#include "scenario.h"
#include "state_store.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *range_default_uri(void)
{
    const char *uri = getenv("ENSHU_LIBVIRT_URI");
    return uri && *uri ? uri : "qemu:///system";
}

/* What a team's guests need, each with its node's memory or its image's. */
static uint64_t team_memory_mib(const scenario *s, image_info *const *images)
{
    uint64_t mib = 0;
    for (size_t i = 0; i < s->nnodes; i++)
        mib += s->nodes[i].memory_mib ? s->nodes[i].memory_mib : images[i]->memory_mib;
    return mib;
}

/* First up: probe hosts, place teams, choose addresses, record all of it. */
static int plan_new_range(const range_up_request *req, const scenario *s, image_info *const *images,
                          state_store *st, conn_cache *conns)
{
    diag_list *diags = diag_list_new();
    host_list *hosts = req->host_uri     ? host_list_single(req->host_uri)
                       : req->hosts_path ? host_list_load(req->hosts_path, diags)
                                         : host_list_single(range_default_uri());
    diag_list_print(diags, stderr);
    diag_list_free(diags);
    if (!hosts)
        return ENSHU_EINVAL;
    ipv4_net_list used = {0};
    int rc = ENSHU_OK;
    for (size_t i = 0; i < hosts->count && rc == ENSHU_OK; i++) {
        virConnectPtr conn = conn_cache_get(conns, hosts->items[i].uri, 0);
        rc = conn ? host_probe(conn, &hosts->items[i], &used) : ENSHU_ELIBVIRT;
    }
    size_t *placement = xcalloc(req->teams, sizeof(size_t));
    unsigned base = 0;
    if (rc == ENSHU_OK)
        rc = host_list_place(hosts, req->teams, team_memory_mib(s, images), placement);
    if (rc == ENSHU_OK)
        rc = address_pool_choose_base(s, req->teams, &used, &base);
    char text[32];
    if (rc == ENSHU_OK) {
        snprintf(text, sizeof text, "%u", base);
        rc = state_store_set_meta(st, "block_base", text);
    }
    for (unsigned t = 0; t < req->teams && rc == ENSHU_OK; t++)
        rc = state_store_set_team(st, (int)t + 1, hosts->items[placement[t]].uri, "planned");
    if (rc == ENSHU_OK) {
        snprintf(text, sizeof text, "%u", req->teams);
        rc = state_store_set_meta(st, "teams", text);
    }
    /* Written last: its presence marks a complete plan. */
    if (rc == ENSHU_OK)
        rc = state_store_set_meta(st, "scenario_id", s->id);
    free(placement);
    ipv4_net_list_fini(&used);
    host_list_free(hosts);
    return rc;
}

/* Fills the plan's hosts from the store; the strings live in hosts_out. */
static int load_placement(state_store *st, range_plan *plan, char **hosts_out)
{
    for (size_t t = 0; t < plan->nteams; t++) {
        hosts_out[t] = state_store_team_host(st, plan->teams[t].number);
        if (!hosts_out[t]) {
            log_printf(ENSHU_LOG_ERROR, "enshu: state store %s has no host for team %d",
                       state_store_path(st), plan->teams[t].number);
            return ENSHU_EIO;
        }
        range_plan_place(plan, t, hosts_out[t]);
    }
    return ENSHU_OK;
}

/* A stored count; false when the store holds something else. */
static bool stored_uint(const char *text, unsigned *out)
{
    char *end;
    unsigned long v = text ? strtoul(text, &end, 10) : 0;
    if (!text || !*text || *end || v > 1000000)
        return false;
    *out = (unsigned)v;
    return true;
}

static int check_resume(state_store *st, const scenario *s, const char *name, unsigned teams,
                        unsigned *base)
{
    char *id = state_store_get_meta(st, "scenario_id");
    char *nteams = state_store_get_meta(st, "teams");
    char *block = state_store_get_meta(st, "block_base");
    int rc = ENSHU_OK;
    unsigned stored_teams = 0, stored_base = 0;
    if (!stored_uint(nteams, &stored_teams) || !stored_uint(block, &stored_base)) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: the state store of range '%s' is damaged (teams '%s', block '%s')", name,
                   nteams ? nteams : "", block ? block : "");
        rc = ENSHU_EIO;
    } else if (strcmp(id, s->id) != 0) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: range '%s' already runs scenario '%s'; choose another --name, or remove "
                   "it first with 'enshu down --name %s'",
                   name, id, name);
        rc = ENSHU_EINVAL;
    } else if (stored_teams != teams) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: range '%s' was brought up with %s teams, not %u; remove it first with "
                   "'enshu down --name %s' to change the team count",
                   name, nteams ? nteams : "?", teams, name);
        rc = ENSHU_EINVAL;
    } else {
        *base = stored_base;
    }
    free(id);
    free(nteams);
    free(block);
    return rc;
}

static int open_store_for_up(const char *name, state_store **st)
{
    char *path = range_db_path(name);
    int rc = state_store_open(path, true, st);
    free(path);
    return rc;
}

int range_bring_up(const range_up_request *req)
{
    scenario *s = scenario_load_reported(req->scenario_path);
    if (!s)
        return ENSHU_EINVAL;
    const char *name = req->name ? req->name : s->id;
    int rc = ENSHU_OK;
    if (!range_name_valid(name)) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: '%s' cannot name a range: use letters, digits and '-', at most %d "
                   "characters (give one with --name)",
                   name, RANGE_NAME_MAX);
        rc = ENSHU_EINVAL;
    } else if (req->teams < s->teams_min || req->teams > s->teams_max) {
        log_printf(ENSHU_LOG_ERROR, "enshu: scenario '%s' is for %u to %u teams, not %u", s->id,
                   s->teams_min, s->teams_max, req->teams);
        rc = ENSHU_EINVAL;
    } else if (s->tabletop) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: scenario '%s' is a tabletop exercise: it has no guests to bring up; "
                   "run it with 'enshu run' or 'enshu serve'",
                   s->id);
        rc = ENSHU_EINVAL;
    }
    /* Every image is found before anything is created. */
    image_info **images = NULL;
    if (rc == ENSHU_OK) {
        images = range_images_resolve(s, range_image_dir());
        rc = images ? ENSHU_OK : ENSHU_ENOTFOUND;
    }
    if (rc == ENSHU_OK)
        rc = range_dirs_ensure();
    int lock = rc == ENSHU_OK ? range_lock(name) : rc;
    if (lock < 0) {
        range_images_free(images, s->nnodes);
        scenario_free(s);
        return lock;
    }
    conn_cache *conns = req->conns ? req->conns : conn_cache_new();
    state_store *st = NULL;
    range_plan *plan = NULL;
    char **hosts = xcalloc(req->teams, sizeof(char *));
    unsigned base = 0;
    rc = open_store_for_up(name, &st);
    if (rc == ENSHU_OK) {
        char *existing = state_store_get_meta(st, "scenario_id");
        if (!existing) {
            rc = plan_new_range(req, s, images, st, conns);
            if (rc == ENSHU_OK)
                rc = state_store_set_meta(st, "scenario_path", req->scenario_path);
            if (rc < 0) {
                /* Nothing was created yet: leave no half-planned range behind. */
                state_store_free(st);
                st = NULL;
                range_files_remove(name);
            }
        }
        free(existing);
    }
    if (rc == ENSHU_OK)
        rc = check_resume(st, s, name, req->teams, &base);
    if (rc == ENSHU_OK) {
        plan = range_plan_new(s, name, req->teams, base);
        range_plan_use_images(plan, (const image_info *const *)images);
        rc = load_placement(st, plan, hosts);
    }
    if (rc == ENSHU_OK) {
        rc = range_variation_seed(st, req->variation_seed, &plan->variation_seed);
        if (rc != ENSHU_OK)
            log_printf(ENSHU_LOG_ERROR, "enshu: the variation seed of range '%s' cannot be kept",
                       name);
    }
    if (rc == ENSHU_OK) {
        char *pool_dir = range_pool_dir();
        size_t totals[PROGRESS_COUNTERS] = {0};
        for (size_t t = 0; t < plan->nteams; t++) {
            totals[PROGRESS_NETWORKS] += plan->teams[t].nnetworks;
            totals[PROGRESS_VOLUMES] += plan->teams[t].ndomains;
            totals[PROGRESS_DOMAINS] += plan->teams[t].ndomains;
            totals[PROGRESS_READY] += req->ready_timeout_ms ? plan->teams[t].ndomains : 0;
        }
        char *title = xasprintf("enshu up %s", name);
        progress *prog = progress_new(req->progress_out, title, totals);
        provision_opts opts = {.workers = req->workers ? req->workers : 4,
                               .ready_timeout_ms = req->ready_timeout_ms,
                               .pool_dir = pool_dir,
                               .progress = prog,
                               .warm = req->warm};
        rc = provision_up(plan, st, conns, &opts);
        double seconds = progress_elapsed(prog);
        progress_free(prog);
        free(title);
        free(pool_dir);
        if (rc == ENSHU_OK && req->progress_out)
            fprintf(req->progress_out, "range '%s': %zu teams ready in %.1f s\n", name,
                    plan->nteams, seconds);
        if (rc < 0)
            log_printf(
                ENSHU_LOG_ERROR,
                "enshu: range '%s' is not fully up. Run the same 'enshu up' again to resume, "
                "or 'enshu down --name %s' to remove what was created.",
                name, name);
    }
    range_plan_free(plan);
    for (unsigned t = 0; t < req->teams; t++)
        free(hosts[t]);
    free(hosts);
    state_store_free(st);
    if (!req->conns)
        conn_cache_free(conns);
    range_unlock(lock);
    range_images_free(images, s->nnodes);
    scenario_free(s);
    return rc;
}

int range_take_down(const char *name, unsigned workers, FILE *progress_out, conn_cache *conns)
{
    char *path = range_db_path(name);
    if (access(path, F_OK) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: there is no range '%s' (no %s)", name, path);
        free(path);
        return ENSHU_ENOTFOUND;
    }
    int lock = range_lock(name);
    if (lock < 0) {
        free(path);
        return lock;
    }
    state_store *st = NULL;
    int rc = state_store_open(path, false, &st);
    free(path);
    conn_cache *own = conns ? NULL : conn_cache_new();
    if (rc == ENSHU_OK) {
        stored_resource *res;
        size_t n;
        rc = state_store_resources(st, &res, &n);
        if (rc == ENSHU_OK) {
            size_t totals[PROGRESS_COUNTERS] = {0};
            for (size_t i = 0; i < n; i++)
                totals[res[i].kind == RES_DOMAIN   ? PROGRESS_DOMAINS
                       : res[i].kind == RES_VOLUME ? PROGRESS_VOLUMES
                                                   : PROGRESS_NETWORKS]++;
            stored_resources_free(res, n);
            char *title = xasprintf("enshu down %s", name);
            progress *prog = progress_new(progress_out, title, totals);
            rc = provision_down(st, conns ? conns : own, workers ? workers : 4, prog);
            double seconds = progress_elapsed(prog);
            progress_free(prog);
            free(title);
            if (rc == ENSHU_OK && progress_out)
                fprintf(progress_out, "range '%s' removed in %.1f s\n", name, seconds);
        }
    }
    state_store_free(st);
    conn_cache_free(own);
    if (rc == ENSHU_OK)
        range_files_remove(name);
    else
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: range '%s' is not fully removed; run 'enshu down --name %s' "
                   "again once the problem above is fixed",
                   name, name);
    range_unlock(lock);
    return rc;
}
