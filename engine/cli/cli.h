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
int cmd_retry(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_passwd(int argc, char **argv);
int cmd_report(int argc, char **argv);

/* Arguments (cli_args.c). */

#include <stdbool.h>
#include <stdint.h>

/* Parses --teams: 1 to 1000. Returns 0, or ENSHU_EINVAL after reporting a
 * usage error for cmd. */
int cli_parse_teams(const char *cmd, const char *arg, unsigned *out)
    __attribute__((warn_unused_result));

/* Parses a duration option of at least min_ms. Returns 0, or ENSHU_EINVAL
 * after reporting a usage error for cmd. */
int cli_parse_duration(const char *cmd, const char *option, const char *arg, int64_t min_ms,
                       int64_t *out) __attribute__((warn_unused_result));

/* True if argv holds -h or --help (before any "--"). */
bool cli_wants_help(int argc, char **argv);

/* When argv asks for help (cli_wants_help), prints help on stdout and
 * returns true: the command then exits with CLI_OK. */
bool cli_show_help(int argc, char **argv, const char *help);

struct option;

/* Starts reading a command's options afresh at argv[1], getopt printing
 * nothing itself. Not thread-safe (getopt's globals), as getopt is not. */
void cli_options_begin(void);

/* The next option, as getopt_long(argc, argv, optstring, options) returns it
 * (optstring "" or "+" to stop at the first operand), or -1 after the last,
 * with optind at the first operand. An unknown option or one without its
 * argument is reported as "enshu CMD: unknown or incomplete option '...'"
 * and returns '?': the command then exits with CLI_USAGE. */
int cli_next_option(const char *cmd, int argc, char **argv, const char *optstring,
                    const struct option *options);

/* Reports "enshu CMD: unexpected argument" when operands follow the options
 * (from optind) and returns true: the command then exits with CLI_USAGE. */
bool cli_extra_operand(const char *cmd, int argc, char **argv);

#endif
