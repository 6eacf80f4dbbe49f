/*
 * Inject actions and checks on real guests (see range_actions.h).
 */
#include "range_actions.h"
#include "alloc.h"
#include "errors.h"
#include "guest_agent.h"
#include "libvirt_conn.h"
#include "range_files.h"
#include "state_store.h"
#include "text_file.h"

#include <libgen.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_MAX 4096

struct range_actions {
    const scenario *s;
    unsigned nteams;
    conn_cache *conns;
    virDomainPtr *domains; /* [team][node] */
    regex_t *check_re;     /* per check, when it expects output */
    bool *has_re;
};

int64_t range_wall_ms(void *unused)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

range_actions *range_actions_new(const scenario *s, const char *name, unsigned nteams)
{
    char *path = range_db_path(name);
    state_store *st = NULL;
    if (access(path, F_OK) != 0 || state_store_open(path, false, &st) != ENSHU_OK) {
        fprintf(stderr, "enshu: range '%s' is not up (no %s)\n", name, path);
        free(path);
        return NULL;
    }
    free(path);
    stored_node *nodes = NULL;
    size_t n = 0;
    range_actions *ra = xcalloc(1, sizeof(range_actions));
    ra->s = s;
    ra->nteams = nteams;
    ra->conns = conn_cache_new();
    ra->domains = xcalloc((size_t)nteams * s->nnodes + 1, sizeof(virDomainPtr));
    if (state_store_nodes(st, &nodes, &n) == ENSHU_OK) {
        for (size_t i = 0; i < n; i++) {
            const node *nd = scenario_node(s, nodes[i].node);
            if (!nd || nodes[i].team < 1 || (unsigned)nodes[i].team > nteams)
                continue;
            virConnectPtr conn = conn_cache_get(ra->conns, nodes[i].host_uri, 0);
            virDomainPtr dom = conn ? virDomainLookupByName(conn, nodes[i].domain) : NULL;
            if (!dom)
                fprintf(stderr, "enshu: team %d: guest %s is missing: its injects will fail\n",
                        nodes[i].team, nodes[i].domain);
            ra->domains[(size_t)(nodes[i].team - 1) * s->nnodes + (size_t)(nd - s->nodes)] = dom;
        }
    }
    stored_nodes_free(nodes, n);
    state_store_free(st);
    ra->check_re = xcalloc(s->nchecks + 1, sizeof(regex_t));
    ra->has_re = xcalloc(s->nchecks + 1, sizeof(bool));
    for (size_t c = 0; c < s->nchecks; c++)
        if (s->checks[c].expect_output)
            ra->has_re[c] = regcomp(&ra->check_re[c], s->checks[c].expect_output,
                                    REG_EXTENDED | REG_NOSUB) == 0;
    return ra;
}

void range_actions_free(range_actions *ra)
{
    if (!ra)
        return;
    for (size_t i = 0; i < (size_t)ra->nteams * ra->s->nnodes; i++)
        if (ra->domains[i])
            virDomainFree(ra->domains[i]);
    for (size_t c = 0; c < ra->s->nchecks; c++)
        if (ra->has_re[c])
            regfree(&ra->check_re[c]);
    free(ra->check_re);
    free(ra->has_re);
    free(ra->domains);
    conn_cache_free(ra->conns);
    free(ra);
}

static virDomainPtr guest_of(range_actions *ra, int team, const char *node_name, char **output)
{
    const node *nd = node_name ? scenario_node(ra->s, node_name) : NULL;
    virDomainPtr dom = nd ? ra->domains[(size_t)(team - 1) * ra->s->nnodes +
                                        (size_t)(nd - ra->s->nodes)]
                          : NULL;
    if (!dom)
        *output = xasprintf("team %d has no guest for node %s", team, node_name ? node_name : "?");
    return dom;
}

/* Runs command under `timeout -s KILL` so it stops by itself in the guest
 * too; the command reaches the shell as an argument, never re-quoted. */
static int run_bounded(virDomainPtr dom, const char *command, int64_t timeout_ms,
                       guest_exec_result *r)
{
    char secs[32];
    snprintf(secs, sizeof secs, "%lld", (long long)((timeout_ms + 999) / 1000));
    const char *const argv[] = {"/bin/sh", "-c", "exec timeout -s KILL \"$1\" sh -c \"$2\"",
                                "sh", secs, command, NULL};
    return guest_agent_exec_argv(dom, argv, timeout_ms + 5000, r);
}

static char *clip(const char *out, const char *err)
{
    char *both = xasprintf("%s%s", out ? out : "", err ? err : "");
    if (strlen(both) > OUTPUT_MAX)
        both[OUTPUT_MAX] = '\0';
    return both;
}

static char *read_script(const scenario *s, const char *rel)
{
    char *dir_copy = xstrdup(s->file);
    char *path = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", dirname(dir_copy), rel);
    free(dir_copy);
    char *text = text_file_read(path, 1u << 20);
    free(path);
    return text;
}

static int run_inject(void *ctx, int team, const inject *inj, char **output)
{
    range_actions *ra = ctx;
    const action *a = &inj->action;
    if (a->kind == ACTION_MESSAGE) {
        *output = xasprintf("from %s: %s", a->from,
                            l10n_get(&a->subject, NULL, ra->s->default_language));
        return ENSHU_OK;
    }
    if (a->kind == ACTION_NOTE) {
        *output = xstrdup(l10n_get(&a->note, NULL, ra->s->default_language));
        return ENSHU_OK;
    }
    virDomainPtr dom = guest_of(ra, team, inj->target, output);
    if (!dom)
        return ENSHU_ENOTFOUND;
    guest_exec_result r;
    int rc;
    if (a->kind == ACTION_FILE) {
        rc = guest_agent_write_file(dom, a->path, a->content, strlen(a->content));
        char mode[16];
        snprintf(mode, sizeof mode, "%o", a->mode);
        const char *const argv[] = {"/bin/sh", "-c", "chmod \"$1\" \"$2\"", "sh", mode, a->path,
                                    NULL};
        if (rc == ENSHU_OK && (rc = guest_agent_exec_argv(dom, argv, 10000, &r)) == ENSHU_OK) {
            rc = r.exit_code == 0 ? ENSHU_OK : ENSHU_EAGENT;
            guest_exec_result_fini(&r);
        }
        *output = xasprintf("%s %s", rc == ENSHU_OK ? "wrote" : "could not write", a->path);
        return rc;
    }
    char *script = a->script ? read_script(ra->s, a->script) : NULL;
    if (a->script && !script) {
        *output = xasprintf("cannot read script %s", a->script);
        return ENSHU_EIO;
    }
    rc = run_bounded(dom, script ? script : a->command, inj->timeout_ms, &r);
    free(script);
    if (rc != ENSHU_OK) {
        *output = xstrdup("the guest agent did not run it");
        return rc;
    }
    *output = clip(r.out, r.err);
    rc = r.exit_code == 0 ? ENSHU_OK : ENSHU_EAGENT;
    guest_exec_result_fini(&r);
    return rc;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    range_actions *ra = ctx;
    virDomainPtr dom = guest_of(ra, team, c->node, output);
    if (!dom)
        return ENSHU_ENOTFOUND;
    guest_exec_result r;
    if (run_bounded(dom, c->command, c->timeout_ms, &r) != ENSHU_OK)
        return ENSHU_EAGENT;
    size_t i = (size_t)(c - ra->s->checks);
    *passing = (c->expect_exit < 0 || r.exit_code == c->expect_exit) &&
               (!ra->has_re[i] || regexec(&ra->check_re[i], r.out, 0, NULL, 0) == 0);
    *output = clip(r.out, r.err);
    guest_exec_result_fini(&r);
    return ENSHU_OK;
}

void range_actions_hooks(range_actions *ra, exercise_hooks *hooks)
{
    hooks->run_inject = run_inject;
    hooks->run_check = run_check;
    hooks->wall_ms = range_wall_ms;
    hooks->ctx = ra;
}
