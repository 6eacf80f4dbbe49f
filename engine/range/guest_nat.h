/*
 * NAT on a gateway: a node with `nat: true` on an interface masquerades what
 * it forwards out of that interface, so the "internet" sees the gateway's
 * address rather than the office's. Set through the guest agent once the
 * guest answers (when the range comes up, and again after a power inject
 * starts it: the rules live in the running kernel only), with nft, or
 * iptables where the guest has no nft. The interface is found by its address,
 * so the same script serves at `up` (from the plan) and during the exercise
 * (from the team's template values).
 */
#ifndef ENSHU_GUEST_NAT_H
#define ENSHU_GUEST_NAT_H

#include "scenario.h"
#include "team_vars.h"

#include <libvirt/libvirt.h>
#include <stdbool.h>

/* True if one of n's interfaces has nat. */
bool guest_nat_wanted(const node *n);

/* The shell script that masquerades out of the interfaces holding addrs
 * (dotted quads; n of them), idempotent: run again, it sets the same rules.
 * Caller frees. */
char *guest_nat_script(const char *const *addrs, size_t n);

/* Runs guest_nat_script on dom for node n of team (its addresses from
 * vars). ENSHU_EAGENT with *why (caller frees) when it fails. */
int guest_nat_apply(virDomainPtr dom, const scenario *s, const team_vars *vars, int team,
                    const node *n, char **why) __attribute__((warn_unused_result));

#endif
