/* The event ledger: durable appends, idempotence keys, order, concurrent
 * appenders sharing commits, schema versions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "event_store.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *temp_path(void)
{
    char dir[] = "/tmp/enshu-ledger-XXXXXX";
    assert_non_null(mkdtemp(dir));
    return xasprintf("%s/events.db", dir);
}

typedef struct collected {
    int count;
    int64_t last_seq;
    bool ordered;
    char subjects[16][32];
} collected;

static int collect(const event *ev, void *arg)
{
    collected *c = arg;
    if (ev->seq <= c->last_seq)
        c->ordered = false;
    c->last_seq = ev->seq;
    if (c->count < 16)
        snprintf(c->subjects[c->count], 32, "%s:%s:%lld", event_kind_name(ev->kind),
                 ev->subject ? ev->subject : "-", (long long)ev->value);
    c->count++;
    return 0;
}

static void appends_survive_reopen_in_order(void **state)
{
    char *path = temp_path();
    event_store *st;
    assert_int_equal(event_store_open(path, true, &st), ENSHU_OK);
    event a = {.at_ms = 1000, .team = 1, .kind = EV_CHECK_RESULT, .subject = "beacon", .value = 1};
    event b = {.at_ms = 2000, .team = 1, .kind = EV_ANSWER, .subject = "c2", .text = "10.0.0.66"};
    int64_t s1, s2;
    assert_int_equal(event_store_append(st, &a, NULL, &s1), ENSHU_OK);
    assert_int_equal(event_store_append(st, &b, NULL, &s2), ENSHU_OK);
    assert_true(s2 > s1);
    event_store_free(st); /* nothing else was flushed: appends are durable on return */
    assert_int_equal(event_store_open(path, true, &st), ENSHU_OK);
    collected c = {.ordered = true};
    assert_int_equal(event_store_scan(st, 0, collect, &c), ENSHU_OK);
    assert_int_equal(c.count, 2);
    assert_string_equal(c.subjects[0], "check.result:beacon:1");
    assert_string_equal(c.subjects[1], "answer:c2:0");
    collected after = {.ordered = true};
    assert_int_equal(event_store_scan(st, s1, collect, &after), ENSHU_OK);
    assert_int_equal(after.count, 1);
    event_store_free(st);
    unlink(path);
    free(path);
}

static void once_keys_make_injects_happen_once(void **state)
{
    char *path = temp_path();
    event_store *st;
    assert_int_equal(event_store_open(path, true, &st), ENSHU_OK);
    event begin = {.team = 2, .kind = EV_INJECT_BEGIN, .subject = "malware"};
    assert_int_equal(event_store_append(st, &begin, "inject/2/malware", NULL), ENSHU_OK);
    assert_int_equal(event_store_append(st, &begin, "inject/2/malware", NULL), ENSHU_EEXIST);
    event_store_free(st);
    /* Also after a restart. */
    assert_int_equal(event_store_open(path, true, &st), ENSHU_OK);
    assert_int_equal(event_store_append(st, &begin, "inject/2/malware", NULL), ENSHU_EEXIST);
    assert_int_equal(event_store_append(st, &begin, "inject/3/malware", NULL), ENSHU_OK);
    collected c = {.ordered = true};
    assert_int_equal(event_store_scan(st, 0, collect, &c), ENSHU_OK);
    assert_int_equal(c.count, 2);
    event_store_free(st);
    unlink(path);
    free(path);
}

#define THREADS 8
#define PER_THREAD 500

static void *append_many(void *arg)
{
    event_store *st = arg;
    for (int i = 0; i < PER_THREAD; i++) {
        event ev = {.at_ms = i, .team = 1, .kind = EV_CHECK_RESULT, .subject = "x", .value = i};
        if (event_store_append(st, &ev, NULL, NULL) != ENSHU_OK)
            return (void *)1;
    }
    return NULL;
}

static void concurrent_appenders_share_commits(void **state)
{
    char *path = temp_path();
    event_store *st;
    assert_int_equal(event_store_open(path, true, &st), ENSHU_OK);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&t[i], NULL, append_many, st), 0);
    for (int i = 0; i < THREADS; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        assert_null(rc);
    }
    event_store_stats stats = event_store_get_stats(st);
    assert_int_equal(stats.events, THREADS * PER_THREAD);
    assert_true(stats.batches < stats.events); /* some commits carried several events */
    collected c = {.ordered = true};
    assert_int_equal(event_store_scan(st, 0, collect, &c), ENSHU_OK);
    assert_int_equal(c.count, THREADS * PER_THREAD);
    assert_true(c.ordered);
    event_store_free(st);
    unlink(path);
    free(path);
}

typedef struct acks {
    pthread_mutex_t lock;
    int count;
    int64_t max_seq;
} acks;

static void on_durable(int result, int64_t seq, void *arg)
{
    acks *a = arg;
    assert_int_equal(result, ENSHU_OK);
    pthread_mutex_lock(&a->lock);
    a->count++;
    if (seq > a->max_seq)
        a->max_seq = seq;
    pthread_mutex_unlock(&a->lock);
}

static void submissions_are_acknowledged_when_durable(void **state)
{
    char *path = temp_path();
    event_store *st;
    assert_int_equal(event_store_open(path, true, &st), ENSHU_OK);
    acks a = {.lock = PTHREAD_MUTEX_INITIALIZER};
    char text[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(text, sizeof text, "answer %d", i); /* copied: reused at once */
        event ev = {.team = 1 + i % 4, .kind = EV_ANSWER, .subject = "q1", .text = text};
        assert_int_equal(event_store_submit(st, &ev, NULL, on_durable, &a), ENSHU_OK);
    }
    event bad = {.kind = EV_KIND_COUNT};
    assert_int_equal(event_store_submit(st, &bad, NULL, on_durable, &a), ENSHU_EINVAL);
    event_store_free(st); /* drains what is queued */
    assert_int_equal(a.count, 3000);
    assert_int_equal(a.max_seq, 3000);
    assert_int_equal(event_store_open(path, true, &st), ENSHU_OK);
    collected c = {.ordered = true};
    assert_int_equal(event_store_scan(st, 2999, collect, &c), ENSHU_OK);
    assert_int_equal(c.count, 1);
    event_store_free(st);
    unlink(path);
    free(path);
}

static int64_t query_int(const char *path, const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *q;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    return v;
}

/* A ledger written by the first version (its schema, as that version made
 * it) opens: migrated in place, its events kept, the unused team index
 * gone, and appends after it carry the newer columns. */
static void older_ledgers_are_migrated_in_place(void **state)
{
    char *path = temp_path();
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db,
                     "CREATE TABLE events(seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL,"
                     " wall_ms INTEGER NOT NULL, team INTEGER NOT NULL, kind TEXT NOT NULL,"
                     " subject TEXT, value INTEGER NOT NULL DEFAULT 0, text TEXT,"
                     " once_key TEXT UNIQUE);"
                     "CREATE INDEX events_team ON events(team, seq);"
                     "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                     "INSERT INTO events(at_ms, wall_ms, team, kind, subject, value)"
                     " VALUES(0, 5, 0, 'exercise.state', 'running', 0);"
                     "PRAGMA user_version = 1;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    sqlite3_close(db);

    event_store *st = NULL;
    assert_int_equal(event_store_open(path, false, &st), ENSHU_OK);
    event ev = {
        .at_ms = 10, .team = 2, .kind = EV_ANSWER, .subject = "q", .text = "x", .actor = "Aiko"};
    int64_t seq = 0;
    assert_int_equal(event_store_append(st, &ev, NULL, &seq), ENSHU_OK);
    assert_int_equal(seq, 2);
    collected c = {.ordered = true};
    assert_int_equal(event_store_scan(st, 0, collect, &c), ENSHU_OK);
    assert_int_equal(c.count, 2);
    assert_string_equal(c.subjects[0], "exercise.state:running:0");
    event_store_free(st);

    assert_int_equal(query_int(path, "PRAGMA user_version"), 4);
    assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                     "'events_team'"),
                     0);
    assert_int_equal(query_int(path, "SELECT count(*) FROM sqlite_master WHERE name = "
                                     "'events_time'"),
                     1);
    assert_int_equal(query_int(path, "SELECT count(*) FROM events WHERE actor = 'Aiko'"), 1);
    unlink(path);
    free(path);
}

static void newer_schemas_are_refused(void **state)
{
    char *path = temp_path();
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    event_store *st = NULL;
    assert_int_equal(event_store_open(path, true, &st), ENSHU_EIO);
    assert_null(st);
    event_store_free(NULL);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_survive_reopen_in_order),
        cmocka_unit_test(once_keys_make_injects_happen_once),
        cmocka_unit_test(concurrent_appenders_share_commits),
        cmocka_unit_test(submissions_are_acknowledged_when_durable),
        cmocka_unit_test(older_ledgers_are_migrated_in_place),
        cmocka_unit_test(newer_schemas_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
