/*
 * Warm templates made ahead of time (see warm_prepare.h).
 */
#include "warm_prepare.h"
#include "alloc.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "log.h"
#include "monotonic_clock.h"
#include "range_files.h"
#include "range_images.h"
#include "range_plan.h"
#include "warm_restore.h"
#include "work_pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct prepare_job {
    virConnectPtr conn; /* libvirt connections may be shared by threads */
    const plan_team *team;
    FILE *out;
    pthread_mutex_t out_lock; /* one line at a time on out */
} prepare_job;

/* Prints one line about guest d on p->out, whole (the guests run at once). */
static void say(prepare_job *p, const plan_domain *d, const char *what)
{
    if (!p->out)
        return;
    pthread_mutex_lock(&p->out_lock);
    fprintf(p->out, "  %s (%s): %s\n", d->node->name, d->image->name, what);
    fflush(p->out);
    pthread_mutex_unlock(&p->out_lock);
}

static int prepare_domain(size_t job, unsigned worker, void *arg)
{
    (void)worker;
    prepare_job *p = arg;
    const plan_domain *d = &p->team->domains[job];
    if (!warm_wanted(p->conn, d)) {
        say(p, d, "boots (its image cannot be restored warm on this host)");
        return ENSHU_OK;
    }
    int64_t started = monotonic_ms();
    warm_template *t = NULL;
    int rc = warm_template_get(p->conn, p->team, d, &t);
    double seconds = (double)(monotonic_ms() - started) / 1000;
    if (rc == ENSHU_OK) {
        char *what = xasprintf("template ready (%.1f s)", seconds);
        say(p, d, what);
        free(what);
    } else if (rc == ENSHU_EINVAL) {
        /* The image cannot take a new identity: its guests boot, as up says. */
        say(p, d, "boots (its image cannot take a new identity)");
        rc = ENSHU_OK;
    } else
        say(p, d, "no template (see the messages above)");
    warm_template_free(t);
    return rc;
}

int warm_prepare(const char *scenario_path, const char *uri, FILE *out)
{
    scenario *s = scenario_load_reported(scenario_path);
    if (!s)
        return ENSHU_EINVAL;
    if (s->tabletop || s->nnodes == 0) {
        if (out)
            fprintf(out, "%s: a tabletop exercise, no guests\n", scenario_path);
        scenario_free(s);
        return ENSHU_OK;
    }
    image_info **images = range_images_resolve(s, range_image_dir());
    if (!images) {
        scenario_free(s);
        return ENSHU_ENOTFOUND;
    }
    virConnectPtr conn = libvirt_open(uri);
    int rc = conn ? ENSHU_OK : ENSHU_ELIBVIRT;
    if (rc == ENSHU_OK) {
        /* One team: a template's key is the same in every team. */
        range_plan *plan = range_plan_new(s, "warm", 1, 0);
        range_plan_use_images(plan, (const image_info *const *)images);
        range_plan_place(plan, 0, uri);
        const plan_team *team = &plan->teams[0];
        if (out)
            fprintf(out, "%s: the warm templates of %zu guests on %s\n", scenario_path,
                    team->ndomains, uri);
        prepare_job job = {.conn = conn, .team = team, .out = out};
        pthread_mutex_init(&job.out_lock, NULL);
        int64_t started = monotonic_ms();
        rc = work_pool_run(team->ndomains, (unsigned)team->ndomains, prepare_domain, &job);
        pthread_mutex_destroy(&job.out_lock);
        if (rc == ENSHU_OK && out)
            fprintf(out, "%s: ready in %.1f s\n", scenario_path,
                    (double)(monotonic_ms() - started) / 1000);
        range_plan_free(plan);
        virConnectClose(conn);
    }
    range_images_free(images, s->nnodes);
    scenario_free(s);
    return rc;
}
