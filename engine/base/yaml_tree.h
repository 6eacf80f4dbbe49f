/*
 * A YAML document read into a small tree of maps, sequences and scalars,
 * each node remembering where it starts in the file. libyaml does the
 * parsing; this layer adds the limits that keep hostile input cheap to
 * refuse (file size, nesting depth, alias count, expanded size) and turns
 * every parse problem into a located diagnostic.
 *
 * Aliases share the anchored node (no copying); a node's "weight" counts the
 * nodes it stands for once every alias is expanded, so an alias bomb is
 * refused while it is being read.
 */
#ifndef ENSHU_YAML_TREE_H
#define ENSHU_YAML_TREE_H

#include "diag.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum ynode_kind { YNODE_SCALAR, YNODE_MAP, YNODE_SEQ } ynode_kind;

typedef struct ynode ynode;

typedef struct ypair {
    ynode *key;
    ynode *value;
} ypair;

struct ynode {
    ynode_kind kind;
    int line; /* 1-based */
    int col;  /* 1-based */
    /* scalar */
    char *str;
    size_t len;
    bool plain; /* unquoted, so "null", "true", "10" may be typed */
    /* map */
    ypair *pairs;
    size_t npairs;
    /* sequence */
    ynode **items;
    size_t nitems;
    size_t cap;
    size_t weight; /* nodes this stands for with every alias expanded */
    ynode *next_owned;
};

typedef struct ylimits {
    size_t max_bytes;
    size_t max_depth;
    size_t max_aliases;
    size_t max_expanded_nodes;
} ylimits;

/* The limits scenario files are held to. */
extern const ylimits YLIMITS_DEFAULT;

typedef struct ydoc {
    char *file;
    ynode *root;  /* NULL when the document is empty */
    ynode *owned; /* every node, for freeing */
} ydoc;

/* Parses buf. Returns NULL (with diagnostics added) when it cannot be read. */
ydoc *ydoc_parse(const char *file, const char *buf, size_t len, const ylimits *limits,
                 diag_list *diags) __attribute__((warn_unused_result));

/* Reads and parses a file, refusing one larger than limits->max_bytes before
 * reading it. */
ydoc *ydoc_load_file(const char *path, const ylimits *limits, diag_list *diags)
    __attribute__((warn_unused_result));

void ydoc_free(ydoc *doc);

/* Map lookup by key; NULL if absent or map is not a map. */
ynode *ymap_get(const ynode *map, const char *key);

/* True for a plain "", "~", "null" or "Null". */
bool ynode_is_null(const ynode *node);

const char *ynode_kind_name(const ynode *node);

#endif
