/* Shared by unit tests: load a scenario from text, failing the test on errors. */
#ifndef ENSHU_TEST_SUPPORT_H
#define ENSHU_TEST_SUPPORT_H

#include "diag.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

static inline scenario *load_or_fail(const char *text)
{
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_buffer("t.yaml", text, strlen(text), d);
    if (!s) {
        char *msgs = diag_list_format(d);
        fail_msg("scenario does not load:\n%s", msgs);
    }
    diag_list_free(d);
    return s;
}

static const char THREE_NODES[] =
    "enshu: 1\n"
    "id: three\n"
    "title: Three\n"
    "teams: {max: 8}\n"
    "network:\n"
    "  pool: 10.96.0.0/20\n"
    "  segments:\n"
    "    - {name: office, gateway: gw}\n"
    "    - {name: dmz, gateway: gw}\n"
    "nodes:\n"
    "  - {name: ws, image: workstation, interfaces: [{segment: office}]}\n"
    "  - {name: web, image: server, memory: 256M, interfaces: [{segment: dmz, host: 80}]}\n"
    "  - {name: gw, image: router, forwarding: true, role: grey,\n"
    "     interfaces: [{segment: office, host: 254}, {segment: dmz, host: 254}]}\n";

#endif
