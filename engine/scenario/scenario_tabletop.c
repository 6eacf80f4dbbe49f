/*
 * Tabletop exercises: a scenario without 'network' and 'nodes' has no
 * guests. The situation reaches the teams as messages (with documents
 * attached) on the timeline or when the facilitator releases them; teams
 * answer questions and write reports that the facilitator grades. This
 * file marks such a scenario (scenario.tabletop) and reports, at its line,
 * everything in it that only a range of guests could carry out: checks,
 * penalty rules (which watch checks), images, accounts, the guests' time
 * zone and locale, injects that act on a guest, targets and check
 * objectives.
 *
 * What it reports it also takes out of the model, so that the checks of
 * scenario_check.c that follow do not report its consequences again (a
 * command's template naming a node, a target that is not a node): every
 * problem is reported once, where it is.
 */
#include "alloc.h"
#include "scenario_load.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Top-level keys a tabletop exercise cannot hold, and why. */
static const struct {
    const char *key;
    const char *why;
} GUEST_ONLY_KEYS[] = {
    {"images", "it has no guests to run them"},
    {"checks", "it has no guests to probe; teams answer questions and write reports instead"},
    {"penalties",
     "penalty rules watch checks, and it has no guests to check; the facilitator takes points by "
     "hand in the instructor console"},
    {"users", "it has no guests to make accounts on"},
    {"time_zone", "it has no guests whose clocks it sets"},
    {"locale", "it has no guests whose language it sets"},
};

/* Inject actions that act on a guest, what each would do, and what to do
 * instead. */
static const struct {
    const char *key;
    const char *does;
    const char *instead;
} GUEST_ACTIONS[] = {
    {"run", "runs a command on a guest", ""},
    {"file", "writes a file on a guest", "; give a document as a message's 'attachment'"},
    {"power", "switches a guest's power", ""},
    {"link", "cuts or restores a guest's link", ""},
    {"mail", "sends a mail through a guest", "; give the mail as a message's 'attachment'"},
};

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static void err(scenario *s, diag_list *diags, const ynode *at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void err(scenario *s, diag_list *diags, const ynode *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_addv(diags, s->file, at->line, at->col, fmt, ap);
    va_end(ap);
}

/* The key node of key in map, for a diagnostic at the key itself. */
static const ynode *key_of(const ynode *map, const char *key)
{
    for (size_t i = 0; i < map->npairs; i++) {
        const ynode *k = map->pairs[i].key;
        if (k->kind == YNODE_SCALAR && strcmp(k->str, key) == 0)
            return k;
    }
    return NULL;
}

static bool holds_something(const ynode *v)
{
    if (ynode_is_null(v))
        return false;
    if (v->kind == YNODE_SEQ)
        return v->nitems > 0;
    if (v->kind == YNODE_MAP)
        return v->npairs > 0;
    return true;
}

static void free_null(char **p)
{
    free(*p);
    *p = NULL;
}

/* What the checker would look at of an action that acts on a guest: its
 * target, its texts for guests (templates) and references. */
static void drop_guest_action(inject *inj)
{
    action *a = &inj->action;
    free_null(&inj->target);
    free_null(&a->command);
    free_null(&a->path);
    free_null(&a->content);
    free_null(&a->segment);
    free_null(&a->server);
    free_null(&a->mail_subject);
    free_null(&a->mail_body);
    a->kind = ACTION_NOTE; /* acts on nothing; its note stays empty */
}

static void check_injects(scenario *s, const ynode *list, diag_list *diags)
{
    if (list->kind != YNODE_SEQ)
        return;
    for (size_t i = 0; i < list->nitems && i < s->ninjects; i++) {
        const ynode *item = list->items[i];
        inject *inj = &s->injects[i];
        if (item->kind != YNODE_MAP)
            continue;
        const char *id = inj->id ? inj->id : "?";
        bool dropped = false;
        for (size_t k = 0; k < NKEYS(GUEST_ACTIONS); k++) {
            const ynode *v = ymap_get(item, GUEST_ACTIONS[k].key);
            if (!v)
                continue;
            const ynode *key = key_of(item, GUEST_ACTIONS[k].key);
            err(s, diags, key,
                "inject '%s' %s, and a tabletop exercise (no 'network' and 'nodes') has no "
                "guests: its injects are 'message' and 'note'%s",
                id, GUEST_ACTIONS[k].does, GUEST_ACTIONS[k].instead);
            dropped = true;
        }
        const ynode *target = key_of(item, "target");
        if (target && !dropped)
            err(s, diags, target,
                "inject '%s' has a 'target', and a tabletop exercise (no 'network' and 'nodes') "
                "has no guests to aim at",
                id);
        if (dropped || target)
            drop_guest_action(inj);
    }
}

static void check_objectives(scenario *s, const ynode *list, diag_list *diags)
{
    if (list->kind != YNODE_SEQ)
        return;
    for (size_t i = 0; i < list->nitems && i < s->nobjectives; i++) {
        objective *o = &s->objectives[i];
        const ynode *kind =
            list->items[i]->kind == YNODE_MAP ? ymap_get(list->items[i], "kind") : NULL;
        if (!kind || o->kind != OBJ_CHECK)
            continue;
        err(s, diags, kind,
            "objective '%s' is scored from a check, and a tabletop exercise (no 'network' and "
            "'nodes') has no checks; make it a question or a report",
            o->id ? o->id : "?");
    }
}

/* The parts of checks and users that name guests. */
static void drop_guest_parts(scenario *s)
{
    for (size_t i = 0; i < s->nchecks; i++) {
        free_null(&s->checks[i].node);
        free_null(&s->checks[i].command);
        free_null(&s->checks[i].expect_output);
    }
    for (size_t i = 0; i < s->nusers; i++) {
        scenario_user *u = &s->users[i];
        for (size_t j = 0; j < u->nnodes; j++)
            free(u->nodes[j]);
        u->nnodes = 0;
        free_null(&u->password);
        u->sudo = false;
    }
}

void scenario_check_tabletop(scenario *s, const ynode *root, diag_list *diags)
{
    if (ymap_get(root, "network") || ymap_get(root, "nodes"))
        return;
    s->tabletop = true;
    /* In the file's order, so the diagnostics read top to bottom. */
    for (size_t i = 0; i < root->npairs; i++) {
        const ynode *key = root->pairs[i].key, *v = root->pairs[i].value;
        if (key->kind != YNODE_SCALAR)
            continue;
        if (strcmp(key->str, "injects") == 0)
            check_injects(s, v, diags);
        else if (strcmp(key->str, "objectives") == 0)
            check_objectives(s, v, diags);
        for (size_t k = 0; k < NKEYS(GUEST_ONLY_KEYS); k++)
            if (strcmp(key->str, GUEST_ONLY_KEYS[k].key) == 0 && holds_something(v))
                err(s, diags, key,
                    "'%s' cannot be in a tabletop exercise (no 'network' and 'nodes'): %s",
                    key->str, GUEST_ONLY_KEYS[k].why);
    }
    drop_guest_parts(s);
}
