/*
 * Derives names, addresses and MAC addresses of a range (see range_plan.h).
 */
#include "range_plan.h"
#include "alloc.h"
#include "units.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool range_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > RANGE_NAME_MAX || !isalnum((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '-')
            return false;
    return true;
}

unsigned range_pool_blocks(const scenario *s)
{
    if (s->nsegments == 0 || s->segment_prefix < s->pool_prefix)
        return 0;
    uint64_t subnets = 1ULL << (s->segment_prefix - s->pool_prefix);
    return (unsigned)(subnets / s->nsegments);
}

uint32_t range_subnet(const scenario *s, unsigned block, int seg_index)
{
    uint32_t size = 1u << (32 - s->segment_prefix);
    return s->pool_addr + ((uint32_t)block * (uint32_t)s->nsegments + (uint32_t)seg_index) * size;
}

/* FNV-1a: a short stable tag for bridge names (IFNAMSIZ leaves 15 chars). */
static uint32_t name_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 16777619u;
    }
    return h;
}

/* Locally administered MAC made from the address, unique where it is. */
static void mac_for(uint32_t addr, char *out)
{
    snprintf(out, 18, "52:54:%02x:%02x:%02x:%02x", addr >> 24, (addr >> 16) & 255,
             (addr >> 8) & 255, addr & 255);
}

/* On a segment with its own subnet every team has the same addresses: the
 * MAC is made from the team, the segment and the host number instead, so
 * that a team's MACs stay unique on the host (2 for locally administered). */
static void mac_for_own_subnet(int team, int seg, uint32_t host, char *out)
{
    snprintf(out, 18, "56:%02x:%02x:%02x:%02x:%02x", (unsigned)team & 255, (unsigned)seg & 255,
             (host >> 16) & 255, (host >> 8) & 255, host & 255);
}

/* Kernel flags for images the engine boots. Under TCG every cycle of a boot is
 * emulated: keep the console quiet, skip self-tests, calibrations and
 * speculative-execution mitigations (the guests are throw-away lab machines
 * that only ever run the exercise). */
#define GUEST_BOOT_FLAGS                                                                           \
    "console=ttyS0 quiet mitigations=off tsc=reliable no_timer_check cryptomgr.notests "           \
    "random.trust_cpu=on"

static char *kernel_cmdline(const scenario *s, const plan_domain *d, const char *image_flags)
{
    char *net = xstrdup("");
    for (size_t i = 0; i < d->nnics; i++) {
        char addr[16];
        format_ipv4(d->nics[i].addr, addr);
        char *next =
            xasprintf("%s%s%s,%s/%u", net, i ? "+" : "", d->nics[i].mac, addr, d->nics[i].prefix);
        free(net);
        net = next;
    }
    char gw[16] = "";
    if (d->gateway)
        format_ipv4(d->gateway, gw);
    char *cmd = xasprintf("%s%s%s enshu.hostname=%s%s%s%s%s", image_flags, *image_flags ? " " : "",
                          GUEST_BOOT_FLAGS, d->node->name, d->nnics ? " enshu.net=" : "", net,
                          d->gateway ? " enshu.gw=" : "", gw);
    free(net);
    /* The organisation's time zone and locale (their form checked by the
     * scenario loader: no spaces, nothing the kernel would take as a flag). */
    if (s->time_zone || s->locale) {
        char *more = xasprintf("%s%s%s%s%s", cmd, s->time_zone ? " enshu.tz=" : "",
                               s->time_zone ? s->time_zone : "", s->locale ? " enshu.locale=" : "",
                               s->locale ? s->locale : "");
        free(cmd);
        cmd = more;
    }
    return cmd;
}

static void plan_team_fill(range_plan *plan, plan_team *team, unsigned block)
{
    const scenario *s = plan->scenario;
    uint32_t tag = name_hash(plan->exercise) & 0xffffff;
    team->filter = xasprintf("enshu-%s-t%02d", plan->exercise, team->number);
    team->nnetworks = s->nsegments;
    team->networks = xcalloc(s->nsegments, sizeof(plan_network));
    for (size_t i = 0; i < s->nsegments; i++) {
        plan_network *n = &team->networks[i];
        n->name = xasprintf("enshu-%s-t%02d-%s", plan->exercise, team->number, s->segments[i].name);
        n->bridge = xasprintf("es%06xt%02d%zx", tag, team->number % 1000, i);
        n->segment = (int)i;
        n->prefix = scenario_segment_prefix(s, (int)i);
        if (s->segments[i].prefix) {
            /* Its own subnet, the same in every team: the host takes no
             * address there (it would have the same route on every team's
             * bridge), so there is no DHCP either; the guests take theirs
             * from the kernel command line. */
            n->subnet = s->segments[i].subnet;
            n->bridge_addr = 0;
        } else {
            n->subnet = range_subnet(s, block, (int)i);
            n->bridge_addr = n->subnet + 1;
        }
    }
    team->ndomains = s->nnodes;
    team->domains = xcalloc(s->nnodes, sizeof(plan_domain));
    for (size_t i = 0; i < s->nnodes; i++) {
        const node *nd = &s->nodes[i];
        plan_domain *d = &team->domains[i];
        d->node = nd;
        d->name = xasprintf("enshu-%s-t%02d-%s", plan->exercise, team->number, nd->name);
        d->volume = xasprintf("%s.qcow2", d->name);
        d->nnics = nd->nnics;
        d->nics = xcalloc(nd->nnics, sizeof(plan_nic));
        for (size_t j = 0; j < nd->nnics; j++) {
            plan_nic *x = &d->nics[j];
            x->segment = nd->nics[j].segment_index;
            x->prefix = team->networks[x->segment].prefix;
            x->addr = team->networks[x->segment].subnet + (uint32_t)nd->nics[j].host;
            if (s->segments[x->segment].prefix)
                mac_for_own_subnet(team->number, x->segment, (uint32_t)nd->nics[j].host, x->mac);
            else
                mac_for(x->addr, x->mac);
            /* The default route goes through the first segment's gateway node. */
            const char *gw_name = s->segments[x->segment].router;
            if (!d->gateway && gw_name && strcmp(gw_name, nd->name) != 0) {
                const node *gw = scenario_node(s, gw_name);
                for (size_t k = 0; gw && k < gw->nnics; k++)
                    if (gw->nics[k].segment_index == x->segment)
                        d->gateway = team->networks[x->segment].subnet + (uint32_t)gw->nics[k].host;
            }
        }
        d->memory_mib = nd->memory_mib;
        d->vcpus = nd->vcpus;
    }
}

void range_plan_use_images(range_plan *plan, const image_info *const *images)
{
    for (size_t t = 0; t < plan->nteams; t++) {
        plan_team *team = &plan->teams[t];
        for (size_t i = 0; i < team->ndomains; i++) {
            plan_domain *d = &team->domains[i];
            const image_info *img = images[d->node - plan->scenario->nodes];
            d->image = img;
            d->memory_mib = d->node->memory_mib ? d->node->memory_mib : img->memory_mib;
            d->vcpus = d->node->vcpus ? d->node->vcpus : img->vcpus;
            free(d->cmdline);
            d->cmdline = img->boot == IMAGE_BOOT_KERNEL
                             ? kernel_cmdline(plan->scenario, d, img->cmdline)
                             : NULL;
        }
    }
}

/* Appends one hosts(5) line to *text. */
static void hosts_add(char **text, uint32_t addr, const char *name, const char *seg_name)
{
    char a[16];
    format_ipv4(addr, a);
    char *next =
        xasprintf("%s%s\t%s%s%s\n", *text, a, name, seg_name ? "-" : "", seg_name ? seg_name : "");
    free(*text);
    *text = next;
}

char *plan_domain_addresses(const range_plan *plan, const plan_domain *dom)
{
    char *out = xstrdup("");
    for (size_t i = 0; i < dom->nnics; i++) {
        char addr[16];
        format_ipv4(dom->nics[i].addr, addr);
        char *next = xasprintf("%s%s%s=%s/%u", out, i ? " " : "",
                               plan->scenario->segments[dom->nics[i].segment].name, addr,
                               dom->nics[i].prefix);
        free(out);
        out = next;
    }
    return out;
}

char *plan_team_hosts(const range_plan *plan, const plan_team *team)
{
    const scenario *s = plan->scenario;
    char *text = xstrdup("");
    for (size_t i = 0; i < team->ndomains; i++) {
        const plan_domain *d = &team->domains[i];
        if (d->node->role == ROLE_RED)
            continue;
        if (d->nnics > 0)
            hosts_add(&text, d->nics[0].addr, d->node->name, NULL);
        for (size_t j = 0; d->nnics > 1 && j < d->nnics; j++)
            hosts_add(&text, d->nics[j].addr, d->node->name, s->segments[d->nics[j].segment].name);
    }
    /* DNS names (`dns:`), red nodes' too: the scenario gives them on purpose
     * (a phishing site, a command and control server). */
    for (size_t i = 0; i < team->ndomains; i++) {
        const plan_domain *d = &team->domains[i];
        for (size_t k = 0; d->nnics > 0 && k < d->node->ndns; k++)
            hosts_add(&text, d->nics[0].addr, d->node->dns[k], NULL);
    }
    return text;
}

range_plan *range_plan_new(const scenario *s, const char *exercise, unsigned nteams,
                           unsigned block_base)
{
    range_plan *plan = xcalloc(1, sizeof(range_plan));
    plan->exercise = xstrdup(exercise);
    plan->scenario = s;
    plan->block_base = block_base;
    plan->nteams = nteams;
    plan->teams = xcalloc(nteams, sizeof(plan_team));
    for (unsigned t = 0; t < nteams; t++) {
        plan->teams[t].number = (int)t + 1;
        plan->teams[t].host_uri = "qemu:///system";
        plan_team_fill(plan, &plan->teams[t], block_base + t);
        plan->teams[t].hosts = plan_team_hosts(plan, &plan->teams[t]);
    }
    return plan;
}

void range_plan_place(range_plan *plan, size_t team_index, const char *host_uri)
{
    plan->teams[team_index].host_uri = host_uri;
}

void range_plan_free(range_plan *plan)
{
    if (!plan)
        return;
    for (size_t t = 0; t < plan->nteams; t++) {
        plan_team *team = &plan->teams[t];
        free(team->filter);
        free(team->hosts);
        for (size_t i = 0; i < team->nnetworks; i++) {
            free(team->networks[i].name);
            free(team->networks[i].bridge);
        }
        free(team->networks);
        for (size_t i = 0; i < team->ndomains; i++) {
            free(team->domains[i].name);
            free(team->domains[i].nics);
            free(team->domains[i].volume);
            free(team->domains[i].cmdline);
        }
        free(team->domains);
    }
    free(plan->teams);
    free(plan->exercise);
    free(plan->variation_seed);
    free(plan);
}
