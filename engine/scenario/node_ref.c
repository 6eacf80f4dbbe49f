/*
 * Nodes named as written or by a per-team variable (see node_ref.h).
 */
#include "node_ref.h"
#include "alloc.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_spaces(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

char *node_ref_variable(const char *ref)
{
    size_t len = ref ? strlen(ref) : 0;
    if (len < 4 || strncmp(ref, "{{", 2) != 0 || strcmp(ref + len - 2, "}}") != 0)
        return NULL;
    const char *end = ref + len - 2;
    const char *p = skip_spaces(ref + 2, end);
    if (end - p < 3 || strncmp(p, "var", 3) != 0)
        return NULL;
    p += 3;
    const char *name = skip_spaces(p, end);
    if (name == p) /* "varX": no space after var */
        return NULL;
    const char *q = name;
    while (q < end && !isspace((unsigned char)*q) && *q != '{' && *q != '}')
        q++;
    if (q == name || skip_spaces(q, end) != end)
        return NULL;
    return xstrndup(name, (size_t)(q - name));
}

size_t node_ref_choices(const scenario *s, const char *ref, const char ***names)
{
    *names = NULL;
    if (!ref)
        return 0;
    char *var = node_ref_variable(ref);
    if (!var) {
        *names = xcalloc(1, sizeof(char *));
        (*names)[0] = ref;
        return 1;
    }
    const scenario_variable *v = scenario_variable_named(s, var);
    free(var);
    if (!v || v->kind != VARIABLE_ONE_OF || v->nchoices == 0)
        return 0;
    *names = xcalloc(v->nchoices, sizeof(char *));
    for (size_t i = 0; i < v->nchoices; i++)
        (*names)[i] = v->choices[i];
    return v->nchoices;
}

bool node_ref_may_be(const scenario *s, const char *ref, const char *name)
{
    const char **names;
    size_t n = node_ref_choices(s, ref, &names);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = strcmp(names[i], name) == 0;
    free(names);
    return found;
}

const char *node_ref_name(const team_vars *v, int team, const char *ref)
{
    char *var = node_ref_variable(ref);
    if (!var)
        return ref;
    char key[64];
    snprintf(key, sizeof key, "var %s", var);
    free(var);
    return team_vars_get(v, team, key);
}

const node *node_ref_node(const scenario *s, const team_vars *v, int team, const char *ref)
{
    const char *name = node_ref_name(v, team, ref);
    return name ? scenario_node(s, name) : NULL;
}
