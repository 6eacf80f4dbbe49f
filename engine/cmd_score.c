/*
 * enshu score --db FILE: recomputes every team's score from an exercise's
 * event ledger alone (the scenario and team count are stored in it), with
 * the same grader the live exercise uses.
 */
#include "alloc.h"
#include "cli.h"
#include "errors.h"
#include "event_store.h"
#include "grader.h"
#include "scenario.h"
#include "score_report.h"
#include "team_vars.h"

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
    if (cli_wants_help(argc, argv)) {
        fputs(HELP, stdout);
        return CLI_OK;
    }
    static const struct option options[] = {
        {"db", required_argument, NULL, 'd'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    const char *db = NULL;
    int as_json = 0, opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 'd') {
            db = optarg;
        } else if (opt == 'j') {
            as_json = 1;
        } else {
            fprintf(stderr, "enshu score: unknown or incomplete option '%s' (try --help)\n",
                    argv[optind - 1]);
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
    char *text = event_store_get_meta(st, "scenario_yaml");
    char *name = event_store_get_meta(st, "scenario_path");
    char *teams_text = event_store_get_meta(st, "teams");
    char *vars_json = event_store_get_meta(st, "team_vars");
    team_vars *vars = NULL;
    if (vars_json && team_vars_from_json(vars_json, &vars) != ENSHU_OK)
        fprintf(stderr,
                "enshu score: the team values in %s are damaged; templated answers "
                "are compared as written\n",
                db);
    int rc = CLI_FAIL;
    long teams = teams_text ? strtol(teams_text, NULL, 10) : 0;
    if (!text || teams < 1 || teams > 1000) {
        fprintf(stderr, "enshu score: %s holds no exercise (no scenario or team count)\n", db);
    } else {
        diag_list *diags = diag_list_new();
        scenario *s = scenario_load_buffer(name ? name : "scenario", text, strlen(text), diags);
        diag_list_print(diags, stderr);
        diag_list_free(diags);
        grader *g = s ? grader_new(s, (unsigned)teams) : NULL;
        if (g)
            grader_set_team_vars(g, vars);
        if (g && event_store_scan(st, 0, feed, g) == ENSHU_OK) {
            if (as_json) {
                json_t *j = score_report_json(s, g);
                json_dumpf(j, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(j);
            } else {
                score_report_print(s, g, stdout);
            }
            rc = CLI_OK;
        }
        grader_free(g);
        scenario_free(s);
    }
    free(text);
    free(name);
    free(teams_text);
    free(vars_json);
    team_vars_free(vars);
    event_store_free(st);
    return rc;
}
