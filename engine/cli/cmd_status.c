/*
 * enshu status: teams, nodes, hosts, states and addresses of ranges, as a
 * table or as JSON for scripts.
 */
#include "alloc.h"
#include "cli.h"
#include "errors.h"
#include "guest_states.h"
#include "libvirt_conn.h"
#include "range_files.h"
#include "state_store.h"
#include "tabletop_ledgers.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: enshu status [--name NAME] [--json] [--offline]\n"
    "\n"
    "Shows each team of the range (every range without --name): its host and state, and\n"
    "for each node its role, addresses, provisioning state and live libvirt state.\n"
    "A tabletop exercise (no guests) shows its teams, phase and exercise time.\n"
    "\n"
    "Options:\n"
    "  --name NAME   only this range\n"
    "  --json        print JSON (an array of ranges) for scripts\n"
    "  --offline     do not ask libvirt for live guest states\n"
    "\n"
    "Exit status: 0 shown, 1 failure, 2 usage error.\n";

/* guest_state_name() of its state, "missing", or "unknown" (host unreachable). */
static const char *live_state(conn_cache *conns, const stored_node *n)
{
    if (!conns)
        return "-";
    virConnectPtr conn = conn_cache_get(conns, n->host_uri, 0);
    if (!conn)
        return "unknown";
    virDomainPtr dom = virDomainLookupByName(conn, n->domain);
    if (!dom)
        return libvirt_error_is_missing() ? "missing" : "unknown";
    int state = 0, reason = 0;
    const char *text = "unknown";
    if (virDomainGetState(dom, &state, &reason, 0) == 0)
        text = guest_state_name(state);
    virDomainFree(dom);
    return text;
}

static json_t *addresses_json(const char *addresses)
{
    json_t *obj = json_object();
    char *copy = xstrdup(addresses);
    char *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        char *eq = strchr(tok, '=');
        if (eq) {
            *eq = '\0';
            json_object_set_new(obj, tok, json_string(eq + 1));
        }
    }
    free(copy);
    return obj;
}

static json_t *range_json(const char *name, state_store *st, conn_cache *conns)
{
    json_t *r = json_object();
    json_object_set_new(r, "name", json_string(name));
    char *id = state_store_get_meta(st, "scenario_id");
    char *path = state_store_get_meta(st, "scenario_path");
    json_object_set_new(r, "scenario_id", id ? json_string(id) : json_null());
    json_object_set_new(r, "scenario_path", path ? json_string(path) : json_null());
    free(id);
    free(path);
    json_t *teams = json_array();
    stored_node *nodes = NULL;
    size_t n = 0;
    if (state_store_nodes(st, &nodes, &n) == ENSHU_OK) {
        json_t *team = NULL;
        int current = -1;
        for (size_t i = 0; i < n; i++) {
            if (nodes[i].team != current) {
                current = nodes[i].team;
                team = json_object();
                json_object_set_new(team, "team", json_integer(current));
                json_object_set_new(team, "host", json_string(nodes[i].host_uri));
                json_object_set_new(team, "nodes", json_array());
                json_array_append_new(teams, team);
            }
            json_t *node = json_object();
            json_object_set_new(node, "name", json_string(nodes[i].node));
            json_object_set_new(node, "domain", json_string(nodes[i].domain));
            json_object_set_new(node, "role", json_string(nodes[i].role));
            json_object_set_new(node, "state", json_string(nodes[i].state));
            json_object_set_new(node, "live", json_string(live_state(conns, &nodes[i])));
            json_object_set_new(node, "addresses", addresses_json(nodes[i].addresses));
            json_array_append_new(json_object_get(team, "nodes"), node);
        }
        stored_nodes_free(nodes, n);
    }
    json_object_set_new(r, "teams", teams);
    return r;
}

static void print_table(json_t *range)
{
    printf("range %s (scenario %s, %s)\n", json_string_value(json_object_get(range, "name")),
           json_string_value(json_object_get(range, "scenario_id")) ?: "?",
           json_string_value(json_object_get(range, "scenario_path")) ?: "?");
    printf("  %-4s %-12s %-5s %-8s %-9s %-18s %s\n", "TEAM", "NODE", "ROLE", "STATE", "LIVE",
           "HOST", "ADDRESSES");
    size_t ti;
    json_t *team;
    json_array_foreach(json_object_get(range, "teams"), ti, team)
    {
        size_t ni;
        json_t *node;
        json_array_foreach(json_object_get(team, "nodes"), ni, node)
        {
            printf("  %-4lld %-12s %-5s %-8s %-9s %-18s",
                   (long long)json_integer_value(json_object_get(team, "team")),
                   json_string_value(json_object_get(node, "name")),
                   json_string_value(json_object_get(node, "role")),
                   json_string_value(json_object_get(node, "state")),
                   json_string_value(json_object_get(node, "live")),
                   json_string_value(json_object_get(team, "host")));
            const char *seg;
            json_t *addr;
            json_object_foreach(json_object_get(node, "addresses"), seg, addr)
                printf(" %s=%s", seg, json_string_value(addr));
            putchar('\n');
        }
    }
}

int cmd_status(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"offline", no_argument, NULL, 'o'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL;
    int as_json = 0, offline = 0, opt;
    cli_options_begin();
    while ((opt = cli_next_option("status", argc, argv, "", options)) != -1) {
        if (opt == 'n')
            name = optarg;
        else if (opt == 'j')
            as_json = 1;
        else if (opt == 'o')
            offline = 1;
        else
            return CLI_USAGE;
    }
    if (cli_extra_operand("status", argc, argv))
        return CLI_USAGE;
    size_t count = 0;
    char **names = NULL;
    if (name) {
        names = xcalloc(1, sizeof(char *));
        names[0] = xstrdup(name);
        count = 1;
    } else {
        names = range_list(&count);
        size_t ntabletop = 0;
        char **tabletop = tabletop_ledger_list(&ntabletop);
        names = xrealloc(names, (count + ntabletop + 1) * sizeof(char *));
        for (size_t i = 0; i < ntabletop; i++)
            names[count++] = tabletop[i];
        free(tabletop);
    }
    libvirt_setup();
    conn_cache *conns = offline ? NULL : conn_cache_new();
    json_t *all = json_array();
    int rc = CLI_OK;
    for (size_t i = 0; i < count; i++) {
        char *path = range_db_path(names[i]);
        state_store *st = NULL;
        json_t *tabletop = NULL;
        if (access(path, F_OK) != 0 && tabletop_ledger_is(names[i])) {
            if ((tabletop = tabletop_ledger_json(names[i])))
                json_array_append_new(all, tabletop);
            else
                rc = CLI_FAIL;
        } else if (access(path, F_OK) != 0) {
            fprintf(stderr, "enshu status: there is no range '%s'\n", names[i]);
            rc = CLI_FAIL;
        } else if (state_store_open(path, false, &st) == ENSHU_OK) {
            json_array_append_new(all, range_json(names[i], st, conns));
            state_store_free(st);
        } else {
            rc = CLI_FAIL;
        }
        free(path);
        free(names[i]);
    }
    free(names);
    if (as_json) {
        json_dumpf(all, stdout, JSON_INDENT(2));
        putchar('\n');
    } else if (json_array_size(all) == 0 && rc == CLI_OK) {
        puts("no ranges and no tabletop exercises; bring a range up with 'enshu up FILE --teams "
             "N'");
    } else {
        size_t i;
        json_t *r;
        json_array_foreach(all, i, r)
        {
            if (json_is_true(json_object_get(r, "tabletop")))
                tabletop_ledger_print(r);
            else
                print_table(r);
        }
    }
    json_decref(all);
    conn_cache_free(conns);
    return rc;
}
