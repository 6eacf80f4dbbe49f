/*
 * The range plan: the concrete libvirt objects one exercise needs, derived
 * from a checked scenario, an exercise name, a team count and where each
 * team's address block sits in the pool. Pure computation; provisioning
 * (provision.c) carries it out and the state store remembers it.
 *
 * Naming, per exercise E, team T (1-based), segment S, node N:
 *   network  enshu-E-tTT-S        bridge  es<hash of E>tTT<s index>
 *   domain   enshu-E-tTT-N        volume  enshu-E-tTT-N.qcow2
 *   nwfilter enshu-E-tTT          (the team's guest isolation filter)
 * Addresses: team T uses block (block_base + T - 1) of the pool; segment S
 * is subnet (block * segments + S) of /segment_prefix; host 1 of every
 * subnet is the host side of the bridge. A segment with its own subnet
 * (`subnet:`) has it in every team, with no host side (bridge_addr 0).
 */
#ifndef ENSHU_RANGE_PLAN_H
#define ENSHU_RANGE_PLAN_H

#include "image_store.h"
#include "scenario.h"

#include <stdint.h>

#define RANGE_NAME_MAX 24

typedef struct plan_network {
    char *name;
    char *bridge;
    int segment;
    uint32_t subnet;
    unsigned prefix;
    uint32_t bridge_addr; /* 0: none (a segment with its own subnet) */
} plan_network;

typedef struct plan_nic {
    int segment;
    uint32_t addr;
    unsigned prefix;
    char mac[18];
} plan_nic;

typedef struct plan_domain {
    char *name;
    const node *node;
    plan_nic *nics;
    size_t nnics;
    uint32_t gateway; /* 0 = none */
    char *volume;     /* overlay volume name, or NULL for no disk */
    /* Set by range_plan_use_images (before: NULL, and the node's own values): */
    const image_info *image; /* borrowed */
    unsigned memory_mib;     /* the node's, else the image's default */
    unsigned vcpus;
    char *cmdline; /* boot "kernel": the image's flags + the engine's; else NULL */
} plan_domain;

typedef struct plan_team {
    int number;
    const char *host_uri; /* borrowed from the placement */
    char *filter;         /* nwfilter every guest NIC of the team references */
    plan_network *networks;
    size_t nnetworks;
    plan_domain *domains;
    size_t ndomains;
    char *hosts; /* the team's names, hosts(5) lines (plan_team_hosts) */
} plan_team;

typedef struct range_plan {
    char *exercise;
    const scenario *scenario;
    unsigned block_base;
    char *variation_seed; /* the seed of the teams' variables (variation.h), or NULL */
    plan_team *teams;
    size_t nteams;
} range_plan;

/* True if name is usable as an exercise name (letters, digits, '-', at most
 * RANGE_NAME_MAX characters). */
bool range_name_valid(const char *name);

/* How many team blocks the scenario's pool holds. */
unsigned range_pool_blocks(const scenario *s);

/* The subnet of one team's segment. */
uint32_t range_subnet(const scenario *s, unsigned block, int seg_index);

/*
 * The names every guest of the team knows its peers by, as hosts(5) lines:
 * each node's name on the address of its first interface ({{addr NODE}}),
 * and NODE-SEGMENT on each address of a node with several interfaces
 * ({{addr NODE SEGMENT}}). The attacker's (red) nodes are left out: the
 * organisation does not know them by name. Then every node's DNS names
 * (`dns:`, red nodes' too) on its first address. Guests get it through QEMU's firmware
 * configuration (libvirt_xml.h: ENSHU_FWCFG_HOSTS) rather than the kernel
 * command line, which holds 2 KiB in all.
 */
char *plan_team_hosts(const range_plan *plan, const plan_team *team);

/* The addresses of a planned domain as "segment=a.b.c.d/p ..." (caller frees). */
char *plan_domain_addresses(const range_plan *plan, const plan_domain *dom);

/* Builds the plan. block_base + nteams must fit range_pool_blocks(). */
range_plan *range_plan_new(const scenario *s, const char *exercise, unsigned nteams,
                           unsigned block_base);
void range_plan_free(range_plan *plan);

/* Gives every domain the image its node boots: images[i] is node i's
 * (borrowed: it must outlive the plan). Sets memory, vCPUs and, for boot
 * "kernel", the kernel command line: the image's cmdline, then the
 * engine's flags (console, enshu.hostname, enshu.net, enshu.gw, and the
 * scenario's enshu.tz and enshu.locale when it sets them). Images that boot
 * from their own disk get no command line from the engine. */
void range_plan_use_images(range_plan *plan, const image_info *const *images);

/* Sets the host of a team (the string must outlive the plan). */
void range_plan_place(range_plan *plan, size_t team_index, const char *host_uri);

#endif
