/*
 * A self-paced course's hooks on its sandboxes' guests (see
 * sandbox_actions.h).
 *
 * Each slot has a state (what its sandbox's range is now), the slot's
 * range_actions once opened, and the count of hooks using them. Opening
 * and freeing block on libvirt, so they happen off the lock: two hooks of
 * one team that open at once both open, and the later one frees its own.
 */
#include "sandbox_actions.h"
#include "alloc.h"
#include "errors.h"
#include "ledger_meta.h"
#include "log.h"
#include "message_injects.h"
#include "range_actions.h"
#include "range_team_vars.h"
#include "sandbox_hosts.h"
#include "wall_clock.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

typedef enum slot_state {
    SLOT_UNBUILT, /* its sandbox is not built yet */
    SLOT_READY,
    SLOT_REVOKED,
    SLOT_GONE,
} slot_state;

typedef struct slot {
    slot_state state;
    range_actions *ra; /* NULL until first used, and once dropped */
    unsigned users;    /* hooks running on ra */
} slot;

struct sandbox_actions {
    const scenario *s;
    char *prefix;
    unsigned nslots;
    event_store *ledger;
    team_vars *vars;
    pthread_mutex_t lock; /* slots */
    slot *slots;          /* [sandbox - 1] */
    /* Each slot's values are written to the ledger whole, one writer at a
     * time, so an older table never overwrites a newer one. */
    pthread_mutex_t ledger_lock;
};

sandbox_actions *sandbox_actions_new(const scenario *s, const char *prefix, unsigned nslots,
                                     event_store *ledger)
{
    sandbox_actions *sa = xcalloc(1, sizeof *sa);
    sa->s = s;
    sa->prefix = xstrdup(prefix);
    sa->nslots = nslots;
    sa->ledger = ledger;
    sa->vars = team_vars_new(nslots);
    sa->slots = xcalloc(nslots + 1, sizeof(slot));
    pthread_mutex_init(&sa->lock, NULL);
    pthread_mutex_init(&sa->ledger_lock, NULL);
    return sa;
}

void sandbox_actions_free(sandbox_actions *sa)
{
    if (!sa)
        return;
    for (unsigned i = 0; i < sa->nslots; i++)
        range_actions_free(sa->slots[i].ra);
    pthread_mutex_destroy(&sa->lock);
    pthread_mutex_destroy(&sa->ledger_lock);
    team_vars_free(sa->vars);
    free(sa->slots);
    free(sa->prefix);
    free(sa);
}

const team_vars *sandbox_actions_team_vars(const sandbox_actions *sa)
{
    return sa->vars;
}

/* Sandbox id's values become its slot's, and the ledger's record says so. */
static int take_values(sandbox_actions *sa, unsigned id)
{
    char *range = sandbox_range_name(sa->prefix, id);
    team_vars *theirs = NULL;
    int rc = team_vars_from_range(sa->s, range, &theirs);
    if (rc != ENSHU_OK) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: course: the template values of sandbox %u (range %s) cannot be read", id,
                   range);
        free(range);
        return ENSHU_ENOTFOUND;
    }
    free(range);
    team_vars_adopt(sa->vars, (int)id, theirs, 1);
    team_vars_free(theirs);
    if (!sa->ledger)
        return ENSHU_OK;
    pthread_mutex_lock(&sa->ledger_lock);
    char *json = team_vars_to_json(sa->vars);
    if (event_store_set_meta(sa->ledger, LEDGER_META_TEAM_VARS, json) != ENSHU_OK)
        log_printf(ENSHU_LOG_WARNING,
                   "enshu: course: the ledger does not record sandbox %u's values: "
                   "templated answers are graded from the live course only",
                   id);
    free(json);
    pthread_mutex_unlock(&sa->ledger_lock);
    return ENSHU_OK;
}

int sandbox_actions_on_range(void *ctx, unsigned sandbox, sandbox_range_event what)
{
    sandbox_actions *sa = ctx;
    if (sandbox < 1 || sandbox > sa->nslots)
        return ENSHU_OK; /* no slot: the consoles revoke it when it is granted */
    if (what == SANDBOX_RANGE_READY) {
        int rc = take_values(sa, sandbox);
        pthread_mutex_lock(&sa->lock);
        if (rc == ENSHU_OK && sa->slots[sandbox - 1].state == SLOT_UNBUILT)
            sa->slots[sandbox - 1].state = SLOT_READY;
        pthread_mutex_unlock(&sa->lock);
        return rc;
    }
    range_actions *dropped = NULL;
    pthread_mutex_lock(&sa->lock);
    slot *sl = &sa->slots[sandbox - 1];
    if (sl->state != SLOT_GONE)
        sl->state = what == SANDBOX_RANGE_GONE ? SLOT_GONE : SLOT_REVOKED;
    if (sl->users == 0 && what == SANDBOX_RANGE_GONE) {
        /* Revoked: freed at its teardown, on a worker (REVOKED may come on
         * the consoles' thread, where libvirt may not be waited for). */
        dropped = sl->ra;
        sl->ra = NULL;
    }
    pthread_mutex_unlock(&sa->lock);
    range_actions_free(dropped);
    return ENSHU_OK;
}

/* Why slot team's range cannot be acted on in state st (caller frees). */
static char *unusable(const sandbox_actions *sa, int team, slot_state st)
{
    char *range = sandbox_range_name(sa->prefix, (unsigned)team);
    char *why =
        st == SLOT_UNBUILT ? xasprintf("sandbox %d (range %s) is not built yet", team, range)
        : st == SLOT_REVOKED
            ? xasprintf("sandbox %d (range %s) was revoked: its guests are going", team, range)
            : xasprintf("sandbox %d (range %s) was torn down: its guests are gone", team, range);
    free(range);
    return why;
}

/* Slot team's range, opened if need be and held open for the caller (who
 * gives it back with slot_release); NULL with *why (caller frees) when the
 * slot has no range to act on. */
static range_actions *slot_acquire(sandbox_actions *sa, int team, char **why)
{
    if (team < 1 || (unsigned)team > sa->nslots) {
        *why = xasprintf("team %d has no sandbox", team);
        return NULL;
    }
    slot *sl = &sa->slots[team - 1];
    pthread_mutex_lock(&sa->lock);
    if (sl->state != SLOT_READY) {
        *why = unusable(sa, team, sl->state);
        pthread_mutex_unlock(&sa->lock);
        return NULL;
    }
    if (!sl->ra) {
        pthread_mutex_unlock(&sa->lock);
        char *range = sandbox_range_name(sa->prefix, (unsigned)team);
        range_actions *opened = range_actions_new(sa->s, range, 1);
        pthread_mutex_lock(&sa->lock);
        if (opened && sl->state == SLOT_READY && !sl->ra) {
            sl->ra = opened;
            opened = NULL;
        }
        /* opened is now a spare: another of the team's hooks opened it
         * first, or the sandbox went meanwhile. */
        if (sl->state != SLOT_READY)
            *why = unusable(sa, team, sl->state);
        else if (!sl->ra)
            *why = xasprintf("the guests of sandbox %d (range %s) cannot be reached", team, range);
        free(range);
        range_actions *ra = sl->state == SLOT_READY ? sl->ra : NULL;
        if (ra)
            sl->users++;
        pthread_mutex_unlock(&sa->lock);
        range_actions_free(opened);
        return ra;
    }
    sl->users++;
    range_actions *ra = sl->ra;
    pthread_mutex_unlock(&sa->lock);
    return ra;
}

static void slot_release(sandbox_actions *sa, int team)
{
    slot *sl = &sa->slots[team - 1];
    range_actions *dropped = NULL;
    pthread_mutex_lock(&sa->lock);
    if (--sl->users == 0 && sl->state == SLOT_GONE) {
        dropped = sl->ra;
        sl->ra = NULL;
    }
    pthread_mutex_unlock(&sa->lock);
    range_actions_free(dropped);
}

static int run_inject(void *ctx, int team, const inject *inj, inject_outcome *out)
{
    sandbox_actions *sa = ctx;
    if (message_inject_is(inj))
        return message_inject_run(sa->s, sa->vars, team, inj, &out->output);
    range_actions *ra = slot_acquire(sa, team, &out->output);
    if (!ra)
        return ENSHU_ENOTFOUND;
    exercise_hooks h = {0};
    range_actions_hooks(ra, &h);
    int rc = h.run_inject(h.ctx, 1, inj, out);
    slot_release(sa, team);
    return rc;
}

static int run_check(void *ctx, int team, const check *c, bool *passing, char **output)
{
    sandbox_actions *sa = ctx;
    range_actions *ra = slot_acquire(sa, team, output);
    if (!ra) {
        /* It ran, and fails: nothing it judges is there any more. */
        *passing = false;
        return ENSHU_OK;
    }
    exercise_hooks h = {0};
    range_actions_hooks(ra, &h);
    int rc = h.run_check(h.ctx, 1, c, passing, output);
    slot_release(sa, team);
    return rc;
}

void sandbox_actions_hooks(sandbox_actions *sa, exercise_hooks *hooks)
{
    hooks->run_inject = run_inject;
    hooks->run_check = run_check;
    hooks->wall_ms = wall_clock_ms;
    hooks->ctx = sa;
    /* As range_actions': guest agent calls take a while under TCG. */
    hooks->check_workers = 2;
}
