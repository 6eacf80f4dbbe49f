/*
 * enshu report --db FILE: the after-action report of an exercise, from its
 * ledger alone (the scenario and team count are stored in it), as HTML,
 * PDF (the HTML printed by headless Chromium), CSV or JSON.
 */
#include "after_action.h"
#include "after_action_format.h"
#include "alloc.h"
#include "cli.h"
#include "errors.h"
#include "event_store.h"
#include "exercise_record.h"
#include "report_pdf.h"
#include "roster.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: enshu report --db FILE [--format html|pdf|csv|json] [--team N] [--out FILE]\n"
    "                    [--roster FILE]\n"
    "\n"
    "Writes the after-action report of the exercise whose event ledger is FILE:\n"
    "a class summary (spread of scores, ranking, which objectives were hard), and\n"
    "for each team its score with the breakdown, a chart of it over time, each\n"
    "objective's detection and response time, a timeline of the injects against\n"
    "the team's actions, and its reports. CSV and JSON have one row per team (and\n"
    "per member) and objective, for a learning management system (README.md,\n"
    "\"After-action reports\", documents them).\n"
    "\n"
    "Options:\n"
    "  --db FILE      the event ledger of an exercise\n"
    "  --format F     html (default), pdf, csv or json; pdf prints the HTML with\n"
    "                 headless Chromium ($ENSHU_CHROMIUM, else chromium on PATH)\n"
    "  --team N       only team N's sections and rows (the class summary stays)\n"
    "  --out FILE     write there (default: standard output)\n"
    "  --roster FILE  the teams' names, as given to 'enshu run' (the ledger keeps\n"
    "                 only the names given in the console)\n"
    "\n"
    "Exit status: 0 written, 1 failure, 2 usage error.\n";

typedef enum report_format { FORMAT_HTML, FORMAT_PDF, FORMAT_CSV, FORMAT_JSON } report_format;

static int parse_format(const char *arg, report_format *out)
{
    static const char *const names[] = {"html", "pdf", "csv", "json"};
    for (int f = 0; f < 4; f++)
        if (strcmp(arg, names[f]) == 0) {
            *out = (report_format)f;
            return ENSHU_OK;
        }
    fprintf(stderr, "enshu report: --format must be html, pdf, csv or json, not '%s'\n", arg);
    return ENSHU_EINVAL;
}

/* The report in format f (not pdf) into a new buffer. */
static int render(const after_action *aa, report_format f, int team, char **buf, size_t *len)
{
    FILE *mem = open_memstream(buf, len);
    if (!mem)
        return ENSHU_EIO;
    int rc = ENSHU_OK;
    if (f == FORMAT_CSV) {
        rc = after_action_write_csv(aa, team, mem);
    } else if (f == FORMAT_JSON) {
        json_t *j = after_action_to_json(aa, team);
        rc = json_dumpf(j, mem, AFTER_ACTION_JSON_FLAGS) == 0 ? ENSHU_OK : ENSHU_EIO;
        fputc('\n', mem);
        json_decref(j);
    } else {
        rc = after_action_write_html(aa, team, mem);
    }
    if (fclose(mem) != 0)
        rc = ENSHU_EIO;
    return rc;
}

static int write_out(const char *path, const char *buf, size_t len)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f) {
        fprintf(stderr, "enshu report: cannot write %s\n", path);
        return ENSHU_EIO;
    }
    size_t wrote = fwrite(buf, 1, len, f);
    int closed = path ? fclose(f) : fflush(f);
    if (wrote != len || closed != 0) {
        fprintf(stderr, "enshu report: cannot write %s\n", path ? path : "the report");
        return ENSHU_EIO;
    }
    return ENSHU_OK;
}

int cmd_report(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},     {"format", required_argument, NULL, 'f'},
        {"team", required_argument, NULL, 't'},   {"out", required_argument, NULL, 'o'},
        {"roster", required_argument, NULL, 'r'}, {NULL, 0, NULL, 0},
    };
    const char *db = NULL, *out_path = NULL, *roster_path = NULL;
    report_format format = FORMAT_HTML;
    unsigned team = 0;
    int opt;
    cli_options_begin();
    while ((opt = cli_next_option("report", argc, argv, "", options)) != -1) {
        if (opt == 'd') {
            db = optarg;
        } else if (opt == 'f') {
            if (parse_format(optarg, &format) != ENSHU_OK)
                return CLI_USAGE;
        } else if (opt == 't') {
            if (cli_parse_teams("report", optarg, &team) != ENSHU_OK)
                return CLI_USAGE;
        } else if (opt == 'o') {
            out_path = optarg;
        } else if (opt == 'r') {
            roster_path = optarg;
        } else {
            return CLI_USAGE;
        }
    }
    if (cli_extra_operand("report", argc, argv))
        return CLI_USAGE;
    if (!db) {
        fputs("enshu report: give the event ledger with --db FILE (try --help)\n", stderr);
        return CLI_USAGE;
    }
    char *chromium = NULL;
    if (format == FORMAT_PDF && !(chromium = report_pdf_chromium())) {
        fputs("enshu report: --format pdf prints the HTML report with headless Chromium, and "
              "there is none: install Debian's chromium package (scripts/setup does), or name "
              "the program with ENSHU_CHROMIUM; --format html gives the same report to print "
              "from any browser\n",
              stderr);
        return CLI_FAIL;
    }
    if (access(db, R_OK) != 0) {
        fprintf(stderr, "enshu report: cannot read %s\n", db);
        free(chromium);
        return CLI_FAIL;
    }
    event_store *st;
    if (event_store_open(db, false, &st) != ENSHU_OK) {
        free(chromium);
        return CLI_FAIL;
    }
    exercise_record rec;
    int rc = CLI_FAIL;
    after_action *aa = NULL;
    if (exercise_record_read(st, "report", &rec) != ENSHU_OK)
        goto out_store;
    if (team > rec.teams) {
        fprintf(stderr, "enshu report: the exercise has %u teams: there is no team %u\n", rec.teams,
                team);
        goto out_record;
    }
    team_names *roster = NULL;
    if (roster_path) {
        diag_list *d = diag_list_new();
        if (roster_load(roster_path, rec.teams, d, &roster) != ENSHU_OK)
            diag_list_print(d, stderr);
        diag_list_free(d);
        if (!roster)
            goto out_record;
    }
    int made = after_action_from_ledger(st, rec.s, rec.teams, rec.vars, roster, &aa);
    team_names_free(roster);
    if (made != ENSHU_OK) {
        fprintf(stderr, "enshu report: cannot read the events of %s\n", db);
        goto out_record;
    }
    char *buf = NULL;
    size_t len = 0;
    if (render(aa, format, (int)team, &buf, &len) != ENSHU_OK) {
        fputs("enshu report: the report could not be made\n", stderr);
    } else if (format == FORMAT_PDF) {
        rc = report_pdf_print(chromium, buf, len, out_path ? out_path : "-") == ENSHU_OK ? CLI_OK
                                                                                         : CLI_FAIL;
    } else {
        rc = write_out(out_path, buf, len) == ENSHU_OK ? CLI_OK : CLI_FAIL;
    }
    free(buf);
    after_action_free(aa);
out_record:
    exercise_record_fini(&rec);
out_store:
    event_store_free(st);
    free(chromium);
    return rc;
}
