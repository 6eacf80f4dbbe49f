/*
 * Turns a parsed YAML tree into the scenario model (scenario.h), checking
 * every key and value type on the way. All problems are collected as
 * located diagnostics; cross-references are left to scenario_check.c.
 */
#include "scenario_load.h"
#include "alloc.h"
#include "errors.h"
#include "node_ref.h"
#include "suggest.h"
#include "units.h"

#include <ctype.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NAME_MAX_LEN 32

typedef struct loader {
    const char *file;
    diag_list *diags;
    scenario *s;
    const scenario_attachments *attachments; /* NULL: from files */
} loader;

static void err(loader *L, const ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void err(loader *L, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_addv(L->diags, L->file, at ? at->line : 0, at ? at->col : 0, fmt, ap);
    va_end(ap);
}

static src_pos pos_of(const ynode *n)
{
    src_pos p = {0, 0};
    if (n) {
        p.line = n->line;
        p.col = n->col;
    }
    return p;
}

/* Reports every key of map not in allowed, suggesting the closest one. */
static void check_keys(loader *L, const ynode *map, const char *what, const char *const *allowed)
{
    for (size_t i = 0; i < map->npairs; i++) {
        const ynode *key = map->pairs[i].key;
        if (key->kind != YNODE_SCALAR) {
            err(L, key, "keys in %s must be plain names, not %s", what, ynode_kind_name(key));
            continue;
        }
        bool known = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, key->str) == 0)
                known = true;
        if (known)
            continue;
        const char *near = suggest_closest(key->str, allowed);
        if (near) {
            err(L, key, "unknown key '%s' in %s; did you mean '%s'?", key->str, what, near);
        } else {
            char list[512] = "";
            size_t n = 0;
            for (const char *const *a = allowed; *a && n < sizeof list - 40; a++)
                n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", n ? ", " : "", *a);
            err(L, key, "unknown key '%s' in %s; expected one of: %s", key->str, what, list);
        }
    }
}

static bool expect_map(loader *L, const ynode *n, const char *what)
{
    if (n && n->kind == YNODE_MAP)
        return true;
    err(L, n, "%s must be a map of keys and values, not %s", what, ynode_kind_name(n));
    return false;
}

static bool expect_seq(loader *L, const ynode *n, const char *what)
{
    if (n && n->kind == YNODE_SEQ)
        return true;
    err(L, n, "%s must be a list, not %s", what, ynode_kind_name(n));
    return false;
}

static bool is_scalar_text(const ynode *n)
{
    return n && n->kind == YNODE_SCALAR && !ynode_is_null(n);
}

static void missing(loader *L, const ynode *map, const char *key, const char *what)
{
    err(L, map, "%s is missing '%s'", what, key);
}

/* A required-or-optional text value; NULL when absent or wrong (reported). */
static char *get_text(loader *L, const ynode *map, const char *key, const char *what, bool required)
{
    const ynode *v = ymap_get(map, key);
    if (!v) {
        if (required)
            missing(L, map, key, what);
        return NULL;
    }
    if (!is_scalar_text(v)) {
        err(L, v, "'%s' of %s must be text, not %s", key, what, ynode_kind_name(v));
        return NULL;
    }
    return xstrdup(v->str);
}

static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN || !isalnum((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '-' || c == '_'))
            return false;
    }
    return true;
}

/* Names become parts of libvirt object names and file names. */
static char *get_name(loader *L, const ynode *map, const char *key, const char *what, bool required)
{
    char *s = get_text(L, map, key, what, required);
    if (s && !valid_name(s)) {
        err(L, ymap_get(map, key),
            "'%s' of %s is '%s'; names use letters, digits, '-' and '_', start with a letter or "
            "digit, and are at most %d characters",
            key, what, s, NAME_MAX_LEN);
        free(s);
        return NULL;
    }
    return s;
}

/* A node where something acts or looks (node_ref.h): a name as written, or
 * a whole {{var NAME}}, kept as {{var NAME}} (the checker looks at the
 * variable and every choice). */
static char *get_node_ref(loader *L, const ynode *map, const char *key, const char *what,
                          bool required)
{
    const ynode *v = ymap_get(map, key);
    if (!v || !is_scalar_text(v) || !strstr(v->str, "{{"))
        return get_name(L, map, key, what, required);
    char *var = node_ref_variable(v->str);
    if (!var) {
        err(L, v,
            "'%s' of %s is '%s'; a node is named as written, or by a whole {{var NAME}} of a "
            "one_of variable, with nothing else around it",
            key, what, v->str);
        return NULL;
    }
    char *ref = xasprintf("{{var %s}}", var);
    free(var);
    return ref;
}

static bool parse_int_text(const char *s, long long *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno)
        return false;
    *out = v;
    return true;
}

static long long get_int(loader *L, const ynode *map, const char *key, const char *what,
                         long long lo, long long hi, long long fallback)
{
    const ynode *v = ymap_get(map, key);
    if (!v)
        return fallback;
    long long n;
    if (v->kind != YNODE_SCALAR || !v->plain || !parse_int_text(v->str, &n)) {
        err(L, v, "'%s' of %s must be a whole number, not %s", key, what,
            v->kind == YNODE_SCALAR ? "text" : ynode_kind_name(v));
        return fallback;
    }
    if (n < lo || n > hi) {
        err(L, v, "'%s' of %s is %lld; it must be between %lld and %lld", key, what, n, lo, hi);
        return fallback;
    }
    return n;
}

static bool get_bool(loader *L, const ynode *map, const char *key, const char *what, bool fallback)
{
    const ynode *v = ymap_get(map, key);
    if (!v)
        return fallback;
    if (v->kind == YNODE_SCALAR && v->plain) {
        if (!strcmp(v->str, "true") || !strcmp(v->str, "True") || !strcmp(v->str, "yes"))
            return true;
        if (!strcmp(v->str, "false") || !strcmp(v->str, "False") || !strcmp(v->str, "no"))
            return false;
    }
    err(L, v, "'%s' of %s must be true or false", key, what);
    return fallback;
}

/* Duration under key, in [lo_ms, hi_ms]; fallback when absent or wrong. */
static int64_t get_duration(loader *L, const ynode *map, const char *key, const char *what,
                            int64_t lo_ms, int64_t hi_ms, int64_t fallback)
{
    const ynode *v = ymap_get(map, key);
    if (!v)
        return fallback;
    int64_t ms;
    if (v->kind != YNODE_SCALAR || parse_duration_ms(v->str, &ms) < 0) {
        err(L, v, "'%s' of %s must be a duration such as 30s, 5m or 1h30m", key, what);
        return fallback;
    }
    if (ms < lo_ms || ms > hi_ms) {
        char lo[32], hi[32];
        format_duration(lo_ms, lo, sizeof lo);
        format_duration(hi_ms, hi, sizeof hi);
        err(L, v, "'%s' of %s is %s; it must be between %s and %s", key, what, v->str, lo, hi);
        return fallback;
    }
    return ms;
}

static bool language_known(const scenario *s, const char *lang)
{
    for (size_t i = 0; i < s->nlanguages; i++)
        if (strcmp(s->languages[i], lang) == 0)
            return true;
    return false;
}

/* Human text: a plain string, or a map of language to string. */
static void load_l10n_node(loader *L, const ynode *v, const char *key, const char *what,
                           l10n_text *out)
{
    out->pos = pos_of(v);
    if (is_scalar_text(v)) {
        out->items = xcalloc(1, sizeof(l10n_entry));
        out->items[0].lang = xstrdup("");
        out->items[0].text = xstrdup(v->str);
        out->count = 1;
        return;
    }
    if (v->kind != YNODE_MAP || v->npairs == 0) {
        err(L, v,
            "'%s' of %s must be text, or a map of language to text such as {en: ..., ja: ...}", key,
            what);
        return;
    }
    out->items = xcalloc(v->npairs, sizeof(l10n_entry));
    bool has_default = false;
    for (size_t i = 0; i < v->npairs; i++) {
        const ynode *k = v->pairs[i].key, *t = v->pairs[i].value;
        if (k->kind != YNODE_SCALAR) {
            err(L, k, "languages in '%s' must be codes such as en or ja", key);
            continue;
        }
        if (!language_known(L->s, k->str)) {
            const char *near =
                suggest_closest_n(k->str, (const char *const *)L->s->languages, L->s->nlanguages);
            if (near)
                err(L, k,
                    "'%s' of %s has text in '%s', which is not in 'languages'; did you mean '%s'?",
                    key, what, k->str, near);
            else
                err(L, k, "'%s' of %s has text in '%s', which is not in 'languages'", key, what,
                    k->str);
            continue;
        }
        if (!is_scalar_text(t)) {
            err(L, t, "the '%s' text of '%s' must be text, not %s", k->str, key,
                ynode_kind_name(t));
            continue;
        }
        if (L->s->default_language && strcmp(k->str, L->s->default_language) == 0)
            has_default = true;
        out->items[out->count].lang = xstrdup(k->str);
        out->items[out->count].text = xstrdup(t->str);
        out->count++;
    }
    if (!has_default && L->s->default_language && out->count > 0)
        err(L, v, "'%s' of %s has no '%s' text (the default language)", key, what,
            L->s->default_language);
}

static void get_l10n(loader *L, const ynode *map, const char *key, const char *what, bool required,
                     l10n_text *out)
{
    const ynode *v = ymap_get(map, key);
    if (!v) {
        if (required)
            missing(L, map, key, what);
        return;
    }
    load_l10n_node(L, v, key, what, out);
}

/* Each list item at key is loaded by fn into an array of elem_size. */
typedef void (*item_loader)(loader *L, const ynode *item, void *out, size_t index);

static void *load_list(loader *L, const ynode *map, const char *key, const char *what,
                       size_t elem_size, size_t max_items, item_loader fn, size_t *count)
{
    *count = 0;
    const ynode *v = ymap_get(map, key);
    if (!v || ynode_is_null(v))
        return NULL;
    if (!expect_seq(L, v, what))
        return NULL;
    size_t n = v->nitems;
    if (n > max_items) {
        err(L, v, "%s has %zu entries; at most %zu are allowed", what, v->nitems, max_items);
        n = max_items; /* the first ones still load, so names given there resolve */
    }
    char *items = xcalloc(n, elem_size);
    for (size_t i = 0; i < n; i++)
        fn(L, v->items[i], items + i * elem_size, i);
    *count = n;
    return items;
}

/* ---- metadata ---- */

static const char *const TOP_KEYS[] = {
    "enshu",      "id",        "title",     "description", "level",
    "duration",   "teams",     "team_size", "languages",   "default_language",
    "network",    "images",    "nodes",     "injects",     "checks",
    "objectives", "penalties", "consoles",  "time_zone",   "locale",
    "users",      "requests",  "variables", "self_paced",  NULL};

/* What the browser consoles show teams. */
static void load_consoles(loader *L, const ynode *root)
{
    scenario *s = L->s;
    s->feedback = true;
    const ynode *c = ymap_get(root, "consoles");
    if (!c || !expect_map(L, c, "'consoles'"))
        return;
    static const char *const KEYS[] = {"scoreboard", "feedback", NULL};
    check_keys(L, c, "'consoles'", KEYS);
    s->public_scoreboard = get_bool(L, c, "scoreboard", "'consoles'", false);
    s->feedback = get_bool(L, c, "feedback", "'consoles'", true);
}

/* How the scenario runs as a self-paced course (enshu serve --self-paced):
 * whether a trainee's clock stands while they are away. */
static void load_self_paced(loader *L, const ynode *root)
{
    scenario *s = L->s;
    const ynode *c = ymap_get(root, "self_paced");
    if (!c || !expect_map(L, c, "'self_paced'"))
        return;
    static const char *const KEYS[] = {"while_away", NULL};
    check_keys(L, c, "'self_paced'", KEYS);
    const ynode *v = ymap_get(c, "while_away");
    if (!v)
        return;
    if (v->kind == YNODE_SCALAR && !strcmp(v->str, "pause"))
        s->pause_while_away = true;
    else if (!(v->kind == YNODE_SCALAR && !strcmp(v->str, "run")))
        err(L, v, "'while_away' of 'self_paced' must be pause or run");
}

static void load_languages(loader *L, const ynode *root)
{
    scenario *s = L->s;
    const ynode *v = ymap_get(root, "languages");
    if (v && expect_seq(L, v, "'languages'")) {
        s->languages_pos = pos_of(v);
        s->languages = xcalloc(v->nitems, sizeof(char *));
        for (size_t i = 0; i < v->nitems && i < 32; i++) {
            const ynode *item = v->items[i];
            if (!is_scalar_text(item) || item->len > 15 || !isalpha((unsigned char)item->str[0])) {
                err(L, item, "languages are codes such as en, ja or th");
                continue;
            }
            if (language_known(s, item->str)) {
                err(L, item, "language '%s' is listed twice", item->str);
                continue;
            }
            s->languages[s->nlanguages++] = xstrdup(item->str);
        }
    }
    if (s->nlanguages == 0) {
        s->languages = xrealloc(s->languages, sizeof(char *));
        s->languages[0] = xstrdup("en");
        s->nlanguages = 1;
    }
    s->default_language = get_text(L, root, "default_language", "the scenario", false);
    if (!s->default_language) {
        s->default_language = xstrdup(s->languages[0]);
    } else if (!language_known(s, s->default_language)) {
        err(L, ymap_get(root, "default_language"),
            "default_language '%s' is not one of 'languages'", s->default_language);
    }
}

static void load_level(loader *L, const ynode *root)
{
    scenario *s = L->s;
    const ynode *v = ymap_get(root, "level");
    if (!v)
        return;
    if (!is_scalar_text(v)) {
        err(L, v, "'level' must be intro, A, B, C or a short free text");
        return;
    }
    static const struct {
        const char *name;
        course_level level;
    } levels[] = {{"intro", LEVEL_INTRO}, {"A", LEVEL_A}, {"B", LEVEL_B}, {"C", LEVEL_C}};
    s->level = LEVEL_FREE;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (strcmp(v->str, levels[i].name) == 0)
            s->level = levels[i].level;
    s->level_name = xstrdup(v->str);
}

static void load_teams(loader *L, const ynode *root)
{
    scenario *s = L->s;
    static const char *const RANGE_KEYS[] = {"min", "max", NULL};
    s->teams_min = 1;
    s->teams_max = 40;
    const ynode *t = ymap_get(root, "teams");
    if (t && expect_map(L, t, "'teams'")) {
        check_keys(L, t, "'teams'", RANGE_KEYS);
        s->teams_min = (unsigned)get_int(L, t, "min", "'teams'", 1, SCENARIO_MAX_TEAMS, 1);
        s->teams_max = (unsigned)get_int(L, t, "max", "'teams'", 1, SCENARIO_MAX_TEAMS, 40);
        if (s->teams_min > s->teams_max)
            err(L, t, "'teams' has min %u above max %u", s->teams_min, s->teams_max);
    }
    s->team_size_min = 1;
    s->team_size_max = 6;
    const ynode *z = ymap_get(root, "team_size");
    if (z && expect_map(L, z, "'team_size'")) {
        check_keys(L, z, "'team_size'", RANGE_KEYS);
        s->team_size_min = (unsigned)get_int(L, z, "min", "'team_size'", 1, 100, 1);
        s->team_size_max = (unsigned)get_int(L, z, "max", "'team_size'", 1, 100, 6);
        if (s->team_size_min > s->team_size_max)
            err(L, z, "'team_size' has min %u above max %u", s->team_size_min, s->team_size_max);
    }
}

/* ---- network ---- */

static void load_segment(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"name", "title", "gateway", "subnet", NULL};
    segment *seg = out;
    seg->pos = pos_of(item);
    if (!expect_map(L, item, "a segment"))
        return;
    check_keys(L, item, "a segment", KEYS);
    seg->name = get_name(L, item, "name", "a segment", true);
    get_l10n(L, item, "title", "a segment", false, &seg->title);
    seg->router = get_name(L, item, "gateway", "a segment", false);
    seg->router_pos = pos_of(ymap_get(item, "gateway"));
}

static void load_network(loader *L, const ynode *root)
{
    static const char *const KEYS[] = {"pool", "segment_prefix", "segments", NULL};
    scenario *s = L->s;
    const ynode *net = ymap_get(root, "network");
    s->pool_addr = 0x0a500000; /* 10.80.0.0/12 */
    s->pool_prefix = 12;
    s->segment_prefix = 24;
    if (!net) {
        /* Neither network nor nodes: a tabletop exercise (scenario_tabletop.c). */
        if (ymap_get(root, "nodes"))
            err(L, root,
                "the scenario is missing 'network' (only a tabletop exercise has neither "
                "'network' nor 'nodes')");
        return;
    }
    if (!expect_map(L, net, "'network'"))
        return;
    check_keys(L, net, "'network'", KEYS);
    const ynode *pool = ymap_get(net, "pool");
    if (pool) {
        s->pool_pos = pos_of(pool);
        uint32_t addr;
        unsigned prefix;
        if (pool->kind != YNODE_SCALAR || parse_ipv4_cidr(pool->str, &addr, &prefix) < 0) {
            err(L, pool, "'pool' must be an IPv4 network such as 10.80.0.0/12");
        } else if (prefix < 8 || prefix > 28) {
            err(L, pool, "'pool' prefix /%u is out of range; use /8 to /28", prefix);
        } else if (addr & ~(prefix ? 0xffffffffu << (32 - prefix) : 0)) {
            err(L, pool, "'pool' %s has host bits set; did you mean a network address?", pool->str);
        } else {
            s->pool_addr = addr;
            s->pool_prefix = prefix;
        }
    } else {
        s->pool_pos = pos_of(net);
    }
    s->segment_prefix = (unsigned)get_int(L, net, "segment_prefix", "'network'", 16, 29, 24);
    s->segments = load_list(L, net, "segments", "'segments'", sizeof(segment),
                            SCENARIO_MAX_SEGMENTS, load_segment, &s->nsegments);
    /* A 'segments' of the wrong type has been reported already. */
    const ynode *segs = ymap_get(net, "segments");
    if (s->nsegments == 0 && (!segs || ynode_is_null(segs) || segs->kind == YNODE_SEQ))
        err(L, net, "'network' needs at least one segment under 'segments'");
}

/* ---- images and nodes ---- */

static void load_images(loader *L, const ynode *root)
{
    static const char *const KEYS[] = {"qcow2", "imported", NULL};
    scenario *s = L->s;
    const ynode *v = ymap_get(root, "images");
    if (!v || ynode_is_null(v) || !expect_map(L, v, "'images'"))
        return;
    s->images = xcalloc(v->npairs, sizeof(custom_image));
    for (size_t i = 0; i < v->npairs; i++) {
        const ynode *k = v->pairs[i].key, *def = v->pairs[i].value;
        custom_image *img = &s->images[s->nimages];
        if (k->kind != YNODE_SCALAR || !valid_name(k->str)) {
            err(L, k, "image names use letters, digits, '-' and '_'");
            continue;
        }
        if (!expect_map(L, def, "an image"))
            continue;
        check_keys(L, def, "an image", KEYS);
        img->name = xstrdup(k->str);
        img->pos = pos_of(k);
        const ynode *imported = ymap_get(def, "imported");
        /* A wrong value is reported by get_bool as true (so not twice here). */
        img->imported = imported && get_bool(L, def, "imported", "an image", true);
        if (imported && !img->imported)
            err(L, imported,
                "'imported' can only be true (the image of this name added with 'enshu images "
                "import'); for a disk file give 'qcow2: PATH' instead");
        img->qcow2 = get_text(L, def, "qcow2", "an image", false);
        if (img->qcow2 && img->qcow2[0] != '/')
            err(L, ymap_get(def, "qcow2"), "'qcow2' must be an absolute path to a base image");
        if (imported && img->qcow2)
            err(L, def, "an image is either 'imported: true' or 'qcow2: PATH', not both");
        else if (!imported && !ymap_get(def, "qcow2"))
            err(L, def,
                "an image needs 'imported: true' (added with 'enshu images import') or "
                "'qcow2: PATH' (a base disk file)");
        s->nimages++;
    }
}

static void load_nic(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"segment", "host", "nat", NULL};
    nic *n = out;
    n->pos = pos_of(item);
    n->segment_index = -1;
    if (!expect_map(L, item, "an interface"))
        return;
    check_keys(L, item, "an interface", KEYS);
    n->segment = get_name(L, item, "segment", "an interface", true);
    n->host = (int)get_int(L, item, "host", "an interface", 2, 65534, 0);
    n->host_pos = pos_of(ymap_get(item, "host"));
}

static void load_node(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"name",       "title",      "image",  "role",
                                       "visible",    "forwarding", "memory", "vcpus",
                                       "interfaces", "dns",        NULL};
    node *n = out;
    n->pos = pos_of(item);
    /* memory_mib and vcpus stay 0 unless given: the image's defaults then. */
    if (!expect_map(L, item, "a node"))
        return;
    check_keys(L, item, "a node", KEYS);
    n->name = get_name(L, item, "name", "a node", true);
    get_l10n(L, item, "title", "a node", false, &n->title);
    n->image = get_name(L, item, "image", "a node", true);
    n->image_pos = pos_of(ymap_get(item, "image"));
    const ynode *role = ymap_get(item, "role");
    n->role = ROLE_BLUE;
    if (role) {
        if (is_scalar_text(role) && !strcmp(role->str, "blue"))
            n->role = ROLE_BLUE;
        else if (is_scalar_text(role) && !strcmp(role->str, "red"))
            n->role = ROLE_RED;
        else if (is_scalar_text(role) && !strcmp(role->str, "grey"))
            n->role = ROLE_GREY;
        else
            err(L, role,
                "'role' must be blue (the team defends it), red (attacker) or grey "
                "(background)");
    }
    n->visible = get_bool(L, item, "visible", "a node", n->role == ROLE_BLUE);
    n->forwarding = get_bool(L, item, "forwarding", "a node", false);
    const ynode *mem = ymap_get(item, "memory");
    if (mem) {
        uint64_t mib;
        if (mem->kind != YNODE_SCALAR || parse_size_mib(mem->str, &mib) < 0)
            err(L, mem, "'memory' must be a size such as 256M or 2G");
        else if (mib < 64 || mib > SCENARIO_MAX_MEMORY_MIB)
            err(L, mem, "'memory' is %s; it must be between 64M and %dG", mem->str,
                SCENARIO_MAX_MEMORY_MIB / 1024);
        else
            n->memory_mib = (unsigned)mib;
    }
    n->vcpus = (unsigned)get_int(L, item, "vcpus", "a node", 1, SCENARIO_MAX_VCPUS, 0);
    n->nics = load_list(L, item, "interfaces", "'interfaces'", sizeof(nic), SCENARIO_MAX_NICS,
                        load_nic, &n->nnics);
    if (!ymap_get(item, "interfaces"))
        missing(L, item, "interfaces", "a node");
    else if (n->nnics == 0 && ymap_get(item, "interfaces")->kind == YNODE_SEQ)
        err(L, ymap_get(item, "interfaces"), "a node needs at least one interface");
}

/* ---- the organisation: time zone, locale, accounts ---- */

#define USER_NAME_MAX 32
#define PASSWORD_MAX 128
#define TIME_ZONE_MAX 64

/* Area/City as the tz database names zones (Asia/Tokyo, UTC, Etc/GMT-9,
 * America/Argentina/Buenos_Aires): parts of letters, digits, '_', '+' and
 * '-' joined by '/', the first starting with a letter. The form only: the
 * guest's own tz database knows which zones exist. */
static bool valid_time_zone(const char *tz)
{
    size_t n = strlen(tz);
    if (n == 0 || n > TIME_ZONE_MAX || !isalpha((unsigned char)tz[0]) || tz[n - 1] == '/')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tz[i];
        if (c == '/' && tz[i + 1] == '/')
            return false;
        if (!(isalnum(c) || c == '_' || c == '+' || c == '-' || c == '/'))
            return false;
    }
    return true;
}

/* ll_CC.UTF-8 (ja_JP.UTF-8): a language of 2 or 3 small letters, a
 * country of 2 capitals, UTF-8. */
static bool valid_locale(const char *loc)
{
    size_t i = 0;
    while (loc[i] >= 'a' && loc[i] <= 'z')
        i++;
    if (i < 2 || i > 3 || loc[i] != '_')
        return false;
    const char *cc = loc + i + 1;
    return cc[0] >= 'A' && cc[0] <= 'Z' && cc[1] >= 'A' && cc[1] <= 'Z' &&
           strcmp(cc + 2, ".UTF-8") == 0;
}

static void load_organisation(loader *L, const ynode *root)
{
    scenario *s = L->s;
    s->time_zone = get_text(L, root, "time_zone", "the scenario", false);
    if (s->time_zone && !valid_time_zone(s->time_zone)) {
        err(L, ymap_get(root, "time_zone"),
            "'time_zone' is '%s'; it must name a zone of the tz database such as Asia/Tokyo, "
            "Europe/Paris or UTC",
            s->time_zone);
        free(s->time_zone);
        s->time_zone = NULL;
    }
    s->locale = get_text(L, root, "locale", "the scenario", false);
    if (s->locale && !valid_locale(s->locale)) {
        err(L, ymap_get(root, "locale"),
            "'locale' is '%s'; it must be a UTF-8 locale such as ja_JP.UTF-8 or en_US.UTF-8",
            s->locale);
        free(s->locale);
        s->locale = NULL;
    }
}

/* The name of an account the engine makes: what enshu-user takes (small
 * letters, digits, '_' and '-', not starting with a digit or '-'). */
static bool valid_new_user_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > USER_NAME_MAX || !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static void load_user(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"name", "password", "title", "sudo", "nodes", NULL};
    scenario_user *u = out;
    u->pos = pos_of(item);
    if (!expect_map(L, item, "a user"))
        return;
    check_keys(L, item, "a user", KEYS);
    u->name = get_text(L, item, "name", "a user", true);
    if (u->name && !valid_new_user_name(u->name)) {
        err(L, ymap_get(item, "name"),
            "user name '%s' is not a Linux user name: small letters, digits, '_' and '-', "
            "starting with a letter or '_', at most %d characters",
            u->name, USER_NAME_MAX);
        free(u->name);
        u->name = NULL;
    } else if (u->name && strcmp(u->name, "root") == 0) {
        err(L, ymap_get(item, "name"),
            "user 'root' cannot be one of the scenario's users; give a user 'sudo: true' instead");
        free(u->name);
        u->name = NULL;
    }
    u->password = get_text(L, item, "password", "a user", true);
    u->password_pos = pos_of(ymap_get(item, "password"));
    if (u->password) {
        bool printable = true;
        for (const char *c = u->password; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                printable = false;
        if (!printable || strlen(u->password) > PASSWORD_MAX)
            err(L, ymap_get(item, "password"),
                "the password of user '%s' must be one line of at most %d characters",
                u->name ? u->name : "?", PASSWORD_MAX);
    }
    get_l10n(L, item, "title", "a user", false, &u->title);
    u->sudo = get_bool(L, item, "sudo", "a user", false);
    u->sudo_pos = pos_of(ymap_get(item, "sudo"));
    const ynode *nodes = ymap_get(item, "nodes");
    if (nodes && expect_seq(L, nodes, "'nodes' of a user")) {
        if (nodes->nitems == 0)
            err(L, nodes,
                "'nodes' of a user needs at least one node; leave it out for every "
                "blue and grey node");
        u->nodes = xcalloc(nodes->nitems + 1, sizeof(char *));
        u->node_pos = xcalloc(nodes->nitems + 1, sizeof(src_pos));
        for (size_t i = 0; i < nodes->nitems; i++) {
            const ynode *v = nodes->items[i];
            if (!is_scalar_text(v) || !valid_name(v->str)) {
                err(L, v, "'nodes' of a user must name nodes");
                continue;
            }
            u->node_pos[u->nnodes] = pos_of(v);
            u->nodes[u->nnodes++] = xstrdup(v->str);
        }
    }
}

/* ---- injects ---- */

static condition *load_condition(loader *L, const ynode *v, int depth);

static const char *const COND_KEYS[] = {"check",     "inject",   "all",    "any",  "not",
                                        "objective", "answered", "report", "hint", "request",
                                        "for",       "within",   NULL};

/* The team-progress conditions, either a bare name or a map that says more:
 * answered: ID | {objective: ID, right: BOOL}; hint: ID | {objective: ID,
 * number: N}; request: ID | {id: ID, state: asked|approved|refused};
 * objective: ID; report: ID. */
static void load_progress_condition(loader *L, const ynode *which, condition *c, const char *key)
{
    static const char *const WHAT[] = {[COND_OBJECTIVE] = "an objective",
                                       [COND_ANSWERED] = "a question",
                                       [COND_REPORT] = "a report objective",
                                       [COND_HINT] = "an objective",
                                       [COND_REQUEST] = "a team request"};
    c->stage = REQUEST_APPROVED;
    const ynode *name = which;
    if (which->kind == YNODE_MAP &&
        (c->kind == COND_ANSWERED || c->kind == COND_HINT || c->kind == COND_REQUEST)) {
        static const char *const AKEYS[] = {"objective", "right", NULL};
        static const char *const HKEYS[] = {"objective", "number", NULL};
        static const char *const RKEYS[] = {"id", "state", NULL};
        char what[32];
        snprintf(what, sizeof what, "'%s'", key);
        const char *name_key = c->kind == COND_REQUEST ? "id" : "objective";
        check_keys(L, which, what,
                   c->kind == COND_ANSWERED ? AKEYS
                   : c->kind == COND_HINT   ? HKEYS
                                            : RKEYS);
        name = ymap_get(which, name_key);
        if (!name) {
            missing(L, which, name_key, what);
            return;
        }
        if (c->kind == COND_ANSWERED && ymap_get(which, "right"))
            c->answered = get_bool(L, which, "right", what, true) ? ANSWERED_RIGHT : ANSWERED_WRONG;
        if (c->kind == COND_HINT)
            c->hint = (int)get_int(L, which, "number", what, 1, 20, 0);
        const ynode *state = ymap_get(which, "state");
        if (c->kind == COND_REQUEST && state) {
            if (is_scalar_text(state) && !strcmp(state->str, "asked"))
                c->stage = REQUEST_ASKED;
            else if (is_scalar_text(state) && !strcmp(state->str, "refused"))
                c->stage = REQUEST_REFUSED;
            else if (!(is_scalar_text(state) && !strcmp(state->str, "approved")))
                err(L, state, "'state' of '%s' must be asked, approved or refused", key);
        }
    }
    c->pos = pos_of(name);
    if (!is_scalar_text(name) || !valid_name(name->str))
        err(L, name, "'%s' must name %s", key, WHAT[c->kind]);
    else
        c->ref = xstrdup(name->str);
}

static condition *load_condition(loader *L, const ynode *v, int depth)
{
    if (depth > 16) {
        err(L, v, "condition nested deeper than 16 levels");
        return NULL;
    }
    if (!expect_map(L, v, "a condition"))
        return NULL;
    check_keys(L, v, "a condition", COND_KEYS);
    static const char *const KINDS[] = {"check",     "inject",   "all",    "any",  "not",
                                        "objective", "answered", "report", "hint", "request"};
    const ynode *which = NULL;
    condition_kind kind = COND_CHECK;
    int found = 0;
    for (int k = 0; k < (int)(sizeof KINDS / sizeof *KINDS); k++) {
        const ynode *x = ymap_get(v, KINDS[k]);
        if (x) {
            which = x;
            kind = (condition_kind)k;
            found++;
        }
    }
    if (found != 1) {
        err(L, v,
            "a condition needs exactly one of check, inject, objective, answered, report, "
            "hint, request, all, any or not");
        return NULL;
    }
    condition *c = xcalloc(1, sizeof(condition));
    c->kind = kind;
    c->pos = pos_of(which);
    c->hold_ms = get_duration(L, v, "for", "a condition", 0, 7LL * 24 * 3600 * 1000, 0);
    c->within_ms = get_duration(L, v, "within", "a condition", 0, 7LL * 24 * 3600 * 1000, 0);
    switch (kind) {
    case COND_CHECK:
    case COND_INJECT:
        if (!is_scalar_text(which) || !valid_name(which->str))
            err(L, which, "'%s' must name %s", KINDS[kind],
                kind == COND_CHECK ? "a check" : "an inject");
        else
            c->ref = xstrdup(which->str);
        break;
    case COND_OBJECTIVE:
    case COND_ANSWERED:
    case COND_REPORT:
    case COND_HINT:
    case COND_REQUEST:
        load_progress_condition(L, which, c, KINDS[kind]);
        break;
    case COND_NOT:
        c->kids = xcalloc(1, sizeof(condition *));
        c->kids[0] = load_condition(L, which, depth + 1);
        c->nkids = c->kids[0] ? 1 : 0;
        break;
    case COND_ALL:
    case COND_ANY:
        if (!expect_seq(L, which, kind == COND_ALL ? "'all'" : "'any'") || which->nitems == 0) {
            if (which->kind == YNODE_SEQ)
                err(L, which, "'%s' needs at least one condition", KINDS[kind]);
            break;
        }
        c->kids = xcalloc(which->nitems, sizeof(condition *));
        for (size_t i = 0; i < which->nitems; i++) {
            condition *kid = load_condition(L, which->items[i], depth + 1);
            if (kid)
                c->kids[c->nkids++] = kid;
        }
        break;
    }
    return c;
}

/* Reads a file named relative to the scenario file (a message's or a
 * mail's attachment), so that it goes on without the scenario's directory
 * at hand; or takes it from where the caller keeps attachments. *content
 * stays NULL (and the problem is reported) when it cannot be read or is
 * larger than max. */
static void read_attached(loader *L, const ynode *at, const char *name, size_t max, char **content,
                          size_t *size)
{
    if (L->attachments) {
        size_t kept_size = 0;
        char *kept = L->attachments->read(L->attachments->ctx, name, &kept_size);
        if (kept && kept_size > max) {
            err(L, at, "attachment '%s' is %zu bytes; at most %zu are allowed", name, kept_size,
                max);
            free(kept);
            return;
        }
        if (kept) {
            *content = kept;
            *size = kept_size;
            return;
        }
    }
    char *dir_copy = xstrdup(L->file);
    char *path = name[0] == '/' ? xstrdup(name) : xasprintf("%s/%s", dirname(dir_copy), name);
    free(dir_copy);
    struct stat st;
    FILE *f = NULL;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || !(f = fopen(path, "rb"))) {
        err(L, at, "cannot read attachment '%s' (looked for %s)", name, path);
    } else if ((size_t)st.st_size > max) {
        err(L, at, "attachment '%s' is %lld bytes; at most %zu are allowed", name,
            (long long)st.st_size, max);
    } else {
        char *buf = xmalloc((size_t)st.st_size + 1);
        size_t n = fread(buf, 1, (size_t)st.st_size + 1, f);
        if (ferror(f) || n > max) {
            err(L, at, "cannot read attachment '%s'", name);
            free(buf);
        } else {
            buf[n] = '\0';
            *content = buf;
            *size = n;
        }
    }
    if (f)
        fclose(f);
    free(path);
}

/* Guest account names: what useradd and busybox adduser accept. */
static bool valid_user_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > NAME_MAX_LEN || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* A guest account name under key; numbers too (an owner or group id) when
 * numeric_ok. NULL when absent or wrong (reported). */
static char *get_user(loader *L, const ynode *map, const char *key, const char *what,
                      bool numeric_ok)
{
    char *s = get_text(L, map, key, what, false);
    bool numeric = s && *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 10;
    if (s && !valid_user_name(s) && !(numeric_ok && numeric)) {
        err(L, ymap_get(map, key),
            "'%s' of %s is '%s'; account names use letters, digits, '.', '-' and '_', start "
            "with a letter or '_', and are at most %d characters%s",
            key, what, s, NAME_MAX_LEN, numeric_ok ? " (or give a number)" : "");
        free(s);
        return NULL;
    }
    return s;
}

/* One address of a mail (from, or an item of to), reported where it is. */
static bool get_address(loader *L, const ynode *v, const char *what, mail_address *out)
{
    if (!is_scalar_text(v)) {
        err(L, v, "%s must be an e-mail address, not %s", what, ynode_kind_name(v));
        return false;
    }
    const char *why = "is not an address";
    if (mail_address_parse(v->str, out, &why) != ENSHU_OK) {
        err(L, v, "%s '%s' %s", what, v->str, why);
        return false;
    }
    return true;
}

/* server: NODE, ADDRESS or HOST, each with an optional :PORT. */
static void load_server(loader *L, const ynode *v, action *a)
{
    a->server_port = SCENARIO_SMTP_PORT;
    if (!is_scalar_text(v)) {
        err(L, v, "'server' of 'mail' must be a node, an address or a host name (with :PORT)");
        return;
    }
    a->server_pos = pos_of(v);
    const char *colon = strrchr(v->str, ':');
    size_t host_len = colon ? (size_t)(colon - v->str) : v->len;
    if (colon) {
        long long port;
        if (!parse_int_text(colon + 1, &port) || port < 1 || port > 65535 ||
            !isdigit((unsigned char)colon[1])) {
            err(L, v, "'server' of 'mail' has a bad port '%s'; use 1 to 65535", colon + 1);
            return;
        }
        a->server_port = (unsigned)port;
    }
    char *host = xstrndup(v->str, host_len);
    /* A template ({{addr mail}}) is checked as one; a host name and an
     * address have no room for a shell's or SMTP's special characters. */
    if (!strstr(host, "{{") &&
        (!*host || strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                ".-_") != host_len)) {
        err(L, v,
            "'server' of 'mail' is '%s'; give a node, an address such as 10.80.0.5 or a "
            "host name such as mail.corp.example",
            v->str);
        free(host);
        return;
    }
    a->server = host;
}

static void load_mail(loader *L, const ynode *which, inject *inj)
{
    static const char *const KEYS[] = {"from", "to",     "subject",     "body",
                                       "via",  "server", "attachments", NULL};
    action *a = &inj->action;
    if (!expect_map(L, which, "'mail'"))
        return;
    check_keys(L, which, "'mail'", KEYS);
    const ynode *from = ymap_get(which, "from"), *to = ymap_get(which, "to");
    if (!from)
        missing(L, which, "from", "'mail'");
    else
        get_address(L, from, "'from' of 'mail'", &a->mail_from);
    if (!to) {
        missing(L, which, "to", "'mail'");
    } else if (to->kind == YNODE_SEQ) {
        if (to->nitems == 0 || to->nitems > SCENARIO_MAX_MAIL_TO)
            err(L, to, "'to' of 'mail' needs 1 to %d addresses", SCENARIO_MAX_MAIL_TO);
        a->mail_to = xcalloc(to->nitems + 1, sizeof(mail_address));
        for (size_t i = 0; i < to->nitems && i < SCENARIO_MAX_MAIL_TO; i++)
            if (get_address(L, to->items[i], "an address of 'to'", &a->mail_to[a->nmail_to]))
                a->nmail_to++;
    } else {
        a->mail_to = xcalloc(1, sizeof(mail_address));
        if (get_address(L, to, "'to' of 'mail'", &a->mail_to[0]))
            a->nmail_to = 1;
    }
    a->mail_subject = get_text(L, which, "subject", "'mail'", true);
    a->subject_pos = pos_of(ymap_get(which, "subject"));
    const ynode *body = ymap_get(which, "body");
    if (!body)
        missing(L, which, "body", "'mail'");
    else if (body->kind != YNODE_SCALAR)
        err(L, body, "'body' of 'mail' must be text");
    else
        a->mail_body = xstrdup(body->str);
    a->body_pos = pos_of(body);
    if (ymap_get(which, "via")) {
        inj->target = get_node_ref(L, which, "via", "'mail'", true);
        inj->target_pos = pos_of(ymap_get(which, "via"));
    } else {
        missing(L, which, "via", "'mail' (the node that sends it)");
    }
    if (!ymap_get(which, "server"))
        missing(L, which, "server", "'mail'");
    else
        load_server(L, ymap_get(which, "server"), a);
    const ynode *files = ymap_get(which, "attachments");
    if (files && !ynode_is_null(files) && expect_seq(L, files, "'attachments' of 'mail'")) {
        if (files->nitems > SCENARIO_MAX_MAIL_FILES)
            err(L, files, "'attachments' of 'mail' has %zu files; at most %d are allowed",
                files->nitems, SCENARIO_MAX_MAIL_FILES);
        a->mail_files = xcalloc(files->nitems + 1, sizeof(attached_file));
        size_t total = 0;
        for (size_t i = 0; i < files->nitems && i < SCENARIO_MAX_MAIL_FILES; i++) {
            const ynode *f = files->items[i];
            if (!is_scalar_text(f)) {
                err(L, f, "an attachment of 'mail' must be a file name, not %s",
                    ynode_kind_name(f));
                continue;
            }
            attached_file *af = &a->mail_files[a->nmail_files];
            read_attached(L, f, f->str, SCENARIO_MAX_ATTACHMENT, &af->content, &af->size);
            if (!af->content)
                continue;
            af->name = xstrdup(f->str);
            af->pos = pos_of(f);
            a->nmail_files++;
            total += af->size;
            if (total > SCENARIO_MAX_MAIL_FILES_SIZE &&
                total - af->size <= SCENARIO_MAX_MAIL_FILES_SIZE)
                err(L, f,
                    "the attachments of 'mail' are %zu bytes together up to '%s'; at most "
                    "%d are allowed",
                    total, f->str, SCENARIO_MAX_MAIL_FILES_SIZE);
        }
    }
}

/* A file's content from a file beside the scenario: copied as bytes, or
 * with templates filled in when 'template: true'. */
static void load_file_source(loader *L, const ynode *which, action *a)
{
    const ynode *tmpl = ymap_get(which, "template");
    a->source = get_text(L, which, "source", "'file'", false);
    if (!a->source) {
        if (!ymap_get(which, "source"))
            err(L, which, "'file' needs one of 'content' or 'source'");
        return;
    }
    a->content_pos = pos_of(ymap_get(which, "source"));
    a->source_templated = get_bool(L, which, "template", "'file'", false);
    read_attached(L, ymap_get(which, "source"), a->source, SCENARIO_MAX_ATTACHMENT, &a->content,
                  &a->content_size);
    if (a->content && a->source_templated && strlen(a->content) != a->content_size) {
        err(L, tmpl, "'%s' holds NUL bytes; only text files take 'template: true'", a->source);
        free(a->content);
        a->content = NULL;
    }
}

static void load_action(loader *L, const ynode *item, inject *inj)
{
    static const char *const ACTIONS[] = {"run",   "file", "message", "note",
                                          "power", "link", "mail"};
    const ynode *which = NULL;
    int found = 0;
    for (int k = 0; k < 7; k++) {
        const ynode *x = ymap_get(item, ACTIONS[k]);
        if (x) {
            which = x;
            inj->action.kind = (action_kind)k;
            found++;
        }
    }
    if (found != 1) {
        err(L, item,
            "an inject needs exactly one action: run, file, message, note, power, link or mail");
        return;
    }
    action *a = &inj->action;
    a->pos = pos_of(which);
    a->command_pos = a->path_pos = a->content_pos = a->from_pos = a->pos;
    const ynode *seg_node = ymap_get(item, "segment");
    if (seg_node && a->kind != ACTION_LINK)
        err(L, seg_node, "'segment' only goes with 'link'");
    const ynode *user = ymap_get(item, "user");
    if (user && a->kind != ACTION_RUN && a->kind != ACTION_FILE)
        err(L, user, "'user' only goes with 'run' and 'file'");
    else if (user)
        a->user = get_user(L, item, "user", "an inject", false);
    a->user_pos = pos_of(user);
    const ynode *target = ymap_get(item, "target");
    if (target && a->kind == ACTION_MAIL)
        err(L, target, "a mail inject is sent from its 'via' node; remove 'target'");
    switch (a->kind) {
    case ACTION_RUN:
        if (is_scalar_text(which)) {
            a->command = xstrdup(which->str);
        } else if (expect_map(L, which, "'run'")) {
            static const char *const KEYS[] = {"command", "script", NULL};
            check_keys(L, which, "'run'", KEYS);
            a->command = get_text(L, which, "command", "'run'", false);
            if (ymap_get(which, "command"))
                a->command_pos = pos_of(ymap_get(which, "command"));
            a->script = get_text(L, which, "script", "'run'", false);
            if (!!a->command == !!a->script)
                err(L, which, "'run' needs exactly one of 'command' or 'script'");
        }
        break;
    case ACTION_FILE:
        if (expect_map(L, which, "'file'")) {
            static const char *const KEYS[] = {"path", "content", "source", "template",
                                               "mode", "owner",   "group",  NULL};
            check_keys(L, which, "'file'", KEYS);
            a->owner = get_user(L, which, "owner", "'file'", true);
            a->group = get_user(L, which, "group", "'file'", true);
            a->path = get_text(L, which, "path", "'file'", true);
            if (ymap_get(which, "path"))
                a->path_pos = pos_of(ymap_get(which, "path"));
            if (a->path && a->path[0] != '/')
                err(L, ymap_get(which, "path"), "'path' must be absolute on the guest");
            const ynode *content = ymap_get(which, "content");
            if (content && ymap_get(which, "source"))
                err(L, which, "'file' needs one of 'content' or 'source', not both");
            else if (!content)
                load_file_source(L, which, a);
            else if (ymap_get(which, "template"))
                err(L, ymap_get(which, "template"), "'template' only goes with 'source'");
            else if (content->kind != YNODE_SCALAR)
                err(L, content, "'content' must be text");
            else
                a->content = xstrdup(content->str);
            if (content)
                a->content_pos = pos_of(content);
            a->mode = 0644;
            const ynode *mode = ymap_get(which, "mode");
            if (mode) {
                char *end;
                unsigned long m = mode->kind == YNODE_SCALAR ? strtoul(mode->str, &end, 8) : 0;
                if (mode->kind != YNODE_SCALAR || *end || m > 07777 || !mode->len)
                    err(L, mode, "'mode' must be octal permissions such as 0644");
                else
                    a->mode = (unsigned)m;
            }
        }
        break;
    case ACTION_MESSAGE:
        if (expect_map(L, which, "'message'")) {
            static const char *const KEYS[] = {"from", "subject", "body", "attachment", NULL};
            check_keys(L, which, "'message'", KEYS);
            a->from = get_text(L, which, "from", "'message'", true);
            if (ymap_get(which, "from"))
                a->from_pos = pos_of(ymap_get(which, "from"));
            get_l10n(L, which, "subject", "'message'", true, &a->subject);
            get_l10n(L, which, "body", "'message'", true, &a->body);
            a->attachment = get_text(L, which, "attachment", "'message'", false);
            if (a->attachment)
                read_attached(L, ymap_get(which, "attachment"), a->attachment,
                              SCENARIO_MAX_ATTACHMENT, &a->attachment_content, &a->attachment_size);
        }
        break;
    case ACTION_NOTE:
        load_l10n_node(L, which, "note", "an inject", &a->note);
        break;
    case ACTION_POWER:
        if (is_scalar_text(which) && !strcmp(which->str, "stop"))
            a->power = POWER_STOP;
        else if (is_scalar_text(which) && !strcmp(which->str, "start"))
            a->power = POWER_START;
        else if (is_scalar_text(which) && !strcmp(which->str, "reboot"))
            a->power = POWER_REBOOT;
        else
            err(L, which, "'power' must be stop, start or reboot");
        break;
    case ACTION_LINK:
        if (is_scalar_text(which) && !strcmp(which->str, "cut"))
            a->link_up = false;
        else if (is_scalar_text(which) && !strcmp(which->str, "restore"))
            a->link_up = true;
        else
            err(L, which, "'link' must be cut or restore");
        a->segment = get_name(L, item, "segment", "a link inject", true);
        a->segment_pos = pos_of(seg_node);
        break;
    case ACTION_MAIL:
        load_mail(L, which, inj);
        break;
    }
}

static void load_inject(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"id",      "title",   "at",     "after", "delay",
                                       "when",    "manual",  "target", "run",   "file",
                                       "message", "note",    "power",  "link",  "mail",
                                       "segment", "timeout", "user",   NULL};
    inject *inj = out;
    inj->pos = pos_of(item);
    inj->timeout_ms = SCENARIO_DEFAULT_ACTION_MS;
    if (!expect_map(L, item, "an inject"))
        return;
    check_keys(L, item, "an inject", KEYS);
    inj->id = get_name(L, item, "id", "an inject", true);
    get_l10n(L, item, "title", "an inject", false, &inj->title);
    const ynode *at = ymap_get(item, "at"), *after = ymap_get(item, "after"),
                *when = ymap_get(item, "when"), *manual = ymap_get(item, "manual");
    int triggers = !!at + !!after + !!when + !!manual;
    if (triggers == 0) {
        err(L, item, "an inject needs exactly one of 'at', 'after', 'when' or 'manual'");
    } else if (triggers > 1) {
        /* Name the ones found, in the order of the list. */
        const char *found[4];
        int n = 0;
        if (at)
            found[n++] = "'at'";
        if (after)
            found[n++] = "'after'";
        if (when)
            found[n++] = "'when'";
        if (manual)
            found[n++] = "'manual'";
        char list[64] = "";
        for (int i = 0; i < n; i++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     i == 0       ? ""
                     : i == n - 1 ? " and "
                                  : ", ",
                     found[i]);
        err(L, item, "an inject needs exactly one of 'at', 'after', 'when' or 'manual'; it has %s",
            list);
    } else if (at) {
        inj->trigger = TRIGGER_AT;
        inj->at_ms = get_duration(L, item, "at", "an inject", 0, 7LL * 24 * 3600 * 1000, 0);
    } else if (after) {
        inj->trigger = TRIGGER_AFTER;
        inj->after = get_name(L, item, "after", "an inject", true);
        inj->after_pos = pos_of(after);
    } else if (when) {
        inj->trigger = TRIGGER_WHEN;
        inj->when = load_condition(L, when, 0);
    } else {
        inj->trigger = TRIGGER_MANUAL;
        if (!get_bool(L, item, "manual", "an inject", true))
            err(L, manual, "'manual' can only be true; remove it for a timed inject");
    }
    if (ymap_get(item, "delay") && !after)
        err(L, ymap_get(item, "delay"), "'delay' only goes with 'after'");
    inj->delay_ms = get_duration(L, item, "delay", "an inject", 0, 7LL * 24 * 3600 * 1000, 0);
    if (!ymap_get(item, "mail")) {
        inj->target = get_node_ref(L, item, "target", "an inject", false);
        inj->target_pos = pos_of(ymap_get(item, "target"));
    }
    load_action(L, item, inj);
    inj->timeout_ms = get_duration(L, item, "timeout", "an inject", 1000, SCENARIO_MAX_ACTION_MS,
                                   SCENARIO_DEFAULT_ACTION_MS);
}

/* ---- checks and objectives ---- */

/* What a command or power probe looks at, in a check or in its all/any. */
static void load_probe_fields(loader *L, const ynode *item, check *c, const char *what)
{
    c->node = get_node_ref(L, item, "node", what, true);
    c->node_pos = pos_of(ymap_get(item, "node"));
    const ynode *power = ymap_get(item, "power");
    if (power) {
        c->kind = CHECK_POWER;
        c->power_pos = pos_of(power);
        if (is_scalar_text(power) && !strcmp(power->str, "running"))
            c->power_running = true;
        else if (!is_scalar_text(power) || strcmp(power->str, "stopped") != 0)
            err(L, power, "'power' of %s must be running or stopped", what);
        static const char *const COMMAND_KEYS[] = {"command", "user", "expect", NULL};
        for (const char *const *k = COMMAND_KEYS; *k; k++)
            if (ymap_get(item, *k))
                err(L, ymap_get(item, *k),
                    "'%s' does not go with 'power' (a power check runs "
                    "nothing on the guest)",
                    *k);
        return;
    }
    c->user = get_user(L, item, "user", what, false);
    c->user_pos = pos_of(ymap_get(item, "user"));
    c->command = get_text(L, item, "command", what, false);
    if (!c->command && !ymap_get(item, "command"))
        missing(L, item, "command", what);
    c->command_pos = pos_of(ymap_get(item, "command"));
    const ynode *expect = ymap_get(item, "expect");
    if (expect && expect_map(L, expect, "'expect'")) {
        static const char *const EKEYS[] = {"exit", "output", NULL};
        check_keys(L, expect, "'expect'", EKEYS);
        const ynode *exit_code = ymap_get(expect, "exit");
        if (exit_code && is_scalar_text(exit_code) && !strcmp(exit_code->str, "any"))
            c->expect_exit = -1;
        else
            c->expect_exit = (int)get_int(L, expect, "exit", "'expect'", 0, 255, 0);
        c->expect_output = get_text(L, expect, "output", "'expect'", false);
        c->expect_output_pos = pos_of(ymap_get(expect, "output"));
    }
}

static void load_probe(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"node", "command", "user", "expect", "power", NULL};
    check *c = out;
    c->pos = pos_of(item);
    if (!expect_map(L, item, "a probe"))
        return;
    check_keys(L, item, "a probe", KEYS);
    load_probe_fields(L, item, c, "a probe");
}

static void load_check(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"id",   "node",  "command", "expect", "interval", "timeout",
                                       "user", "power", "all",     "any",    "confirm",  NULL};
    check *c = out;
    c->pos = pos_of(item);
    c->expect_exit = 0;
    if (!expect_map(L, item, "a check"))
        return;
    check_keys(L, item, "a check", KEYS);
    c->id = get_name(L, item, "id", "a check", true);
    const ynode *all = ymap_get(item, "all"), *any = ymap_get(item, "any");
    if (all && any) {
        err(L, any, "a check takes one of 'all' or 'any', not both");
    } else if (all || any) {
        const char *key = all ? "all" : "any";
        c->kind = all ? CHECK_ALL : CHECK_ANY;
        static const char *const PROBE_KEYS[] = {"node",   "command", "user",
                                                 "expect", "power",   NULL};
        for (const char *const *k = PROBE_KEYS; *k; k++)
            if (ymap_get(item, *k))
                err(L, ymap_get(item, *k), "'%s' goes in each probe of '%s', not beside it", *k,
                    key);
        char *what = xasprintf("'%s'", key);
        c->probes = load_list(L, item, key, what, sizeof(check), SCENARIO_MAX_PROBES, load_probe,
                              &c->nprobes);
        free(what);
        const ynode *list = all ? all : any;
        if (c->nprobes == 0 && (list->kind == YNODE_SEQ || ynode_is_null(list)))
            err(L, list, "'%s' needs at least one probe", key);
    } else {
        load_probe_fields(L, item, c, "a check");
    }
    c->interval_ms = get_duration(L, item, "interval", "a check", 1000, 3600 * 1000, 30000);
    c->timeout_ms = get_duration(L, item, "timeout", "a check", 1000, 5 * 60 * 1000, 10000);
    c->confirm = (int)get_int(L, item, "confirm", "a check", 1, 10, 1);
}

static void load_hint(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"text", "cost", NULL};
    hint *h = out;
    if (!expect_map(L, item, "a hint"))
        return;
    check_keys(L, item, "a hint", KEYS);
    get_l10n(L, item, "text", "a hint", true, &h->text);
    h->cost = (int)get_int(L, item, "cost", "a hint", 0, 10000, 0);
}

static void load_rubric_item(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"text", "points", NULL};
    rubric_item *r = out;
    if (!expect_map(L, item, "a rubric item"))
        return;
    check_keys(L, item, "a rubric item", KEYS);
    get_l10n(L, item, "text", "a rubric item", true, &r->text);
    r->points = (int)get_int(L, item, "points", "a rubric item", 0, 10000, 0);
    if (!ymap_get(item, "points"))
        missing(L, item, "points", "a rubric item");
}

static void load_answer(loader *L, const ynode *obj, objective *o)
{
    static const char *const KINDS[] = {"exact",  "nocase", "regex", "range",
                                        "one_of", "time",   NULL};
    const ynode *ans = ymap_get(obj, "answer");
    if (!ans) {
        missing(L, obj, "answer", "a question");
        return;
    }
    o->answer_pos = pos_of(ans);
    if (!expect_map(L, ans, "'answer'"))
        return;
    check_keys(L, ans, "'answer'", KINDS);
    /* Only its known keys count: an unknown one is reported on its own
     * (check_keys), and is not also a second kind of answer. */
    size_t known = 0, first = 0;
    for (size_t p = 0; p < ans->npairs; p++) {
        const ynode *key = ans->pairs[p].key;
        for (int i = 0; key->kind == YNODE_SCALAR && KINDS[i]; i++)
            if (!strcmp(key->str, KINDS[i]) && known++ == 0)
                first = p;
    }
    if (known != 1) {
        if (known > 1 || ans->npairs == 0)
            err(L, ans,
                "'answer' needs exactly one of exact, nocase, regex, range, one_of or time");
        return;
    }
    const ynode *k = ans->pairs[first].key, *v = ans->pairs[first].value;
    for (int i = 0; KINDS[i]; i++)
        if (!strcmp(k->str, KINDS[i]))
            o->answer = (answer_kind)i;
    o->answer_pos = pos_of(v);
    if (o->answer == ANSWER_TIME) {
        static const char *const TKEYS[] = {"inject", "tolerance", NULL};
        if (!expect_map(L, v, "'time'"))
            return;
        check_keys(L, v, "'time'", TKEYS);
        o->time_inject = get_name(L, v, "inject", "'time'", true);
        o->time_inject_pos = pos_of(ymap_get(v, "inject"));
        o->tolerance_ms =
            get_duration(L, v, "tolerance", "'time'", 0, 24LL * 3600 * 1000, 2 * 60 * 1000);
        return;
    }
    if (o->answer == ANSWER_RANGE) {
        char *end1, *end2;
        if (v->kind != YNODE_SEQ || v->nitems != 2 || v->items[0]->kind != YNODE_SCALAR ||
            v->items[1]->kind != YNODE_SCALAR) {
            err(L, v, "'range' must be a list of two numbers: [low, high]");
            return;
        }
        o->range_min = strtod(v->items[0]->str, &end1);
        o->range_max = strtod(v->items[1]->str, &end2);
        if (*end1 || *end2 || !v->items[0]->len || !v->items[1]->len)
            err(L, v, "'range' must be a list of two numbers: [low, high]");
        else if (o->range_min > o->range_max)
            err(L, v, "'range' has its low end above its high end");
        return;
    }
    if (o->answer == ANSWER_ONE_OF) {
        if (v->kind != YNODE_SEQ || v->nitems == 0) {
            err(L, v, "'one_of' must be a list of accepted answers");
            return;
        }
        o->values = xcalloc(v->nitems, sizeof(char *));
        for (size_t i = 0; i < v->nitems; i++) {
            if (v->items[i]->kind != YNODE_SCALAR)
                err(L, v->items[i], "each accepted answer must be text");
            else
                o->values[o->nvalues++] = xstrdup(v->items[i]->str);
        }
        return;
    }
    if (v->kind != YNODE_SCALAR || !v->len) {
        err(L, v, "'%s' must be the expected answer as text", k->str);
        return;
    }
    o->values = xcalloc(1, sizeof(char *));
    o->values[0] = xstrdup(v->str);
    o->nvalues = 1;
}

/* decay: {from: INJECT, full: 10m, zero_at: 40m, floor: 5} */
static void load_decay(loader *L, const ynode *v, objective *o)
{
    static const char *const KEYS[] = {"from", "full", "zero_at", "floor", NULL};
    decay_rule *d = &o->decay;
    if (!v)
        return;
    d->pos = pos_of(v);
    if (!expect_map(L, v, "'decay'"))
        return;
    check_keys(L, v, "'decay'", KEYS);
    d->from = get_name(L, v, "from", "'decay'", true);
    d->from_pos = pos_of(ymap_get(v, "from"));
    const int64_t week = 7LL * 24 * 3600 * 1000;
    d->full_ms = get_duration(L, v, "full", "'decay'", 0, week, 0);
    d->zero_at_ms = get_duration(L, v, "zero_at", "'decay'", 1000, week, 0);
    d->floor = (int)get_int(L, v, "floor", "'decay'", 0, 10000, 0);
    if (!ymap_get(v, "full"))
        missing(L, v, "full", "'decay'");
    if (!ymap_get(v, "zero_at"))
        missing(L, v, "zero_at", "'decay'");
    else if (d->zero_at_ms && d->zero_at_ms <= d->full_ms)
        err(L, ymap_get(v, "zero_at"), "'zero_at' of 'decay' must come after 'full'");
    if (d->floor > o->points)
        err(L, ymap_get(v, "floor"), "'floor' of 'decay' is %d, above the objective's %d points",
            d->floor, o->points);
}

/* penalties: [{id, check, when: failing|passing, points, after, max}] */
static void load_penalty(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"id", "check", "when", "points", "after", "max", NULL};
    penalty_rule *p = out;
    p->pos = pos_of(item);
    if (!expect_map(L, item, "a penalty"))
        return;
    check_keys(L, item, "a penalty", KEYS);
    p->id = get_name(L, item, "id", "a penalty", true);
    p->check = get_name(L, item, "check", "a penalty", true);
    p->check_pos = pos_of(ymap_get(item, "check"));
    const ynode *when = ymap_get(item, "when");
    if (when && is_scalar_text(when) && !strcmp(when->str, "passing"))
        p->when_passing = true;
    else if (when && !(is_scalar_text(when) && !strcmp(when->str, "failing")))
        err(L, when, "'when' of a penalty must be failing or passing");
    p->points = (int)get_int(L, item, "points", "a penalty", 1, 10000, 1);
    if (!ymap_get(item, "points"))
        missing(L, item, "points", "a penalty");
    p->after = get_name(L, item, "after", "a penalty", false);
    p->after_pos = pos_of(ymap_get(item, "after"));
    p->max = (int)get_int(L, item, "max", "a penalty", 0, 1000000, 0);
    if (p->max && p->max < p->points)
        err(L, ymap_get(item, "max"), "'max' of penalty '%s' is below its 'points'",
            p->id ? p->id : "?");
}

static void load_objective(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"id",     "kind",     "title", "text",   "points",
                                       "answer", "attempts", "check", "rubric", "hints",
                                       "after",  "decay",    NULL};
    objective *o = out;
    o->pos = pos_of(item);
    if (!expect_map(L, item, "an objective"))
        return;
    check_keys(L, item, "an objective", KEYS);
    o->id = get_name(L, item, "id", "an objective", true);
    o->after = get_name(L, item, "after", "an objective", false);
    o->after_pos = pos_of(ymap_get(item, "after"));
    get_l10n(L, item, "title", "an objective", false, &o->title);
    get_l10n(L, item, "text", "an objective", false, &o->text);
    const ynode *kind = ymap_get(item, "kind");
    if (!kind) {
        missing(L, item, "kind", "an objective");
        return;
    }
    if (is_scalar_text(kind) && !strcmp(kind->str, "question"))
        o->kind = OBJ_QUESTION;
    else if (is_scalar_text(kind) && !strcmp(kind->str, "check"))
        o->kind = OBJ_CHECK;
    else if (is_scalar_text(kind) && !strcmp(kind->str, "report"))
        o->kind = OBJ_REPORT;
    else {
        err(L, kind, "'kind' must be question, check or report");
        return;
    }
    o->points = (int)get_int(L, item, "points", "an objective", 0, 10000, 0);
    o->hints = load_list(L, item, "hints", "'hints'", sizeof(hint), 20, load_hint, &o->nhints);
    const char *own[] = {
        o->kind == OBJ_QUESTION ? NULL : "answer", o->kind == OBJ_QUESTION ? NULL : "attempts",
        o->kind == OBJ_CHECK ? NULL : "check", o->kind == OBJ_REPORT ? NULL : "rubric"};
    if (o->kind == OBJ_REPORT && ymap_get(item, "decay"))
        err(L, ymap_get(item, "decay"), "'decay' applies only to check and question objectives");
    for (size_t i = 0; i < 4; i++)
        if (own[i] && ymap_get(item, own[i]))
            err(L, ymap_get(item, own[i]), "'%s' does not apply to a %s objective", own[i],
                kind->str);
    switch (o->kind) {
    case OBJ_QUESTION:
        load_answer(L, item, o);
        o->attempts = (int)get_int(L, item, "attempts", "a question", 0, 1000, 0);
        load_decay(L, ymap_get(item, "decay"), o);
        if (!ymap_get(item, "text"))
            missing(L, item, "text", "a question");
        break;
    case OBJ_CHECK:
        o->check = get_name(L, item, "check", "a check objective", true);
        o->check_pos = pos_of(ymap_get(item, "check"));
        load_decay(L, ymap_get(item, "decay"), o);
        break;
    case OBJ_REPORT:
        o->rubric = load_list(L, item, "rubric", "'rubric'", sizeof(rubric_item), 50,
                              load_rubric_item, &o->nrubric);
        if (o->nrubric == 0)
            err(L, item, "a report objective needs a 'rubric' with at least one item");
        if (!ymap_get(item, "points"))
            for (size_t i = 0; i < o->nrubric; i++)
                o->points += o->rubric[i].points;
        break;
    }
}

/* ---- team requests ---- */

/* requests: [{id, title, text, approval: instructor|auto, fires: [INJECT], cost, limit}] */
static void load_request(loader *L, const ynode *item, void *out, size_t index)
{
    static const char *const KEYS[] = {"id",    "title", "text",  "approval",
                                       "fires", "cost",  "limit", NULL};
    team_request *r = out;
    r->pos = pos_of(item);
    r->limit = 1;
    if (!expect_map(L, item, "a request"))
        return;
    check_keys(L, item, "a request", KEYS);
    r->id = get_name(L, item, "id", "a request", true);
    get_l10n(L, item, "title", "a request", true, &r->title);
    get_l10n(L, item, "text", "a request", false, &r->text);
    const ynode *approval = ymap_get(item, "approval");
    if (approval && is_scalar_text(approval) && !strcmp(approval->str, "auto"))
        r->approval = APPROVAL_AUTO;
    else if (approval && !(is_scalar_text(approval) && !strcmp(approval->str, "instructor")))
        err(L, approval, "'approval' of a request must be instructor or auto");
    r->cost = (int)get_int(L, item, "cost", "a request", 0, 10000, 0);
    r->limit = (int)get_int(L, item, "limit", "a request", 1, 100, 1);
    const ynode *fires = ymap_get(item, "fires");
    if (!fires || !expect_seq(L, fires, "'fires' of a request"))
        return;
    r->fires = xcalloc(fires->nitems + 1, sizeof(char *));
    r->fires_pos = xcalloc(fires->nitems + 1, sizeof(src_pos));
    for (size_t i = 0; i < fires->nitems; i++) {
        const ynode *v = fires->items[i];
        if (!is_scalar_text(v) || !valid_name(v->str)) {
            err(L, v, "'fires' of a request must name injects");
            continue;
        }
        r->fires_pos[r->nfires] = pos_of(v);
        r->fires[r->nfires++] = xstrdup(v->str);
    }
}

/* ---- the whole file ---- */

void scenario_load_tree(scenario *s, const ynode *root, const scenario_attachments *from,
                        diag_list *diags)
{
    loader L = {.file = s->file, .diags = diags, .s = s, .attachments = from};
    if (!root) {
        diag_add(diags, s->file, 0, 0, "the file is empty; a scenario starts with 'enshu: 1'");
        return;
    }
    if (!expect_map(&L, root, "a scenario"))
        return;
    check_keys(&L, root, "the scenario", TOP_KEYS);
    const ynode *version = ymap_get(root, "enshu");
    if (!version)
        err(&L, root, "the scenario is missing 'enshu: %d' (the format version)",
            SCENARIO_FORMAT_VERSION);
    else
        s->version = (int)get_int(&L, root, "enshu", "the scenario", SCENARIO_FORMAT_VERSION,
                                  SCENARIO_FORMAT_VERSION, SCENARIO_FORMAT_VERSION);
    load_languages(&L, root);
    s->id = get_name(&L, root, "id", "the scenario", true);
    get_l10n(&L, root, "title", "the scenario", true, &s->title);
    get_l10n(&L, root, "description", "the scenario", false, &s->description);
    load_level(&L, root);
    load_consoles(&L, root);
    load_self_paced(&L, root);
    s->duration_ms = get_duration(&L, root, "duration", "the scenario", 60 * 1000,
                                  7LL * 24 * 3600 * 1000, 8LL * 3600 * 1000);
    load_teams(&L, root);
    load_network(&L, root);
    load_images(&L, root);
    s->nodes = load_list(&L, root, "nodes", "'nodes'", sizeof(node), SCENARIO_MAX_NODES, load_node,
                         &s->nnodes);
    if (!ymap_get(root, "nodes") && ymap_get(root, "network"))
        err(&L, root,
            "the scenario is missing 'nodes' (only a tabletop exercise has neither 'network' nor "
            "'nodes')");
    else if (s->nnodes == 0 && ymap_get(root, "nodes") &&
             ymap_get(root, "nodes")->kind != YNODE_MAP)
        err(&L, ymap_get(root, "nodes"), "'nodes' needs at least one node");
    s->injects = load_list(&L, root, "injects", "'injects'", sizeof(inject), 1000, load_inject,
                           &s->ninjects);
    s->checks =
        load_list(&L, root, "checks", "'checks'", sizeof(check), 1000, load_check, &s->nchecks);
    s->objectives = load_list(&L, root, "objectives", "'objectives'", sizeof(objective), 1000,
                              load_objective, &s->nobjectives);
    s->penalties = load_list(&L, root, "penalties", "'penalties'", sizeof(penalty_rule), 100,
                             load_penalty, &s->npenalties);
    s->requests = load_list(&L, root, "requests", "'requests'", sizeof(team_request), 100,
                            load_request, &s->nrequests);
    load_organisation(&L, root);
    s->users = load_list(&L, root, "users", "'users'", sizeof(scenario_user), SCENARIO_MAX_USERS,
                         load_user, &s->nusers);
}
