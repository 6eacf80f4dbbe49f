/*
 * Guests whose image is addressed through the guest agent (image.json
 * addressing "agent"): the engine sets each interface's planned address,
 * prefix, default route and name server through the agent
 * (guest_agent_set_addresses), once the agent answers. When the range comes
 * up (provision.c), and again whenever such a guest starts anew (a power
 * inject, a restart or revert from the consoles): what the agent set does
 * not outlive a boot on every image, and a revert is a fresh disk.
 *
 * Any thread may call these; a range_addressing is read-only once made.
 */
#ifndef ENSHU_RANGE_ADDRESSING_H
#define ENSHU_RANGE_ADDRESSING_H

#include "image_store.h"
#include "range_plan.h"
#include "scenario.h"

#include <libvirt/libvirt.h>

/* Sets d's planned addresses on dom (its agent answering) in dialect, and
 * d's gateway as default route and name server. Reports a failure, naming
 * team, node and planned addresses, and returns its code. */
int range_address_guest(virDomainPtr dom, const range_plan *plan, const plan_domain *d,
                        image_exec dialect, int team) __attribute__((warn_unused_result));

/* What it takes to address the guests of a range that is up. */
typedef struct range_addressing range_addressing;

/* For range name, which runs s (its state store gives the team count and
 * address blocks; images are looked up in dir, quietly). NULL when no node's
 * image is addressed through the agent, or the range cannot be read. */
range_addressing *range_addressing_new(const scenario *s, const char *name, const char *dir);

/* Whether node n's image is addressed through the agent (a NULL: no). */
bool range_addressing_wanted(const range_addressing *a, const node *n);

/* Sets the addresses of team's guest dom of node n again (its agent
 * answering), as range_address_guest; 0 when n is not addressed through
 * the agent. */
int range_addressing_again(const range_addressing *a, virDomainPtr dom, int team, const node *n)
    __attribute__((warn_unused_result));

void range_addressing_free(range_addressing *a);

#endif
