/*
 * The after-action report as CSV (RFC 4180, UTF-8, CRLF line ends) for a
 * learning management system: a header, then one row per team and
 * objective and per member and objective (after_action_each_row). The
 * columns are documented in README.md ("After-action reports").
 */
#include "after_action_format.h"

#include "errors.h"

#include <inttypes.h>
#include <string.h>

/* A text field: quoted when it holds a comma, quote or line end; one that
 * a spreadsheet would take for a formula (=, +, -, @, tab, CR first) gets a
 * leading apostrophe, since member names are whatever trainees typed. */
static void field(FILE *out, const char *s)
{
    if (!s)
        s = "";
    bool formula = strchr("=+-@\t\r", s[0]) && s[0];
    bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        fputc('"', out);
    if (formula)
        fputc('\'', out);
    for (const char *c = s; *c; c++) {
        if (*c == '"')
            fputc('"', out);
        fputc(*c, out);
    }
    if (quote)
        fputc('"', out);
}

/* Milliseconds as seconds ("12.345"); empty when unknown (negative). */
static void seconds(FILE *out, int64_t ms)
{
    if (ms >= 0)
        fprintf(out, "%" PRId64 ".%03" PRId64, ms / 1000, ms % 1000);
}

static void row(const after_action *aa, const aa_row *r, void *arg)
{
    FILE *out = arg;
    const objective *o = &aa->s->objectives[r->objective];
    const objective_score *os = &r->score->objectives[r->objective];
    const aa_objective *ao = &r->team->objectives[r->objective];
    int hint_cost = 0;
    for (size_t i = 0; i < aa->s->nobjectives; i++)
        hint_cost += r->score->objectives[i].hint_cost;
    field(out, aa->s->id);
    fprintf(out, ",%d,", r->team->team);
    field(out, after_action_team_name(aa, r->team->team));
    fputc(',', out);
    field(out, after_action_team_organisation(aa, r->team->team));
    fputc(',', out);
    field(out, r->member ? r->member->name : NULL);
    fprintf(out, ",%d,%d,%d,%d,%d,", r->team->rank, r->score->total, r->score->penalties, hint_cost,
            r->score->request_cost);
    field(out, o->id);
    fprintf(out, ",%s,", after_action_kind_name(o->kind));
    field(out, after_action_objective_title(aa, r->objective));
    fprintf(out, ",%d,%d,%d,", os->points, o->points, os->achieved ? 1 : 0);
    seconds(out, os->achieved ? os->achieved_ms : -1);
    fputc(',', out);
    field(out, ao->start_inject);
    fputc(',', out);
    seconds(out, ao->start_ms);
    fputc(',', out);
    seconds(out, after_action_detection_ms(ao));
    fputc(',', out);
    seconds(out, after_action_response_ms(ao));
    fprintf(out, ",%d,%d,%d,%d,", os->attempts, __builtin_popcountll(os->hints_taken),
            os->hint_cost, r->actions);
    if (r->credited >= 0)
        fprintf(out, "%d", r->credited);
    fputs("\r\n", out);
}

int after_action_write_csv(const after_action *aa, int team, FILE *out)
{
    fputs("scenario,team,team_name,organisation,member,rank,team_total,team_penalties,team_hint_"
          "cost,team_request_cost,"
          "objective,kind,title,points,max_points,achieved,achieved_s,start_inject,start_s,"
          "detection_s,response_s,attempts,hints_taken,hint_cost,actions,credited\r\n",
          out);
    after_action_each_row(aa, team, row, out);
    return fflush(out) == 0 && !ferror(out) ? ENSHU_OK : ENSHU_EIO;
}
