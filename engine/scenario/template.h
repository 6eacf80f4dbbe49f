/*
 * Per-team templates in scenario texts. Team networks sit in different
 * address blocks, so a text that names an address names it through a
 * template that each team sees filled in with its own values:
 *
 *   {{team}}                  the team number
 *   {{addr NODE}}             NODE's address on its first interface
 *   {{addr NODE SEGMENT}}     NODE's address on SEGMENT
 *   {{subnet SEGMENT}}        SEGMENT's network, as 10.80.2.0/24
 *   {{gateway SEGMENT}}       the address of SEGMENT's gateway node on it
 *
 * Spaces inside the braces are free. The values themselves come from
 * team_vars.h; this file is the syntax: checking a text against a scenario
 * (at load time) and substituting values.
 */
#ifndef ENSHU_TEMPLATE_H
#define ENSHU_TEMPLATE_H

#include "scenario.h"

#include <stdbool.h>

/* A template's value by its key: its words joined by single spaces
 * ("team", "addr ws1", "addr ws1 office", ...); NULL when unknown. */
typedef const char *(*template_lookup)(void *ctx, const char *key);

/* True if text holds "{{". */
bool template_has(const char *text);

/* Checks every template of text against s (names, arguments, that the node
 * has an interface there, that the segment has a gateway). Returns 0, or
 * ENSHU_EINVAL with *why set to a whole sentence (caller frees). */
int template_check(const scenario *s, const char *text, char **why)
    __attribute__((warn_unused_result));

/* As template_check, for every bad template of text: report(ctx, why) for
 * each, in order (why is borrowed for the call). Returns how many. */
size_t template_check_each(const scenario *s, const char *text,
                           void (*report)(void *ctx, const char *why), void *ctx);

/* text with every well-formed template replaced by lookup's value; a
 * template lookup does not know stays as written (caller frees). */
char *template_expand(const char *text, template_lookup lookup, void *ctx)
    __attribute__((warn_unused_result));

#endif
