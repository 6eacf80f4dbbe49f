/*
 * Team block placement in the address pool (see address_pool.h).
 */
#include "address_pool.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"
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
    log_printf(ENSHU_LOG_ERROR,
               "enshu: no room for %u teams in address pool %s/%u: other networks on the hosts use "
               "parts of it. Remove unused ranges ('enshu down') or widen network.pool.",
               nteams, addr, s->pool_prefix);
    return ENSHU_ECAPACITY;
}
