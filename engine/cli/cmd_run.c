/*
 * enshu run FILE --teams N: brings the range up and runs the exercise from
 * the terminal with a live log, until its duration has passed; then shows
 * the scores. Its events go to the range's ledger; after a crash the same
 * command resumes where the exercise was.
 */
#include "alloc.h"
#include "cli.h"
#include "console_auth.h"
#include "console_hub.h"
#include "data_dir.h"
#include "errors.h"
#include "event_store.h"
#include "exercise.h"
#include "exercise_record.h"
#include "ledger_meta.h"
#include "ledger_reuse.h"
#include "libvirt_conn.h"
#include "libvirt_events.h"
#include "log.h"
#include "range.h"
#include "range_files.h"
#include "range_plan.h"
#include "roster.h"
#include "run_actions.h"
#include "score_report.h"
#include "text_file.h"
#include "units.h"
#include "wall_clock.h"

#include <ctype.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: enshu run FILE --teams N [--name NAME] [--hosts HOSTS.yaml] [--speed X]\n"
    "                 [--for DURATION] [--timeout DURATION] [--listen HOST:PORT]\n"
    "                 [--cert FILE --key FILE] [--allow-origin ORIGIN]... [--web DIR]\n"
    "                 [--wait] [--log stderr|FILE|syslog] [--log-level LEVEL]\n"
    "                 [--resume | --fresh] [--roster FILE] [--warm]\n"
    "\n"
    "Brings the range of incident script FILE up (as 'enshu up' does), then runs the\n"
    "exercise: injects fire on their timeline for each team, checks probe the guests,\n"
    "and every event is logged here and recorded in the range's ledger\n"
    "($ENSHU_STATE_DIR/ranges/NAME.events.db). When the exercise time reaches the\n"
    "scenario's duration (or --for) the exercise ends and the scores are shown.\n"
    "Ctrl-C pauses it; the same command resumes it, also after a crash. With --listen\n"
    "the consoles stay open after the end until Ctrl-C.\n"
    "A tabletop exercise (a scenario without network and nodes) has no range: nothing\n"
    "is brought up and no libvirt connection is opened; its injects are messages and\n"
    "notes, and its ledger is its only file.\n"
    "\n"
    "A ledger belongs to the range it ran on. When that range was taken down since\n"
    "('enshu down'), its guests are new and the ledger's exercise cannot simply go on:\n"
    "run refuses, and says so, unless told what to do:\n"
    "  --resume   carry the old exercise on at its clock: first, for each team, every\n"
    "             inject that fired and acted on guests (all but messages and notes)\n"
    "             runs again on the new guests, in the order they fired, each recorded\n"
    "             as a new attempt; messages are not sent again\n"
    "  --fresh    start a new exercise; the old ledger is kept beside the new one,\n"
    "             renamed NAME.<UTC time>.events.db (the name is printed)\n"
    "\n"
    "Options:\n"
    "  --teams N            number of teams\n"
    "  --name NAME          range name (default: the scenario id)\n"
    "  --hosts FILE         libvirt hosts (see 'enshu up --help')\n"
    "  --speed X            exercise time runs X times faster (rehearsals, tests)\n"
    "  --for DURATION       end after this much exercise time (default: the scenario's)\n"
    "  --timeout DURATION   how long to wait for the guests when bringing them up\n"
    "  --warm               restore guests from saved templates, as 'enshu up --warm'\n"
    "  --listen HOST:PORT   serve the browser consoles there (port 0: any free one);\n"
    "                       prints each team's join code (see web/PROTOCOL.md)\n"
    "  --cert FILE --key FILE  serve the consoles over TLS (https, wss)\n"
    "  --allow-origin ORIGIN  pages of ORIGIN (e.g. https://range.example, a reverse\n"
    "                       proxy's) may connect to the consoles too; repeatable. By\n"
    "                       default only pages served by the consoles themselves may\n"
    "                       (other origins get HTTP 403)\n"
    "  --web DIR            the consoles' files (default: $ENSHU_WEB_DIR, else web/ in\n"
    "                       Enshu's data directory: see 'enshu --help')\n"
    "  --wait               do not start the exercise: an instructor starts it from the\n"
    "                       console\n"
    "  --log stderr|FILE|syslog  where messages go, each with its time and level:\n"
    "                       stderr, FILE (appended to; reopened on SIGHUP, for\n"
    "                       logrotate) or syslog (journald takes it too). Default:\n"
    "                       plain sentences on stderr. The events stay on stdout\n"
    "  --log-level LEVEL    error, warning, notice, info (default) or debug: less\n"
    "                       severe messages are dropped\n"
    "  --resume, --fresh    see above\n"
    "  --roster FILE        the teams' names and organisations, shown in the consoles:\n"
    "                       CSV lines team,name,organisation (README.md, 'Named teams');\n"
    "                       names an instructor gives in the console replace them\n"
    "\n"
    "The live log gives each event's exercise time: an inject when it began and when it\n"
    "fired or failed (a failure with how its command ended, e.g. 'exit status 2' or\n"
    "'killed by signal 9 (SIGKILL)', then the last lines of its stderr), a check when\n"
    "its probe began, with 'pass' or 'fail'.\n"
    "\n"
    "Exit status: 0 the exercise ended or was paused, 1 failure, 2 usage error.\n";

static const char SERVE_HELP[] =
    "Usage: enshu serve FILE --teams N [--listen HOST:PORT] [--cert FILE --key FILE]\n"
    "                   [--allow-origin ORIGIN]... [--name NAME] [--hosts HOSTS.yaml]\n"
    "                   [--speed X] [--for DURATION]\n"
    "                   [--log stderr|FILE|syslog] [--log-level LEVEL] [--resume | --fresh]\n"
    "                   [--roster FILE]\n"
    "       enshu serve FILE --self-paced [--pool N] [--max N] [--ttl DUR] [--hosts HOSTS]\n"
    "                   [--seats N] [--code CODE] [--name NAME] [--listen HOST:PORT] [--warm]\n"
    "\n"
    "Brings the range of incident script FILE up and serves the browser consoles:\n"
    "'enshu run --listen HOST:PORT --wait'. The instructor starts, pauses and steers\n"
    "the exercise from the instructor console; teams join with the join codes printed\n"
    "here. Listens on 127.0.0.1:8080 unless told otherwise; --allow-origin, --log,\n"
    "--log-level, --roster, --resume and --fresh as for 'enshu run'. A tabletop exercise\n"
    "(without network and nodes) is served with no range and no libvirt connection.\n"
    "\n"
    "--self-paced serves FILE as a self-paced course instead: a pool of one-team\n"
    "ranges (sandboxes) kept up on the hosts (--hosts, else this one): --pool warm\n"
    "ahead of demand (2), at most --max at once (the hosts' capacity). Trainees open\n"
    "/course.html, give the course code (--code, else one is made and printed) and a\n"
    "name, and get a sandbox (or a place in the queue with an estimate) whose clock\n"
    "starts then, and a resume token that brings them back until --ttl (2h). --seats\n"
    "(32) bounds the sandboxes this run gives out (each is a team slot of the\n"
    "ledger). Instructors watch, extend and revoke at /course_view.html. Ctrl-C closes\n"
    "the course and tears every sandbox down. Each trainee's injects, checks and\n"
    "consoles act on their own sandbox's guests. --warm restores the sandboxes'\n"
    "guests from saved templates instead of booting them, as 'enshu up --warm'.\n"
    "\n"
    "Exit status: 0 the exercise ended or was interrupted, 1 failure, 2 usage error.\n";

#define MAX_ALLOW_ORIGINS 16

typedef struct run_options {
    double speed;
    int64_t for_ms;
    const char *listen; /* NULL: no consoles */
    const char *cert, *key;
    const char *web_dir;
    /* --allow-origin, NULL-terminated */
    const char *allow_origins[MAX_ALLOW_ORIGINS + 1];
    bool wait; /* for an instructor's start */
    ledger_choice choice;
    bool rerun; /* --resume over new guests: run their injects again first */
    const char *roster_path;
    team_names *roster; /* --roster, read before anything is brought up */
} run_options;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = 1;
}

/* logrotate has moved the log file away. */
static void on_hangup(int sig)
{
    log_reopen();
}

/* The live log: one line per event, in the order they are recorded, each
 * with the exercise time it happened at. A check says whether it passes; a
 * failed inject says how it ended, then the tail of its stderr, a line each. */
static void log_event(void *ctx, const event *ev)
{
    char t[32];
    format_duration(ev->at_ms - ev->at_ms % 1000, t, sizeof t);
    const char *text = ev->text ? ev->text : "";
    int len = (int)strcspn(text, "\n");
    if (ev->kind == EV_EXERCISE_STATE) {
        printf("[T+%-7s] exercise %s (speed x%g)\n", t, text, (double)ev->value / 1000.0);
        fflush(stdout);
        return;
    }
    char who[16] = "all teams";
    if (ev->team)
        snprintf(who, sizeof who, "team %-2d", ev->team);
    const char *prefix = "";
    char attempt[64] = "";
    if (ev->kind == EV_CHECK_RESULT)
        prefix = ev->value ? "pass: " : "fail: ";
    else if (ev->kind == EV_INJECT_RETRIED)
        snprintf(attempt, sizeof attempt, "attempt %lld%s%s", (long long)ev->value + 1,
                 ev->actor ? ", by " : "", ev->actor ? ev->actor : "");
    if (len > 160 && ev->kind != EV_INJECT_FAILED)
        len = 160;
    printf("[T+%-7s] %s %-15s %-18s %s%s%.*s\n", t, who, event_kind_name(ev->kind),
           ev->subject ? ev->subject : "", prefix, attempt, len, text);
    if (ev->kind == EV_INJECT_FAILED) {
        /* The tail of its stderr (inject_failure_text bounds it). */
        for (const char *line = text + len; *line == '\n'; line += len) {
            line++;
            len = (int)strcspn(line, "\n");
            printf("%12s| %.*s\n", "", len, line);
        }
    }
    fflush(stdout);
}

/* Consoles, when --listen is given: told of every event. */
static console_hub *live_hub;

static void on_event(void *ctx, const event *ev)
{
    log_event(ctx, ev);
    console_hub_notify(live_hub);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Steps the exercise until its time is up, an instructor ends it, or
 * Ctrl-C. While it waits for STARTEX or is paused from a console, it only
 * picks up what other processes record (enshu answer, grade). */
static int run_loop(exercise *ex, int64_t until_ms)
{
    while (!interrupted && exercise_get_phase(ex) != PHASE_ENDED && exercise_now(ex) < until_ms) {
        if (exercise_poll_ledger(ex) != ENSHU_OK)
            log_printf(ENSHU_LOG_WARNING, "enshu run: the ledger could not be read; retrying");
        int64_t next = exercise_step(ex);
        int64_t wait = next == INT64_MAX ? 200 : next - wall_clock_ms(NULL);
        if (wait > 200)
            wait = 200;          /* stay responsive to consoles, Ctrl-C and the end */
        exercise_wait(ex, wait); /* or less: a team's thread finished, an event came */
    }
    exercise_phase phase = exercise_get_phase(ex);
    if (interrupted) {
        if (phase != PHASE_RUNNING)
            return ENSHU_OK;
        puts("interrupted: the exercise is paused; run the same command to resume it");
        return exercise_pause(ex);
    }
    return phase == PHASE_ENDED ? ENSHU_OK : exercise_end(ex);
}

/* Each team's join code for the consoles, made once per exercise and kept
 * in the ledger (a restart keeps the codes teams were given). */
static char **join_codes(event_store *ledger, unsigned teams)
{
    char **codes = xcalloc(teams + 1, sizeof(char *));
    char *stored = event_store_get_meta(ledger, LEDGER_META_JOIN_CODES);
    json_t *list = stored ? json_loads(stored, 0, NULL) : NULL;
    free(stored);
    bool fresh = !json_is_array(list) || json_array_size(list) != teams;
    if (fresh) {
        json_decref(list);
        list = json_array();
        for (unsigned t = 0; t < teams; t++) {
            char code[JOIN_CODE_SIZE];
            join_code_new(code);
            json_array_append_new(list, json_string(code));
        }
        char *text = json_dumps(list, JSON_COMPACT);
        if (event_store_set_meta(ledger, LEDGER_META_JOIN_CODES, text) != ENSHU_OK)
            log_printf(ENSHU_LOG_ERROR,
                       "enshu run: the join codes could not be kept in the ledger");
        free(text);
    }
    for (unsigned t = 0; t < teams; t++) {
        const char *code = json_string_value(json_array_get(list, t));
        codes[t] = xstrdup(code ? code : "");
    }
    json_decref(list);
    return codes;
}

static void codes_free(char **codes, unsigned teams)
{
    for (unsigned t = 0; codes && t < teams; t++)
        free(codes[t]);
    free(codes);
}

static int start_consoles(const run_options *opt, exercise *ex, event_store *ledger,
                          const team_vars *vars, const char *name, char **codes)
{
    /* A tabletop exercise has no guests: its consoles look for none. */
    console_hub_config cfg = {.ex = ex,
                              .ledger = ledger,
                              .vars = vars,
                              .range_name = exercise_scenario(ex)->tabletop ? NULL : name,
                              .join_codes = (const char *const *)codes,
                              .listen = opt->listen,
                              .static_dir = opt->web_dir,
                              .cert_path = opt->cert,
                              .key_path = opt->key,
                              .allow_origins = opt->allow_origins};
    int rc = console_hub_start(&cfg, &live_hub);
    if (rc != ENSHU_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu run: the consoles could not listen on %s", opt->listen);
        return rc;
    }
    const char *host = opt->listen;
    const char *colon = strrchr(host, ':');
    printf("console: %s://%.*s:%d/\n", opt->cert ? "https" : "http",
           colon ? (int)(colon - host) : (int)strlen(host), host, console_hub_port(live_hub));
    for (unsigned t = 0; t < exercise_teams(ex); t++)
        printf("team %u join code: %s\n", t + 1, codes[t]);
    if (!instructor_password_is_set())
        puts("no instructor password is set: set one with 'enshu passwd' to use the "
             "instructor console");
    return ENSHU_OK;
}

static int run_exercise(const range_up_request *req, const run_options *opt)
{
    double speed = opt->speed;
    int64_t for_ms = opt->for_ms;
    char **codes = NULL;
    scenario *s = scenario_load_reported(req->scenario_path);
    if (!s)
        return ENSHU_EINVAL;
    const char *name = req->name ? req->name : s->id;
    char *ledger_path = range_ledger_path(name);
    event_store *ledger = NULL;
    run_actions *ra = NULL;
    exercise *ex = NULL;
    int rc = event_store_open(ledger_path, true, &ledger);
    if (rc == ENSHU_OK && !(ra = run_actions_new(s, name, req->teams)))
        rc = ENSHU_ENOTFOUND;
    if (rc == ENSHU_OK)
        run_actions_keep_seed(ra, ledger);
    if (rc == ENSHU_OK)
        rc = exercise_record_write(ledger, req->scenario_path, s, req->teams,
                                   run_actions_team_vars(ra));
    /* A tabletop exercise has no range to bind its ledger to. */
    if (rc == ENSHU_OK && !s->tabletop && ledger_reuse_bind(name, ledger) != ENSHU_OK)
        log_printf(ENSHU_LOG_WARNING,
                   "enshu run: the ledger could not be bound to range '%s': a later run may "
                   "ask for --resume",
                   name);
    if (rc == ENSHU_OK) {
        exercise_hooks hooks = {0};
        run_actions_hooks(ra, &hooks);
        hooks.on_event = on_event;
        ex = exercise_new(s, req->teams, ledger, &hooks);
        exercise_set_team_vars(ex, run_actions_team_vars(ra));
        if (opt->roster)
            exercise_set_team_names(ex, opt->roster);
        rc = exercise_resume(ex);
    }
    if (rc == ENSHU_OK && opt->rerun && exercise_get_phase(ex) != PHASE_ENDED) {
        puts("the range's guests are new: the injects that acted on the old ones run again");
        rc = exercise_rerun_on_new_guests(ex, "enshu run --resume");
    }
    if (rc == ENSHU_OK && opt->listen) {
        codes = join_codes(ledger, req->teams);
        rc = start_consoles(opt, ex, ledger, run_actions_team_vars(ra), name, codes);
    }
    if (rc == ENSHU_OK && exercise_get_phase(ex) == PHASE_ENDED) {
        printf("this exercise has ended; its ledger is %s\n", ledger_path);
    } else if (rc == ENSHU_OK) {
        printf("exercise %s: %u teams, ledger %s\n", name, req->teams, ledger_path);
        if (exercise_get_phase(ex) == PHASE_READY && opt->wait)
            puts("waiting for an instructor to start the exercise from the console");
        else if (exercise_get_phase(ex) == PHASE_READY)
            rc = exercise_start(ex);
        else if (exercise_get_phase(ex) == PHASE_PAUSED && !opt->wait)
            rc = exercise_continue(ex);
        if (rc == ENSHU_OK && speed > 0)
            rc = exercise_set_speed(ex, speed);
        if (rc == ENSHU_OK)
            rc = run_loop(ex, for_ms ? for_ms : s->duration_ms);
    }
    if (rc == ENSHU_OK && ex) {
        /* A team's last inject or check may still be recorded meanwhile. */
        exercise_lock(ex);
        score_report_print(s, exercise_grader(ex), stdout);
        exercise_unlock(ex);
    }
    if (rc == ENSHU_OK && live_hub && !interrupted) {
        /* The consoles stay up to look back at the exercise. */
        puts("the exercise has ended; the consoles stay open until Ctrl-C");
        while (!interrupted)
            sleep_ms(200);
    }
    /* The teams' threads run until exercise_free and call on_event, always
     * under the exercise's lock: take the hub from them under it before
     * freeing it. */
    console_hub *hub = live_hub;
    if (ex)
        exercise_lock(ex);
    live_hub = NULL;
    if (ex)
        exercise_unlock(ex);
    console_hub_free(hub);
    codes_free(codes, req->teams);
    exercise_free(ex);
    run_actions_free(ra);
    event_store_free(ledger);
    free(ledger_path);
    scenario_free(s);
    return rc;
}

/* enshu run and enshu serve: the same, serve waits for an instructor. */
/* "http://host[:port]" or "https://..." (host a name, IPv4 or [IPv6]),
 * nothing after: what browsers send as Origin. A trailing "/" is allowed. */
static bool origin_valid(const char *origin)
{
    const char *rest = strncmp(origin, "https://", 8) == 0  ? origin + 8
                       : strncmp(origin, "http://", 7) == 0 ? origin + 7
                                                            : NULL;
    if (!rest || !*rest)
        return false;
    size_t n = strlen(rest);
    if (rest[n - 1] == '/')
        n--;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)rest[i]) && !strchr(".-:[]", rest[i]))
            return false;
    return n > 0;
}

static int run_command(int argc, char **argv, const char *cmd, bool serve)
{
    static const struct option options[] = {
        {"teams", required_argument, NULL, 't'},
        {"name", required_argument, NULL, 'n'},
        {"hosts", required_argument, NULL, 'H'},
        {"speed", required_argument, NULL, 's'},
        {"for", required_argument, NULL, 'f'},
        {"timeout", required_argument, NULL, 'T'},
        {"listen", required_argument, NULL, 'l'},
        {"cert", required_argument, NULL, 'c'},
        {"key", required_argument, NULL, 'k'},
        {"web", required_argument, NULL, 'w'},
        {"wait", no_argument, NULL, 'W'},
        {"allow-origin", required_argument, NULL, 'o'},
        {"log", required_argument, NULL, 'L'},
        {"log-level", required_argument, NULL, 'V'},
        {"resume", no_argument, NULL, 'R'},
        {"fresh", no_argument, NULL, 'F'},
        {"warm", no_argument, NULL, 'M'},
        {"roster", required_argument, NULL, 'r'}, /* the teams' names (roster.h) */
        {NULL, 0, NULL, 0},
    };
    range_up_request req = {.ready_timeout_ms = 5 * 60 * 1000, .progress_out = stdout};
    run_options ro = {.wait = serve,
                      .listen = serve ? "127.0.0.1:8080" : NULL,
                      .web_dir = getenv("ENSHU_WEB_DIR")};
    const char *log_target = NULL; /* NULL: plain sentences on stderr */
    log_level level = ENSHU_LOG_INFO;
    int opt;
    cli_options_begin();
    while ((opt = cli_next_option(cmd, argc, argv, "", options)) != -1) {
        char *end = NULL;
        switch (opt) {
        case 't':
            if (cli_parse_teams(cmd, optarg, &req.teams) != ENSHU_OK)
                return CLI_USAGE;
            break;
        case 'n':
            req.name = optarg;
            break;
        case 'H':
            req.hosts_path = optarg;
            break;
        case 's':
            ro.speed = strtod(optarg, &end);
            if (*end || !(ro.speed > 0) || ro.speed > 1000) {
                fprintf(stderr, "enshu %s: --speed must be a number above 0, at most 1000\n", cmd);
                return CLI_USAGE;
            }
            break;
        case 'f':
            if (cli_parse_duration(cmd, "--for", optarg, 1000, &ro.for_ms) != ENSHU_OK)
                return CLI_USAGE;
            break;
        case 'T':
            if (cli_parse_duration(cmd, "--timeout", optarg, 1000, &req.ready_timeout_ms) !=
                ENSHU_OK)
                return CLI_USAGE;
            break;
        case 'l':
            if (!strchr(optarg, ':')) {
                fprintf(stderr, "enshu %s: --listen takes HOST:PORT, e.g. 127.0.0.1:8080\n", cmd);
                return CLI_USAGE;
            }
            ro.listen = optarg;
            break;
        case 'c':
            ro.cert = optarg;
            break;
        case 'k':
            ro.key = optarg;
            break;
        case 'w':
            ro.web_dir = optarg;
            break;
        case 'W':
            ro.wait = true;
            break;
        case 'M':
            req.warm = true;
            break;
        case 'o': {
            size_t n = 0;
            while (ro.allow_origins[n])
                n++;
            if (!origin_valid(optarg)) {
                fprintf(stderr,
                        "enshu %s: --allow-origin takes an origin, a scheme and a host with "
                        "an optional port, e.g. https://range.example or "
                        "http://10.0.0.5:8080\n",
                        cmd);
                return CLI_USAGE;
            }
            if (n == MAX_ALLOW_ORIGINS) {
                fprintf(stderr, "enshu %s: at most %d --allow-origin\n", cmd, MAX_ALLOW_ORIGINS);
                return CLI_USAGE;
            }
            ro.allow_origins[n] = optarg;
            break;
        }
        case 'L':
            log_target = optarg;
            break;
        case 'R':
        case 'F':
            if (ro.choice != LEDGER_ASK) {
                fprintf(stderr, "enshu %s: give --resume or --fresh, not both\n", cmd);
                return CLI_USAGE;
            }
            ro.choice = opt == 'R' ? LEDGER_RESUME : LEDGER_FRESH;
            break;
        case 'r':
            ro.roster_path = optarg;
            break;
        case 'V':
            if (log_level_parse(optarg, &level) != ENSHU_OK) {
                fprintf(stderr,
                        "enshu %s: --log-level is error, warning, notice, info or debug, "
                        "not '%s'\n",
                        cmd, optarg);
                return CLI_USAGE;
            }
            break;
        default:
            return CLI_USAGE;
        }
    }
    if (optind + 1 != argc || !req.teams) {
        fprintf(stderr,
                "enshu %s: expected FILE --teams N, e.g. enshu %s "
                "scenarios/intro-office.yaml --teams 2\n",
                cmd, cmd);
        return CLI_USAGE;
    }
    if (!ro.cert != !ro.key) {
        fprintf(stderr, "enshu %s: --cert and --key go together\n", cmd);
        return CLI_USAGE;
    }
    if ((ro.cert || ro.key || ro.wait || ro.allow_origins[0]) && !ro.listen) {
        fprintf(stderr, "enshu %s: --cert, --key, --allow-origin and --wait need --listen\n", cmd);
        return CLI_USAGE;
    }
    req.scenario_path = argv[optind];
    log_set_level(level);
    if (log_target && log_open(log_target) != ENSHU_OK)
        return CLI_FAIL;
    if (log_target && strcmp(log_target, "stderr") != 0 && strcmp(log_target, "syslog") != 0) {
        struct sigaction hup = {.sa_handler = on_hangup, .sa_flags = SA_RESTART};
        sigaction(SIGHUP, &hup, NULL);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Before anything is brought up: whether the ledger's exercise may go on. */
    scenario *s = scenario_load_reported(req.scenario_path);
    if (!s)
        return CLI_FAIL;
    char *name = xstrdup(req.name ? req.name : s->id);
    bool tabletop = s->tabletop;
    scenario_free(s);
    if (ro.roster_path) {
        diag_list *d = diag_list_new();
        if (roster_load(ro.roster_path, req.teams, d, &ro.roster) != ENSHU_OK)
            diag_list_print(d, stderr);
        diag_list_free(d);
        if (!ro.roster) {
            free(name);
            return CLI_FAIL;
        }
    }
    ledger_reuse reuse = {0};
    int checked = ENSHU_OK; /* a bad name: range_bring_up says why not */
    if (tabletop && !range_name_valid(name)) {
        fprintf(stderr,
                "enshu %s: '%s' cannot name an exercise: use letters, digits and '-' (give one "
                "with --name)\n",
                cmd, name);
        checked = ENSHU_EINVAL;
    } else if (tabletop && ro.choice != LEDGER_FRESH) {
        /* No guests that a 'down' could have renewed: a tabletop exercise's
         * ledger always goes on (--resume changes nothing), unless --fresh
         * starts a new one. */
    } else if (range_name_valid(name)) {
        checked = ledger_reuse_prepare(cmd, name, ro.choice, &reuse);
    }
    free(name);
    if (checked != ENSHU_OK) {
        ledger_reuse_fini(&reuse);
        team_names_free(ro.roster);
        return CLI_FAIL;
    }
    if (reuse.archived)
        printf("a new exercise begins; the old ledger is kept as %s\n", reuse.archive_path);
    ro.rerun = ro.choice == LEDGER_RESUME && reuse.stale;
    /* New guests of a resumed exercise get the values its ledger grades by. */
    char *kept_seed = ro.rerun ? reuse.variation_seed : NULL;
    if (kept_seed)
        reuse.variation_seed = NULL;
    req.variation_seed = kept_seed;
    ledger_reuse_fini(&reuse);
    if (tabletop) {
        /* No guests: nothing of libvirt is touched, not even its library. */
        if (range_dirs_ensure() != ENSHU_OK) {
            team_names_free(ro.roster);
            return CLI_FAIL;
        }
        printf("%s is a tabletop exercise: no guests to bring up\n", req.scenario_path);
        if (req.hosts_path)
            log_printf(ENSHU_LOG_WARNING,
                       "enshu %s: a tabletop exercise uses no hosts: %s is ignored", cmd,
                       req.hosts_path);
    } else {
        /* Console streams need libvirt's event loop registered before any
         * connection is opened. */
        if (ro.listen)
            libvirt_events_init_once();
        libvirt_setup();
        int up = range_bring_up(&req);
        req.variation_seed = NULL;
        free(kept_seed);
        if (up != ENSHU_OK) {
            team_names_free(ro.roster);
            return CLI_FAIL;
        }
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    char *web_dir = ro.web_dir ? NULL : data_dir_path("web");
    if (web_dir)
        ro.web_dir = web_dir;
    int rc = run_exercise(&req, &ro) == ENSHU_OK ? CLI_OK : CLI_FAIL;
    team_names_free(ro.roster);
    free(web_dir);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    return run_command(argc, argv, "run", false);
}

int cmd_serve(int argc, char **argv)
{
    if (cli_show_help(argc, argv, SERVE_HELP))
        return CLI_OK;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--self-paced") == 0)
            return cmd_serve_course(argc, argv);
    return run_command(argc, argv, "serve", true);
}
