/*
 * The range state store: one sqlite file per range recording what was
 * created, where, as it happens. A resource is written as "creating" before
 * the libvirt call and "created" after it, so `enshu down` removes exactly
 * what exists even after `enshu up` crashed half way, and a second `up`
 * resumes instead of duplicating.
 */
#ifndef ENSHU_STATE_STORE_H
#define ENSHU_STATE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#define STATE_SCHEMA_VERSION 1

typedef struct state_store state_store;

/* RES_NWFILTER: a team's guest isolation filter (libvirt_xml.h). */
typedef enum resource_kind { RES_NETWORK, RES_VOLUME, RES_DOMAIN, RES_NWFILTER } resource_kind;

typedef struct stored_resource {
    int team;
    resource_kind kind;
    char *name;
    char *host_uri;
    bool created; /* false: creation started but not confirmed */
} stored_resource;

typedef struct stored_node {
    int team;
    char *node;
    char *domain;
    char *host_uri;
    char *role;
    char *addresses; /* "office=10.80.0.10/24 dmz=..." */
    char *state;     /* planned, started, ready, failed */
} stored_node;

/* Opens (creating if asked) the store at path. Logs errors (log.h). */
int state_store_open(const char *path, bool create, state_store **out)
    __attribute__((warn_unused_result));
void state_store_free(state_store *st);
const char *state_store_path(const state_store *st);

int state_store_set_meta(state_store *st, const char *key, const char *value)
    __attribute__((warn_unused_result));
/* Returns a copy of the value, or NULL when absent. */
char *state_store_get_meta(state_store *st, const char *key);

int state_store_set_team(state_store *st, int team, const char *host_uri, const char *state)
    __attribute__((warn_unused_result));
/* Host of a team, or NULL when the team is not recorded (caller frees). */
char *state_store_team_host(state_store *st, int team);

int state_store_resource_begin(state_store *st, int team, resource_kind kind, const char *name,
                               const char *host_uri) __attribute__((warn_unused_result));
/* 1 when the resource is recorded (begun, maybe created) in this store, 0
 * when not, or a negative code: a libvirt object of that name the store
 * does not know was left by another run or made by hand. */
int state_store_resource_recorded(state_store *st, resource_kind kind, const char *name,
                                  const char *host_uri) __attribute__((warn_unused_result));
int state_store_resource_done(state_store *st, resource_kind kind, const char *name,
                              const char *host_uri) __attribute__((warn_unused_result));
int state_store_resource_forget(state_store *st, resource_kind kind, const char *name,
                                const char *host_uri) __attribute__((warn_unused_result));

/* All resources in creation order. */
int state_store_resources(state_store *st, stored_resource **out, size_t *count)
    __attribute__((warn_unused_result));
void stored_resources_free(stored_resource *items, size_t count);

int state_store_set_node(state_store *st, const stored_node *n) __attribute__((warn_unused_result));
int state_store_set_node_state(state_store *st, int team, const char *node, const char *state)
    __attribute__((warn_unused_result));
int state_store_nodes(state_store *st, stored_node **out, size_t *count)
    __attribute__((warn_unused_result));
void stored_nodes_free(stored_node *items, size_t count);

const char *resource_kind_name(resource_kind kind);

#endif
