/*
 * enshu retry --name NAME [--team N] INJECT: an instructor's retry of an
 * inject that failed, appended to the exercise's ledger from the command
 * line, as the consoles' inject.retry does. A running `enshu run` picks it
 * up from the ledger and runs the inject again at once.
 */
#include "cli.h"
#include "errors.h"
#include "ledger_exercise.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char HELP[] =
    "Usage: enshu retry --name NAME [--team N] [--actor WHO] INJECT\n"
    "\n"
    "Retries inject INJECT of exercise NAME for team N (default: every team for\n"
    "which it failed): it runs again at once (once resumed, when the exercise is\n"
    "paused), as its next attempt. Only an inject that failed is retried ('enshu\n"
    "timeline' shows how it failed); not after the exercise has ended.\n"
    "\n"
    "Exit status: 0 recorded, 1 refused or failure, 2 usage error.\n";

static const char *refusal(int rc)
{
    switch (rc) {
    case ENSHU_ENOTFOUND:
        return "no such team or inject";
    case ENSHU_EINVAL:
        return "it has not failed (it is pending, fired, skipped or retried already)";
    case ENSHU_EPHASE:
        return "the exercise has ended";
    case ENSHU_EEXIST:
        return "it was retried already";
    default:
        return "the ledger could not record it";
    }
}

int cmd_retry(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"team", required_argument, NULL, 't'},
        {"actor", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *actor = "instructor";
    unsigned team = 0;
    int opt;
    cli_options_begin();
    while ((opt = cli_next_option("retry", argc, argv, "", options)) != -1) {
        if (opt == 'n') {
            name = optarg;
        } else if (opt == 't') {
            if (cli_parse_teams("retry", optarg, &team) != ENSHU_OK)
                return CLI_USAGE;
        } else if (opt == 'a') {
            actor = optarg;
        } else {
            return CLI_USAGE;
        }
    }
    if (!name || optind + 1 != argc) {
        fputs("enshu retry: expected --name NAME INJECT (try --help)\n", stderr);
        return CLI_USAGE;
    }
    ledger_exercise le;
    if (ledger_exercise_open("retry", name, true, &le) != ENSHU_OK)
        return CLI_FAIL;
    int rc = exercise_replay(le.ex);
    if (rc == ENSHU_OK)
        rc = exercise_inject_action(le.ex, (int)team, argv[optind], INJECT_RETRY, actor);
    if (rc == ENSHU_OK)
        printf("inject %s will run again\n", argv[optind]);
    else
        fprintf(stderr, "enshu retry: inject %s not retried: %s\n", argv[optind], refusal(rc));
    ledger_exercise_close(&le);
    return rc == ENSHU_OK ? CLI_OK : CLI_FAIL;
}
