/*
 * enshu validate FILE...: loads and checks incident scripts, printing every
 * problem as FILE:LINE:COL: error: message on stderr.
 */
#include "cli.h"
#include "diag.h"
#include "scenario.h"

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

int cmd_validate(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
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
