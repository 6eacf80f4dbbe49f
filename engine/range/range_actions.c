/*
 * Inject actions and checks on real guests (see range_actions.h).
 */
#include "range_actions.h"
#include "alloc.h"
#include "errors.h"
#include "guest_accounts.h"
#include "guest_agent.h"
#include "guest_mail.h"
#include "guest_nat.h"
#include "guest_states.h"
#include "libvirt_conn.h"
#include "libvirt_xml.h"
#include "log.h"
#include "mail_message.h"
#include "message_injects.h"
#include "node_ref.h"
#include "range_addressing.h"
#include "range_files.h"
#include "range_images.h"
#include "range_team_vars.h"
#include "state_store.h"
#include "text_file.h"
#include "wall_clock.h"

#include <libgen.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define OUTPUT_MAX 4096

struct range_actions {
    const scenario *s;
    char *name;
    unsigned nteams;
    conn_cache *conns;
    virDomainPtr *domains; /* [team][node] */
    team_vars *vars;       /* each team's template values */
    bool *runs_linux;      /* [node]: its image runs Linux (it has the accounts) */
    bool *powershell;      /* [node]: its image runs commands with PowerShell */
    regex_t *check_re;     /* [team][check], when it expects output */
    bool *has_re;
    /* NULL: no node is addressed through the agent */
    range_addressing *addressing;
    /* Each guest in domains is found again (under domains_lock) once the
     * connection it came from has died: a host that stopped answering and
     * came back serves its teams again. The one it replaced is kept until
     * ra is freed, as another thread may still be using it. */
    pthread_mutex_t domains_lock;
    char **domain_names, **host_uris; /* [team][node], NULL where none */
    virDomainPtr *retired;
    size_t nretired, retired_cap;
};

range_actions *range_actions_new(const scenario *s, const char *name, unsigned nteams)
{
    char *path = range_db_path(name);
    state_store *st = NULL;
    if (access(path, F_OK) != 0 || state_store_open(path, false, &st) != ENSHU_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu: range '%s' is not up (no %s)", name, path);
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
    pthread_mutex_init(&ra->domains_lock, NULL);
    ra->domains = xcalloc((size_t)nteams * s->nnodes + 1, sizeof(virDomainPtr));
    ra->domain_names = xcalloc((size_t)nteams * s->nnodes + 1, sizeof(char *));
    ra->host_uris = xcalloc((size_t)nteams * s->nnodes + 1, sizeof(char *));
    if (state_store_nodes(st, &nodes, &n) == ENSHU_OK) {
        for (size_t i = 0; i < n; i++) {
            const node *nd = scenario_node(s, nodes[i].node);
            if (!nd || nodes[i].team < 1 || (unsigned)nodes[i].team > nteams)
                continue;
            /* A connection per team: libvirtd serves at most a few calls of one
             * client at a time (max_client_requests, 5 by default), so teams
             * sharing one would wait behind another team's guest agent that
             * does not answer. */
            virConnectPtr conn =
                conn_cache_get(ra->conns, nodes[i].host_uri, (unsigned)nodes[i].team);
            virDomainPtr dom = conn ? virDomainLookupByName(conn, nodes[i].domain) : NULL;
            if (!dom)
                log_printf(ENSHU_LOG_WARNING,
                           "enshu: team %d: guest %s is missing: its injects will fail",
                           nodes[i].team, nodes[i].domain);
            size_t slot = (size_t)(nodes[i].team - 1) * s->nnodes + (size_t)(nd - s->nodes);
            ra->domains[slot] = dom;
            ra->domain_names[slot] = xstrdup(nodes[i].domain);
            ra->host_uris[slot] = xstrdup(nodes[i].host_uri);
        }
    }
    stored_nodes_free(nodes, n);
    state_store_free(st);
    ra->name = xstrdup(name);
    ra->runs_linux = range_images_linux(s, range_image_dir());
    ra->powershell = range_images_powershell(s, range_image_dir());
    ra->addressing = range_addressing_new(s, name, range_image_dir());
    if (team_vars_from_range(s, name, &ra->vars) != ENSHU_OK) {
        range_actions_free(ra);
        return NULL;
    }
    /* Expected output may name the team's own addresses: one pattern per team. */
    size_t slots = (size_t)nteams * s->nchecks;
    ra->check_re = xcalloc(slots + 1, sizeof(regex_t));
    ra->has_re = xcalloc(slots + 1, sizeof(bool));
    for (size_t t = 0; t < nteams; t++) {
        for (size_t c = 0; c < s->nchecks; c++) {
            if (!s->checks[c].expect_output)
                continue;
            char *re = team_vars_expand(ra->vars, (int)t + 1, s->checks[c].expect_output);
            size_t slot = t * s->nchecks + c;
            ra->has_re[slot] = regcomp(&ra->check_re[slot], re, REG_EXTENDED | REG_NOSUB) == 0;
            free(re);
        }
    }
    return ra;
}

void range_actions_free(range_actions *ra)
{
    if (!ra)
        return;
    for (size_t i = 0; i < (size_t)ra->nteams * ra->s->nnodes; i++) {
        if (ra->domains[i])
            virDomainFree(ra->domains[i]);
        free(ra->domain_names[i]);
        free(ra->host_uris[i]);
    }
    for (size_t i = 0; i < ra->nretired; i++)
        virDomainFree(ra->retired[i]);
    free(ra->retired);
    free(ra->domain_names);
    free(ra->host_uris);
    pthread_mutex_destroy(&ra->domains_lock);
    for (size_t c = 0; ra->has_re && c < (size_t)ra->nteams * ra->s->nchecks; c++)
        if (ra->has_re[c])
            regfree(&ra->check_re[c]);
    free(ra->check_re);
    free(ra->has_re);
    free(ra->domains);
    conn_cache_free(ra->conns);
    team_vars_free(ra->vars);
    free(ra->runs_linux);
    free(ra->powershell);
    range_addressing_free(ra->addressing);
    free(ra->name);
    free(ra);
}

const team_vars *range_actions_team_vars(const range_actions *ra)
{
    return ra->vars;
}

/* The node ref (an inject's target, a probe's node: node_ref.h) stands for
 * in team: the one every action and message below is about. */
static const node *node_of(const range_actions *ra, int team, const char *ref)
{
    return node_ref_node(ra->s, ra->vars, team, ref);
}

/* team's guest of nd; ref is what named it, for the message when none.
 * A guest whose connection died (its host restarted or stopped answering),
 * or that could not be found before, is looked up again on a fresh
 * connection; while its host does not answer, the dead one is returned and
 * calls on it fail. Valid until ra is freed. */
static virDomainPtr guest_of(range_actions *ra, int team, const node *nd, const char *ref,
                             char **output)
{
    const char *name = nd ? nd->name : ref;
    if (!nd) {
        *output = xasprintf("team %d has no guest for node %s", team, name ? name : "?");
        return NULL;
    }
    size_t slot = (size_t)(team - 1) * ra->s->nnodes + (size_t)(nd - ra->s->nodes);
    pthread_mutex_lock(&ra->domains_lock);
    virDomainPtr dom = ra->domains[slot];
    pthread_mutex_unlock(&ra->domains_lock);
    if (ra->domain_names[slot] && (!dom || virConnectIsAlive(virDomainGetConnect(dom)) != 1)) {
        /* Off the lock: connecting to a host that does not answer takes as
         * long as it takes, and holds back no other team. */
        virConnectPtr conn = conn_cache_get(ra->conns, ra->host_uris[slot], (unsigned)team);
        virDomainPtr found = conn && virConnectIsAlive(conn) == 1
                                 ? virDomainLookupByName(conn, ra->domain_names[slot])
                                 : NULL;
        pthread_mutex_lock(&ra->domains_lock);
        if (found && ra->domains[slot] == dom) {
            if (dom) {
                XGROW(ra->retired, ra->retired_cap, ra->nretired + 1);
                ra->retired[ra->nretired++] = dom;
            }
            ra->domains[slot] = found;
        } else if (found) {
            virDomainFree(found); /* another thread found it first */
        }
        dom = ra->domains[slot];
        pthread_mutex_unlock(&ra->domains_lock);
    }
    if (!dom)
        *output = ra->domain_names[slot]
                      ? xasprintf("guest %s of team %d on %s cannot be found",
                                  ra->domain_names[slot], team, ra->host_uris[slot])
                      : xasprintf("team %d has no guest for node %s", team, name ? name : "?");
    return dom;
}

/* How nd's image runs commands. */
static image_exec dialect_of(const range_actions *ra, const node *nd)
{
    return ra->powershell[nd - ra->s->nodes] ? IMAGE_EXEC_POWERSHELL : IMAGE_EXEC_SH;
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

/* Waits until the guest agent of dom answers, at most until deadline (wall ms). */
static int wait_agent(virDomainPtr dom, int64_t deadline)
{
    while (wall_clock_ms(NULL) < deadline) {
        if (guest_agent_ping(dom, 2) == ENSHU_OK)
            return ENSHU_OK;
        struct timespec ts = {0, 500 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return ENSHU_ETIMEOUT;
}

/* power: stop (destroy), start (create) or reboot (reset) the target guest;
 * start and reboot wait until its agent answers, within the timeout. */
static int run_power(range_actions *ra, int team, virDomainPtr dom, const node *nd,
                     const inject *inj, char **output)
{
    const char *name = virDomainGetName(dom);
    int64_t deadline = wall_clock_ms(NULL) + inj->timeout_ms;
    int active = virDomainIsActive(dom);
    int rc = 0;
    switch (inj->action.power) {
    case POWER_STOP:
        rc = active == 1 ? virDomainDestroy(dom) : 0;
        break;
    case POWER_START:
        rc = active == 0 ? virDomainCreate(dom) : 0;
        break;
    case POWER_REBOOT:
        rc = active == 1 ? virDomainReset(dom, 0) : virDomainCreate(dom);
        break;
    }
    if (rc < 0) {
        *output = xasprintf("could not %s %s: %s", power_op_name(inj->action.power), name,
                            libvirt_error());
        return ENSHU_ELIBVIRT;
    }
    if (inj->action.power != POWER_STOP && wait_agent(dom, deadline) != ENSHU_OK) {
        *output = xasprintf("%s did not answer within the timeout after %s", name,
                            power_op_name(inj->action.power));
        return ENSHU_ETIMEOUT;
    }
    /* A guest started again may have lost what the engine set through its
     * agent (the BusyBox images' root is in RAM): its addresses, where the
     * agent sets them, and its accounts are set again. */
    if (inj->action.power != POWER_STOP &&
        range_addressing_again(ra->addressing, dom, team, nd) != ENSHU_OK) {
        *output = xasprintf("%s: %s, but its addresses could not be set again",
                            power_op_name(inj->action.power), name);
        return ENSHU_EAGENT;
    }
    bool runs_linux = ra->runs_linux[nd - ra->s->nodes];
    if (inj->action.power != POWER_STOP && guest_accounts_on_node(ra->s, nd, runs_linux) &&
        guest_accounts_make(dom, ra->s, ra->vars, team, nd, runs_linux) != ENSHU_OK) {
        *output = xasprintf("%s: %s, but its accounts could not be made again",
                            power_op_name(inj->action.power), name);
        return ENSHU_EAGENT;
    }
    char *why = NULL;
    if (inj->action.power != POWER_STOP && guest_nat_wanted(nd) &&
        guest_nat_apply(dom, ra->s, ra->vars, team, nd, &why) != ENSHU_OK) {
        *output = xasprintf("%s: %s, but its NAT could not be set again: %s",
                            power_op_name(inj->action.power), name, why);
        free(why);
        return ENSHU_EAGENT;
    }
    *output = xasprintf("%s: %s", power_op_name(inj->action.power), name);
    return ENSHU_OK;
}

/* Sets the link state of every interface of dom on network, live (the
 * guest sees its cable pulled or plugged back in). */
static int set_link(virDomainPtr dom, const char *network, bool up, char **output)
{
    char *xml = virDomainGetXMLDesc(dom, 0);
    if (!xml) {
        *output = xasprintf("cannot read the definition of %s: %s", virDomainGetName(dom),
                            libvirt_error());
        return ENSHU_ELIBVIRT;
    }
    char **updates;
    int changed = libvirt_domain_link_updates(xml, network, up, &updates), rc = ENSHU_OK;
    if (changed < 0) {
        *output = xasprintf("cannot read the definition of %s", virDomainGetName(dom));
        rc = ENSHU_ELIBVIRT;
    }
    for (int i = 0; i < changed && rc == ENSHU_OK; i++) {
        if (virDomainUpdateDeviceFlags(dom, updates[i], VIR_DOMAIN_AFFECT_LIVE) < 0) {
            *output = xasprintf("cannot set the link of %s on %s %s: %s", virDomainGetName(dom),
                                network, up ? "up" : "down", libvirt_error());
            rc = ENSHU_ELIBVIRT;
        }
    }
    if (rc == ENSHU_OK && !changed) {
        *output = xasprintf("%s has no interface on network %s", virDomainGetName(dom), network);
        rc = ENSHU_ENOTFOUND;
    } else if (rc == ENSHU_OK) {
        *output = xasprintf("link of %s on %s %s", virDomainGetName(dom), network,
                            up ? "restored" : "cut");
    }
    libvirt_xml_strings_free(updates);
    free(xml);
    return rc;
}

static char *no_user(const char *user, const char *node_name)
{
    return xasprintf("no user '%s' on %s", user, node_name);
}

/* A Message-ID as mail programs make them: the time, a random part, and
 * the sender's domain. */
static char *new_message_id(int64_t now_ms, const char *from)
{
    unsigned long long tag = 0;
    if (getrandom(&tag, sizeof tag, 0) != (ssize_t)sizeof tag)
        tag = (unsigned long long)now_ms * 2654435761u;
    time_t t = (time_t)(now_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y%m%d%H%M%S", &tm);
    return xasprintf("%s.%012llx@%s", when, tag & 0xffffffffffffULL, mail_address_domain(from));
}

/* A host name or address as the SMTP client takes it (after templates). */
static bool plain_host(const char *s)
{
    return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") ==
                     strlen(s);
}

/* mail: composes the message with the team's values and sends it by SMTP
 * from the target (the mail's 'via') to its server. The ledger gets what
 * was sent (Message-ID, sender, recipients, subject) and the server's
 * answer, not the body. */
/* text as team sees it now: its values, and the time for {{now}} in the
 * scenario's time zone. */
static char *fill(const range_actions *ra, int team, const char *text)
{
    return team_vars_expand_at(ra->vars, team, text, wall_clock_ms(NULL), ra->s->time_zone);
}

static int send_mail(range_actions *ra, virDomainPtr dom, const node *via, int team,
                     const inject *inj, char **output)
{
    const action *a = &inj->action;
    char *server = scenario_mail_server(ra->s, a, via);
    char *host = fill(ra, team, server);
    free(server);
    if (!plain_host(host)) {
        *output = xasprintf("the mail server '%s' is not an address or a host name", host);
        free(host);
        return ENSHU_EINVAL;
    }
    char *subject = fill(ra, team, a->mail_subject);
    char *body = fill(ra, team, a->mail_body);
    int64_t now = wall_clock_ms(NULL);
    char *id = new_message_id(now, a->mail_from.addr);
    mail_file *files = xcalloc(a->nmail_files + 1, sizeof(mail_file));
    for (size_t i = 0; i < a->nmail_files; i++)
        files[i] =
            (mail_file){a->mail_files[i].name, a->mail_files[i].content, a->mail_files[i].size};
    mail_message m = {.from = &a->mail_from,
                      .to = a->mail_to,
                      .nto = a->nmail_to,
                      .subject = subject,
                      .body = body,
                      .files = files,
                      .nfiles = a->nmail_files,
                      .date_ms = now,
                      .message_id = id};
    size_t len;
    char *text = mail_message_compose(&m, &len);
    const char **rcpts = xcalloc(a->nmail_to + 1, sizeof(char *));
    for (size_t i = 0; i < a->nmail_to; i++)
        rcpts[i] = a->mail_to[i].addr;
    char *to = xjoin(rcpts, a->nmail_to, ", ");
    guest_mail gm = {.host = host,
                     .port = a->server_port,
                     .from = a->mail_from.addr,
                     .rcpts = rcpts,
                     .nrcpts = a->nmail_to,
                     .message = text,
                     .len = len};
    char *result = NULL;
    int rc = guest_mail_send(dom, &gm, inj->timeout_ms, &result);
    *output = xasprintf("%s <%s> from %s to %s via %s, server %s:%u: %s [%s]",
                        rc == ENSHU_OK ? "sent" : "could not send", id, a->mail_from.addr, to,
                        via->name, host, a->server_port, subject, result ? result : "");
    free(result);
    free(to);
    free(rcpts);
    free(text);
    free(files);
    free(id);
    free(body);
    free(subject);
    free(host);
    return rc;
}

static int run_inject(void *ctx, int team, const inject *inj, inject_outcome *o)
{
    range_actions *ra = ctx;
    char **output = &o->output;
    const action *a = &inj->action;
    if (message_inject_is(inj))
        return message_inject_run(ra->s, ra->vars, team, inj, output);
    const node *nd = node_of(ra, team, inj->target);
    virDomainPtr dom = guest_of(ra, team, nd, inj->target, output);
    if (!dom)
        return ENSHU_ENOTFOUND;
    if (a->kind == ACTION_POWER)
        return run_power(ra, team, dom, nd, inj, output);
    if (a->kind == ACTION_LINK) {
        char *network = xasprintf("enshu-%s-t%02d-%s", ra->name, team, a->segment);
        int rc = set_link(dom, network, a->link_up, output);
        free(network);
        return rc;
    }
    if (a->kind == ACTION_MAIL)
        return send_mail(ra, dom, nd, team, inj, output);
    if (a->kind == ACTION_FILE) {
        char *path = fill(ra, team, a->path);
        /* A file from a source copies its bytes unless it asks for templates. */
        bool bytes = a->source && !a->source_templated;
        char *filled = bytes ? NULL : fill(ra, team, a->content);
        const char *content = bytes ? a->content : filled;
        guest_file f = {.path = path,
                        .content = content,
                        .len = bytes ? a->content_size : strlen(content),
                        .mode = a->mode,
                        .owner = a->owner,
                        .group = a->group};
        char *why = NULL;
        int rc = guest_agent_write(dom, dialect_of(ra, nd), a->user, &f, &why);
        if (rc == ENSHU_ENOTFOUND)
            *output = no_user(a->user, nd->name);
        else if (rc == ENSHU_OK)
            *output = xasprintf("wrote %s", path);
        else
            *output = xasprintf("could not write %s%s%s", path, why ? ": " : "", why ? why : "");
        free(why);
        free(path);
        free(filled);
        return rc;
    }
    char *script = a->script ? read_script(ra->s, a->script) : NULL;
    if (a->script && !script) {
        *output = xasprintf("cannot read script %s", a->script);
        return ENSHU_EIO;
    }
    char *command = fill(ra, team, script ? script : a->command);
    guest_exec_result r;
    int rc = guest_agent_run(dom, dialect_of(ra, nd), a->user, command, inj->timeout_ms, &r);
    free(command);
    free(script);
    if (rc == ENSHU_ENOTFOUND) {
        *output = no_user(a->user, nd->name);
        return rc;
    }
    if (rc == ENSHU_ETIMEOUT) {
        /* The guest may have done its work and ended late (a busy host). */
        *output = xasprintf("it did not finish within its timeout (%lld s)",
                            (long long)((inj->timeout_ms + 999) / 1000));
        return rc;
    }
    if (rc != ENSHU_OK) {
        *output = xstrdup("the guest agent did not answer: it may not have run, or not to its end");
        return rc;
    }
    if (r.exit_code == 0) {
        *output = clip(r.out, r.err);
        guest_exec_result_fini(&r);
        return ENSHU_OK;
    }
    /* Failed: how it ended and its own output, as they are (the ledger
     * keeps their tails: inject_failure_text). */
    o->exit_status = r.exit_code;
    o->signal = r.signal;
    *output = r.out;
    o->err = r.err;
    r.out = r.err = NULL;
    guest_exec_result_fini(&r);
    return ENSHU_EAGENT;
}

/* One command or power probe: check c itself, or a probe of an all/any
 * check. re is c's pattern with the team's values, or NULL. */
static int run_probe(range_actions *ra, int team, const check *c, const regex_t *re, bool *passing,
                     char **output)
{
    const node *nd = node_of(ra, team, c->node);
    virDomainPtr dom = guest_of(ra, team, nd, c->node, output);
    if (!dom)
        return ENSHU_ENOTFOUND;
    if (c->kind == CHECK_POWER) {
        /* From libvirt: a stopped guest has no agent to ask. */
        int state = 0, reason = 0;
        if (virDomainGetState(dom, &state, &reason, 0) < 0) {
            *output = xasprintf("the power state of %s could not be read", nd->name);
            return ENSHU_ELIBVIRT;
        }
        const char *name = guest_state_name(state);
        *passing = c->power_running ? !strcmp(name, "running")
                                    : !strcmp(name, "shut off") || !strcmp(name, "crashed");
        *output = xasprintf("%s is %s", nd->name, name);
        return ENSHU_OK;
    }
    guest_exec_result r;
    char *command = fill(ra, team, c->command);
    int rc = guest_agent_run(dom, dialect_of(ra, nd), c->user, command, c->timeout_ms, &r);
    free(command);
    if (rc == ENSHU_ENOTFOUND) {
        /* It ran, and fails: what it judges cannot be as it expects. */
        *passing = false;
        *output = no_user(c->user, nd->name);
        return ENSHU_OK;
    }
    if (rc != ENSHU_OK)
        return ENSHU_EAGENT;
    *passing = (c->expect_exit < 0 || r.exit_code == c->expect_exit) &&
               (!re || regexec(re, r.out, 0, NULL, 0) == 0);
    *output = clip(r.out, r.err);
    guest_exec_result_fini(&r);
    return ENSHU_OK;
}

/* all: every probe passes; any: one does. The probes run in turn and stop
 * once the answer is known; the output names each probe's node. */
static int run_probes(range_actions *ra, int team, const check *c, bool *passing, char **output)
{
    bool all = c->kind == CHECK_ALL;
    *passing = all;
    char *joined = xstrdup("");
    int rc = ENSHU_OK;
    for (size_t p = 0; p < c->nprobes && rc == ENSHU_OK && *passing == all; p++) {
        check probe = c->probes[p];
        probe.timeout_ms = c->timeout_ms;
        regex_t re;
        bool has_re = false;
        if (probe.expect_output) {
            char *pattern = team_vars_expand(ra->vars, team, probe.expect_output);
            has_re = regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) == 0;
            free(pattern);
        }
        bool ok = false;
        char *out = NULL;
        rc = run_probe(ra, team, &probe, has_re ? &re : NULL, &ok, &out);
        if (has_re)
            regfree(&re);
        const node *nd = node_of(ra, team, probe.node);
        char *next =
            xasprintf("%s%s%s %s: %s", joined, *joined ? "\n" : "", nd ? nd->name : probe.node,
                      rc != ENSHU_OK ? "could not be probed"
                      : ok           ? "passes"
                                     : "fails",
                      out ? out : "");
        free(joined);
        free(out);
        joined = next;
        if (rc == ENSHU_OK && ok != all)
            *passing = ok;
    }
    if (strlen(joined) > OUTPUT_MAX)
        joined[OUTPUT_MAX] = '\0';
    *output = joined;
    return rc;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    range_actions *ra = ctx;
    if (c->kind == CHECK_ALL || c->kind == CHECK_ANY)
        return run_probes(ra, team, c, passing, output);
    size_t i = (size_t)(team - 1) * ra->s->nchecks + (size_t)(c - ra->s->checks);
    return run_probe(ra, team, c, ra->has_re[i] ? &ra->check_re[i] : NULL, passing, output);
}

void range_actions_hooks(range_actions *ra, exercise_hooks *hooks)
{
    hooks->run_inject = run_inject;
    hooks->run_check = run_check;
    hooks->wall_ms = wall_clock_ms;
    hooks->ctx = ra;
    /* Guest agent calls take a while under TCG: each team's checks get two
     * threads of their own, so neither its injects nor other teams wait
     * for them. */
    hooks->check_workers = 2;
}
