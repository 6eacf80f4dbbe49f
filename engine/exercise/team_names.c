/*
 * The teams' names and organisations (see team_names.h).
 */
#include "team_names.h"
#include "alloc.h"
#include "errors.h"

#include <stdlib.h>
#include <string.h>

typedef struct team_name {
    char *name, *organisation;
} team_name;

struct team_names {
    unsigned nteams;
    team_name *teams; /* [team - 1] */
};

team_names *team_names_new(unsigned nteams)
{
    team_names *tn = xcalloc(1, sizeof *tn);
    tn->nteams = nteams;
    tn->teams = xcalloc(nteams + 1, sizeof(team_name));
    return tn;
}

void team_names_free(team_names *tn)
{
    if (!tn)
        return;
    for (unsigned t = 0; t < tn->nteams; t++) {
        free(tn->teams[t].name);
        free(tn->teams[t].organisation);
    }
    free(tn->teams);
    free(tn);
}

unsigned team_names_count(const team_names *tn)
{
    return tn->nteams;
}

/* Characters in s when it is valid UTF-8 without control characters; -1 otherwise. */
static long text_chars(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    long chars = 0;
    while (*p) {
        unsigned c = *p;
        size_t n = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (n == 0 || c < 0x20 || c == 0x7F)
            return -1;
        for (size_t k = 1; k < n; k++)
            if ((p[k] & 0xC0) != 0x80)
                return -1;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) ||
            (c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F))
            return -1;
        if (c == 0xC2 && p[1] < 0xA0)
            return -1; /* C1 controls */
        p += n;
        chars++;
    }
    return chars;
}

static bool blank(const char *s)
{
    for (; *s; s++)
        if (*s != ' ' && *s != '\t')
            return false;
    return true;
}

const char *team_name_problem(const char *name, const char *organisation)
{
    if (!name || blank(name))
        return "a team's name must not be empty";
    long n = text_chars(name);
    if (n < 0)
        return "a team's name must be UTF-8 text without control characters";
    if (n > TEAM_NAME_MAX)
        return "a team's name must be at most 60 characters";
    if (organisation) {
        long o = text_chars(organisation);
        if (o < 0)
            return "an organisation must be UTF-8 text without control characters";
        if (o > TEAM_ORGANISATION_MAX)
            return "an organisation must be at most 100 characters";
    }
    return NULL;
}

int team_names_set(team_names *tn, int team, const char *name, const char *organisation)
{
    if (team < 1 || (unsigned)team > tn->nteams)
        return ENSHU_ENOTFOUND;
    if (team_name_problem(name, organisation))
        return ENSHU_EINVAL;
    team_name *t = &tn->teams[team - 1];
    free(t->name);
    free(t->organisation);
    t->name = xstrdup(name);
    t->organisation = organisation && *organisation ? xstrdup(organisation) : NULL;
    return ENSHU_OK;
}

const char *team_names_name(const team_names *tn, int team)
{
    return team >= 1 && (unsigned)team <= tn->nteams ? tn->teams[team - 1].name : NULL;
}

const char *team_names_organisation(const team_names *tn, int team)
{
    return team >= 1 && (unsigned)team <= tn->nteams ? tn->teams[team - 1].organisation : NULL;
}

int team_names_find(const team_names *tn, const char *name, int team)
{
    for (unsigned t = 0; name && t < tn->nteams; t++)
        if ((int)t + 1 != team && tn->teams[t].name && strcmp(tn->teams[t].name, name) == 0)
            return (int)t + 1;
    return 0;
}

void team_names_copy(team_names *tn, const team_names *from)
{
    for (unsigned t = 1; t <= tn->nteams && t <= from->nteams; t++)
        if (from->teams[t - 1].name && team_names_set(tn, (int)t, from->teams[t - 1].name,
                                                      from->teams[t - 1].organisation) != ENSHU_OK)
            continue; /* checked when it was set in from */
}

void team_names_apply(team_names *tn, const event *ev)
{
    /* A bad one in the ledger (written by hand) is left out, as the
     * request that records it would have refused it. */
    if (ev->kind == EV_TEAM_NAMED &&
        team_names_set(tn, ev->team, ev->subject, ev->text) != ENSHU_OK)
        return;
}
