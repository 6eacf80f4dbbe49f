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

static const char *objective_kind_name(objective_kind k)
{
    return k == OBJ_QUESTION ? "question" : k == OBJ_CHECK ? "check" : "report";
}

static json_t *scores_json(const scenario *s, const grader *g)
{
    json_t *out = json_object();
    json_object_set_new(out, "scenario", json_string(s->id));
    json_object_set_new(out, "max", json_integer(grader_max_points(g)));
    json_t *teams = json_array();
    for (unsigned t = 1; t <= grader_teams(g); t++) {
        const team_score *ts = grader_team(g, (int)t);
        json_t *team = json_pack("{s:i, s:i, s:i}", "team", ts->team, "total", ts->total,
                                 "penalties", ts->penalties);
        json_t *objectives = json_array();
        for (size_t o = 0; o < s->nobjectives; o++) {
            const objective_score *os = &ts->objectives[o];
            json_t *obj = json_pack("{s:s, s:s, s:i, s:i, s:b, s:i, s:i}", "id",
                                    s->objectives[o].id, "kind",
                                    objective_kind_name(s->objectives[o].kind), "points",
                                    os->points, "max", s->objectives[o].points, "achieved",
                                    os->achieved, "attempts", os->attempts, "hint_cost",
                                    os->hint_cost);
            json_object_set_new(obj, "at_ms", os->achieved ? json_integer(os->achieved_ms)
                                                           : json_null());
            json_array_append_new(objectives, obj);
        }
        json_object_set_new(team, "objectives", objectives);
        json_t *history = json_array();
        for (size_t h = 0; h < ts->nhistory; h++)
            json_array_append_new(history, json_pack("[I, i]", (json_int_t)ts->history[h].at_ms,
                                                     ts->history[h].total));
        json_object_set_new(team, "history", history);
        json_array_append_new(teams, team);
    }
    json_object_set_new(out, "teams", teams);
    return out;
}

static void print_table(const scenario *s, const grader *g)
{
    printf("scenario %s, %u teams, at most %d points\n", s->id, grader_teams(g),
           grader_max_points(g));
    for (unsigned t = 1; t <= grader_teams(g); t++) {
        const team_score *ts = grader_team(g, (int)t);
        printf("team %u: %d points", t, ts->total);
        if (ts->penalties)
            printf(" (penalties -%d)", ts->penalties);
        putchar('\n');
        for (size_t o = 0; o < s->nobjectives; o++) {
            const objective_score *os = &ts->objectives[o];
            printf("  %-20s %-8s %4d/%-4d", s->objectives[o].id,
                   objective_kind_name(s->objectives[o].kind), os->points,
                   s->objectives[o].points);
            if (os->hint_cost)
                printf("  hints -%d", os->hint_cost);
            if (os->attempts)
                printf("  %d answers", os->attempts);
            putchar('\n');
        }
    }
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
        if (g && event_store_scan(st, 0, feed, g) == ENSHU_OK) {
            if (as_json) {
                json_t *j = scores_json(s, g);
                json_dumpf(j, stdout, JSON_INDENT(2));
                putchar('\n');
                json_decref(j);
            } else {
                print_table(s, g);
            }
            rc = CLI_OK;
        }
        grader_free(g);
        scenario_free(s);
    }
    free(text);
    free(name);
    free(teams_text);
    event_store_free(st);
    return rc;
}
