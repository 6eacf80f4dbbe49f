/*
 * Hosts file loading and team placement (see hosts.h).
 */
#include "hosts.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"
#include "units.h"
#include "yaml_tree.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

host_list *host_list_single(const char *uri)
{
    host_list *h = xcalloc(1, sizeof(host_list));
    h->items = xcalloc(1, sizeof(range_host));
    h->items[0].uri = xstrdup(uri);
    h->count = 1;
    return h;
}

void host_list_free(host_list *hosts)
{
    if (!hosts)
        return;
    for (size_t i = 0; i < hosts->count; i++)
        free(hosts->items[i].uri);
    free(hosts->items);
    free(hosts);
}

static void load_host(const ydoc *doc, const ynode *item, range_host *h, diag_list *diags)
{
    if (item->kind != YNODE_MAP) {
        diag_add(diags, doc->file, item->line, item->col, "a host must be a map with 'uri'");
        return;
    }
    for (size_t i = 0; i < item->npairs; i++) {
        const ynode *k = item->pairs[i].key, *v = item->pairs[i].value;
        if (k->kind != YNODE_SCALAR ||
            (strcmp(k->str, "uri") != 0 && strcmp(k->str, "teams") != 0 &&
             strcmp(k->str, "memory") != 0)) {
            diag_add(diags, doc->file, k->line, k->col,
                     "unknown key '%s' in a host; expected uri, teams or memory",
                     k->kind == YNODE_SCALAR ? k->str : "?");
            continue;
        }
        if (v->kind != YNODE_SCALAR || !v->len) {
            diag_add(diags, doc->file, v->line, v->col, "'%s' must be a value", k->str);
            continue;
        }
        if (!strcmp(k->str, "uri")) {
            if (!strstr(v->str, "://"))
                diag_add(diags, doc->file, v->line, v->col,
                         "'uri' must be a libvirt URI such as qemu:///system or "
                         "qemu+ssh://host/system");
            else
                h->uri = xstrdup(v->str);
        } else if (!strcmp(k->str, "teams")) {
            char *end;
            long n = strtol(v->str, &end, 10);
            if (*end || n < 1 || n > 1000)
                diag_add(diags, doc->file, v->line, v->col, "'teams' must be 1 to 1000");
            else
                h->max_teams = (unsigned)n;
        } else {
            uint64_t mib;
            if (parse_size_mib(v->str, &mib) < 0 || mib == 0)
                diag_add(diags, doc->file, v->line, v->col, "'memory' must be a size such as 16G");
            else
                h->memory_mib = mib;
        }
    }
    if (!ymap_get(item, "uri"))
        diag_add(diags, doc->file, item->line, item->col, "a host is missing 'uri'");
}

host_list *host_list_load(const char *path, diag_list *diags)
{
    size_t before = diags->count;
    ydoc *doc = ydoc_load_file(path, &YLIMITS_DEFAULT, diags);
    if (!doc)
        return NULL;
    host_list *hosts = xcalloc(1, sizeof(host_list));
    const ynode *list = ymap_get(doc->root, "hosts");
    if (!list || list->kind != YNODE_SEQ || list->nitems == 0) {
        diag_add(diags, path, doc->root ? doc->root->line : 0, doc->root ? doc->root->col : 0,
                 "a hosts file needs 'hosts:', a list of hosts each with a 'uri'");
    } else {
        hosts->items = xcalloc(list->nitems, sizeof(range_host));
        for (size_t i = 0; i < list->nitems; i++) {
            load_host(doc, list->items[i], &hosts->items[hosts->count], diags);
            range_host *h = &hosts->items[hosts->count];
            if (!h->uri)
                continue;
            for (size_t j = 0; j < hosts->count; j++)
                if (!strcmp(hosts->items[j].uri, h->uri))
                    diag_add(diags, path, list->items[i]->line, list->items[i]->col,
                             "host %s is listed twice", h->uri);
            hosts->count++;
        }
    }
    ydoc_free(doc);
    if (diags->count != before) {
        host_list_free(hosts);
        return NULL;
    }
    return hosts;
}

static double host_load(const range_host *h)
{
    return (double)(h->used_mib + h->placed_mib) / (double)(h->memory_mib ? h->memory_mib : 1);
}

static bool host_fits(const range_host *h, uint64_t team_mib)
{
    if (h->max_teams && h->placed >= h->max_teams)
        return false;
    return h->memory_mib == 0 || h->used_mib + h->placed_mib + team_mib <= h->memory_mib;
}

int host_list_place(host_list *hosts, unsigned nteams, uint64_t team_mib, size_t *out)
{
    for (unsigned t = 0; t < nteams; t++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < hosts->count; i++) {
            if (!host_fits(&hosts->items[i], team_mib))
                continue;
            if (best == SIZE_MAX || host_load(&hosts->items[i]) < host_load(&hosts->items[best]))
                best = i;
        }
        if (best == SIZE_MAX) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: the hosts cannot take %u teams of %llu MiB each: only %u fit. Add "
                       "hosts or capacity in the hosts file, or use fewer teams.",
                       nteams, (unsigned long long)team_mib, t);
            return ENSHU_ECAPACITY;
        }
        hosts->items[best].placed++;
        hosts->items[best].placed_mib += team_mib;
        out[t] = best;
    }
    return ENSHU_OK;
}
