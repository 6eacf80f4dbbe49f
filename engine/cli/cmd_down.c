/*
 * enshu down: removes everything a range created, from its state store.
 */
#include "cli.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "range.h"
#include "range_files.h"
#include "tabletop_ledgers.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char HELP[] =
    "Usage: enshu down [--name NAME] [--workers N]\n"
    "\n"
    "Removes the guests, overlay disks and networks that 'enshu up' recorded for the\n"
    "range (also after a crash of 'up'), then the range's state. Without --name, acts on\n"
    "the only range there is. --workers sets how many objects are removed at once\n"
    "(default 8). A tabletop exercise has nothing to remove: its ledger is kept.\n"
    "\n"
    "Exit status: 0 removed, 1 failure (run it again once fixed), 2 usage error.\n";

int cmd_down(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"workers", required_argument, NULL, 'w'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL;
    unsigned workers = 8;
    int opt;
    cli_options_begin();
    while ((opt = cli_next_option("down", argc, argv, "", options)) != -1) {
        if (opt == 'n') {
            name = optarg;
        } else if (opt == 'w') {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end != '\0' || n < 1 || n > 64) {
                fprintf(stderr, "enshu down: --workers must be 1 to 64\n");
                return CLI_USAGE;
            }
            workers = (unsigned)n;
        } else {
            return CLI_USAGE;
        }
    }
    if (cli_extra_operand("down", argc, argv))
        return CLI_USAGE;
    if (name && tabletop_ledger_is(name)) {
        char *ledger = range_ledger_path(name);
        printf("exercise %s is a tabletop exercise: it has no guests or networks to take down; "
               "its ledger %s is kept\n",
               name, ledger);
        free(ledger);
        return CLI_OK;
    }
    char *pick = range_pick(name, "down");
    if (!pick)
        return CLI_FAIL;
    libvirt_setup();
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = range_take_down(pick, workers, stdout, NULL);
    free(pick);
    return rc == ENSHU_OK ? CLI_OK : CLI_FAIL;
}
