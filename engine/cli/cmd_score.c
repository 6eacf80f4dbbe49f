/*
 * enshu score --db FILE: recomputes every team's score from an exercise's
 * event ledger alone (the scenario and team count are stored in it), with
 * the same grader the live exercise uses.
 */
#include "alloc.h"
#include "cli.h"
#include "errors.h"
#include "event_store.h"
#include "exercise_record.h"
#include "grader.h"
#include "score_report.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: enshu score --db FILE [--json]\n"
    "\n"
    "Recomputes the score of every team from the exercise's event ledger FILE: each\n"
    "objective's points, hints taken, penalties, and the total over time.\n"
    "\n"
    "Options:\n"
    "  --db FILE   the event ledger of an exercise\n"
    "  --json      print JSON for scripts\n"
    "\n"
    "Exit status: 0 shown, 1 failure, 2 usage error.\n";

static int feed(const event *ev, void *arg)
{
    grader_apply(arg, ev);
    return 0;
}

int cmd_score(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int as_json = 0, opt;
    cli_options_begin();
    while ((opt = cli_next_option("score", argc, argv, "", options)) != -1) {
        if (opt == 'd') {
            db = optarg;
        } else if (opt == 'j') {
            as_json = 1;
        } else {
            return CLI_USAGE;
        }
    }
    if (!db || optind < argc) {
        fputs("enshu score: give the event ledger with --db FILE (try --help)\n", stderr);
        return CLI_USAGE;
    }
    if (access(db, R_OK) != 0) {
        fprintf(stderr, "enshu score: cannot read %s\n", db);
        return CLI_FAIL;
    }
    event_store *st;
    if (event_store_open(db, false, &st) != ENSHU_OK)
        return CLI_FAIL;
    exercise_record rec;
    int rc = CLI_FAIL;
    if (exercise_record_read(st, "score", &rec) == ENSHU_OK) {
        grader *g = grader_new(rec.s, rec.teams);
        grader_set_team_vars(g, rec.vars);
        if (event_store_scan(st, 0, feed, g) == ENSHU_OK) {
            if (as_json) {
                json_t *j = score_report_json(rec.s, g);
                json_dumpf(j, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(j);
            } else {
                score_report_print(rec.s, g, stdout);
            }
            rc = CLI_OK;
        }
        grader_free(g);
        exercise_record_fini(&rec);
    }
    event_store_free(st);
    return rc;
}
