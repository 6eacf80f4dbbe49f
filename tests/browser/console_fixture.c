/*
 * The consoles without guests, for browser tests that need no range: the
 * scenario FILE's exercise for N teams over fake actions (injects succeed,
 * checks fail), its ledger in a temporary folder, and the real console hub
 * serving web/ on LISTEN. Prints what `enshu run --listen` prints (the
 * console's address, each team's join code) and serves until its standard
 * input closes or it gets SIGTERM/SIGINT. The instructor password is the one
 * of $ENSHU_STATE_DIR, as for enshu. --roster names the teams, as for
 * enshu run.
 *
 *   console_fixture [--roster ROSTER.csv] FILE N LISTEN WEB_DIR [ALLOWED_ORIGIN...]
 */
#include "alloc.h"
#include "console_auth.h"
#include "console_hub.h"
#include "errors.h"
#include "event_store.h"
#include "exercise.h"
#include "guestless_hooks.h"
#include "roster.h"
#include "scenario.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static _Atomic(console_hub *) live_hub;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = 1;
}

static void on_event(void *ctx, const event *ev)
{
    console_hub *hub = atomic_load(&live_hub);
    if (hub)
        console_hub_notify(hub);
}

int main(int argc, char **argv)
{
    const char *roster_path = NULL;
    if (argc > 2 && strcmp(argv[1], "--roster") == 0) {
        roster_path = argv[2];
        argc -= 2;
        argv += 2;
    }
    if (argc < 5 || atoi(argv[2]) < 1) {
        fprintf(stderr, "usage: console_fixture FILE N LISTEN WEB_DIR [ALLOWED_ORIGIN...]\n");
        return 2;
    }
    unsigned teams = (unsigned)atoi(argv[2]);
    scenario *s = scenario_load_reported(argv[1]);
    if (!s)
        return 1;
    char dir[] = "/tmp/enshu-fixture-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("console_fixture: mkdtemp");
        return 1;
    }
    char *ledger_path = xasprintf("%s/events.db", dir);
    event_store *ledger;
    if (event_store_open(ledger_path, true, &ledger) != ENSHU_OK)
        return 1;
    exercise_hooks hooks = guestless_hooks(on_event, NULL);
    exercise *ex = exercise_new(s, teams, ledger, &hooks);
    if (!ex)
        return 1;
    if (roster_path) {
        diag_list *d = diag_list_new();
        team_names *roster;
        if (roster_load(roster_path, teams, d, &roster) != ENSHU_OK) {
            diag_list_print(d, stderr);
            return 1;
        }
        diag_list_free(d);
        exercise_set_team_names(ex, roster);
        team_names_free(roster);
    }
    char(*codes)[JOIN_CODE_SIZE] = xcalloc(teams, JOIN_CODE_SIZE);
    const char **code_list = xcalloc(teams, sizeof(char *));
    for (unsigned t = 0; t < teams; t++) {
        join_code_new(codes[t]);
        code_list[t] = codes[t];
    }
    console_hub_config cfg = {.ex = ex,
                              .ledger = ledger,
                              .join_codes = code_list,
                              .listen = argv[3],
                              .static_dir = argv[4],
                              .allow_origins = (const char *const *)argv + 5};
    console_hub *hub;
    if (console_hub_start(&cfg, &hub) != ENSHU_OK)
        return 1;
    atomic_store(&live_hub, hub);
    printf("console: http://127.0.0.1:%d/\n", console_hub_port(hub));
    for (unsigned t = 0; t < teams; t++)
        printf("team %u join code: %s\n", t + 1, codes[t]);
    fflush(stdout);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* The exercise's loop, as enshu run's: what is due fires. */
    while (!stop) {
        (void)exercise_step(ex);
        struct pollfd in = {.fd = 0, .events = POLLIN};
        if (poll(&in, 1, 50) > 0) {
            char buf[256];
            if (read(0, buf, sizeof(buf)) <= 0)
                break;
        }
    }
    atomic_store(&live_hub, NULL);
    console_hub_free(hub);
    exercise_free(ex);
    event_store_free(ledger);
    scenario_free(s);
    char *cmd = xasprintf("rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "console_fixture: %s could not be removed\n", dir);
    free(cmd);
    free(ledger_path);
    free(codes);
    free(code_list);
    return 0;
}
