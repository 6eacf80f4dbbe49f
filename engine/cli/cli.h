/*
 * Subcommands of the enshu program, one file each (cmd_*.c). Each gets the
 * arguments after "enshu" (argv[0] is the command name) and returns the
 * process exit code.
 */
#ifndef ENSHU_CLI_H
#define ENSHU_CLI_H

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

int cmd_validate(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_timeline(int argc, char **argv);
int cmd_answer(int argc, char **argv);
int cmd_grade(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_passwd(int argc, char **argv);

#include <stdint.h>

/* Parses --teams: 1 to 1000. Reports a usage error for cmd and returns false. */
int cli_parse_teams(const char *cmd, const char *arg, unsigned *out);

/* Parses a duration option of at least min_ms. Reports and returns false. */
int cli_parse_duration(const char *cmd, const char *option, const char *arg, int64_t min_ms,
                       int64_t *out);

/* True if argv holds -h or --help. */
int cli_wants_help(int argc, char **argv);

#endif
