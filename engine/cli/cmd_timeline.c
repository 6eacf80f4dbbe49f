/*
 * enshu timeline --name NAME: every inject of every team from the
 * exercise's ledger: when it fired, or why it has not fired yet (waiting
 * until T+x, waiting for another inject, a condition false since ..., held,
 * paused, its target node down).
 */
#include "alloc.h"
#include "cli.h"
#include "errors.h"
#include "ledger_exercise.h"
#include "units.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HELP[] =
    "Usage: enshu timeline --name NAME [--team N]\n"
    "\n"
    "Shows every inject of each team of exercise NAME, read from its ledger: when it\n"
    "fired (or failed, with how its command ended and its stderr, or was skipped), or\n"
    "why it has not fired yet: waiting until T+x, waiting for another inject, a\n"
    "condition false since T+y, held, the exercise paused, its target node down. After\n"
    "the end, an inject that never fired says so, and what it was waiting for.\n"
    "\n"
    "Exit status: 0 shown, 1 failure, 2 usage error.\n";

/* The text of each team's last inject.failed, [team - 1][inject]. */
typedef struct failures {
    const scenario *s;
    unsigned teams;
    char **text;
} failures;

static int keep_failure(const event *ev, void *arg)
{
    failures *f = arg;
    const inject *inj = ev->subject ? scenario_inject(f->s, ev->subject) : NULL;
    if (ev->kind != EV_INJECT_FAILED || !inj || ev->team < 1 || (unsigned)ev->team > f->teams)
        return 0;
    size_t slot = (size_t)(ev->team - 1) * f->s->ninjects + (size_t)(inj - f->s->injects);
    free(f->text[slot]);
    f->text[slot] = xstrdup(ev->text ? ev->text : "");
    return 0;
}

/* A failure's text under its inject's line, indented, a line each. */
static void print_failure(const char *text)
{
    while (*text) {
        int len = (int)strcspn(text, "\n");
        printf("  %-20s   %.*s\n", "", len, text);
        text += len + (text[len] == '\n');
    }
}

static void show(const scenario *s, exercise *ex, unsigned teams, int only_team,
                 const failures *failed)
{
    static const char *const phases[] = {"ready (before STARTEX)", "running", "paused", "ended"};
    char now[32];
    format_duration(exercise_now(ex) - exercise_now(ex) % 1000, now, sizeof now);
    printf("exercise %s: %s, T+%s\n", s->id, phases[exercise_get_phase(ex)], now);
    exercise_phase phase = exercise_get_phase(ex);
    timeline_clock clock = phase == PHASE_ENDED    ? TIMELINE_ENDED
                           : phase == PHASE_PAUSED ? TIMELINE_PAUSED
                                                   : TIMELINE_RUNNING;
    for (unsigned t = 1; t <= teams; t++) {
        if (only_team && (unsigned)only_team != t)
            continue;
        printf("team %u\n", t);
        const timeline *tl = exercise_timeline(ex, (int)t);
        for (size_t i = 0; i < s->ninjects; i++) {
            char *why = timeline_explain(tl, i, exercise_now(ex), clock);
            printf("  %-20s %s\n", s->injects[i].id, why);
            free(why);
            const char *text = failed->text[(size_t)(t - 1) * s->ninjects + i];
            if (timeline_state(tl, i) == INJECT_FAILED && text)
                print_failure(text);
        }
    }
}

int cmd_timeline(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"team", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL;
    unsigned team = 0;
    int opt;
    cli_options_begin();
    while ((opt = cli_next_option("timeline", argc, argv, "", options)) != -1) {
        if (opt == 'n') {
            name = optarg;
        } else if (opt == 't') {
            if (cli_parse_teams("timeline", optarg, &team) != ENSHU_OK)
                return CLI_USAGE;
        } else {
            return CLI_USAGE;
        }
    }
    if (!name || optind < argc) {
        fputs("enshu timeline: give the exercise with --name NAME (try --help)\n", stderr);
        return CLI_USAGE;
    }
    ledger_exercise le;
    if (ledger_exercise_open("timeline", name, false, &le) != ENSHU_OK)
        return CLI_FAIL;
    int rc = CLI_FAIL;
    if (team > le.rec.teams) {
        fprintf(stderr, "enshu timeline: exercise '%s' has %u teams\n", name, le.rec.teams);
    } else if (exercise_replay(le.ex) == ENSHU_OK) {
        failures failed = {le.rec.s, le.rec.teams,
                           xcalloc((size_t)le.rec.teams * le.rec.s->ninjects + 1, sizeof(char *))};
        if (event_store_scan(le.ledger, 0, keep_failure, &failed) == ENSHU_OK) {
            show(le.rec.s, le.ex, le.rec.teams, (int)team, &failed);
            rc = CLI_OK;
        }
        for (size_t k = 0; k < (size_t)le.rec.teams * le.rec.s->ninjects; k++)
            free(failed.text[k]);
        free(failed.text);
    }
    ledger_exercise_close(&le);
    return rc;
}
