/*
 * Team block placement in the address pool (see address_pool.h).
 */
#include "address_pool.h"
#include "alloc.h"
#include "errors.h"
#include "range_plan.h"
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ipv4_net_list_add(ipv4_net_list *list, uint32_t addr, unsigned prefix)
{
    XGROW(list->items, list->cap, list->count + 1);
    uint32_t mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
    list->items[list->count].addr = addr & mask;
    list->items[list->count].prefix = prefix;
    list->count++;
}

void ipv4_net_list_fini(ipv4_net_list *list)
{
    free(list->items);
    memset(list, 0, sizeof *list);
}

static bool overlaps(uint32_t a, unsigned pa, uint32_t b, unsigned pb)
{
    unsigned p = pa < pb ? pa : pb;
    uint32_t mask = p ? 0xffffffffu << (32 - p) : 0;
    return (a & mask) == (b & mask);
}

static bool block_free(const scenario *s, unsigned block, const ipv4_net_list *used)
{
    for (size_t seg = 0; seg < s->nsegments; seg++) {
        uint32_t subnet = range_subnet(s, block, (int)seg);
        for (size_t i = 0; i < used->count; i++)
            if (overlaps(subnet, s->segment_prefix, used->items[i].addr, used->items[i].prefix))
                return false;
    }
    return true;
}

int address_pool_choose_base(const scenario *s, unsigned nteams, const ipv4_net_list *used,
                             unsigned *base)
{
    unsigned blocks = range_pool_blocks(s);
    for (unsigned b = 0; b + nteams <= blocks; b++) {
        unsigned t = 0;
        while (t < nteams && block_free(s, b + t, used))
            t++;
        if (t == nteams) {
            *base = b;
            return ENSHU_OK;
        }
        b += t; /* the block at b + t is taken: resume after it */
    }
    char addr[16];
    format_ipv4(s->pool_addr, addr);
    fprintf(stderr,
            "enshu: no room for %u teams in address pool %s/%u: other networks on the hosts use "
            "parts of it. Remove unused ranges ('enshu down') or widen network.pool.\n",
            nteams, addr, s->pool_prefix);
    return ENSHU_ECAPACITY;
}

/* Value of attr='..' or attr="..", searching from p up to the tag's end. */
static bool xml_attr(const char *tag, const char *end, const char *attr, char *out, size_t size)
{
    size_t alen = strlen(attr);
    for (const char *p = tag; p && p < end; p++) {
        if (strncmp(p, attr, alen) == 0 && p[alen] == '=' && (p[alen + 1] == '\'' || p[alen + 1] == '"') &&
            (p == tag || p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\t')) {
            char quote = p[alen + 1];
            const char *v = p + alen + 2, *q = strchr(v, quote);
            if (!q || q > end || (size_t)(q - v) >= size)
                return false;
            memcpy(out, v, (size_t)(q - v));
            out[q - v] = '\0';
            return true;
        }
    }
    return false;
}

void ipv4_nets_from_network_xml(const char *xml, ipv4_net_list *out)
{
    for (const char *p = strstr(xml, "<ip "); p; p = strstr(p + 1, "<ip ")) {
        const char *end = strchr(p, '>');
        if (!end)
            break;
        char addr_text[64], mask_text[64], prefix_text[16];
        uint32_t addr, mask;
        if (!xml_attr(p, end, "address", addr_text, sizeof addr_text) ||
            parse_ipv4(addr_text, &addr) < 0)
            continue; /* IPv6 or malformed */
        unsigned prefix = 24;
        if (xml_attr(p, end, "prefix", prefix_text, sizeof prefix_text)) {
            prefix = (unsigned)strtoul(prefix_text, NULL, 10);
        } else if (xml_attr(p, end, "netmask", mask_text, sizeof mask_text) &&
                   parse_ipv4(mask_text, &mask) == 0) {
            prefix = 0;
            while (prefix < 32 && (mask & (0x80000000u >> prefix)))
                prefix++;
        }
        if (prefix <= 32)
            ipv4_net_list_add(out, addr, prefix);
    }
}
