/*
 * Benchmark: re-scoring 1,000,000 events of 40 teams, as `enshu score`
 * does (read the ledger, feed the grader) and the grader alone on events
 * in memory. Target: <= 2 s.
 */
#include "alloc.h"
#include "errors.h"
#include "event_store.h"
#include "grader.h"
#include "text_file.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVENTS 1000000
#define TEAMS 40

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const SUBJECTS[] = {"infected-host", "stop-beacon", "incident-report",
                                       "beacon-stopped", "web-up"};

/* A plausible mix: mostly check results, then answers, hints and grades. */
static event make_event(size_t i)
{
    event ev = {.at_ms = (int64_t)i * 10, .wall_ms = (int64_t)i, .team = (int)(i % TEAMS) + 1};
    if (i < TEAMS) { /* the beacon starts for every team: stopping it now scores */
        ev.kind = EV_INJECT_FIRED;
        ev.subject = "beacon-start";
        return ev;
    }
    switch (i % 10) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
        ev.kind = EV_CHECK_RESULT;
        ev.subject = SUBJECTS[3 + i % 2];
        ev.value = (i / 40) % 7 == 0;
        ev.text = "exit 0";
        break;
    case 6:
    case 7:
        ev.kind = EV_ANSWER;
        ev.subject = SUBJECTS[0];
        ev.text = (i % 13) ? "ws2" : "ws1";
        break;
    case 8:
        ev.kind = EV_HINT;
        ev.subject = SUBJECTS[1];
        ev.value = 0;
        break;
    default:
        ev.kind = EV_GRADE;
        ev.subject = SUBJECTS[2];
        ev.value = (int64_t)(i % 11);
        ev.text = (i % 2) ? "0" : "1";
        break;
    }
    return ev;
}

static int feed(const event *ev, void *arg)
{
    grader_apply(arg, ev);
    return 0;
}

int main(void)
{
    char dir[] = "/tmp/enshu-bench-rescore-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    char *path = xasprintf("%s/events.db", dir);
    char *yaml = text_file_read(BENCH_SCENARIO, 1u << 20);
    diag_list *d = diag_list_new();
    scenario *s = yaml ? scenario_load_buffer(BENCH_SCENARIO, yaml, strlen(yaml), d) : NULL;
    if (!s)
        return 1;
    event_store *st;
    if (event_store_open(path, true, &st) != ENSHU_OK)
        return 1;
    event_store_free(st);

    /* Fill the ledger directly in one transaction: setup, not measured. */
    sqlite3 *db;
    sqlite3_stmt *ins;
    sqlite3_open(path, &db);
    sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    sqlite3_prepare_v2(db,
                       "INSERT INTO events(at_ms, wall_ms, team, kind, subject, value, text) "
                       "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                       -1, &ins, NULL);
    event *events = xcalloc(EVENTS, sizeof(event));
    for (size_t i = 0; i < EVENTS; i++) {
        events[i] = make_event(i);
        sqlite3_reset(ins);
        sqlite3_bind_int64(ins, 1, events[i].at_ms);
        sqlite3_bind_int64(ins, 2, events[i].wall_ms);
        sqlite3_bind_int(ins, 3, events[i].team);
        sqlite3_bind_text(ins, 4, event_kind_name(events[i].kind), -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, events[i].subject, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 6, events[i].value);
        sqlite3_bind_text(ins, 7, events[i].text, -1, SQLITE_STATIC);
        sqlite3_step(ins);
    }
    sqlite3_finalize(ins);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(db);

    double t0 = now_s();
    grader *g = grader_new(s, TEAMS);
    for (size_t i = 0; i < EVENTS; i++)
        grader_apply(g, &events[i]);
    double t1 = now_s();
    int total_memory = grader_team(g, 1)->total;
    grader_free(g);

    if (event_store_open(path, false, &st) != ENSHU_OK)
        return 1;
    double t2 = now_s();
    g = grader_new(s, TEAMS);
    int rc = event_store_scan(st, 0, feed, g);
    double t3 = now_s();
    int total_ledger = grader_team(g, 1)->total;
    grader_free(g);
    event_store_free(st);

    printf("re-scoring %d events of %d teams (scenario %s)\n", EVENTS, TEAMS, s->id);
    printf("  grader alone, events in memory: %.3f s\n", t1 - t0);
    printf("  from the ledger, as 'enshu score': %.3f s (target <= 2 s)\n", t3 - t2);
    printf("  team 1 total: %d both ways%s\n", total_ledger,
           total_memory == total_ledger && rc == ENSHU_OK ? "" : " -- MISMATCH");
    char *cmd = xasprintf("rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    free(cmd);
    free(events);
    free(yaml);
    free(path);
    scenario_free(s);
    diag_list_free(d);
    return total_memory == total_ledger && rc == ENSHU_OK ? 0 : 1;
}
