/*
 * Builds a ydoc from libyaml's event stream (see yaml_tree.h).
 */
#include "yaml_tree.h"
#include "alloc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

const ylimits YLIMITS_DEFAULT = {
    .max_bytes = 4u << 20,
    .max_depth = 64,
    .max_aliases = 1000,
    .max_expanded_nodes = 200000,
};

typedef struct anchor {
    char *name;
    ynode *node;
} anchor;

typedef struct builder {
    ydoc *doc;
    const char *buf; /* the text being parsed, to place reader errors */
    size_t len;
    const ylimits *limits;
    diag_list *diags;
    ynode **stack;
    size_t depth;
    size_t stack_cap;
    ynode **pending_key; /* per stack level: a map's key awaiting its value */
    anchor *anchors;
    size_t nanchors;
    size_t anchors_cap;
    size_t aliases;
    bool failed;
} builder;

static ynode *node_new(builder *b, ynode_kind kind, const yaml_mark_t *mark)
{
    ynode *n = xcalloc(1, sizeof(ynode));
    n->kind = kind;
    n->line = (int)mark->line + 1;
    n->col = (int)mark->column + 1;
    n->weight = 1;
    n->next_owned = b->doc->owned;
    b->doc->owned = n;
    return n;
}

static void fail(builder *b, const yaml_mark_t *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(builder *b, const yaml_mark_t *mark, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_addv(b->diags, b->doc->file, mark ? (int)mark->line + 1 : 0,
              mark ? (int)mark->column + 1 : 0, fmt, ap);
    va_end(ap);
    b->failed = true;
}

static void remember_anchor(builder *b, const yaml_char_t *name, ynode *node)
{
    if (!name)
        return;
    for (size_t i = 0; i < b->nanchors; i++) {
        if (strcmp(b->anchors[i].name, (const char *)name) == 0) {
            b->anchors[i].node = node; /* YAML lets a later anchor replace an earlier one */
            return;
        }
    }
    XGROW(b->anchors, b->anchors_cap, b->nanchors + 1);
    b->anchors[b->nanchors].name = xstrdup((const char *)name);
    b->anchors[b->nanchors].node = node;
    b->nanchors++;
}

static ynode *find_anchor(builder *b, const char *name)
{
    for (size_t i = 0; i < b->nanchors; i++)
        if (strcmp(b->anchors[i].name, name) == 0)
            return b->anchors[i].node;
    return NULL;
}

static size_t saturating_add(size_t a, size_t b)
{
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/* Hangs child under the innermost open container (or makes it the root). */
static void attach(builder *b, ynode *child, const yaml_mark_t *mark)
{
    if (b->depth == 0) {
        b->doc->root = child;
        return;
    }
    ynode *parent = b->stack[b->depth - 1];
    parent->weight = saturating_add(parent->weight, child->weight);
    if (parent->weight > b->limits->max_expanded_nodes) {
        fail(b, mark,
             "document expands to more than %zu nodes (an alias counts as a copy of "
             "its anchor); refusing it",
             b->limits->max_expanded_nodes);
        return;
    }
    if (parent->kind == YNODE_SEQ) {
        XGROW(parent->items, parent->cap, parent->nitems + 1);
        parent->items[parent->nitems++] = child;
        return;
    }
    ynode **key = &b->pending_key[b->depth - 1];
    if (!*key) {
        *key = child;
        return;
    }
    XGROW(parent->pairs, parent->cap, parent->npairs + 1);
    parent->pairs[parent->npairs].key = *key;
    parent->pairs[parent->npairs].value = child;
    parent->npairs++;
    *key = NULL;
}

static void push(builder *b, ynode *node, const yaml_mark_t *mark)
{
    if (b->depth >= b->limits->max_depth) {
        fail(b, mark, "nesting deeper than %zu levels; refusing it", b->limits->max_depth);
        return;
    }
    XGROW(b->stack, b->stack_cap, b->depth + 1);
    b->pending_key = xrealloc(b->pending_key, b->stack_cap * sizeof(ynode *));
    b->stack[b->depth] = node;
    b->pending_key[b->depth] = NULL;
    b->depth++;
}

/* Orders map entries by key text, then by their place in the document. */
static int pair_order(const void *x, const void *y)
{
    const ypair *p = *(const ypair *const *)x, *q = *(const ypair *const *)y;
    if (p->key->len != q->key->len)
        return p->key->len < q->key->len ? -1 : 1;
    int c = memcmp(p->key->str, q->key->str, p->key->len);
    if (c)
        return c;
    return p < q ? -1 : p > q;
}

/* Refuses a map that gives a key twice, naming the earliest repeat. Sorting
 * keeps a map of a hundred thousand keys cheap (comparing each key with every
 * other took minutes). */
static void check_duplicate_keys(builder *b, const ynode *map)
{
    if (map->npairs < 2)
        return;
    const ypair **sorted = xcalloc(map->npairs, sizeof(ypair *));
    size_t n = 0;
    for (size_t i = 0; i < map->npairs; i++)
        if (map->pairs[i].key->kind == YNODE_SCALAR)
            sorted[n++] = &map->pairs[i];
    if (n > 1)
        qsort(sorted, n, sizeof(ypair *), pair_order);
    const ypair *first = NULL, *again = NULL;
    for (size_t i = 1; i < n; i++) {
        const ynode *k = sorted[i]->key, *prev = sorted[i - 1]->key;
        if (k->len == prev->len && memcmp(k->str, prev->str, k->len) == 0 &&
            (!again || sorted[i] < again)) {
            first = sorted[i - 1];
            again = sorted[i];
        }
    }
    free(sorted);
    if (again) {
        diag_add(b->diags, b->doc->file, again->key->line, again->key->col,
                 "duplicate key '%s' (first given at line %d)", again->key->str, first->key->line);
        b->failed = true;
    }
}

static void pop(builder *b, const yaml_mark_t *mark)
{
    ynode *node = b->stack[--b->depth];
    if (node->kind == YNODE_MAP)
        check_duplicate_keys(b, node);
    attach(b, node, mark);
}

/* The 0-based line and column (in characters) of byte offset in the text. */
static yaml_mark_t mark_of_offset(const builder *b, size_t offset)
{
    yaml_mark_t mark = {.index = offset};
    for (size_t i = 0; i < offset && i < b->len; i++) {
        unsigned char c = (unsigned char)b->buf[i];
        if (c == '\n') {
            mark.line++;
            mark.column = 0;
        } else if ((c & 0xC0) != 0x80) {
            mark.column++;
        }
    }
    return mark;
}

/* The byte at a mark (whose column counts characters), or 0 past the end. */
static unsigned char byte_at_mark(const builder *b, const yaml_mark_t *mark)
{
    size_t i = 0;
    for (size_t line = 0; i < b->len && line < mark->line; i++)
        if (b->buf[i] == '\n')
            line++;
    for (size_t col = 0; i < b->len && col < mark->column && b->buf[i] != '\n'; col++) {
        i++;
        while (i < b->len && ((unsigned char)b->buf[i] & 0xC0) == 0x80)
            i++;
    }
    return i < b->len ? (unsigned char)b->buf[i] : 0;
}

static void report_parser_error(builder *b, const yaml_parser_t *parser)
{
    const char *problem = parser->problem ? parser->problem : "malformed YAML";
    char *msg = parser->context ? xasprintf("%s %s that starts at line %d column %d", problem,
                                            parser->context, (int)parser->context_mark.line + 1,
                                            (int)parser->context_mark.column + 1)
                                : xstrdup(problem);
    /* libyaml's problem_mark points at the offending character; a reader
     * error (bad encoding) has only a byte offset, placed here. */
    yaml_mark_t mark = parser->problem_mark;
    if (parser->error == YAML_READER_ERROR) {
        mark = mark_of_offset(b, parser->problem_offset);
        diag_add(b->diags, b->doc->file, (int)mark.line + 1, (int)mark.column + 1,
                 "%s at byte %zu (is the file UTF-8 text?)", msg, parser->problem_offset);
    } else if (byte_at_mark(b, &mark) == '\t') {
        /* libyaml's words for a tab say little to someone used to editors. */
        diag_add(b->diags, b->doc->file, (int)mark.line + 1, (int)mark.column + 1,
                 "%s; YAML indents with spaces, not tabs", msg);
    } else {
        diag_add(b->diags, b->doc->file, (int)mark.line + 1, (int)mark.column + 1, "%s", msg);
    }
    free(msg);
    b->failed = true;
}

static void handle_event(builder *b, yaml_event_t *ev, int *documents)
{
    const yaml_mark_t *mark = &ev->start_mark;
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (++*documents > 1)
            fail(b, mark, "only one YAML document is allowed per file");
        break;
    case YAML_SCALAR_EVENT: {
        ynode *n = node_new(b, YNODE_SCALAR, mark);
        n->str = xstrndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
        n->len = ev->data.scalar.length;
        n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        if (strlen(n->str) != n->len)
            fail(b, mark, "text contains a NUL character");
        remember_anchor(b, ev->data.scalar.anchor, n);
        attach(b, n, mark);
        break;
    }
    case YAML_SEQUENCE_START_EVENT: {
        ynode *n = node_new(b, YNODE_SEQ, mark);
        remember_anchor(b, ev->data.sequence_start.anchor, n);
        push(b, n, mark);
        break;
    }
    case YAML_MAPPING_START_EVENT: {
        ynode *n = node_new(b, YNODE_MAP, mark);
        remember_anchor(b, ev->data.mapping_start.anchor, n);
        push(b, n, mark);
        break;
    }
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        if (b->depth > 0)
            pop(b, mark);
        break;
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        if (++b->aliases > b->limits->max_aliases) {
            fail(b, mark, "more than %zu aliases; refusing the document", b->limits->max_aliases);
            break;
        }
        ynode *target = find_anchor(b, name);
        if (!target) {
            fail(b, mark, "unknown anchor '%s'", name);
            break;
        }
        /* An alias to a container still open would make a cycle. */
        for (size_t i = 0; i < b->depth; i++) {
            if (b->stack[i] == target) {
                fail(b, mark, "alias '*%s' refers to a node that contains it", name);
                return;
            }
        }
        attach(b, target, mark);
        break;
    }
    default:
        break;
    }
}

ydoc *ydoc_parse(const char *file, const char *buf, size_t len, const ylimits *limits,
                 diag_list *diags)
{
    if (!limits)
        limits = &YLIMITS_DEFAULT;
    ydoc *doc = xcalloc(1, sizeof(ydoc));
    doc->file = xstrdup(file ? file : "<input>");
    if (len > limits->max_bytes) {
        diag_add(diags, doc->file, 0, 0, "file is %zu bytes; scenario files are limited to %zu",
                 len, limits->max_bytes);
        ydoc_free(doc);
        return NULL;
    }
    builder b = {.doc = doc, .buf = buf, .len = len, .limits = limits, .diags = diags};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        diag_add(diags, doc->file, 0, 0, "cannot initialise the YAML parser");
        ydoc_free(doc);
        return NULL;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    int documents = 0;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            report_parser_error(&b, &parser);
            break;
        }
        yaml_event_type_t type = ev.type;
        handle_event(&b, &ev, &documents);
        yaml_event_delete(&ev);
        if (type == YAML_STREAM_END_EVENT || b.failed)
            break;
    }
    yaml_parser_delete(&parser);
    for (size_t i = 0; i < b.nanchors; i++)
        free(b.anchors[i].name);
    free(b.anchors);
    free(b.stack);
    free(b.pending_key);
    if (b.failed) {
        ydoc_free(doc);
        return NULL;
    }
    return doc;
}

ydoc *ydoc_load_file(const char *path, const ylimits *limits, diag_list *diags)
{
    if (!limits)
        limits = &YLIMITS_DEFAULT;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        diag_add(diags, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        diag_add(diags, path, 0, 0, "is a directory, not a scenario file");
        close(fd);
        return NULL;
    }
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size > limits->max_bytes) {
        diag_add(diags, path, 0, 0, "file is %lld bytes; scenario files are limited to %zu",
                 (long long)st.st_size, limits->max_bytes);
        close(fd);
        return NULL;
    }
    /* Read at most one byte past the limit, so pipes are bounded too. */
    size_t cap = limits->max_bytes + 1, len = 0;
    char *buf = xmalloc(cap);
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            diag_add(diags, path, 0, 0, "cannot read: %s", strerror(errno));
            free(buf);
            close(fd);
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len == cap)
            break;
    }
    close(fd);
    ydoc *doc = ydoc_parse(path, buf, len, limits, diags);
    free(buf);
    return doc;
}

void ydoc_free(ydoc *doc)
{
    if (!doc)
        return;
    ynode *n = doc->owned;
    while (n) {
        ynode *next = n->next_owned;
        free(n->str);
        free(n->pairs);
        free(n->items);
        free(n);
        n = next;
    }
    free(doc->file);
    free(doc);
}

ynode *ymap_get(const ynode *map, const char *key)
{
    if (!map || map->kind != YNODE_MAP)
        return NULL;
    for (size_t i = 0; i < map->npairs; i++) {
        const ynode *k = map->pairs[i].key;
        if (k->kind == YNODE_SCALAR && strcmp(k->str, key) == 0)
            return map->pairs[i].value;
    }
    return NULL;
}

bool ynode_is_null(const ynode *node)
{
    if (!node || node->kind != YNODE_SCALAR || !node->plain)
        return false;
    return node->len == 0 || strcmp(node->str, "~") == 0 || strcmp(node->str, "null") == 0 ||
           strcmp(node->str, "Null") == 0 || strcmp(node->str, "NULL") == 0;
}

const char *ynode_kind_name(const ynode *node)
{
    if (!node)
        return "nothing";
    if (ynode_is_null(node))
        return "null";
    switch (node->kind) {
    case YNODE_MAP:
        return "a map";
    case YNODE_SEQ:
        return "a list";
    default:
        return "a scalar";
    }
}
