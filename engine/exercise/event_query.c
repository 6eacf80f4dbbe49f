/*
 * Pages of the event ledger (see event_query.h): one SELECT per page on a
 * read-only connection of its own, the kinds wanted bound as parameters.
 * The page's position is the event it follows (its exercise time and
 * seq), so a page stays right however many events arrive meanwhile: new
 * events are newer, never between pages already read.
 */
#include "event_query.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static sqlite3 *open_reader(event_store *st)
{
    sqlite3 *db;
    if (sqlite3_open_v2(event_store_path(st), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: %s", event_store_path(st),
                   sqlite3_errmsg(db));
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, 10000);
    return db;
}

/* The exercise time of event seq into *at_ms; ENSHU_ENOTFOUND when none. */
static int position_of(sqlite3 *db, int64_t seq, int64_t *at_ms)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, "SELECT at_ms FROM events WHERE seq = ?1", -1, &s, NULL) !=
        SQLITE_OK)
        return ENSHU_EIO;
    sqlite3_bind_int64(s, 1, seq);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        *at_ms = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return rc == SQLITE_ROW ? ENSHU_OK : rc == SQLITE_DONE ? ENSHU_ENOTFOUND : ENSHU_EIO;
}

int event_query_page(event_store *st, const event_query *q, int (*fn)(const event *ev, void *arg),
                     void *arg, bool *more)
{
    if (more)
        *more = false;
    if (q->limit < 1 || q->limit > EVENT_QUERY_MAX_LIMIT || q->team < 0 || q->before_seq < 0)
        return ENSHU_EINVAL;
    sqlite3 *db = open_reader(st);
    if (!db)
        return ENSHU_EIO;
    int64_t before_at = 0;
    int rc = q->before_seq ? position_of(db, q->before_seq, &before_at) : ENSHU_OK;
    if (rc != ENSHU_OK) {
        if (rc == ENSHU_EIO)
            log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: cannot read: %s",
                       event_store_path(st), sqlite3_errmsg(db));
        sqlite3_close(db);
        return rc;
    }
    /* ?1 team, ?2 ?3 the position, then one parameter per kind wanted. */
    char sql[1024];
    int n = snprintf(sql, sizeof sql,
                     "SELECT seq, at_ms, wall_ms, team, kind, subject, value, text, actor "
                     "FROM events WHERE (?1 = 0 OR team = ?1)%s",
                     q->before_seq ? " AND (at_ms < ?2 OR (at_ms = ?2 AND seq < ?3))" : "");
    int nkinds = 0;
    if (q->kinds) {
        n += snprintf(sql + n, sizeof sql - (size_t)n, " AND kind IN (");
        for (int k = 0; k < EV_KIND_COUNT; k++)
            if (q->kinds & (1u << k)) {
                n += snprintf(sql + n, sizeof sql - (size_t)n, "%s?%d", nkinds ? "," : "",
                              4 + nkinds);
                nkinds++;
            }
        n += snprintf(sql + n, sizeof sql - (size_t)n, ")");
    }
    snprintf(sql + n, sizeof sql - (size_t)n, " ORDER BY at_ms DESC, seq DESC LIMIT %zu",
             q->limit + 1);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: cannot read: %s", event_store_path(st),
                   sqlite3_errmsg(db));
        sqlite3_close(db);
        return ENSHU_EIO;
    }
    sqlite3_bind_int(s, 1, q->team);
    if (q->before_seq) {
        sqlite3_bind_int64(s, 2, before_at);
        sqlite3_bind_int64(s, 3, q->before_seq);
    }
    for (int k = 0, p = 4; k < EV_KIND_COUNT; k++)
        if (q->kinds & (1u << k))
            sqlite3_bind_text(s, p++, event_kind_name((event_kind)k), -1, SQLITE_STATIC);
    size_t handed = 0;
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
        if (handed == q->limit) {
            if (more)
                *more = true; /* the one read past the page */
            rc = SQLITE_DONE;
            break;
        }
        if (ev.kind == EV_KIND_COUNT)
            continue; /* written by a newer enshu: not ours to interpret */
        handed++;
        if (fn(&ev, arg) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE)
        log_printf(ENSHU_LOG_ERROR, "enshu: event ledger %s: reading failed: %s",
                   event_store_path(st), sqlite3_errmsg(db));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return rc == SQLITE_DONE ? ENSHU_OK : ENSHU_EIO;
}
