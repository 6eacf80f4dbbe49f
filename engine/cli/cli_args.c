/*
 * What the commands share in reading their arguments (see cli.h): the
 * options several take, with the same bounds and the same messages.
 */
#include "cli.h"
#include "errors.h"
#include "units.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_parse_teams(const char *cmd, const char *arg, unsigned *out)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (*end || n < 1 || n > 1000) {
        fprintf(stderr, "enshu %s: --teams must be a number from 1 to 1000, not '%s'\n", cmd, arg);
        return ENSHU_EINVAL;
    }
    *out = (unsigned)n;
    return ENSHU_OK;
}

int cli_parse_duration(const char *cmd, const char *option, const char *arg, int64_t min_ms,
                       int64_t *out)
{
    int64_t ms;
    if (parse_duration_ms(arg, &ms) < 0 || ms < min_ms) {
        fprintf(stderr, "enshu %s: %s must be a duration such as 90s, 5m or 2h, not '%s'\n", cmd,
                option, arg);
        return ENSHU_EINVAL;
    }
    *out = ms;
    return ENSHU_OK;
}

bool cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            return false;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    }
    return false;
}

bool cli_show_help(int argc, char **argv, const char *help)
{
    if (!cli_wants_help(argc, argv))
        return false;
    fputs(help, stdout);
    return true;
}

void cli_options_begin(void)
{
    opterr = 0;
    optind = 1;
}

int cli_next_option(const char *cmd, int argc, char **argv, const char *optstring,
                    const struct option *options)
{
    int opt = getopt_long(argc, argv, optstring, options, NULL);
    if (opt == '?' || opt == ':') {
        fprintf(stderr, "enshu %s: unknown or incomplete option '%s' (try --help)\n", cmd,
                argv[optind - 1]);
        return '?';
    }
    return opt;
}

bool cli_extra_operand(const char *cmd, int argc, char **argv)
{
    if (optind >= argc)
        return false;
    fprintf(stderr, "enshu %s: unexpected argument '%s' (try --help)\n", cmd, argv[optind]);
    return true;
}
