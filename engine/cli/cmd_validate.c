/*
 * enshu validate FILE...: loads and checks incident scripts, printing every
 * problem as FILE:LINE:COL: error: message on stderr.
 */
#include "cli.h"
#include "diag.h"
#include "scenario.h"
#include "units.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HELP[] =
    "Usage: enshu validate FILE...\n"
    "\n"
    "Checks each incident script completely (keys, types, references between nodes,\n"
    "segments, injects and checks, cycles, the address plan, size limits) and prints\n"
    "every problem as FILE:LINE:COL: error: message on standard error.\n"
    "\n"
    "Exit status: 0 all files valid, 1 a file has problems, 2 usage error.\n";

int cli_parse_teams(const char *cmd, const char *arg, unsigned *out)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (*end || n < 1 || n > 1000) {
        fprintf(stderr, "enshu %s: --teams must be a number from 1 to 1000, not '%s'\n", cmd, arg);
        return 0;
    }
    *out = (unsigned)n;
    return 1;
}

int cli_parse_duration(const char *cmd, const char *option, const char *arg, int64_t min_ms,
                       int64_t *out)
{
    int64_t ms;
    if (parse_duration_ms(arg, &ms) < 0 || ms < min_ms) {
        fprintf(stderr, "enshu %s: %s must be a duration such as 90s, 5m or 2h, not '%s'\n", cmd,
                option, arg);
        return 0;
    }
    *out = ms;
    return 1;
}

int cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return 0;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return 1;
    }
    return 0;
}

int cmd_validate(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(HELP, stdout);
        return CLI_OK;
    }
    int first = 1;
    if (argc > 1 && !strcmp(argv[1], "--"))
        first = 2;
    if (first >= argc) {
        fputs("enshu validate: no file given\n\n", stderr);
        fputs(HELP, stderr);
        return CLI_USAGE;
    }
    for (int i = first; i < argc; i++) {
        if (first == 1 && argv[i][0] == '-') {
            fprintf(stderr, "enshu validate: unknown option '%s' (try --help)\n", argv[i]);
            return CLI_USAGE;
        }
    }
    int rc = CLI_OK;
    for (int i = first; i < argc; i++) {
        diag_list *diags = diag_list_new();
        scenario *s = scenario_load_file(argv[i], diags);
        diag_list_print(diags, stderr);
        if (!s)
            rc = CLI_FAIL;
        scenario_free(s);
        diag_list_free(diags);
    }
    return rc;
}
