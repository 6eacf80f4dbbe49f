/*
 * enshu run FILE --teams N: brings the range up and runs the exercise from
 * the terminal with a live log, until its duration has passed; then shows
 * the scores. Its events go to the range's ledger; after a crash the same
 * command resumes where the exercise was.
 */
#include "alloc.h"
#include "cli.h"
#include "errors.h"
#include "event_store.h"
#include "exercise.h"
#include "libvirt_conn.h"
#include "range.h"
#include "range_actions.h"
#include "range_files.h"
#include "score_report.h"
#include "text_file.h"
#include "units.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: enshu run FILE --teams N [--name NAME] [--hosts HOSTS.yaml] [--speed X]\n"
    "                 [--for DURATION] [--timeout DURATION]\n"
    "\n"
    "Brings the range of incident script FILE up (as 'enshu up' does), then runs the\n"
    "exercise: injects fire on their timeline for each team, checks probe the guests,\n"
    "and every event is logged here and recorded in the range's ledger\n"
    "($ENSHU_STATE_DIR/ranges/NAME.events.db). When the exercise time reaches the\n"
    "scenario's duration (or --for) the exercise ends and the scores are shown.\n"
    "Ctrl-C pauses it; the same command resumes it, also after a crash.\n"
    "\n"
    "Options:\n"
    "  --teams N            number of teams\n"
    "  --name NAME          range name (default: the scenario id)\n"
    "  --hosts FILE         libvirt hosts (see 'enshu up --help')\n"
    "  --speed X            exercise time runs X times faster (rehearsals, tests)\n"
    "  --for DURATION       end after this much exercise time (default: the scenario's)\n"
    "  --timeout DURATION   how long to wait for the guests when bringing them up\n"
    "\n"
    "Exit status: 0 the exercise ended or was paused, 1 failure, 2 usage error.\n";

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = 1;
}

static void log_event(void *ctx, const event *ev)
{
    char t[32];
    format_duration(ev->at_ms - ev->at_ms % 1000, t, sizeof t);
    const char *text = ev->text ? ev->text : "";
    int len = (int)strcspn(text, "\n");
    if (len > 100)
        len = 100;
    if (ev->team)
        printf("[T+%-7s] team %-2d %-15s %-18s %.*s\n", t, ev->team, event_kind_name(ev->kind),
               ev->subject ? ev->subject : "", len, text);
    else
        printf("[T+%-7s] exercise %s (speed x%g)\n", t, text, (double)ev->value / 1000.0);
    fflush(stdout);
}

/* Records the scenario, team count and each team's template values in a new
 * ledger; checks an old one. */
static int ledger_bind(event_store *ledger, const char *file, unsigned teams,
                       const team_vars *vars)
{
    char *stored = event_store_get_meta(ledger, "teams");
    int rc = ENSHU_OK;
    if (stored) {
        if ((unsigned)strtoul(stored, NULL, 10) != teams) {
            fprintf(stderr, "enshu run: this exercise has %s teams, not %u\n", stored, teams);
            rc = ENSHU_EINVAL;
        }
        free(stored);
        return rc;
    }
    char *text = text_file_read(file, 4u << 20);
    char count[16];
    snprintf(count, sizeof count, "%u", teams);
    if (!text)
        rc = ENSHU_EIO;
    if (rc == ENSHU_OK)
        rc = event_store_set_meta(ledger, "scenario_yaml", text);
    if (rc == ENSHU_OK)
        rc = event_store_set_meta(ledger, "scenario_path", file);
    if (rc == ENSHU_OK)
        rc = event_store_set_meta(ledger, "teams", count);
    char *vars_json = team_vars_to_json(vars);
    if (rc == ENSHU_OK)
        rc = event_store_set_meta(ledger, "team_vars", vars_json);
    free(vars_json);
    free(text);
    return rc;
}

static int run_loop(exercise *ex, int64_t until_ms)
{
    while (!interrupted && exercise_now(ex) < until_ms) {
        int64_t next = exercise_step(ex);
        int64_t wait = next == INT64_MAX ? 500 : next - range_wall_ms(NULL);
        if (wait > 500)
            wait = 500; /* stay responsive to Ctrl-C and to the end */
        if (wait > 0) {
            struct timespec ts = {wait / 1000, (wait % 1000) * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    if (interrupted) {
        puts("interrupted: the exercise is paused; run the same command to resume it");
        return exercise_pause(ex);
    }
    return exercise_end(ex);
}

static int run_exercise(const range_up_request *req, double speed, int64_t for_ms)
{
    scenario *s = scenario_load_reported(req->scenario_path);
    if (!s)
        return ENSHU_EINVAL;
    const char *name = req->name ? req->name : s->id;
    char *ledger_path = range_ledger_path(name);
    event_store *ledger = NULL;
    range_actions *ra = NULL;
    exercise *ex = NULL;
    int rc = event_store_open(ledger_path, true, &ledger);
    if (rc == ENSHU_OK && !(ra = range_actions_new(s, name, req->teams)))
        rc = ENSHU_ENOTFOUND;
    if (rc == ENSHU_OK)
        rc = ledger_bind(ledger, req->scenario_path, req->teams, range_actions_team_vars(ra));
    if (rc == ENSHU_OK) {
        exercise_hooks hooks = {0};
        range_actions_hooks(ra, &hooks);
        hooks.on_event = log_event;
        ex = exercise_new(s, req->teams, ledger, &hooks);
        exercise_set_team_vars(ex, range_actions_team_vars(ra));
        rc = exercise_resume(ex);
    }
    if (rc == ENSHU_OK && exercise_get_phase(ex) == PHASE_ENDED) {
        printf("this exercise has ended; its ledger is %s\n", ledger_path);
    } else if (rc == ENSHU_OK) {
        printf("exercise %s: %u teams, ledger %s\n", name, req->teams, ledger_path);
        if (exercise_get_phase(ex) == PHASE_READY)
            rc = exercise_start(ex);
        else if (exercise_get_phase(ex) == PHASE_PAUSED)
            rc = exercise_continue(ex);
        if (rc == ENSHU_OK && speed > 0)
            rc = exercise_set_speed(ex, speed);
        if (rc == ENSHU_OK)
            rc = run_loop(ex, for_ms ? for_ms : s->duration_ms);
    }
    if (rc == ENSHU_OK && ex)
        score_report_print(s, exercise_grader(ex), stdout);
    exercise_free(ex);
    range_actions_free(ra);
    event_store_free(ledger);
    free(ledger_path);
    scenario_free(s);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    if (cli_wants_help(argc, argv)) {
        fputs(HELP, stdout);
        return CLI_OK;
    }
    static const struct option options[] = {
        {"teams", required_argument, NULL, 't'}, {"name", required_argument, NULL, 'n'},
        {"hosts", required_argument, NULL, 'H'}, {"speed", required_argument, NULL, 's'},
        {"for", required_argument, NULL, 'f'},   {"timeout", required_argument, NULL, 'T'},
        {NULL, 0, NULL, 0},
    };
    range_up_request req = {.ready_timeout_ms = 5 * 60 * 1000, .progress_out = stdout};
    double speed = 0;
    int64_t for_ms = 0;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 't':
            if (!cli_parse_teams("run", optarg, &req.teams))
                return CLI_USAGE;
            break;
        case 'n':
            req.name = optarg;
            break;
        case 'H':
            req.hosts_path = optarg;
            break;
        case 's':
            speed = strtod(optarg, &end);
            if (*end || !(speed > 0) || speed > 1000) {
                fprintf(stderr, "enshu run: --speed must be a number above 0, at most 1000\n");
                return CLI_USAGE;
            }
            break;
        case 'f':
            if (!cli_parse_duration("run", "--for", optarg, 1000, &for_ms))
                return CLI_USAGE;
            break;
        case 'T':
            if (!cli_parse_duration("run", "--timeout", optarg, 1000, &req.ready_timeout_ms))
                return CLI_USAGE;
            break;
        default:
            fprintf(stderr, "enshu run: unknown or incomplete option '%s' (try --help)\n",
                    argv[optind - 1]);
            return CLI_USAGE;
        }
    }
    if (optind + 1 != argc || !req.teams) {
        fputs("enshu run: expected FILE --teams N, e.g. enshu run scenarios/intro-office.yaml "
              "--teams 2\n",
              stderr);
        return CLI_USAGE;
    }
    req.scenario_path = argv[optind];
    libvirt_setup();
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (range_bring_up(&req) != ENSHU_OK)
        return CLI_FAIL;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return run_exercise(&req, speed, for_ms) == ENSHU_OK ? CLI_OK : CLI_FAIL;
}
