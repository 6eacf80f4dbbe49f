/*
 * enshu up FILE --teams N: brings up one isolated virtual LAN per team.
 */
#include "cli.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "range.h"
#include "units.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char HELP[] =
    "Usage: enshu up FILE --teams N [--hosts HOSTS.yaml] [--name NAME] [--workers N]\n"
    "                [--timeout DURATION] [--no-wait] [--warm]\n"
    "\n"
    "Brings up the range of incident script FILE: for every team, one isolated libvirt\n"
    "network per segment and the team's guests, then waits until the guest agent of every\n"
    "guest answers, and makes the scenario's accounts (users) on them. What is created is\n"
    "recorded as it happens in $ENSHU_STATE_DIR/ranges/NAME.db (default /var/lib/enshu),\n"
    "so running 'up' again resumes after a failure or crash, and 'enshu down' removes\n"
    "exactly that.\n"
    "\n"
    "Options:\n"
    "  --teams N            number of teams (within the scenario's teams.min..max)\n"
    "  --hosts FILE         libvirt hosts to place teams on (default: the local\n"
    "                       qemu:///system, or $ENSHU_LIBVIRT_URI)\n"
    "  --name NAME          range name (default: the scenario id); two ranges may share hosts\n"
    "  --workers N          teams provisioned in parallel (default 4)\n"
    "  --timeout DURATION   how long to wait for the guests' agents (default 5m)\n"
    "  --no-wait            do not wait for the guests' agents (nor make the\n"
    "                       scenario's accounts, which needs them)\n"
    "  --warm               restore the guests of Debian images from a saved memory state\n"
    "                       instead of booting them (a template per image, made by one\n"
    "                       boot on first use and kept in the image store's templates/);\n"
    "                       a guest that cannot be restored boots\n"
    "\n"
    "Exit status: 0 every team ready, 1 failure, 2 usage error.\n";

int cmd_up(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    static const struct option options[] = {
        {"teams", required_argument, NULL, 't'},
        {"hosts", required_argument, NULL, 'H'},
        {"name", required_argument, NULL, 'n'},
        {"workers", required_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 'T'},
        {"no-wait", no_argument, NULL, 'W'},
        {"warm", no_argument, NULL, 'R'}, /* guests restored from templates (warm_restore.h) */
        {NULL, 0, NULL, 0},
    };
    range_up_request req = {.ready_timeout_ms = 5 * 60 * 1000, .progress_out = stdout};
    unsigned teams = 0;
    int opt;
    cli_options_begin();
    while ((opt = cli_next_option("up", argc, argv, "", options)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 't':
            if (cli_parse_teams("up", optarg, &teams) != ENSHU_OK)
                return CLI_USAGE;
            break;
        case 'H':
            req.hosts_path = optarg;
            break;
        case 'n':
            req.name = optarg;
            break;
        case 'w': {
            long w = strtol(optarg, &end, 10);
            if (*end || w < 1 || w > 64) {
                fprintf(stderr, "enshu up: --workers must be 1 to 64, not '%s'\n", optarg);
                return CLI_USAGE;
            }
            req.workers = (unsigned)w;
            break;
        }
        case 'T':
            if (cli_parse_duration("up", "--timeout", optarg, 1000, &req.ready_timeout_ms) !=
                ENSHU_OK)
                return CLI_USAGE;
            break;
        case 'W':
            req.ready_timeout_ms = 0;
            break;
        case 'R':
            req.warm = true;
            break;
        default:
            return CLI_USAGE;
        }
    }
    if (optind >= argc) {
        fputs("enshu up: which incident script? e.g. enshu up scenarios/intro-office.yaml --teams "
              "2\n",
              stderr);
        return CLI_USAGE;
    }
    if (optind + 1 < argc) {
        fprintf(stderr, "enshu up: one incident script at a time ('%s' is extra)\n",
                argv[optind + 1]);
        return CLI_USAGE;
    }
    if (!teams) {
        fputs("enshu up: how many teams? add --teams N\n", stderr);
        return CLI_USAGE;
    }
    req.scenario_path = argv[optind];
    req.teams = teams;
    libvirt_setup();
    setvbuf(stdout, NULL, _IOLBF, 0);
    return range_bring_up(&req) == ENSHU_OK ? CLI_OK : CLI_FAIL;
}
