/*
 * enshu serve FILE --self-paced: a self-paced course. A pool of one-team
 * ranges of FILE is kept warm on the hosts (sandbox_course.h); trainees
 * come to the course page (web/course.html) with the course code and a
 * name, get a sandbox (or a place in the queue) and a clock of their own
 * (exercise_set_self_paced), and come back with a resume token until the
 * TTL; instructors watch, extend and revoke in the course view. Ctrl-C
 * closes the course: every sandbox is torn down, and the ledger keeps
 * what each trainee did.
 */
#include "alloc.h"
#include "cli.h"
#include "console_auth.h"
#include "console_hub.h"
#include "errors.h"
#include "event_store.h"
#include "exercise.h"
#include "exercise_record.h"
#include "libvirt_conn.h"
#include "libvirt_events.h"
#include "log.h"
#include "range_files.h"
#include "sandbox_actions.h"
#include "sandbox_course.h"
#include "data_dir.h"
#include "tabletop_actions.h"
#include "wall_clock.h"

#include <getopt.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t closing;

static void on_signal(int sig)
{
    (void)sig;
    closing = 1;
}

static console_hub *course_hub;

static void on_event(void *ctx, const event *ev)
{
    (void)ctx, (void)ev;
    if (course_hub)
        console_hub_notify(course_hub);
}

typedef struct course_options {
    const char *scenario_path, *hosts_path, *name, *listen, *web_dir, *code;
    unsigned pool, max, seats;
    int64_t ttl_ms;
    bool warm_restore; /* --warm: the sandboxes' guests restored from saved templates */
} course_options;

/* Steps every trainee's timeline until Ctrl-C. */
static void course_loop(exercise *ex)
{
    while (!closing) {
        if (exercise_poll_ledger(ex) != ENSHU_OK)
            log_printf(ENSHU_LOG_WARNING, "enshu serve: the ledger could not be read; retrying");
        int64_t next = exercise_step(ex);
        int64_t wait = next == INT64_MAX ? 200 : next - wall_clock_ms(NULL);
        exercise_wait(ex, wait > 200 ? 200 : wait);
    }
}

static int serve_course(const course_options *o)
{
    scenario *s = scenario_load_reported(o->scenario_path);
    if (!s)
        return CLI_FAIL;
    const char *name = o->name ? o->name : s->id;
    char *ledger_path = NULL;
    event_store *ledger = NULL;
    /* A tabletop course's hooks touch no guests; any other acts on each
     * trainee's own sandbox. */
    tabletop_actions *tabletop = NULL;
    sandbox_actions *sandboxes = NULL;
    const team_vars *vars = NULL;
    exercise *ex = NULL;
    sandbox_course *course = NULL;
    char **codes = NULL;
    int rc = CLI_FAIL;
    if (range_dirs_ensure() != ENSHU_OK)
        goto out;
    ledger_path = range_ledger_path(name);
    if (access(ledger_path, F_OK) == 0) {
        /* A course's sandboxes do not outlive it, so its ledger is not taken
         * up again: the earlier course's is kept under a name of its own. */
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", localtime(&now));
        char *kept = xasprintf("%s.%s", ledger_path, stamp);
        if (rename(ledger_path, kept) != 0) {
            fprintf(stderr,
                    "enshu serve: the earlier course's ledger %s could not be moved to %s\n",
                    ledger_path, kept);
            free(kept);
            goto out;
        }
        printf("a new course begins; the earlier course's ledger is kept as %s\n", kept);
        free(kept);
    }
    if (event_store_open(ledger_path, true, &ledger) != ENSHU_OK)
        goto out;
    exercise_hooks hooks = {0};
    if (s->tabletop) {
        tabletop = tabletop_actions_new(s, o->seats);
        tabletop_actions_use_seed(tabletop, NULL);
        tabletop_actions_hooks(tabletop, &hooks);
        vars = tabletop_actions_team_vars(tabletop);
    } else {
        sandboxes = sandbox_actions_new(s, name, o->seats, ledger);
        sandbox_actions_hooks(sandboxes, &hooks);
        vars = sandbox_actions_team_vars(sandboxes);
    }
    if (exercise_record_write(ledger, o->scenario_path, s, o->seats, vars) != ENSHU_OK)
        goto out;
    hooks.on_event = on_event;
    ex = exercise_new(s, o->seats, ledger, &hooks);
    exercise_set_team_vars(ex, vars);
    exercise_set_self_paced(ex);
    if (exercise_resume(ex) != ENSHU_OK)
        goto out;

    libvirt_events_init_once();
    libvirt_setup();
    if (sodium_init() < 0)
        goto out;
    char code[JOIN_CODE_SIZE];
    if (!o->code)
        join_code_new(code);
    sandbox_course_config cc = {.scenario_path = o->scenario_path,
                                .hosts_path = o->hosts_path,
                                .prefix = name,
                                .pool = {.course_code = o->code ? o->code : code,
                                         .warm = o->pool,
                                         .max = o->max,
                                         .max_jobs = 2,
                                         .host_builds = 1,
                                         .ttl_ms = o->ttl_ms,
                                         .build_guess_ms = 60000,
                                         .teardown_guess_ms = 10000},
                                .ready_timeout_ms = 5 * 60 * 1000,
                                .warm_restore = o->warm_restore,
                                .on_range = sandboxes ? sandbox_actions_on_range : NULL,
                                .range_ctx = sandboxes};
    course = sandbox_course_open(&cc);
    if (!course)
        goto out;
    /* Team slots are taken by sandboxes, not join codes: the codes only
     * satisfy the hub, and are never shown. */
    codes = xcalloc(o->seats, sizeof(char *));
    for (unsigned t = 0; t < o->seats; t++) {
        codes[t] = xmalloc(JOIN_CODE_SIZE);
        join_code_new(codes[t]);
    }
    console_hub_config hc = {.ex = ex,
                             .ledger = ledger,
                             .vars = vars,
                             .join_codes = (const char *const *)codes,
                             .listen = o->listen,
                             .static_dir = o->web_dir,
                             .course = course};
    if (console_hub_start(&hc, &course_hub) != ENSHU_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu serve: the consoles could not listen on %s", o->listen);
        goto out;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    const char *colon = strrchr(o->listen, ':');
    printf("course page: http://%.*s:%d/course.html\n", (int)(colon - o->listen), o->listen,
           console_hub_port(course_hub));
    printf("course view (instructors): http://%.*s:%d/course_view.html\n", (int)(colon - o->listen),
           o->listen, console_hub_port(course_hub));
    printf("course code: %s\n", o->code ? o->code : code);
    printf("course %s: %u sandboxes kept warm, %u seats, ledger %s\n", name, o->pool, o->seats,
           ledger_path);
    puts("Ctrl-C closes the course and tears every sandbox down");
    course_loop(ex);
    puts("closing the course: every sandbox is torn down");
    if (exercise_control(ex, EXERCISE_END, 0, "enshu serve") != ENSHU_OK)
        log_printf(ENSHU_LOG_WARNING, "enshu serve: the course's end could not be recorded");
    rc = CLI_OK;
out:;
    console_hub *hub = course_hub;
    if (ex)
        exercise_lock(ex);
    course_hub = NULL;
    if (ex)
        exercise_unlock(ex);
    console_hub_free(hub);
    sandbox_course_close(course);
    for (unsigned t = 0; codes && t < o->seats; t++)
        free(codes[t]);
    free(codes);
    exercise_free(ex);
    sandbox_actions_free(sandboxes);
    tabletop_actions_free(tabletop);
    event_store_free(ledger);
    free(ledger_path);
    scenario_free(s);
    return rc;
}

static int parse_count(const char *option, const char *arg, unsigned lo, unsigned hi, unsigned *out)
{
    char *end = NULL;
    unsigned long n = strtoul(arg, &end, 10);
    if (!*arg || *end || n < lo || n > hi) {
        fprintf(stderr, "enshu serve: %s takes a number from %u to %u\n", option, lo, hi);
        return ENSHU_EINVAL;
    }
    *out = (unsigned)n;
    return ENSHU_OK;
}

int cmd_serve_course(int argc, char **argv)
{
    static const struct option options[] = {
        {"self-paced", no_argument, NULL, 'S'},
        {"pool", required_argument, NULL, 'p'},
        {"max", required_argument, NULL, 'm'},
        {"ttl", required_argument, NULL, 't'},
        {"seats", required_argument, NULL, 'e'},
        {"code", required_argument, NULL, 'c'},
        {"hosts", required_argument, NULL, 'H'},
        {"name", required_argument, NULL, 'n'},
        {"listen", required_argument, NULL, 'l'},
        {"web", required_argument, NULL, 'w'},
        {"warm", no_argument, NULL, 'M'}, /* guests restored from templates (warm_restore.h) */
        {NULL, 0, NULL, 0},
    };
    course_options o = {.pool = 2,
                        .seats = 32,
                        .ttl_ms = 2 * 3600 * 1000,
                        .listen = "127.0.0.1:8080",
                        .web_dir = getenv("ENSHU_WEB_DIR")};
    int opt;
    cli_options_begin();
    while ((opt = cli_next_option("serve", argc, argv, "", options)) != -1) {
        switch (opt) {
        case 'S':
            break;
        case 'p':
            if (parse_count("--pool", optarg, 0, 64, &o.pool) != ENSHU_OK)
                return CLI_USAGE;
            break;
        case 'm':
            if (parse_count("--max", optarg, 1, 256, &o.max) != ENSHU_OK)
                return CLI_USAGE;
            break;
        case 'e':
            if (parse_count("--seats", optarg, 1, 1000, &o.seats) != ENSHU_OK)
                return CLI_USAGE;
            break;
        case 't':
            if (cli_parse_duration("serve", "--ttl", optarg, 60000, &o.ttl_ms) != ENSHU_OK)
                return CLI_USAGE;
            break;
        case 'c':
            if (!*optarg || strlen(optarg) > 64) {
                fprintf(stderr, "enshu serve: --code takes 1 to 64 characters\n");
                return CLI_USAGE;
            }
            o.code = optarg;
            break;
        case 'H':
            o.hosts_path = optarg;
            break;
        case 'n':
            o.name = optarg;
            break;
        case 'l':
            if (!strchr(optarg, ':')) {
                fprintf(stderr, "enshu serve: --listen takes HOST:PORT, e.g. 127.0.0.1:8080\n");
                return CLI_USAGE;
            }
            o.listen = optarg;
            break;
        case 'w':
            o.web_dir = optarg;
            break;
        case 'M':
            o.warm_restore = true;
            break;
        default:
            return CLI_USAGE;
        }
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "enshu serve: expected FILE --self-paced, e.g. enshu serve "
                        "scenarios/intro-office.yaml --self-paced --pool 2\n");
        return CLI_USAGE;
    }
    o.scenario_path = argv[optind];
    setvbuf(stdout, NULL, _IOLBF, 0);
    char *web_dir = o.web_dir ? NULL : data_dir_path("web");
    if (web_dir)
        o.web_dir = web_dir;
    int rc = serve_course(&o);
    free(web_dir);
    return rc;
}
