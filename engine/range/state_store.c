/*
 * sqlite-backed range state (see state_store.h). WAL mode and a busy
 * timeout let worker threads record progress concurrently; each write is
 * one statement, durable when it returns.
 */
#include "state_store.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"

#include <sqlite3.h>
#include <stdarg.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct state_store {
    sqlite3 *db;
    char *path;
};

static const char SCHEMA[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS teams(team INTEGER PRIMARY KEY, host_uri TEXT NOT NULL,"
    "  state TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS resources(id INTEGER PRIMARY KEY, team INTEGER NOT NULL,"
    "  kind TEXT NOT NULL, name TEXT NOT NULL, host_uri TEXT NOT NULL,"
    "  created INTEGER NOT NULL DEFAULT 0, UNIQUE(kind, name, host_uri));"
    "CREATE TABLE IF NOT EXISTS nodes(team INTEGER NOT NULL, node TEXT NOT NULL,"
    "  domain TEXT NOT NULL, host_uri TEXT NOT NULL, role TEXT NOT NULL,"
    "  addresses TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY(team, node));";

const char *resource_kind_name(resource_kind kind)
{
    switch (kind) {
    case RES_NETWORK:
        return "network";
    case RES_VOLUME:
        return "volume";
    case RES_NWFILTER:
        return "nwfilter";
    default:
        return "domain";
    }
}

static resource_kind resource_kind_parse(const char *s)
{
    if (!strcmp(s, "network"))
        return RES_NETWORK;
    if (!strcmp(s, "volume"))
        return RES_VOLUME;
    if (!strcmp(s, "nwfilter"))
        return RES_NWFILTER;
    return RES_DOMAIN;
}

static int report(state_store *st, const char *what)
{
    log_printf(ENSHU_LOG_ERROR, "enshu: state store %s: %s: %s", st->path, what,
               sqlite3_errmsg(st->db));
    return ENSHU_EIO;
}

/* Prepares sql and binds parameters given by types: 's' text, 'i' int. */
static sqlite3_stmt *prepare_bound(state_store *st, const char *sql, const char *types, va_list ap)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        report(st, "prepare");
        return NULL;
    }
    for (int i = 0; types[i]; i++) {
        if (types[i] == 's')
            sqlite3_bind_text(stmt, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_int(stmt, i + 1, va_arg(ap, int));
    }
    return stmt;
}

/* Runs one statement (see prepare_bound for types). */
static int exec_bound(state_store *st, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    sqlite3_stmt *stmt = prepare_bound(st, sql, types, ap);
    va_end(ap);
    if (!stmt)
        return ENSHU_EIO;
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return report(st, "write");
    return ENSHU_OK;
}

int state_store_open(const char *path, bool create, state_store **out)
{
    *out = NULL;
    state_store *st = xcalloc(1, sizeof(state_store));
    st->path = xstrdup(path);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        if (create || access(path, F_OK) == 0)
            report(st, "open");
        state_store_free(st);
        return ENSHU_EIO;
    }
    sqlite3_busy_timeout(st->db, 10000);
    char *msg = NULL;
    if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                     &msg) != SQLITE_OK ||
        sqlite3_exec(st->db, SCHEMA, NULL, NULL, &msg) != SQLITE_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu: state store %s: %s", path, msg ? msg : "cannot set up");
        sqlite3_free(msg);
        state_store_free(st);
        return ENSHU_EIO;
    }
    char *version = state_store_get_meta(st, "schema_version");
    char *end = NULL;
    if (!version) {
        char v[16];
        snprintf(v, sizeof v, "%d", STATE_SCHEMA_VERSION);
        if (state_store_set_meta(st, "schema_version", v) < 0) {
            state_store_free(st);
            return ENSHU_EIO;
        }
    } else if (strtol(version, &end, 10) != STATE_SCHEMA_VERSION || *end != '\0') {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: state store %s has schema version %s; this enshu reads %d", path,
                   version, STATE_SCHEMA_VERSION);
        free(version);
        state_store_free(st);
        return ENSHU_EIO;
    }
    free(version);
    *out = st;
    return ENSHU_OK;
}

void state_store_free(state_store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

const char *state_store_path(const state_store *st)
{
    return st->path;
}

int state_store_set_meta(state_store *st, const char *key, const char *value)
{
    return exec_bound(st,
                      "INSERT INTO meta(key, value) VALUES(?1, ?2) "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                      "ss", key, value);
}

/* The first column of the first row as a copy, or NULL. */
static char *query_text(state_store *st, const char *sql, const char *types, ...)
{
    va_list ap;
    va_start(ap, types);
    sqlite3_stmt *stmt = prepare_bound(st, sql, types, ap);
    va_end(ap);
    if (!stmt)
        return NULL;
    char *out = NULL;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0))
        out = xstrdup((const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return out;
}

char *state_store_get_meta(state_store *st, const char *key)
{
    return query_text(st, "SELECT value FROM meta WHERE key = ?1", "s", key);
}

int state_store_set_team(state_store *st, int team, const char *host_uri, const char *state)
{
    return exec_bound(st,
                      "INSERT INTO teams(team, host_uri, state) VALUES(?1, ?2, ?3) "
                      "ON CONFLICT(team) DO UPDATE SET host_uri = excluded.host_uri, "
                      "state = excluded.state",
                      "iss", team, host_uri, state);
}

char *state_store_team_host(state_store *st, int team)
{
    return query_text(st, "SELECT host_uri FROM teams WHERE team = ?1", "i", team);
}

int state_store_resource_begin(state_store *st, int team, resource_kind kind, const char *name,
                               const char *host_uri)
{
    return exec_bound(st,
                      "INSERT INTO resources(team, kind, name, host_uri) "
                      "VALUES(?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                      "isss", team, resource_kind_name(kind), name, host_uri);
}

int state_store_resource_recorded(state_store *st, resource_kind kind, const char *name,
                                  const char *host_uri)
{
    char *found = query_text(st,
                             "SELECT 'y' FROM resources WHERE kind = ?1 AND name = ?2 "
                             "AND host_uri = ?3",
                             "sss", resource_kind_name(kind), name, host_uri);
    free(found);
    return found != NULL;
}

int state_store_resource_done(state_store *st, resource_kind kind, const char *name,
                              const char *host_uri)
{
    return exec_bound(st,
                      "UPDATE resources SET created = 1 WHERE kind = ?1 AND name = ?2 "
                      "AND host_uri = ?3",
                      "sss", resource_kind_name(kind), name, host_uri);
}

int state_store_resource_forget(state_store *st, resource_kind kind, const char *name,
                                const char *host_uri)
{
    return exec_bound(st, "DELETE FROM resources WHERE kind = ?1 AND name = ?2 AND host_uri = ?3",
                      "sss", resource_kind_name(kind), name, host_uri);
}

static char *column_dup(sqlite3_stmt *stmt, int col)
{
    const unsigned char *t = sqlite3_column_text(stmt, col);
    return xstrdup(t ? (const char *)t : "");
}

int state_store_resources(state_store *st, stored_resource **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT team, kind, name, host_uri, created FROM resources ORDER BY id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return report(st, "prepare");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        XGROW(*out, cap, *count + 1);
        stored_resource *r = &(*out)[(*count)++];
        r->team = sqlite3_column_int(stmt, 0);
        r->kind = resource_kind_parse((const char *)sqlite3_column_text(stmt, 1));
        r->name = column_dup(stmt, 2);
        r->host_uri = column_dup(stmt, 3);
        r->created = sqlite3_column_int(stmt, 4) != 0;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return report(st, "read resources");
    return ENSHU_OK;
}

void stored_resources_free(stored_resource *items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(items[i].name);
        free(items[i].host_uri);
    }
    free(items);
}

int state_store_set_node(state_store *st, const stored_node *n)
{
    return exec_bound(st,
                      "INSERT INTO nodes(team, node, domain, host_uri, role, addresses, state) "
                      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(team, node) DO UPDATE SET "
                      "domain = excluded.domain, host_uri = excluded.host_uri, role = "
                      "excluded.role, addresses = excluded.addresses, state = excluded.state",
                      "issssss", n->team, n->node, n->domain, n->host_uri, n->role, n->addresses,
                      n->state);
}

int state_store_set_node_state(state_store *st, int team, const char *node, const char *state)
{
    return exec_bound(st, "UPDATE nodes SET state = ?3 WHERE team = ?1 AND node = ?2", "iss", team,
                      node, state);
}

int state_store_nodes(state_store *st, stored_node **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(st->db,
                           "SELECT team, node, domain, host_uri, role, addresses, state FROM nodes "
                           "ORDER BY team, rowid",
                           -1, &stmt, NULL) != SQLITE_OK)
        return report(st, "prepare");
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        XGROW(*out, cap, *count + 1);
        stored_node *n = &(*out)[(*count)++];
        n->team = sqlite3_column_int(stmt, 0);
        n->node = column_dup(stmt, 1);
        n->domain = column_dup(stmt, 2);
        n->host_uri = column_dup(stmt, 3);
        n->role = column_dup(stmt, 4);
        n->addresses = column_dup(stmt, 5);
        n->state = column_dup(stmt, 6);
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE)
        return report(st, "read nodes");
    return ENSHU_OK;
}

void stored_nodes_free(stored_node *items, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(items[i].node);
        free(items[i].domain);
        free(items[i].host_uri);
        free(items[i].role);
        free(items[i].addresses);
        free(items[i].state);
    }
    free(items);
}
