/*
 * enshu answer / enshu grade: a team's answer to a question, an
 * instructor's grade of a report item, appended to an exercise's ledger
 * from the command line (scripts, a judge's terminal). They go through the
 * same checks as answers from a console: the ledger is replayed first, so an
 * answered question or an unknown objective is refused here. A running
 * `enshu run` picks the events up from the ledger.
 */
#include "alloc.h"
#include "cli.h"
#include "errors.h"
#include "ledger_exercise.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ANSWER_HELP[] =
    "Usage: enshu answer --name NAME [--actor WHO] TEAM OBJECTIVE TEXT\n"
    "\n"
    "Records TEXT as team TEAM's answer to question OBJECTIVE in the ledger of\n"
    "exercise NAME, and says whether it was right. Refused when the question is\n"
    "answered already or out of attempts, and while the exercise is not running\n"
    "(before it starts, while paused, after it ends).\n"
    "\n"
    "Exit status: 0 recorded (right or wrong), 1 refused or failure, 2 usage error.\n";

static const char GRADE_HELP[] =
    "Usage: enshu grade --name NAME [--actor WHO] TEAM OBJECTIVE ITEM POINTS\n"
    "\n"
    "Records an instructor's grade: POINTS for rubric item ITEM (counted from 0) of\n"
    "report OBJECTIVE of team TEAM, in the ledger of exercise NAME. A later grade of\n"
    "the same item replaces an earlier one. Grades are taken in every phase,\n"
    "also while the exercise is paused and after it ends.\n"
    "\n"
    "Exit status: 0 recorded, 1 refused or failure, 2 usage error.\n";

static const char *refusal(int rc)
{
    switch (rc) {
    case ENSHU_ENOTFOUND:
        return "no such team, objective or rubric item";
    case ENSHU_EEXIST:
        return "nothing more to record: answered already or out of attempts";
    case ENSHU_EINVAL:
        return "it does not apply to this objective (wrong kind, or points out of range)";
    default:
        return "the ledger could not record it";
    }
}

/* Replays exercise name's ledger and submits sub; prints the outcome. */
static int submit(const char *cmd, const char *name, exercise_submission *sub)
{
    ledger_exercise le;
    if (ledger_exercise_open(cmd, name, true, &le) != ENSHU_OK)
        return CLI_FAIL;
    int rc = CLI_FAIL;
    int64_t seq = 0;
    int sr = exercise_replay(le.ex);
    if (sr == ENSHU_OK)
        sr = exercise_submit(le.ex, sub, &seq);
    if (sr != ENSHU_OK) {
        fprintf(stderr, "enshu %s: team %d, objective %s: refused: %s\n", cmd, sub->team,
                sub->objective,
                sr == ENSHU_EPHASE ? exercise_phase_refusal(exercise_get_phase(le.ex))
                                   : refusal(sr));
    } else {
        const objective *o = scenario_objective(le.rec.s, sub->objective);
        const objective_score *os =
            &grader_team(exercise_grader(le.ex), sub->team)->objectives[o - le.rec.s->objectives];
        if (sub->kind == EV_ANSWER)
            printf("team %d, %s: %s (%d points)\n", sub->team, o->id,
                   os->achieved ? "right" : "wrong", os->points);
        else
            printf("team %d, %s: now %d points\n", sub->team, o->id, os->points);
        rc = CLI_OK;
    }
    ledger_exercise_close(&le);
    return rc;
}

/* Parses --name and --actor; returns the index of the first operand, or -1
 * after reporting a usage error. */
static int parse_common(const char *cmd, int argc, char **argv, const char **name,
                        const char **actor)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"actor", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    cli_options_begin();
    while ((opt = cli_next_option(cmd, argc, argv, "+", options)) != -1) {
        if (opt == 'n') {
            *name = optarg;
        } else if (opt == 'a') {
            *actor = optarg;
        } else {
            return -1;
        }
    }
    if (!*name) {
        fprintf(stderr, "enshu %s: give the exercise with --name NAME (try --help)\n", cmd);
        return -1;
    }
    return optind;
}

static bool parse_team(const char *cmd, const char *arg, int *team)
{
    char *end;
    long t = strtol(arg, &end, 10);
    if (!*arg || *end || t < 1 || t > 1000) {
        fprintf(stderr, "enshu %s: TEAM must be a team number, not '%s'\n", cmd, arg);
        return false;
    }
    *team = (int)t;
    return true;
}

int cmd_answer(int argc, char **argv)
{
    if (cli_show_help(argc, argv, ANSWER_HELP))
        return CLI_OK;
    const char *name = NULL, *actor = NULL;
    int first = parse_common("answer", argc, argv, &name, &actor);
    if (first < 0)
        return CLI_USAGE;
    if (argc - first != 3) {
        fputs("enshu answer: expected TEAM OBJECTIVE TEXT (try --help)\n", stderr);
        return CLI_USAGE;
    }
    exercise_submission sub = {
        .kind = EV_ANSWER, .objective = argv[first + 1], .text = argv[first + 2], .actor = actor};
    if (!parse_team("answer", argv[first], &sub.team))
        return CLI_USAGE;
    return submit("answer", name, &sub);
}

int cmd_grade(int argc, char **argv)
{
    if (cli_show_help(argc, argv, GRADE_HELP))
        return CLI_OK;
    const char *name = NULL, *actor = NULL;
    int first = parse_common("grade", argc, argv, &name, &actor);
    if (first < 0)
        return CLI_USAGE;
    if (argc - first != 4) {
        fputs("enshu grade: expected TEAM OBJECTIVE ITEM POINTS (try --help)\n", stderr);
        return CLI_USAGE;
    }
    exercise_submission sub = {.kind = EV_GRADE,
                               .objective = argv[first + 1],
                               .text = argv[first + 2],
                               .actor = actor ? actor : "instructor"};
    char *end1, *end2;
    long item = strtol(argv[first + 2], &end1, 10);
    long points = strtol(argv[first + 3], &end2, 10);
    if (!parse_team("grade", argv[first], &sub.team))
        return CLI_USAGE;
    if (!*argv[first + 2] || *end1 || item < 0 || !*argv[first + 3] || *end2 || points < 0) {
        fputs("enshu grade: ITEM and POINTS must be whole numbers from 0\n", stderr);
        return CLI_USAGE;
    }
    sub.value = points;
    return submit("grade", name, &sub);
}
