/*
 * Answer matching for questions (see answer_match.h). Regular expressions
 * are compiled once per objective, not per answer.
 */
#include "answer_match.h"
#include "alloc.h"
#include "template.h"

#include <ctype.h>
#include <stdio.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct answer_matcher {
    const objective *o;
    char **values; /* o's values as this team sees them */
    regex_t re;
    bool has_re;
};

answer_matcher *answer_matcher_new(const objective *o)
{
    return answer_matcher_new_for_team(o, NULL, 0);
}

answer_matcher *answer_matcher_new_for_team(const objective *o, const team_vars *v, int team)
{
    if (o->kind != OBJ_QUESTION)
        return NULL;
    answer_matcher *m = xcalloc(1, sizeof(answer_matcher));
    m->o = o;
    m->values = xcalloc(o->nvalues + 1, sizeof(char *));
    for (size_t i = 0; i < o->nvalues; i++)
        m->values[i] = v && template_has(o->values[i]) ? team_vars_expand(v, team, o->values[i])
                                                       : xstrdup(o->values[i]);
    if (o->answer == ANSWER_REGEX && o->nvalues == 1) {
        /* The whole answer must match, as people expect of "the answer". */
        char *whole = xasprintf("^(%s)$", m->values[0]);
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
    for (size_t i = 0; i < m->o->nvalues; i++)
        free(m->values[i]);
    free(m->values);
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
        ok = o->nvalues && strcmp(a, m->values[0]) == 0;
        break;
    case ANSWER_NOCASE:
        ok = o->nvalues && strcasecmp(a, m->values[0]) == 0;
        break;
    case ANSWER_REGEX:
        ok = m->has_re && regexec(&m->re, a, 0, NULL, 0) == 0;
        break;
    case ANSWER_RANGE:
        ok = in_range(o, a);
        break;
    case ANSWER_ONE_OF:
        for (size_t i = 0; i < o->nvalues && !ok; i++)
            ok = strcasecmp(a, m->values[i]) == 0;
        break;
    case ANSWER_TIME:
        break; /* needs the inject's time: answer_time_matches */
    }
    free(a);
    return ok;
}

/* Seconds since midnight of "HH:MM" or "HH:MM:SS", optionally followed by
 * "Z" or " UTC"; -1 when it is not such a time. */
static long time_of_day(const char *text)
{
    int h = -1, m = -1, sec = 0, used = 0;
    /* %2d reads at most two digits: no value can overflow, and the count
     * of conversions says whether they were there. */
    if (sscanf(text, "%2d:%2d%n", &h, &m, &used) != 2) /* NOLINT(cert-err34-c) */
        return -1;
    const char *rest = text + used;
    if (*rest == ':') {
        int more = 0;
        if (sscanf(rest, ":%2d%n", &sec, &more) != 1) /* NOLINT(cert-err34-c) */
            return -1;
        rest += more;
    }
    while (*rest == ' ')
        rest++;
    if (*rest && strcasecmp(rest, "Z") != 0 && strcasecmp(rest, "UTC") != 0)
        return -1;
    if (h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
        return -1;
    return (long)h * 3600 + m * 60 + sec;
}

bool answer_time_matches(const char *answer, int64_t wall_ms, int64_t tolerance_ms)
{
    if (!answer)
        return false;
    char *a = trimmed(answer);
    long given = time_of_day(a);
    free(a);
    if (given < 0)
        return false;
    const int64_t day = 24LL * 3600 * 1000;
    int64_t actual = ((wall_ms % day) + day) % day;
    /* An answer without seconds means any second of that minute. */
    int64_t lo = given * 1000LL,
            hi = lo + (strchr(answer, ':') == strrchr(answer, ':') ? 59999 : 0);
    int64_t best = INT64_MAX;
    for (int shift = -1; shift <= 1; shift++) { /* around midnight */
        int64_t t = actual + shift * day;
        int64_t diff = t < lo ? lo - t : t > hi ? t - hi : 0;
        if (diff < best)
            best = diff;
    }
    return best <= tolerance_ms;
}
