/*
 * enshu exec TEAM NODE COMMAND: runs a shell command on a team's guest
 * through its guest agent, prints what it printed, and exits with its exit
 * code. For instructors (and tests) to look inside a range.
 */
#include "alloc.h"
#include "cli.h"
#include "errors.h"
#include "guest_agent.h"
#include "libvirt_conn.h"
#include "range_files.h"
#include "state_store.h"
#include "units.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: enshu exec [--name NAME] [--timeout DURATION] TEAM NODE COMMAND\n"
    "\n"
    "Runs COMMAND with /bin/sh on node NODE of team TEAM through the guest agent, prints\n"
    "its standard output and error, and exits with its exit code.\n"
    "\n"
    "Options:\n"
    "  --name NAME          the range (default: the only one)\n"
    "  --timeout DURATION   give up after this long (default 30s)\n"
    "\n"
    "Exit status: the command's, or 125 when it could not be run, 2 usage error.\n";

enum { EXEC_CANNOT_RUN = 125 };

/* Finds the node's domain and host in the range's store. */
static int find_node(const char *range, int team, const char *node, char **domain, char **host)
{
    char *path = range_db_path(range);
    state_store *st = NULL;
    int rc = access(path, F_OK) == 0 ? state_store_open(path, false, &st) : ENSHU_ENOTFOUND;
    if (rc == ENSHU_ENOTFOUND)
        fprintf(stderr, "enshu exec: there is no range '%s'\n", range);
    free(path);
    stored_node *nodes = NULL;
    size_t n = 0;
    if (rc == ENSHU_OK)
        rc = state_store_nodes(st, &nodes, &n);
    bool found = false;
    for (size_t i = 0; rc == ENSHU_OK && i < n; i++) {
        if (nodes[i].team == team && strcmp(nodes[i].node, node) == 0) {
            *domain = xstrdup(nodes[i].domain);
            *host = xstrdup(nodes[i].host_uri);
            found = true;
        }
    }
    if (rc == ENSHU_OK && !found) {
        fprintf(stderr, "enshu exec: range '%s' has no node '%s' in team %d (see 'enshu status')\n",
                range, node, team);
        rc = ENSHU_ENOTFOUND;
    }
    stored_nodes_free(nodes, n);
    state_store_free(st);
    return rc;
}

int cmd_exec(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"timeout", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL;
    int64_t timeout_ms = 30000;
    int opt;
    cli_options_begin();
    /* Options come before TEAM: everything after NODE is the command. */
    while ((opt = cli_next_option("exec", argc, argv, "+", options)) != -1) {
        if (opt == 'n') {
            name = optarg;
        } else if (opt == 'T') {
            if (parse_duration_ms(optarg, &timeout_ms) < 0 || timeout_ms < 1000 ||
                timeout_ms > 3600 * 1000) {
                fprintf(stderr, "enshu exec: --timeout must be a duration from 1s to 1h\n");
                return CLI_USAGE;
            }
        } else {
            return CLI_USAGE;
        }
    }
    if (argc - optind != 3) {
        fputs("enshu exec: expected TEAM NODE COMMAND, e.g. enshu exec 1 ws1 'ip -4 addr'\n",
              stderr);
        return CLI_USAGE;
    }
    char *end;
    long team = strtol(argv[optind], &end, 10);
    if (*end || team < 1 || team > 1000) {
        fprintf(stderr, "enshu exec: TEAM must be a team number, not '%s'\n", argv[optind]);
        return CLI_USAGE;
    }
    char *range = range_pick(name, "exec");
    if (!range)
        return EXEC_CANNOT_RUN;
    char *domain = NULL, *host = NULL;
    int rc = find_node(range, (int)team, argv[optind + 1], &domain, &host);
    free(range);
    if (rc < 0)
        return EXEC_CANNOT_RUN;
    libvirt_setup();
    virConnectPtr conn = libvirt_open(host);
    virDomainPtr dom = conn ? virDomainLookupByName(conn, domain) : NULL;
    int status = EXEC_CANNOT_RUN;
    if (conn && !dom)
        fprintf(stderr, "enshu exec: guest %s is not on %s: %s\n", domain, host, libvirt_error());
    if (dom) {
        guest_exec_result r;
        if (guest_agent_exec(dom, argv[optind + 2], timeout_ms, &r) == ENSHU_OK) {
            fputs(r.out, stdout);
            fputs(r.err, stderr);
            status = r.exit_code >= 0 ? r.exit_code : 128 + r.signal;
            guest_exec_result_fini(&r);
        }
        virDomainFree(dom);
    }
    if (conn)
        virConnectClose(conn);
    free(domain);
    free(host);
    return status;
}
