/*
 * Opening an exercise from its ledger (see ledger_exercise.h).
 */
#include "ledger_exercise.h"
#include "errors.h"
#include "range_files.h"
#include "wall_clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int no_inject(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    return ENSHU_EINVAL; /* looking and recording only: nothing runs here */
}

static int no_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    return ENSHU_EINVAL;
}

static const exercise_hooks offline_hooks = {
    .run_inject = no_inject, .run_check = no_check, .wall_ms = wall_clock_ms};

int ledger_exercise_open(const char *cmd, const char *name, bool writable, ledger_exercise *out)
{
    memset(out, 0, sizeof *out);
    char *path = range_ledger_path(name);
    int rc = ENSHU_ENOTFOUND;
    if (access(path, writable ? R_OK | W_OK : R_OK) != 0)
        fprintf(stderr, "enshu %s: exercise '%s' has no ledger (%s); start it with 'enshu run'\n",
                cmd, name, path);
    else
        rc = event_store_open(path, false, &out->ledger);
    free(path);
    if (rc == ENSHU_OK)
        rc = exercise_record_read(out->ledger, cmd, &out->rec);
    if (rc != ENSHU_OK) {
        ledger_exercise_close(out);
        return rc;
    }
    out->ex = exercise_new(out->rec.s, out->rec.teams, out->ledger, &offline_hooks);
    exercise_set_team_vars(out->ex, out->rec.vars);
    return ENSHU_OK;
}

void ledger_exercise_close(ledger_exercise *le)
{
    exercise_free(le->ex);
    exercise_record_fini(&le->rec);
    event_store_free(le->ledger);
    memset(le, 0, sizeof *le);
}
