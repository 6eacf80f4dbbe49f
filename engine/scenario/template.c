/*
 * Template syntax: finding {{...}}, checking them, filling them in (see
 * template.h).
 */
#include "template.h"
#include "alloc.h"
#include "errors.h"
#include "suggest.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 4

bool template_has(const char *text)
{
    return text && strstr(text, "{{") != NULL;
}

/* The key of the template whose inside is [p, end): words joined by one
 * space. Sets *nwords and words[] (pointers into the returned key). */
static char *template_key(const char *p, const char *end, char **words, size_t *nwords)
{
    char *key = xmalloc((size_t)(end - p) + 1);
    size_t n = 0;
    *nwords = 0;
    while (p < end) {
        while (p < end && isspace((unsigned char)*p))
            p++;
        if (p == end)
            break;
        if (n)
            key[n++] = ' ';
        if (*nwords < MAX_WORDS)
            words[*nwords] = key + n;
        (*nwords)++;
        while (p < end && !isspace((unsigned char)*p))
            key[n++] = *p++;
    }
    key[n] = '\0';
    return key;
}

static const char **node_names(const scenario *s)
{
    const char **names = xcalloc(s->nnodes + 1, sizeof(char *));
    for (size_t i = 0; i < s->nnodes; i++)
        names[i] = s->nodes[i].name ? s->nodes[i].name : "";
    return names;
}

static const char **segment_names(const scenario *s)
{
    const char **names = xcalloc(s->nsegments + 1, sizeof(char *));
    for (size_t i = 0; i < s->nsegments; i++)
        names[i] = s->segments[i].name ? s->segments[i].name : "";
    return names;
}

static char *unknown(const char *what, const char *name, const char **known, size_t n,
                     const char *tmpl)
{
    const char *near = suggest_closest_n(name, known, n);
    char *why =
        near ? xasprintf("unknown %s '%s' in {{%s}}; did you mean '%s'?", what, name, tmpl, near)
             : xasprintf("unknown %s '%s' in {{%s}}", what, name, tmpl);
    free(known);
    return why;
}

/* NULL when the template is right, else why not. */
static char *check_one(const scenario *s, const char *key, char **w, size_t n)
{
    if (n == 0)
        return xstrdup("empty template {{}}; expected team, addr, subnet or gateway inside");
    char word0[64];
    size_t len0 = strcspn(w[0], " ");
    snprintf(word0, sizeof word0, "%.*s", (int)(len0 < 63 ? len0 : 63), w[0]);
    char arg[2][64] = {"", ""};
    for (size_t i = 1; i < n && i < 3; i++) {
        size_t len = strcspn(w[i], " ");
        snprintf(arg[i - 1], sizeof arg[0], "%.*s", (int)(len < 63 ? len : 63), w[i]);
    }
    if (!strcmp(word0, "team"))
        return n == 1 ? NULL : xasprintf("{{%s}} takes nothing after 'team'", key);
    if (!strcmp(word0, "addr")) {
        if (n < 2 || n > 3)
            return xasprintf("{{%s}} must be {{addr NODE}} or {{addr NODE SEGMENT}}", key);
        const node *nd = scenario_node(s, arg[0]);
        if (!nd)
            return unknown("node", arg[0], node_names(s), s->nnodes, key);
        if (n == 2)
            return nd->nnics ? NULL
                             : xasprintf("node '%s' in {{%s}} has no interface", arg[0], key);
        int seg = scenario_segment_index(s, arg[1]);
        if (seg < 0)
            return unknown("segment", arg[1], segment_names(s), s->nsegments, key);
        for (size_t j = 0; j < nd->nnics; j++)
            if (nd->nics[j].segment_index == seg || nd->nics[j].segment_index < 0)
                return NULL; /* (an unknown segment is reported where it is named) */
        return xasprintf("node '%s' in {{%s}} has no interface on segment '%s'", arg[0], key,
                         arg[1]);
    }
    if (!strcmp(word0, "subnet") || !strcmp(word0, "gateway")) {
        if (n != 2)
            return xasprintf("{{%s}} must be {{%s SEGMENT}}", key, word0);
        int seg = scenario_segment_index(s, arg[0]);
        if (seg < 0)
            return unknown("segment", arg[0], segment_names(s), s->nsegments, key);
        if (!strcmp(word0, "gateway") && !s->segments[seg].router)
            return xasprintf("segment '%s' in {{%s}} has no gateway", arg[0], key);
        return NULL;
    }
    static const char *const NAMES[] = {"team", "addr", "subnet", "gateway", NULL};
    const char *near = suggest_closest(word0, NAMES);
    if (near)
        return xasprintf("unknown template {{%s}}; did you mean '%s'?", key, near);
    return xasprintf("unknown template {{%s}}; expected team, addr, subnet or gateway", key);
}

size_t template_check_each(const scenario *s, const char *text,
                           void (*report)(void *ctx, const char *why), void *ctx)
{
    size_t bad = 0;
    for (const char *p = text ? strstr(text, "{{") : NULL; p; p = strstr(p, "{{")) {
        const char *end = strstr(p + 2, "}}");
        if (!end) {
            report(ctx, "'{{' has no closing '}}'");
            return bad + 1;
        }
        char *words[MAX_WORDS];
        size_t n;
        char *key = template_key(p + 2, end, words, &n);
        char *why = check_one(s, key, words, n);
        free(key);
        if (why) {
            report(ctx, why);
            bad++;
        }
        free(why);
        p = end + 2;
    }
    return bad;
}

static void keep_first(void *ctx, const char *why)
{
    char **first = ctx;
    if (!*first)
        *first = xstrdup(why);
}

int template_check(const scenario *s, const char *text, char **why)
{
    *why = NULL;
    return template_check_each(s, text, keep_first, why) ? ENSHU_EINVAL : ENSHU_OK;
}

char *template_expand(const char *text, template_lookup lookup, void *ctx)
{
    if (!text)
        return NULL;
    size_t cap = strlen(text) + 64, n = 0;
    char *out = xmalloc(cap);
    const char *p = text;
    for (;;) {
        const char *open = strstr(p, "{{");
        const char *end = open ? strstr(open + 2, "}}") : NULL;
        const char *upto = end ? open : p + strlen(p);
        const char *value = NULL;
        char *key = NULL;
        if (end) {
            char *words[MAX_WORDS];
            size_t nw;
            key = template_key(open + 2, end, words, &nw);
            value = lookup(ctx, key);
            if (!value)
                upto = end + 2; /* unknown: keep it as written */
        }
        size_t add = (size_t)(upto - p) + (value ? strlen(value) : 0);
        XGROW(out, cap, n + add + 1);
        memcpy(out + n, p, (size_t)(upto - p));
        n += (size_t)(upto - p);
        if (value) {
            memcpy(out + n, value, strlen(value));
            n += strlen(value);
            upto = end + 2;
        }
        free(key);
        if (!end)
            break;
        p = upto;
    }
    out[n] = '\0';
    return out;
}
