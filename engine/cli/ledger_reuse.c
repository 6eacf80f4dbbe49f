/*
 * Whether enshu run may carry on a ledger's exercise (see ledger_reuse.h).
 */
#include "ledger_reuse.h"
#include "alloc.h"
#include "errors.h"
#include "ledger_meta.h"
#include "range_files.h"
#include "state_store.h"
#include "team_vars.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static char *ledger_variation_seed(event_store *ledger)
{
    char *json = event_store_get_meta(ledger, LEDGER_META_TEAM_VARS);
    team_vars *kept = NULL;
    if (json && team_vars_from_json(json, &kept) != ENSHU_OK)
        kept = NULL;
    const char *seed = team_vars_seed(kept);
    char *copy = seed ? xstrdup(seed) : NULL;
    team_vars_free(kept);
    free(json);
    return copy;
}

static int stop_at_first(const event *ev, void *arg)
{
    *(bool *)arg = true;
    return 1;
}

/* The range's instance name, or NULL (no range, or one never run). */
static char *range_instance(const char *name, bool *up)
{
    char *path = range_db_path(name);
    state_store *st = NULL;
    *up = access(path, F_OK) == 0;
    char *inst = NULL;
    if (*up && state_store_open(path, false, &st) == ENSHU_OK)
        inst = state_store_get_meta(st, RANGE_META_INSTANCE);
    state_store_free(st);
    free(path);
    return inst;
}

/* Renames the ledger at path, with its -wal and -shm, to
 * NAME.<UTC time>.events.db beside it; the new path goes to *archive. */
static int archive_ledger(const char *cmd, const char *name, const char *path, char **archive)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    char *to = NULL;
    for (int n = 1; !to || access(to, F_OK) == 0; n++) {
        free(to);
        to = n == 1 ? xasprintf("%s/ranges/%s.%s.events.db", range_state_dir(), name, stamp)
                    : xasprintf("%s/ranges/%s.%s-%d.events.db", range_state_dir(), name, stamp, n);
    }
    /* The write-ahead log first: the ledger's name is what finds it. */
    static const char *const sidecars[] = {"-wal", "-shm"};
    for (size_t i = 0; i < 2; i++) {
        char *from_side = xasprintf("%s%s", path, sidecars[i]);
        char *to_side = xasprintf("%s%s", to, sidecars[i]);
        if (access(from_side, F_OK) == 0 && rename(from_side, to_side) != 0)
            fprintf(stderr, "enshu %s: cannot move %s to %s\n", cmd, from_side, to_side);
        free(from_side);
        free(to_side);
    }
    if (rename(path, to) != 0) {
        fprintf(stderr, "enshu %s: cannot move the old ledger %s to %s\n", cmd, path, to);
        free(to);
        return ENSHU_EIO;
    }
    *archive = to;
    return ENSHU_OK;
}

int ledger_reuse_prepare(const char *cmd, const char *name, ledger_choice choice, ledger_reuse *out)
{
    memset(out, 0, sizeof *out);
    char *path = range_ledger_path(name);
    event_store *ledger = NULL;
    char *ledger_inst = NULL;
    if (access(path, F_OK) == 0 && event_store_open(path, false, &ledger) == ENSHU_OK) {
        if (event_store_scan(ledger, 0, stop_at_first, &out->has_exercise) != ENSHU_OK)
            out->has_exercise = true; /* unreadable: never taken as empty */
        ledger_inst = event_store_get_meta(ledger, LEDGER_META_RANGE_INSTANCE);
        out->variation_seed = ledger_variation_seed(ledger);
    }
    event_store_free(ledger);
    bool up;
    char *range_inst = range_instance(name, &up);
    out->stale = out->has_exercise &&
                 (!up || (ledger_inst && (!range_inst || strcmp(ledger_inst, range_inst) != 0)));
    free(ledger_inst);
    free(range_inst);
    int rc = ENSHU_OK;
    if (choice == LEDGER_FRESH && out->has_exercise) {
        rc = archive_ledger(cmd, name, path, &out->archive_path);
        out->archived = rc == ENSHU_OK;
    } else if (choice == LEDGER_ASK && out->stale) {
        fprintf(stderr,
                "enshu %s: the ledger %s holds an exercise of range '%s', and that range was "
                "taken down since: its guests are new, and what the exercise's injects did on "
                "the old ones is gone. Run again with --resume to carry that exercise on at its "
                "clock (the injects that acted on guests run again first, messages are not "
                "sent again), or with --fresh to start a new exercise (the old ledger is kept "
                "beside it as %s.<time>.events.db)\n",
                cmd, path, name, name);
        rc = ENSHU_EEXIST;
    }
    free(path);
    return rc;
}

int ledger_reuse_bind(const char *name, event_store *ledger)
{
    char *path = range_db_path(name);
    state_store *st = NULL;
    int rc = state_store_open(path, false, &st);
    free(path);
    char *inst = rc == ENSHU_OK ? state_store_get_meta(st, RANGE_META_INSTANCE) : NULL;
    if (rc == ENSHU_OK && !inst) {
        /* This range's first run names it. */
        unsigned char bytes[8];
        if (getrandom(bytes, sizeof bytes, 0) != (ssize_t)sizeof bytes)
            memset(bytes, 0, sizeof bytes);
        inst = xasprintf("%ld-%02x%02x%02x%02x%02x%02x%02x%02x", (long)time(NULL), bytes[0],
                         bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]);
        rc = state_store_set_meta(st, RANGE_META_INSTANCE, inst);
    }
    state_store_free(st);
    if (rc == ENSHU_OK)
        rc = event_store_set_meta(ledger, LEDGER_META_RANGE_INSTANCE, inst);
    free(inst);
    return rc;
}

void ledger_reuse_fini(ledger_reuse *r)
{
    free(r->archive_path);
    free(r->variation_seed);
    r->archive_path = r->variation_seed = NULL;
}
