/*
 * The enshu command line: dispatches to one function per subcommand.
 * Exit codes are a contract with scripts: 0 success, 1 failure (invalid
 * input, a failed operation), 2 usage error.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const char USAGE[] =
    "Usage: enshu COMMAND [OPTIONS]\n"
    "\n"
    "Enshu runs hands-on cyber-defence exercises: it reads a YAML incident script and\n"
    "brings up one isolated virtual LAN of real guests per team on libvirt hosts.\n"
    "\n"
    "Commands:\n"
    "  validate FILE...      check incident scripts; report every problem as FILE:LINE:COL\n"
    "  images build          build the built-in guest images (cached)\n"
    "  up FILE --teams N     bring up a range: one virtual LAN per team\n"
    "  status                show teams, nodes, hosts, states and addresses\n"
    "  run FILE --teams N    bring a range up and run the exercise with a live log\n"
    "                        (--listen HOST:PORT also serves the browser consoles)\n"
    "  serve FILE --teams N  bring a range up and serve the browser consoles; the\n"
    "                        instructor starts the exercise there\n"
    "  passwd                set the instructor console's password\n"
    "  timeline --name NAME  each team's injects: when fired, or why not yet\n"
    "  exec TEAM NODE CMD    run a shell command on a team's guest (guest agent)\n"
    "  down                  remove everything a range created\n"
    "  score --db FILE       recompute every team's score from an event ledger\n"
    "  answer TEAM OBJ TEXT  record a team's answer in an exercise's ledger\n"
    "  grade TEAM OBJ I PTS  record an instructor's grade of a report item\n"
    "\n"
    "Run 'enshu COMMAND --help' for the options of a command.\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(USAGE, stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "--version")) {
        printf("enshu %s\n", ENSHU_VERSION);
        return CLI_OK;
    }
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {
        {"validate", cmd_validate}, {"images", cmd_images}, {"up", cmd_up},
        {"status", cmd_status},     {"down", cmd_down},     {"exec", cmd_exec},
        {"score", cmd_score},       {"run", cmd_run},
        {"timeline", cmd_timeline}, {"answer", cmd_answer}, {"grade", cmd_grade},
        {"serve", cmd_serve},       {"passwd", cmd_passwd},
    };
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "enshu: unknown command '%s'; run 'enshu --help' for the list\n", cmd);
    return CLI_USAGE;
}
