/*
 * Answer matching for questions (see answer_match.h). Regular expressions
 * are compiled once per objective, not per answer.
 */
#include "answer_match.h"
#include "alloc.h"

#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct answer_matcher {
    const objective *o;
    regex_t re;
    bool has_re;
};

answer_matcher *answer_matcher_new(const objective *o)
{
    if (o->kind != OBJ_QUESTION)
        return NULL;
    answer_matcher *m = xcalloc(1, sizeof(answer_matcher));
    m->o = o;
    if (o->answer == ANSWER_REGEX && o->nvalues == 1) {
        /* The whole answer must match, as people expect of "the answer". */
        char *whole = xasprintf("^(%s)$", o->values[0]);
        m->has_re = regcomp(&m->re, whole, REG_EXTENDED | REG_NOSUB) == 0;
        free(whole);
    }
    return m;
}

void answer_matcher_free(answer_matcher *m)
{
    if (!m)
        return;
    if (m->has_re)
        regfree(&m->re);
    free(m);
}

/* answer without surrounding white space, as a copy. */
static char *trimmed(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return xstrndup(s, n);
}

static bool in_range(const objective *o, const char *answer)
{
    char *end;
    double v = strtod(answer, &end);
    return *answer && !*end && v >= o->range_min && v <= o->range_max;
}

bool answer_matches(const answer_matcher *m, const char *answer)
{
    if (!m || !answer)
        return false;
    const objective *o = m->o;
    char *a = trimmed(answer);
    bool ok = false;
    switch (o->answer) {
    case ANSWER_EXACT:
        ok = o->nvalues && strcmp(a, o->values[0]) == 0;
        break;
    case ANSWER_NOCASE:
        ok = o->nvalues && strcasecmp(a, o->values[0]) == 0;
        break;
    case ANSWER_REGEX:
        ok = m->has_re && regexec(&m->re, a, 0, NULL, 0) == 0;
        break;
    case ANSWER_RANGE:
        ok = in_range(o, a);
        break;
    case ANSWER_ONE_OF:
        for (size_t i = 0; i < o->nvalues && !ok; i++)
            ok = strcasecmp(a, o->values[i]) == 0;
        break;
    }
    free(a);
    return ok;
}
