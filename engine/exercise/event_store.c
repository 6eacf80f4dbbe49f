/*
 * The event ledger (see event_store.h).
 *
 * Appenders put a request on a queue and sleep; the writer thread takes
 * everything queued, inserts it in one transaction, commits (with
 * synchronous=FULL the WAL is synced), then wakes them with their results.
 */
#include "event_store.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"
#include "monotonic_cond.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_BATCH 512

typedef struct append_req {
    event ev;
    const char *once_key;
    int64_t seq;
    int result;
    bool done;
    pthread_cond_t *wake; /* a blocking appender's own, signalled when done */
    /* Asynchronous submissions: the request owns copies of its strings, is
     * answered through the callback and freed by the writer. */
    event_store_done_fn callback;
    void *callback_arg;
    char *owned[4];
    struct append_req *next;
} append_req;

struct event_store {
    sqlite3 *db;
    char *path;
    sqlite3_stmt *insert;
    pthread_mutex_t lock;
    pthread_cond_t work; /* the writer waits for requests */
    append_req *head, *tail;
    bool stopping;
    pthread_t writer;
    pthread_t checkpointer;
    pthread_cond_t tick; /* wakes the checkpointer early when stopping */
    event_store_stats stats;
};

/* Each entry moves the schema one version up. */
static const char *const MIGRATIONS[] = {
    /* 1 */
    "CREATE TABLE events("
    "  seq INTEGER PRIMARY KEY,"
    "  at_ms INTEGER NOT NULL,"
    "  wall_ms INTEGER NOT NULL,"
    "  team INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  subject TEXT,"
    "  value INTEGER NOT NULL DEFAULT 0,"
    "  text TEXT,"
    "  once_key TEXT UNIQUE);"
    "CREATE INDEX events_team ON events(team, seq);"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);",
    /* 2: who did it (a trainee's display name, an instructor), for people */
    "ALTER TABLE events ADD COLUMN actor TEXT;",
    /* 3: every reader goes by seq; an index by team made each commit touch
     * a page per team (eight times the log written) and served no query */
    "DROP INDEX events_team;",
    /* 4: pages of events in exercise time (event_query.h); exercise time
     * grows with seq, so an append touches the index's last page only */
    "CREATE INDEX events_time ON events(at_ms);",
};

static int report(event_store *st, const char *what)
{
    log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: %s: %s", st->path, what,
               sqlite3_errmsg(st->db));
    return ENSHU_EIO;
}

static int migrate(event_store *st, bool create)
{
    sqlite3_stmt *stmt;
    int version = 0;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &stmt, NULL) != SQLITE_OK)
        return report(st, "read schema version");
    if (sqlite3_step(stmt) == SQLITE_ROW)
        version = sqlite3_column_int(stmt, 0);
    sqlite3_finalize(stmt);
    int latest = (int)(sizeof MIGRATIONS / sizeof MIGRATIONS[0]);
    if (version == 0 && !create) {
        log_printf(ENSHU_LOG_ERROR, "enshu: %s is not an Enshu event ledger", st->path);
        return ENSHU_EINVAL;
    }
    if (version > latest) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: event ledger %s has schema version %d; this enshu knows up to %d",
                   st->path, version, latest);
        return ENSHU_EIO;
    }
    for (int v = version; v < latest; v++) {
        char *sql = xasprintf("BEGIN; %s PRAGMA user_version = %d; COMMIT;", MIGRATIONS[v], v + 1);
        char *msg = NULL;
        int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
        free(sql);
        if (rc != SQLITE_OK) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: event ledger %s: migration to version %d failed: %s", st->path,
                       v + 1, msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return ENSHU_EIO;
        }
    }
    return ENSHU_OK;
}

static int insert_one(event_store *st, append_req *r)
{
    const event *ev = &r->ev;
    sqlite3_stmt *s = st->insert;
    sqlite3_reset(s);
    sqlite3_bind_int64(s, 1, ev->at_ms);
    sqlite3_bind_int64(s, 2, ev->wall_ms);
    sqlite3_bind_int(s, 3, ev->team);
    sqlite3_bind_text(s, 4, event_kind_name(ev->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, ev->subject, -1, SQLITE_STATIC); /* alive until the step */
    sqlite3_bind_int64(s, 6, ev->value);
    sqlite3_bind_text(s, 7, ev->text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, r->once_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 9, ev->actor, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        r->seq = sqlite3_last_insert_rowid(st->db);
        return ENSHU_OK;
    }
    if (rc == SQLITE_CONSTRAINT && r->once_key)
        return ENSHU_EEXIST;
    return report(st, "append");
}

/* Inserts and commits one batch; sets every request's result. */
static void commit_batch(event_store *st, append_req *batch)
{
    int rc = sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK ? ENSHU_OK
                                                                          : report(st, "begin");
    for (append_req *r = batch; r; r = r->next)
        r->result = rc == ENSHU_OK ? insert_one(st, r) : rc;
    if (rc == ENSHU_OK && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        report(st, "commit");
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
        for (append_req *r = batch; r; r = r->next)
            r->result = ENSHU_EIO;
    }
}

static void *writer_main(void *arg)
{
    event_store *st = arg;
    pthread_mutex_lock(&st->lock);
    for (;;) {
        while (!st->head && !st->stopping)
            pthread_cond_wait(&st->work, &st->lock);
        if (!st->head && st->stopping)
            break;
        /* Take up to MAX_BATCH requests; later ones wait for the next round. */
        append_req *batch = st->head, *last = batch;
        size_t n = 1;
        while (last->next && n < MAX_BATCH) {
            last = last->next;
            n++;
        }
        st->head = last->next;
        if (!st->head)
            st->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&st->lock);
        commit_batch(st, batch);
        pthread_mutex_lock(&st->lock);
        st->stats.batches++;
        st->stats.events += n;
        append_req *async = NULL;
        for (append_req *r = batch, *next; r; r = next) {
            next = r->next;
            if (r->callback) {
                r->next = async;
                async = r;
            } else {
                /* Only its appender wakes (not every one waiting for a later
                 * batch); it owns r: r is not touched after this. */
                r->done = true;
                pthread_cond_signal(r->wake);
            }
        }
        pthread_mutex_unlock(&st->lock);
        for (append_req *r = async, *next; r; r = next) {
            next = r->next;
            r->callback(r->result, r->seq, r->callback_arg);
            for (int i = 0; i < 4; i++)
                free(r->owned[i]);
            free(r);
        }
        pthread_mutex_lock(&st->lock);
    }
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

/*
 * WAL checkpoints copy the log back into the database file and sync it.
 * Done inline they stall a commit now and then; here a thread of its own
 * does them (PASSIVE: never blocking the writer) once a second.
 */
static void *checkpointer_main(void *arg)
{
    event_store *st = arg;
    sqlite3 *db;
    if (sqlite3_open_v2(st->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: no checkpoints: %s", st->path,
                   sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    pthread_mutex_lock(&st->lock);
    while (!st->stopping) {
        struct timespec until = monotonic_deadline(1000);
        pthread_cond_timedwait(&st->tick, &st->lock, &until);
        pthread_mutex_unlock(&st->lock);
        sqlite3_wal_checkpoint_v2(db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&st->lock);
    }
    pthread_mutex_unlock(&st->lock);
    sqlite3_close(db);
    return NULL;
}

int event_store_open(const char *path, bool create, event_store **out)
{
    *out = NULL;
    event_store *st = xcalloc(1, sizeof(event_store));
    st->path = xstrdup(path);
    if (sqlite3_open_v2(path, &st->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
                            (create ? SQLITE_OPEN_CREATE : 0),
                        NULL) != SQLITE_OK) {
        report(st, "open");
        sqlite3_close(st->db);
        free(st->path);
        free(st);
        return ENSHU_EIO;
    }
    sqlite3_busy_timeout(st->db, 10000);
    /* The version first: a file that is not a ledger is left untouched. */
    int rc = migrate(st, create);
    if (rc == ENSHU_OK && sqlite3_exec(st->db,
                                       "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                                       "PRAGMA wal_autocheckpoint=0;",
                                       NULL, NULL, NULL) != SQLITE_OK)
        rc = report(st, "set up");
    if (rc == ENSHU_OK &&
        sqlite3_prepare_v2(st->db,
                           "INSERT INTO events(at_ms, wall_ms, team, kind, subject, value, text, "
                           "once_key, actor) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           -1, &st->insert, NULL) != SQLITE_OK)
        rc = report(st, "prepare");
    if (rc != ENSHU_OK) {
        sqlite3_finalize(st->insert);
        sqlite3_close(st->db);
        free(st->path);
        free(st);
        return rc;
    }
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->work, NULL);
    monotonic_cond_init(&st->tick);
    if (pthread_create(&st->writer, NULL, writer_main, st) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: cannot start its writer thread", path);
        abort(); /* no thread at all: the process cannot work */
    }
    if (pthread_create(&st->checkpointer, NULL, checkpointer_main, st) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: cannot start its checkpoint thread",
                   path);
        abort();
    }
    *out = st;
    return ENSHU_OK;
}

void event_store_free(event_store *st)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->lock);
    st->stopping = true;
    pthread_cond_signal(&st->work);
    pthread_cond_signal(&st->tick);
    pthread_mutex_unlock(&st->lock);
    pthread_join(st->writer, NULL);
    pthread_join(st->checkpointer, NULL);
    /* Leave a compact file behind: fold the whole log in. */
    sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    pthread_cond_destroy(&st->tick);
    pthread_cond_destroy(&st->work);
    pthread_mutex_destroy(&st->lock);
    sqlite3_finalize(st->insert);
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

static void enqueue(event_store *st, append_req *r)
{
    if (st->tail)
        st->tail->next = r;
    else
        st->head = r;
    st->tail = r;
    pthread_cond_signal(&st->work);
}

int event_store_submit(event_store *st, const event *ev, const char *once_key,
                       event_store_done_fn done, void *arg)
{
    if (ev->kind >= EV_KIND_COUNT || !done)
        return ENSHU_EINVAL;
    append_req *r = xcalloc(1, sizeof(append_req));
    r->ev = *ev;
    r->ev.subject = r->owned[0] = ev->subject ? xstrdup(ev->subject) : NULL;
    r->ev.text = r->owned[1] = ev->text ? xstrdup(ev->text) : NULL;
    r->once_key = r->owned[2] = once_key ? xstrdup(once_key) : NULL;
    r->ev.actor = r->owned[3] = ev->actor ? xstrdup(ev->actor) : NULL;
    r->callback = done;
    r->callback_arg = arg;
    pthread_mutex_lock(&st->lock);
    enqueue(st, r);
    pthread_mutex_unlock(&st->lock);
    return ENSHU_OK;
}

int event_store_append(event_store *st, const event *ev, const char *once_key, int64_t *seq)
{
    if (ev->kind >= EV_KIND_COUNT)
        return ENSHU_EINVAL;
    pthread_cond_t wake;
    pthread_cond_init(&wake, NULL);
    append_req r = {.ev = *ev, .once_key = once_key, .wake = &wake};
    pthread_mutex_lock(&st->lock);
    enqueue(st, &r);
    while (!r.done)
        pthread_cond_wait(&wake, &st->lock);
    pthread_mutex_unlock(&st->lock);
    pthread_cond_destroy(&wake);
    if (seq)
        *seq = r.seq;
    return r.result;
}

/* Meta reads and writes use a connection of their own: the main one may be
 * inside the writer thread's transaction at any moment. */
static sqlite3 *side_connection(event_store *st, int flags)
{
    sqlite3 *db;
    if (sqlite3_open_v2(st->path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: %s", st->path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    return db;
}

int event_store_scan(event_store *st, int64_t after_seq, int (*fn)(const event *ev, void *arg),
                     void *arg)
{
    /* A connection of its own: it sees committed events only, and never
     * shares a transaction with the writer thread. */
    sqlite3 *db = side_connection(st, SQLITE_OPEN_READONLY);
    sqlite3_stmt *s;
    if (!db)
        return ENSHU_EIO;
    if (sqlite3_prepare_v2(
            db,
            "SELECT seq, at_ms, wall_ms, team, kind, subject, value, text, actor FROM "
            "events WHERE seq > ?1 ORDER BY seq",
            -1, &s, NULL) != SQLITE_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: cannot read: %s", st->path,
                   sqlite3_errmsg(db));
        sqlite3_close(db);
        return ENSHU_EIO;
    }
    sqlite3_bind_int64(s, 1, after_seq);
    int rc;
    uint64_t handed = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        event ev = {
            .seq = sqlite3_column_int64(s, 0),
            .at_ms = sqlite3_column_int64(s, 1),
            .wall_ms = sqlite3_column_int64(s, 2),
            .team = sqlite3_column_int(s, 3),
            .kind = event_kind_parse((const char *)sqlite3_column_text(s, 4)),
            .subject = (const char *)sqlite3_column_text(s, 5),
            .value = sqlite3_column_int64(s, 6),
            .text = (const char *)sqlite3_column_text(s, 7),
            .actor = (const char *)sqlite3_column_text(s, 8),
        };
        if (ev.kind == EV_KIND_COUNT)
            continue; /* written by a newer enshu: not ours to interpret */
        handed++;
        if (fn(&ev, arg) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    sqlite3_finalize(s);
    pthread_mutex_lock(&st->lock);
    st->stats.scanned += handed;
    pthread_mutex_unlock(&st->lock);
    if (rc != SQLITE_DONE)
        log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: reading failed: %s", st->path,
                   sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc == SQLITE_DONE ? ENSHU_OK : ENSHU_EIO;
}

int event_store_set_meta(event_store *st, const char *key, const char *value)
{
    sqlite3 *db = side_connection(st, SQLITE_OPEN_READWRITE);
    sqlite3_stmt *s;
    if (!db)
        return ENSHU_EIO;
    int rc = sqlite3_prepare_v2(db,
                                "INSERT INTO meta(key, value) VALUES(?1, ?2) ON CONFLICT(key) "
                                "DO UPDATE SET value = excluded.value",
                                -1, &s, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
        sqlite3_finalize(s);
    }
    if (rc != SQLITE_OK)
        log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: cannot write %s: %s", st->path, key,
                   sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc == SQLITE_OK ? ENSHU_OK : ENSHU_EIO;
}

char *event_store_get_meta(event_store *st, const char *key)
{
    sqlite3 *db = side_connection(st, SQLITE_OPEN_READONLY);
    sqlite3_stmt *s;
    char *out = NULL;
    if (db && sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &s, NULL) ==
                  SQLITE_OK) {
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW)
            out = xstrdup((const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    sqlite3_close(db);
    return out;
}

event_store_stats event_store_get_stats(event_store *st)
{
    pthread_mutex_lock(&st->lock);
    event_store_stats s = st->stats;
    pthread_mutex_unlock(&st->lock);
    return s;
}

const char *event_store_path(const event_store *st)
{
    return st->path;
}
