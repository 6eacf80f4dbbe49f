/*
 * Choosing where a range's team blocks sit in the scenario's address pool,
 * so that two ranges on the same hosts (or any other libvirt network there)
 * never share a subnet.
 */
#ifndef ENSHU_ADDRESS_POOL_H
#define ENSHU_ADDRESS_POOL_H

#include "scenario.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ipv4_net {
    uint32_t addr;
    unsigned prefix;
} ipv4_net;

typedef struct ipv4_net_list {
    ipv4_net *items;
    size_t count;
    size_t cap;
} ipv4_net_list;

void ipv4_net_list_add(ipv4_net_list *list, uint32_t addr, unsigned prefix);
void ipv4_net_list_fini(ipv4_net_list *list);

/* Finds the lowest block base at which nteams team blocks overlap none of
 * used. Returns 0 and sets *base, or ENSHU_ECAPACITY (reported). */
int address_pool_choose_base(const scenario *s, unsigned nteams, const ipv4_net_list *used,
                             unsigned *base) __attribute__((warn_unused_result));

#endif
