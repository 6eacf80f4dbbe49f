/*
 * Loading what a scenario says about addresses beyond the pool:
 *
 *   network:
 *     segments:
 *       - {name: internet, subnet: 203.0.113.0/24}   # its own subnet, every team alike
 *   nodes:
 *     - name: gw
 *       forwarding: true
 *       interfaces: [{segment: office}, {segment: internet, nat: true}]
 *     - name: web
 *       dns: [www.example.co.jp]                      # names the team's guests know it by
 *
 * Read after scenario_load_tree (whose key lists let these keys through),
 * and checked here against each other and the pool; host numbers are
 * checked against each segment's own prefix by scenario_check.c.
 */
#include "alloc.h"
#include "builtin_images.h"
#include "scenario_load.h"
#include "units.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define DNS_NAME_MAX 253
#define DNS_LABEL_MAX 63

static uint32_t mask_of(unsigned prefix)
{
    return prefix ? 0xffffffffu << (32 - prefix) : 0;
}

static bool nets_overlap(uint32_t a, unsigned pa, uint32_t b, unsigned pb)
{
    uint32_t m = mask_of(pa < pb ? pa : pb);
    return (a & m) == (b & m);
}

static void load_subnet(scenario *s, segment *seg, const ynode *v, diag_list *d)
{
    uint32_t addr;
    unsigned prefix;
    seg->subnet_pos = (src_pos){v->line, v->col};
    if (v->kind != YNODE_SCALAR || parse_ipv4_cidr(v->str, &addr, &prefix) < 0) {
        diag_add(d, s->file, v->line, v->col,
                 "'subnet' of segment '%s' must be an IPv4 network such as 203.0.113.0/24",
                 seg->name);
    } else if (prefix < 8 || prefix > 29) {
        diag_add(d, s->file, v->line, v->col,
                 "'subnet' of segment '%s' has prefix /%u; use /8 to /29", seg->name, prefix);
    } else if (addr & ~mask_of(prefix)) {
        diag_add(d, s->file, v->line, v->col,
                 "'subnet' %s of segment '%s' has host bits set; did you mean a network address?",
                 v->str, seg->name);
    } else if (nets_overlap(addr, prefix, s->pool_addr, s->pool_prefix)) {
        char pool[16];
        format_ipv4(s->pool_addr, pool);
        diag_add(d, s->file, v->line, v->col,
                 "'subnet' %s of segment '%s' overlaps the pool %s/%u, where the other segments' "
                 "subnets come from; choose one outside it",
                 v->str, seg->name, pool, s->pool_prefix);
    } else {
        for (segment *o = s->segments; o < seg; o++) {
            if (!o->prefix || !nets_overlap(addr, prefix, o->subnet, o->prefix))
                continue;
            char other[16];
            format_ipv4(o->subnet, other);
            diag_add(d, s->file, v->line, v->col,
                     "'subnet' %s of segment '%s' overlaps segment '%s' (%s/%u)", v->str, seg->name,
                     o->name ? o->name : "?", other, o->prefix);
            return;
        }
        seg->subnet = addr;
        seg->prefix = prefix;
    }
}

/* A host name as DNS has it: dot-separated labels of letters, digits and
 * '-' (not at either end of a label), not all digits and dots (that would
 * read as an address). */
static bool valid_dns_name(const char *name)
{
    size_t n = strlen(name), label = 0;
    bool letter = false;
    if (n == 0 || n > DNS_NAME_MAX || name[0] == '.' || name[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (label == 0 || name[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!isalnum(c) && c != '-')
            return false;
        if (c == '-' && label == 0)
            return false;
        letter |= !isdigit(c);
        if (++label > DNS_LABEL_MAX)
            return false;
    }
    return letter && name[n - 1] != '-';
}

static void add_dns_name(scenario *s, node *nd, const ynode *v, diag_list *d)
{
    if (v->kind != YNODE_SCALAR || ynode_is_null(v) || !valid_dns_name(v->str)) {
        diag_add(d, s->file, v->line, v->col,
                 "'dns' of node '%s' must hold host names such as www.example.co.jp (letters, "
                 "digits and '-' in labels joined by dots)",
                 nd->name);
        return;
    }
    for (node *o = s->nodes; o < s->nodes + s->nnodes; o++) {
        if (o->name && !strcasecmp(o->name, v->str)) {
            diag_add(d, s->file, v->line, v->col,
                     "'dns' name '%s' of node '%s' is the name of node '%s' already", v->str,
                     nd->name, o->name);
            return;
        }
        for (size_t j = 0; j < o->ndns; j++) {
            if (strcasecmp(o->dns[j], v->str) != 0)
                continue;
            diag_add(d, s->file, v->line, v->col, "'dns' name '%s' is given to node '%s' already",
                     v->str, o->name);
            return;
        }
    }
    nd->dns[nd->ndns++] = xstrdup(v->str);
}

static void load_dns(scenario *s, node *nd, const ynode *v, diag_list *d)
{
    nd->dns_pos = (src_pos){v->line, v->col};
    size_t n = v->kind == YNODE_SEQ ? v->nitems : 1;
    if (n > SCENARIO_MAX_DNS_NAMES) {
        diag_add(d, s->file, v->line, v->col,
                 "'dns' of node '%s' has %zu names; at most %d are allowed", nd->name, n,
                 SCENARIO_MAX_DNS_NAMES);
        return;
    }
    nd->dns = xcalloc(n + 1, sizeof(char *));
    if (v->kind == YNODE_SEQ)
        for (size_t i = 0; i < v->nitems; i++)
            add_dns_name(s, nd, v->items[i], d);
    else
        add_dns_name(s, nd, v, d);
}

static void load_nat(scenario *s, node *nd, nic *x, const ynode *v, diag_list *d)
{
    x->nat_pos = (src_pos){v->line, v->col};
    bool yes = v->kind == YNODE_SCALAR && v->plain && !strcmp(v->str, "true");
    if (!yes && !(v->kind == YNODE_SCALAR && v->plain && !strcmp(v->str, "false"))) {
        diag_add(d, s->file, v->line, v->col, "'nat' of an interface must be true or false");
        return;
    }
    x->nat = yes;
    if (!yes)
        return;
    if (!nd->forwarding)
        diag_add(d, s->file, v->line, v->col,
                 "node '%s' has 'nat: true' on an interface, so it must have 'forwarding: true'",
                 nd->name);
    /* The BusyBox images have no packet filter to masquerade with. */
    if (nd->image && builtin_image_is_busybox(nd->image))
        diag_add(d, s->file, v->line, v->col,
                 "node '%s' runs the BusyBox image '%s', which has no packet filter for 'nat'; "
                 "use the Debian image 'firewall'",
                 nd->name, nd->image);
}

void scenario_load_addressing(scenario *s, const ynode *root, diag_list *diags)
{
    const ynode *net = ymap_get(root, "network");
    const ynode *segs = net && net->kind == YNODE_MAP ? ymap_get(net, "segments") : NULL;
    for (size_t i = 0; segs && segs->kind == YNODE_SEQ && i < s->nsegments; i++) {
        const ynode *v =
            segs->items[i]->kind == YNODE_MAP ? ymap_get(segs->items[i], "subnet") : NULL;
        if (v && s->segments[i].name)
            load_subnet(s, &s->segments[i], v, diags);
    }
    const ynode *nodes = ymap_get(root, "nodes");
    for (size_t i = 0; nodes && nodes->kind == YNODE_SEQ && i < s->nnodes; i++) {
        const ynode *item = nodes->items[i];
        node *nd = &s->nodes[i];
        if (item->kind != YNODE_MAP || !nd->name)
            continue;
        const ynode *dns = ymap_get(item, "dns");
        if (dns)
            load_dns(s, nd, dns, diags);
        const ynode *nics = ymap_get(item, "interfaces");
        for (size_t j = 0; nics && nics->kind == YNODE_SEQ && j < nd->nnics; j++) {
            const ynode *v =
                nics->items[j]->kind == YNODE_MAP ? ymap_get(nics->items[j], "nat") : NULL;
            if (v)
                load_nat(s, nd, &nd->nics[j], v, diags);
        }
    }
}
