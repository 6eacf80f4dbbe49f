/*
 * Range provisioning on libvirt (see provision.h).
 *
 * Every object is "ensured": looked up by its planned name first, created
 * only if missing, started only if inactive. Together with the state store
 * (written before each creation) this makes `up` resumable after a crash
 * and harmless to repeat, and lets `down` remove exactly what exists.
 */
#include "provision.h"
#include "alloc.h"
#include "errors.h"
#include "guest_accounts.h"
#include "guest_agent.h"
#include "guest_nat.h"
#include "libvirt_conn.h"
#include "libvirt_xml.h"
#include "log.h"
#include "monotonic_clock.h"
#include "range_addressing.h"
#include "range_team_vars.h"
#include "units.h"
#include "warm_restore.h"
#include "work_pool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct up_ctx {
    const range_plan *plan;
    state_store *st;
    conn_cache *conns;
    const provision_opts *opts;
    team_vars *vars; /* each team's template values: its passwords */
} up_ctx;

/* ---- objects of this range only ---- */

/* Whether this range recorded the resource before: an object of its name
 * that exists on the host while the range never recorded it was left by
 * another run (one whose state is elsewhere) or made by hand, and is not
 * taken over (refuse_foreign): its guests would carry another run's state,
 * or another image. Such an object is not recorded either, so that `down`
 * leaves it alone. */
static bool recorded(up_ctx *c, const plan_team *team, resource_kind kind, const char *name)
{
    return state_store_resource_recorded(c->st, kind, name, team->host_uri) > 0;
}

static int begin(up_ctx *c, const plan_team *team, resource_kind kind, const char *name)
{
    return state_store_resource_begin(c->st, team->number, kind, name, team->host_uri) < 0
               ? ENSHU_EIO
               : ENSHU_OK;
}

static int refuse_foreign(const plan_team *team, resource_kind kind, const char *name)
{
    log_printf(ENSHU_LOG_ERROR,
               "enshu: team %d: %s %s already exists on %s but is not this range's (left by "
               "another run, or made by hand): take that range down with its own state "
               "directory, remove it with virsh, or use another --name",
               team->number, resource_kind_name(kind), name, team->host_uri);
    return ENSHU_EEXIST;
}

/* ---- networks ---- */

static int ensure_network(up_ctx *c, virConnectPtr conn, const plan_team *team,
                          const plan_network *pn)
{
    bool known = recorded(c, team, RES_NETWORK, pn->name);
    virNetworkPtr net = virNetworkLookupByName(conn, pn->name);
    if (net && !known) {
        virNetworkFree(net);
        return refuse_foreign(team, RES_NETWORK, pn->name);
    }
    if (begin(c, team, RES_NETWORK, pn->name) < 0) {
        if (net)
            virNetworkFree(net);
        return ENSHU_EIO;
    }
    if (!net) {
        char *xml = libvirt_network_xml(pn, team);
        net = virNetworkDefineXML(conn, xml);
        free(xml);
        if (!net) {
            log_printf(ENSHU_LOG_ERROR, "enshu: team %d: cannot define network %s on %s: %s",
                       team->number, pn->name, team->host_uri, libvirt_error());
            return ENSHU_ELIBVIRT;
        }
    }
    int rc = ENSHU_OK;
    if (virNetworkIsActive(net) != 1 && virNetworkCreate(net) < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: team %d: cannot start network %s on %s: %s",
                   team->number, pn->name, team->host_uri, libvirt_error());
        rc = ENSHU_ELIBVIRT;
    }
    virNetworkFree(net);
    if (rc == ENSHU_OK)
        rc = state_store_resource_done(c->st, RES_NETWORK, pn->name, team->host_uri);
    return rc;
}

/* ---- guest isolation filter ---- */

/* libvirt's test driver simulates hosts without running guests: there a
 * running domain is as ready as it gets, and there is no traffic to filter
 * (it has no nwfilter driver either). */
static bool host_runs_guests(virConnectPtr conn)
{
    const char *type = libvirt_host_type(conn);
    return !type || strcmp(type, "TEST") != 0;
}

/* Defines the team's nwfilter (libvirt_xml.h) unless it exists. A filter
 * is not started: libvirt instantiates it on each guest tap that refers to
 * it, and refuses to start a guest whose filter is missing. */
static int ensure_nwfilter(up_ctx *c, virConnectPtr conn, const plan_team *team)
{
    bool known = recorded(c, team, RES_NWFILTER, team->filter);
    virNWFilterPtr filter = virNWFilterLookupByName(conn, team->filter);
    if (filter && !known) {
        virNWFilterFree(filter);
        return refuse_foreign(team, RES_NWFILTER, team->filter);
    }
    if (begin(c, team, RES_NWFILTER, team->filter) < 0) {
        if (filter)
            virNWFilterFree(filter);
        return ENSHU_EIO;
    }
    if (!filter) {
        char *xml = libvirt_nwfilter_xml(team->filter);
        filter = virNWFilterDefineXML(conn, xml);
        free(xml);
        if (!filter) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: team %d: cannot define the guest isolation filter %s on %s (is "
                       "libvirt's nwfilter driver loaded, and ebtables installed?): %s",
                       team->number, team->filter, team->host_uri, libvirt_error());
            return ENSHU_ELIBVIRT;
        }
    }
    virNWFilterFree(filter);
    return state_store_resource_done(c->st, RES_NWFILTER, team->filter, team->host_uri);
}

/* ---- overlay volumes ---- */

/* The pool holding overlays; defined and started on first use per host. */
static virStoragePoolPtr ensure_pool(virConnectPtr conn, const char *uri, const char *dir)
{
    pthread_mutex_lock(&pool_lock);
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, ENSHU_STORAGE_POOL);
    if (!pool) {
        char *xml = libvirt_dir_pool_xml(ENSHU_STORAGE_POOL, dir);
        pool = virStoragePoolDefineXML(conn, xml, 0);
        free(xml);
    }
    if (pool && virStoragePoolIsActive(pool) != 1) {
        /* Building a dir pool only creates its directory: harmless if it
         * exists, needed if someone removed it. */
        (void)virStoragePoolBuild(pool, 0);
    }
    if (!pool) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot define storage pool '%s' (%s) on %s: %s",
                   ENSHU_STORAGE_POOL, dir, uri, libvirt_error());
    } else if (virStoragePoolIsActive(pool) != 1 && virStoragePoolCreate(pool, 0) < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot start storage pool '%s' on %s: %s",
                   ENSHU_STORAGE_POOL, uri, libvirt_error());
        virStoragePoolFree(pool);
        pool = NULL;
    }
    pthread_mutex_unlock(&pool_lock);
    return pool;
}

/* Virtual size from a qcow2 header (big-endian u64 at offset 24). */
static int qcow2_virtual_size(const char *path, uint64_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot open base image %s: %s", path, strerror(errno));
        return ENSHU_EIO;
    }
    unsigned char h[32];
    ssize_t n = pread(fd, h, sizeof h, 0);
    close(fd);
    if (n != (ssize_t)sizeof h || memcmp(h, "QFI\xfb", 4) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: %s is not a qcow2 image", path);
        return ENSHU_EINVAL;
    }
    uint64_t v = 0;
    for (int i = 24; i < 32; i++)
        v = (v << 8) | h[i];
    *size = v;
    return ENSHU_OK;
}

/* Creates (or finds) the domain's overlay volume over base (the image's
 * disk, or a warm template's); returns its path. */
static char *ensure_volume(up_ctx *c, virConnectPtr conn, const plan_team *team,
                           const plan_domain *d, const char *base)
{
    virStoragePoolPtr pool = ensure_pool(conn, team->host_uri, c->opts->pool_dir);
    if (!pool)
        return NULL;
    char *path = NULL;
    bool known = recorded(c, team, RES_VOLUME, d->volume);
    virStorageVolPtr vol = virStorageVolLookupByName(pool, d->volume);
    if (vol && !known) {
        virStorageVolFree(vol);
        refuse_foreign(team, RES_VOLUME, d->volume);
        goto cleanup;
    }
    if (begin(c, team, RES_VOLUME, d->volume) < 0) {
        if (vol)
            virStorageVolFree(vol);
        goto cleanup;
    }
    if (!vol) {
        uint64_t capacity = 0;
        if (qcow2_virtual_size(base, &capacity) == ENSHU_OK) {
            char *xml = libvirt_overlay_volume_xml(d->volume, base, capacity);
            vol = virStorageVolCreateXML(pool, xml, 0);
            free(xml);
            if (!vol)
                log_printf(ENSHU_LOG_ERROR,
                           "enshu: team %d: cannot create overlay %s over %s on %s: %s",
                           team->number, d->volume, base, team->host_uri, libvirt_error());
        }
    }
    if (vol) {
        path = virStorageVolGetPath(vol);
        virStorageVolFree(vol);
        if (path && state_store_resource_done(c->st, RES_VOLUME, d->volume, team->host_uri) < 0) {
            free(path);
            path = NULL;
        }
    }
cleanup:
    virStoragePoolFree(pool);
    return path;
}

/* ---- domains ---- */

static int ensure_domain(up_ctx *c, virConnectPtr conn, const plan_team *team, const plan_domain *d,
                         const char *disk_path)
{
    bool known = recorded(c, team, RES_DOMAIN, d->name);
    virDomainPtr dom = virDomainLookupByName(conn, d->name);
    if (dom && !known) {
        virDomainFree(dom);
        return refuse_foreign(team, RES_DOMAIN, d->name);
    }
    if (begin(c, team, RES_DOMAIN, d->name) < 0) {
        if (dom)
            virDomainFree(dom);
        return ENSHU_EIO;
    }
    if (!dom) {
        domain_boot boot = {.kernel = d->image->kernel,
                            .initrd = d->image->initrd,
                            .disk_path = disk_path,
                            .filter = host_runs_guests(conn) ? team->filter : NULL,
                            .graphical = d->image->graphical};
        char *xml = libvirt_domain_xml(d, team, &boot);
        dom = virDomainDefineXML(conn, xml);
        free(xml);
        if (!dom) {
            log_printf(ENSHU_LOG_ERROR, "enshu: team %d: cannot define guest %s on %s: %s",
                       team->number, d->name, team->host_uri, libvirt_error());
            return ENSHU_ELIBVIRT;
        }
    }
    int rc = ENSHU_OK;
    if (virDomainIsActive(dom) != 1 && virDomainCreate(dom) < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: team %d: cannot start guest %s on %s: %s", team->number,
                   d->name, team->host_uri, libvirt_error());
        rc = ENSHU_ELIBVIRT;
    }
    virDomainFree(dom);
    if (rc == ENSHU_OK)
        rc = state_store_resource_done(c->st, RES_DOMAIN, d->name, team->host_uri);
    if (rc == ENSHU_OK)
        rc = state_store_set_node_state(c->st, team->number, d->node->name, "started");
    return rc;
}

/* Polls every guest agent of the team until all answer or time runs out. */
static int wait_team_ready(up_ctx *c, virConnectPtr conn, const plan_team *team)
{
    size_t n = team->ndomains, ready = 0;
    bool *done = xcalloc(n, sizeof(bool));
    virDomainPtr *doms = xcalloc(n, sizeof(virDomainPtr));
    int rc = ENSHU_OK;
    for (size_t i = 0; i < n; i++) {
        doms[i] = virDomainLookupByName(conn, team->domains[i].name);
        if (!doms[i]) {
            log_printf(ENSHU_LOG_ERROR, "enshu: team %d: guest %s vanished: %s", team->number,
                       team->domains[i].name, libvirt_error());
            rc = ENSHU_ELIBVIRT;
        }
    }
    int64_t deadline = monotonic_ms() + c->opts->ready_timeout_ms;
    while (rc == ENSHU_OK && ready < n) {
        for (size_t i = 0; i < n && rc == ENSHU_OK; i++) {
            if (done[i])
                continue;
            if (virDomainIsActive(doms[i]) != 1) {
                log_printf(ENSHU_LOG_ERROR,
                           "enshu: team %d: guest %s stopped while starting; see "
                           "/var/log/libvirt/qemu/%s.log on %s",
                           team->number, team->domains[i].name, team->domains[i].name,
                           team->host_uri);
                rc = ENSHU_ELIBVIRT;
                break;
            }
            if (!host_runs_guests(conn) || guest_agent_ping(doms[i], 1) == ENSHU_OK) {
                done[i] = true;
                ready++;
                progress_add(c->opts->progress, PROGRESS_READY);
                if (state_store_set_node_state(c->st, team->number, team->domains[i].node->name,
                                               "ready") < 0)
                    rc = ENSHU_EIO;
            }
        }
        if (rc != ENSHU_OK || ready == n)
            break;
        if (monotonic_ms() > deadline) {
            for (size_t i = 0; i < n; i++)
                if (!done[i])
                    log_printf(
                        ENSHU_LOG_ERROR,
                        "enshu: team %d: the guest agent of %s did not answer within %lld s; "
                        "see its console with 'virsh -c %s console %s'",
                        team->number, team->domains[i].name,
                        (long long)c->opts->ready_timeout_ms / 1000, team->host_uri,
                        team->domains[i].name);
            rc = ENSHU_ETIMEOUT;
            break;
        }
        usleep(300 * 1000);
    }
    for (size_t i = 0; i < n; i++)
        if (doms[i])
            virDomainFree(doms[i]);
    free(doms);
    free(done);
    return rc;
}

/* Masquerading on a gateway with `nat: true` (guest_nat.h). */
static int set_nat(up_ctx *c, virConnectPtr conn, const plan_team *team, const plan_domain *d)
{
    if (!guest_nat_wanted(d->node))
        return ENSHU_OK;
    virDomainPtr dom = virDomainLookupByName(conn, d->name);
    char *why = NULL;
    int rc = dom ? guest_nat_apply(dom, c->plan->scenario, c->vars, team->number, d->node, &why)
                 : ENSHU_ELIBVIRT;
    if (rc != ENSHU_OK)
        log_printf(ENSHU_LOG_ERROR, "enshu: team %d: NAT could not be set on %s: %s", team->number,
                   d->name, why ? why : libvirt_error());
    free(why);
    if (dom)
        virDomainFree(dom);
    return rc;
}

static int set_team_nat(up_ctx *c, virConnectPtr conn, const plan_team *team)
{
    int rc = ENSHU_OK;
    for (size_t i = 0; i < team->ndomains && rc == ENSHU_OK; i++)
        rc = set_nat(c, conn, team, &team->domains[i]);
    return rc;
}

/* Makes the scenario's accounts on every guest of the team, once all
 * answer: a team with a guest whose accounts failed is not ready. */
static int make_team_accounts(up_ctx *c, virConnectPtr conn, const plan_team *team)
{
    const scenario *s = c->plan->scenario;
    int rc = ENSHU_OK;
    for (size_t i = 0; i < team->ndomains; i++) {
        const plan_domain *d = &team->domains[i];
        bool runs_linux = d->image->os == IMAGE_OS_LINUX;
        if (!guest_accounts_on_node(s, d->node, runs_linux))
            continue;
        virDomainPtr dom = virDomainLookupByName(conn, d->name);
        if (!dom) {
            log_printf(ENSHU_LOG_ERROR, "enshu: team %d: guest %s vanished: %s", team->number,
                       d->name, libvirt_error());
            return ENSHU_ELIBVIRT;
        }
        int one = guest_accounts_make(dom, s, c->vars, team->number, d->node, runs_linux);
        virDomainFree(dom);
        if (one != ENSHU_OK && rc == ENSHU_OK)
            rc = one;
    }
    return rc;
}

/* Sets the planned addresses of the team's guests whose image is
 * addressed through the agent (range_addressing.h), once all answer: they
 * have no DHCP entry (libvirt_xml.h), so a guest whose addresses failed
 * leaves its team not ready. */
static int address_team_guests(up_ctx *c, virConnectPtr conn, const plan_team *team)
{
    int rc = ENSHU_OK;
    for (size_t i = 0; i < team->ndomains; i++) {
        const plan_domain *d = &team->domains[i];
        if (!d->image || d->image->addressing != IMAGE_ADDR_AGENT || !d->nnics)
            continue;
        virDomainPtr dom = virDomainLookupByName(conn, d->name);
        if (!dom) {
            log_printf(ENSHU_LOG_ERROR, "enshu: team %d: guest %s vanished: %s", team->number,
                       d->name, libvirt_error());
            return ENSHU_ELIBVIRT;
        }
        int one = range_address_guest(dom, c->plan, d, d->image->exec, team->number);
        virDomainFree(dom);
        if (one != ENSHU_OK && rc == ENSHU_OK)
            rc = one;
    }
    return rc;
}

/* ---- warm restore (warm_restore.h) ---- */

/* Brings guest d up from its warm template where there is one (made on
 * first use), else, or when the restore fails, by booting it. A guest this
 * range recorded before (a resumed `up`) is not restored again. */
static int warm_domain_up(up_ctx *c, virConnectPtr conn, const plan_team *team,
                          const plan_domain *d)
{
    warm_template *tpl = NULL;
    if (warm_wanted(conn, d) && !recorded(c, team, RES_DOMAIN, d->name) &&
        !recorded(c, team, RES_VOLUME, d->volume)) {
        virDomainPtr dom = virDomainLookupByName(conn, d->name);
        if (dom)
            virDomainFree(dom); /* someone else's: ensure_domain refuses it */
        else if (warm_template_get(conn, team, d, &tpl) != ENSHU_OK)
            log_printf(ENSHU_LOG_WARNING, "enshu: team %d: guest %s has no warm template: it boots",
                       team->number, d->name);
    }
    char *disk = ensure_volume(c, conn, team, d, tpl ? warm_template_disk(tpl) : d->image->disk);
    if (!disk) {
        warm_template_free(tpl);
        return ENSHU_ELIBVIRT;
    }
    progress_add(c->opts->progress, PROGRESS_VOLUMES);
    int rc = ENSHU_OK;
    bool restored = false;
    if (tpl) {
        rc = begin(c, team, RES_DOMAIN, d->name);
        if (rc == ENSHU_OK &&
            warm_restore_domain(conn, team, d, tpl, disk, team->filter) == ENSHU_OK) {
            restored = true;
            rc = state_store_resource_done(c->st, RES_DOMAIN, d->name, team->host_uri);
            if (rc == ENSHU_OK)
                rc = state_store_set_node_state(c->st, team->number, d->node->name, "started");
        } else if (rc == ENSHU_OK) {
            log_printf(ENSHU_LOG_WARNING, "enshu: team %d: guest %s was not restored: it boots",
                       team->number, d->name);
        }
    }
    if (rc == ENSHU_OK && !restored)
        rc = ensure_domain(c, conn, team, d, disk);
    free(disk);
    warm_template_free(tpl);
    if (rc == ENSHU_OK)
        progress_add(c->opts->progress, PROGRESS_DOMAINS);
    return rc;
}

typedef struct warm_job {
    up_ctx *c;
    virConnectPtr conn; /* libvirt connections may be shared by threads */
    const plan_team *team;
} warm_job;

static int warm_domain_job(size_t job, unsigned worker, void *arg)
{
    (void)worker;
    warm_job *w = arg;
    return warm_domain_up(w->c, w->conn, w->team, &w->team->domains[job]);
}

static int record_team_plan(up_ctx *c, const plan_team *team)
{
    if (state_store_set_team(c->st, team->number, team->host_uri, "provisioning") < 0)
        return ENSHU_EIO;
    for (size_t i = 0; i < team->ndomains; i++) {
        const plan_domain *d = &team->domains[i];
        char *addresses = plan_domain_addresses(c->plan, d);
        stored_node n = {.team = team->number,
                         .node = d->node->name,
                         .domain = d->name,
                         .host_uri = (char *)team->host_uri,
                         .role = (char *)node_role_name(d->node->role),
                         .addresses = addresses,
                         .state = "planned"};
        int rc = state_store_set_node(c->st, &n);
        free(addresses);
        if (rc < 0)
            return rc;
    }
    return ENSHU_OK;
}

static int team_up_steps(up_ctx *c, const plan_team *team, virConnectPtr conn)
{
    int rc = record_team_plan(c, team);
    for (size_t i = 0; i < team->nnetworks && rc == ENSHU_OK; i++) {
        rc = ensure_network(c, conn, team, &team->networks[i]);
        if (rc == ENSHU_OK)
            progress_add(c->opts->progress, PROGRESS_NETWORKS);
    }
    if (rc == ENSHU_OK && host_runs_guests(conn))
        rc = ensure_nwfilter(c, conn, team);
    bool warm = c->opts->warm && host_runs_guests(conn);
    if (rc == ENSHU_OK && warm) {
        /* Restores are short and mostly waiting: all guests at once. */
        warm_job job = {.c = c, .conn = conn, .team = team};
        rc = work_pool_run(team->ndomains, (unsigned)team->ndomains, warm_domain_job, &job);
    }
    for (size_t i = 0; i < team->ndomains && rc == ENSHU_OK && !warm; i++) {
        const plan_domain *d = &team->domains[i];
        char *disk = ensure_volume(c, conn, team, d, d->image->disk);
        if (!disk) {
            rc = ENSHU_ELIBVIRT;
            break;
        }
        progress_add(c->opts->progress, PROGRESS_VOLUMES);
        rc = ensure_domain(c, conn, team, d, disk);
        free(disk);
        if (rc == ENSHU_OK)
            progress_add(c->opts->progress, PROGRESS_DOMAINS);
    }
    if (rc == ENSHU_OK && c->opts->ready_timeout_ms > 0)
        rc = wait_team_ready(c, conn, team);
    if (rc == ENSHU_OK && c->opts->ready_timeout_ms > 0 && host_runs_guests(conn))
        rc = address_team_guests(c, conn, team);
    if (rc == ENSHU_OK && c->opts->ready_timeout_ms > 0 && host_runs_guests(conn))
        rc = make_team_accounts(c, conn, team);
    if (rc == ENSHU_OK && c->opts->ready_timeout_ms > 0 && host_runs_guests(conn))
        rc = set_team_nat(c, conn, team);
    return rc;
}

static int team_up(size_t job, unsigned worker, void *arg)
{
    up_ctx *c = arg;
    const plan_team *team = &c->plan->teams[job];
    double started = progress_elapsed(c->opts->progress);
    virConnectPtr conn = conn_cache_get(c->conns, team->host_uri, worker);
    int rc = conn ? team_up_steps(c, team, conn) : ENSHU_ELIBVIRT;
    const char *state =
        rc == ENSHU_OK ? (c->opts->ready_timeout_ms ? "ready" : "started") : "failed";
    if (state_store_set_team(c->st, team->number, team->host_uri, state) < 0 && rc == ENSHU_OK)
        rc = ENSHU_EIO;
    if (rc == ENSHU_OK) {
        progress_note(c->opts->progress, "team %d %s on %s (%zu guests, %.1f s)", team->number,
                      state, team->host_uri, team->ndomains,
                      progress_elapsed(c->opts->progress) - started);
    } else {
        progress_add(c->opts->progress, PROGRESS_FAILED);
        progress_note(c->opts->progress, "team %d failed on %s", team->number, team->host_uri);
    }
    return rc;
}

int provision_up(const range_plan *plan, state_store *st, conn_cache *conns,
                 const provision_opts *opts)
{
    up_ctx c = {.plan = plan, .st = st, .conns = conns, .opts = opts};
    c.vars = team_vars_from_plan(plan);
    int rc = work_pool_run(plan->nteams, opts->workers, team_up, &c);
    team_vars_free(c.vars);
    return rc;
}

/* ---- teardown ---- */

typedef struct down_ctx {
    state_store *st;
    conn_cache *conns;
    progress *progress;
    stored_resource *res;
    size_t nres;
    size_t *phase; /* indexes into res of the kind being removed */
} down_ctx;

static bool remove_domain(virConnectPtr conn, const stored_resource *r)
{
    virDomainPtr dom = virDomainLookupByName(conn, r->name);
    if (!dom)
        return libvirt_error_is_missing();
    bool ok = true;
    if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0)
        ok = false;
    if (ok && virDomainUndefine(dom) < 0)
        ok = false;
    virDomainFree(dom);
    return ok;
}

static bool remove_volume(virConnectPtr conn, const stored_resource *r)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, ENSHU_STORAGE_POOL);
    if (!pool)
        return libvirt_error_is_missing();
    /* Volumes may have been added behind libvirt's back or removed; look fresh. */
    virStoragePoolRefresh(pool, 0);
    virStorageVolPtr vol = virStorageVolLookupByName(pool, r->name);
    bool ok = vol ? virStorageVolDelete(vol, 0) == 0 : libvirt_error_is_missing();
    if (vol)
        virStorageVolFree(vol);
    virStoragePoolFree(pool);
    return ok;
}

static bool remove_network(virConnectPtr conn, const stored_resource *r)
{
    virNetworkPtr net = virNetworkLookupByName(conn, r->name);
    if (!net)
        return libvirt_error_is_missing();
    bool ok = true;
    if (virNetworkIsActive(net) == 1 && virNetworkDestroy(net) < 0)
        ok = false;
    if (ok && virNetworkUndefine(net) < 0)
        ok = false;
    virNetworkFree(net);
    return ok;
}

static bool remove_nwfilter(virConnectPtr conn, const stored_resource *r)
{
    virNWFilterPtr filter = virNWFilterLookupByName(conn, r->name);
    if (!filter)
        return libvirt_error_is_missing();
    bool ok = virNWFilterUndefine(filter) == 0;
    virNWFilterFree(filter);
    return ok;
}

/* Removes one resource of the current phase; jobs index the phase's list. */
static int remove_one(size_t job, unsigned worker, void *arg)
{
    down_ctx *c = arg;
    stored_resource *r = &c->res[c->phase[job]];
    virConnectPtr conn = conn_cache_get(c->conns, r->host_uri, worker);
    if (!conn)
        return ENSHU_ELIBVIRT;
    bool ok = r->kind == RES_DOMAIN     ? remove_domain(conn, r)
              : r->kind == RES_VOLUME   ? remove_volume(conn, r)
              : r->kind == RES_NWFILTER ? remove_nwfilter(conn, r)
                                        : remove_network(conn, r);
    if (!ok) {
        log_printf(ENSHU_LOG_ERROR, "enshu: team %d: cannot remove %s %s on %s: %s", r->team,
                   resource_kind_name(r->kind), r->name, r->host_uri, libvirt_error());
        return ENSHU_ELIBVIRT;
    }
    if (state_store_resource_forget(c->st, r->kind, r->name, r->host_uri) < 0)
        return ENSHU_EIO;
    if (r->kind != RES_NWFILTER) /* filters are not counted: one per team */
        progress_add(c->progress, r->kind == RES_DOMAIN   ? PROGRESS_DOMAINS
                                  : r->kind == RES_VOLUME ? PROGRESS_VOLUMES
                                                          : PROGRESS_NETWORKS);
    return ENSHU_OK;
}

int provision_down(state_store *st, conn_cache *conns, unsigned workers, progress *prog)
{
    down_ctx c = {.st = st, .conns = conns, .progress = prog};
    int rc = state_store_resources(st, &c.res, &c.nres);
    if (rc < 0)
        return rc;
    /* Guests first (they use the rest), then their disks, filters and
     * networks; within a phase everything goes in parallel: destroying a
     * guest is mostly waiting for QEMU to exit. */
    static const resource_kind order[] = {RES_DOMAIN, RES_VOLUME, RES_NWFILTER, RES_NETWORK};
    c.phase = xcalloc(c.nres + 1, sizeof(size_t));
    for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
        size_t n = 0;
        for (size_t i = 0; i < c.nres; i++)
            if (c.res[i].kind == order[k])
                c.phase[n++] = i;
        int phase_rc = work_pool_run(n, workers, remove_one, &c);
        if (phase_rc < 0 && rc == ENSHU_OK)
            rc = phase_rc;
    }
    free(c.phase);
    stored_resources_free(c.res, c.nres);
    return rc;
}
