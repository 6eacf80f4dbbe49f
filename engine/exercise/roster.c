/*
 * Roster files: the teams' names from CSV (see roster.h). A small reader
 * of its own rather than a CSV library: one record a line (a quoted field
 * holds no line break), so every problem can name its line and column.
 */
#include "roster.h"
#include "alloc.h"
#include "errors.h"
#include "text_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FIELDS 3

typedef struct field {
    char *text;
    int col; /* 1-based, where it starts */
} field;

static char *trimmed(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        n--;
    return xstrndup(s, n);
}

static void fields_free(field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(fields[i].text);
}

/* Splits one line into fields; false (diagnosed, and no field kept) when it
 * cannot. */
static bool split(const char *path, int line, const char *s, size_t len, field *fields,
                  size_t *nfields, diag_list *diags)
{
    size_t i = 0;
    *nfields = 0;
    for (;;) {
        while (i < len && (s[i] == ' ' || s[i] == '\t'))
            i++;
        int col = (int)i + 1;
        char *text;
        if (i < len && s[i] == '"') {
            size_t cap = len, n = 0;
            text = xmalloc(cap + 1);
            i++;
            bool closed = false;
            while (i < len) {
                if (s[i] == '"' && i + 1 < len && s[i + 1] == '"') {
                    text[n++] = '"';
                    i += 2;
                } else if (s[i] == '"') {
                    closed = true;
                    i++;
                    break;
                } else {
                    text[n++] = s[i++];
                }
            }
            text[n] = '\0';
            if (!closed) {
                diag_add(diags, path, line, col, "this quoted field has no closing quote");
                free(text);
                fields_free(fields, *nfields);
                return false;
            }
            while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
                i++;
            if (i < len && s[i] != ',') {
                diag_add(diags, path, line, (int)i + 1,
                         "a quoted field must end at a comma or at the end of the line");
                free(text);
                fields_free(fields, *nfields);
                return false;
            }
        } else {
            size_t start = i;
            while (i < len && s[i] != ',')
                i++;
            text = trimmed(s + start, i - start);
        }
        if (*nfields == MAX_FIELDS) {
            diag_add(diags, path, line, col,
                     "a line has at most 3 fields: team, name, organisation");
            free(text);
            fields_free(fields, *nfields);
            return false;
        }
        fields[(*nfields)++] = (field){text, col};
        if (i >= len)
            return true;
        i++; /* the comma */
    }
}

int roster_parse(const char *path, const char *text, unsigned nteams, diag_list *diags,
                 team_names **out)
{
    *out = NULL;
    size_t before = diags->count;
    team_names *tn = team_names_new(nteams);
    int *line_of = xcalloc(nteams + 1, sizeof(int)); /* [team - 1]: where it was named */
    const char *p = text;
    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    int line = 0;
    bool seen_record = false;
    while (*p) {
        line++;
        size_t len = strcspn(p, "\n");
        const char *s = p;
        p += len + (p[len] == '\n');
        size_t lead = strspn(s, " \t\r");
        if (lead >= len || s[lead] == '#')
            continue;
        field f[MAX_FIELDS];
        size_t n;
        if (!split(path, line, s, len, f, &n, diags))
            continue;
        bool header = !seen_record && strcasecmp(f[0].text, "team") == 0;
        seen_record = true;
        if (header) {
            fields_free(f, n);
            continue;
        }
        char *end = NULL;
        long team = strtol(f[0].text, &end, 10);
        const char *organisation = n > 2 && *f[2].text ? f[2].text : NULL;
        const char *problem;
        if (!*f[0].text || *end || team < 1 || (unsigned long)team > nteams) {
            diag_add(diags, path, line, f[0].col,
                     "'%s' is not a team: the first field is the team's number, 1 to %u", f[0].text,
                     nteams);
        } else if (n < 2) {
            diag_add(diags, path, line, (int)len + 1,
                     "team %ld has no name: give team,name[,organisation]", team);
        } else if (line_of[team - 1]) {
            diag_add(diags, path, line, f[0].col, "team %ld was named already on line %d", team,
                     line_of[team - 1]);
        } else if ((problem = team_name_problem(f[1].text, organisation))) {
            diag_add(diags, path, line, team_name_problem(f[1].text, NULL) ? f[1].col : f[2].col,
                     "%s", problem);
        } else if (team_names_find(tn, f[1].text, (int)team)) {
            int other = team_names_find(tn, f[1].text, (int)team);
            diag_add(diags, path, line, f[1].col, "team %d (line %d) is called '%s' already", other,
                     line_of[other - 1], f[1].text);
        } else if (team_names_set(tn, (int)team, f[1].text, organisation) == ENSHU_OK) {
            line_of[team - 1] = line;
        }
        fields_free(f, n);
    }
    free(line_of);
    if (diags->count > before) {
        team_names_free(tn);
        return ENSHU_EINVAL;
    }
    *out = tn;
    return ENSHU_OK;
}

int roster_load(const char *path, unsigned nteams, diag_list *diags, team_names **out)
{
    *out = NULL;
    char *text = text_file_read(path, ROSTER_MAX_BYTES);
    if (!text) {
        diag_add(diags, path, 0, 0, "the roster cannot be read (missing, or larger than 1 MiB)");
        return ENSHU_EINVAL;
    }
    int rc = roster_parse(path, text, nteams, diags, out);
    free(text);
    return rc;
}
