/*
 * Loading a scenario's `variables:` (see scenario.h, scenario_variable):
 *
 *   variables:
 *     patient_zero: {one_of: [ws1, ws2]}
 *     port: {number: [2000, 2999]}
 *     share_password: {password: {length: 12}}
 *     folder: {word: {length: 6}}
 *
 * Only the form is checked here; the values are drawn per team by
 * variation.c, and {{var NAME}} is checked with the other templates.
 */
#include "alloc.h"
#include "scenario_load.h"
#include "suggest.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define VARIABLE_NAME_MAX 32

static const char *const KINDS[] = {"one_of", "number", "password", "word", NULL};

static bool valid_variable_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > VARIABLE_NAME_MAX || !isalpha((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

static bool whole_number(const ynode *v, long long *out)
{
    if (!v || v->kind != YNODE_SCALAR || !v->plain || !*v->str)
        return false;
    char *end;
    errno = 0;
    *out = strtoll(v->str, &end, 10);
    return !*end && !errno;
}

static void load_one_of(scenario_variable *var, const ynode *v, const char *file, diag_list *d)
{
    if (v->kind != YNODE_SEQ || v->nitems == 0) {
        diag_add(d, file, v->line, v->col, "'one_of' of variable '%s' must be a list of texts",
                 var->name);
        return;
    }
    if (v->nitems > SCENARIO_MAX_CHOICES) {
        diag_add(d, file, v->line, v->col,
                 "'one_of' of variable '%s' has %zu choices; at most %d are allowed", var->name,
                 v->nitems, SCENARIO_MAX_CHOICES);
        return;
    }
    var->choices = xcalloc(v->nitems, sizeof(char *));
    for (size_t i = 0; i < v->nitems; i++) {
        const ynode *c = v->items[i];
        if (c->kind != YNODE_SCALAR || ynode_is_null(c)) {
            diag_add(d, file, c->line, c->col, "the choices of variable '%s' must be texts, not %s",
                     var->name, ynode_kind_name(c));
            continue;
        }
        if (strstr(c->str, "{{")) {
            diag_add(d, file, c->line, c->col, "the choices of variable '%s' cannot hold templates",
                     var->name);
            continue;
        }
        for (size_t j = 0; j < var->nchoices; j++)
            if (!strcmp(var->choices[j], c->str))
                diag_add(d, file, c->line, c->col, "variable '%s' lists '%s' twice", var->name,
                         c->str);
        var->choices[var->nchoices++] = xstrdup(c->str);
    }
}

static void load_number(scenario_variable *var, const ynode *v, const char *file, diag_list *d)
{
    long long lo, hi;
    if (v->kind != YNODE_SEQ || v->nitems != 2 || !whole_number(v->items[0], &lo) ||
        !whole_number(v->items[1], &hi)) {
        diag_add(d, file, v->line, v->col,
                 "'number' of variable '%s' must be [LOW, HIGH], two whole numbers", var->name);
        return;
    }
    /* Bounded so that HIGH - LOW + 1 never overflows. */
    if (lo > hi || lo < -(1LL << 60) || hi > (1LL << 60)) {
        diag_add(d, file, v->line, v->col,
                 "'number' of variable '%s' is [%lld, %lld]; LOW must not be above HIGH, and both "
                 "within 2^60",
                 var->name, lo, hi);
        return;
    }
    var->lo = lo;
    var->hi = hi;
}

/* password and word: {length: N}, or nothing for the default length. */
static void load_length(scenario_variable *var, const char *kind, const ynode *v, unsigned least,
                        unsigned fallback, const char *file, diag_list *d)
{
    var->length = fallback;
    if (ynode_is_null(v) && v->kind == YNODE_SCALAR)
        return;
    if (v->kind != YNODE_MAP) {
        diag_add(d, file, v->line, v->col, "'%s' of variable '%s' must be {length: N}", kind,
                 var->name);
        return;
    }
    for (size_t i = 0; i < v->npairs; i++)
        if (strcmp(v->pairs[i].key->str ? v->pairs[i].key->str : "", "length") != 0)
            diag_add(d, file, v->pairs[i].key->line, v->pairs[i].key->col,
                     "unknown key '%s' in '%s' of variable '%s'; expected 'length'",
                     v->pairs[i].key->str ? v->pairs[i].key->str : "?", kind, var->name);
    const ynode *len = ymap_get(v, "length");
    long long n = 0;
    if (!len)
        return;
    if (!whole_number(len, &n) || n < least || n > SCENARIO_MAX_VARIABLE_LENGTH) {
        diag_add(d, file, len->line, len->col,
                 "'length' of variable '%s' must be a whole number from %u to %d", var->name, least,
                 SCENARIO_MAX_VARIABLE_LENGTH);
        return;
    }
    var->length = (unsigned)n;
}

static void load_variable(scenario_variable *var, const ynode *key, const ynode *v,
                          const char *file, diag_list *d)
{
    var->pos = (src_pos){key->line, key->col};
    if (v->kind != YNODE_MAP || v->npairs != 1) {
        diag_add(d, file, v->line, v->col,
                 "variable '%s' needs exactly one of one_of, number, password or word", var->name);
        return;
    }
    const ynode *kind = v->pairs[0].key, *arg = v->pairs[0].value;
    const char *k = kind->kind == YNODE_SCALAR ? kind->str : "";
    if (!strcmp(k, "one_of")) {
        var->kind = VARIABLE_ONE_OF;
        load_one_of(var, arg, file, d);
    } else if (!strcmp(k, "number")) {
        var->kind = VARIABLE_NUMBER;
        load_number(var, arg, file, d);
    } else if (!strcmp(k, "password")) {
        var->kind = VARIABLE_PASSWORD;
        load_length(var, k, arg, 8, 12, file, d);
    } else if (!strcmp(k, "word")) {
        var->kind = VARIABLE_WORD;
        load_length(var, k, arg, 3, 6, file, d);
    } else {
        const char *near = suggest_closest(k, KINDS);
        if (near)
            diag_add(d, file, kind->line, kind->col,
                     "unknown kind '%s' of variable '%s'; did you mean '%s'?", k, var->name, near);
        else
            diag_add(d, file, kind->line, kind->col,
                     "unknown kind '%s' of variable '%s'; expected one_of, number, password or "
                     "word",
                     k, var->name);
    }
}

void scenario_load_variables(scenario *s, const ynode *root, diag_list *diags)
{
    const ynode *vars = root ? ymap_get(root, "variables") : NULL;
    if (!vars)
        return;
    if (vars->kind != YNODE_MAP) {
        diag_add(diags, s->file, vars->line, vars->col,
                 "'variables' must be a map of names to {one_of: ...}, {number: ...}, "
                 "{password: ...} or {word: ...}, not %s",
                 ynode_kind_name(vars));
        return;
    }
    if (vars->npairs > SCENARIO_MAX_VARIABLES) {
        diag_add(diags, s->file, vars->line, vars->col,
                 "'variables' has %zu variables; at most %d are allowed", vars->npairs,
                 SCENARIO_MAX_VARIABLES);
        return;
    }
    s->variables = xcalloc(vars->npairs + 1, sizeof(scenario_variable));
    for (size_t i = 0; i < vars->npairs; i++) {
        const ynode *key = vars->pairs[i].key;
        if (key->kind != YNODE_SCALAR || !valid_variable_name(key->str)) {
            diag_add(diags, s->file, key->line, key->col,
                     "variable names use letters, digits, '-' and '_', start with a letter, and "
                     "are at most %d characters",
                     VARIABLE_NAME_MAX);
            continue;
        }
        scenario_variable *var = &s->variables[s->nvariables++];
        var->name = xstrdup(key->str);
        load_variable(var, key, vars->pairs[i].value, s->file, diags);
    }
}
