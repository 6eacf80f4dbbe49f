/*
 * A self-paced course without guests, for browser tests: the course's pool
 * (sandbox_course.h) on libvirt's simulated test:/// hosts, whose sandboxes
 * are built at once and boot nothing; the scenario FILE's exercise as a
 * course (a clock per team slot) over fake actions; the real console hub
 * serving web/ on LISTEN. At most two sandboxes, both kept warm, a TTL of
 * an hour: a third trainee waits. The images are empty stand-ins made in
 * $ENSHU_STATE_DIR (which also holds the instructor password, as for
 * enshu). Prints the console's address and the course code, and serves
 * until its standard input closes or it gets SIGTERM/SIGINT; then the
 * course closes and every sandbox is torn down.
 *
 *   course_fixture FILE LISTEN WEB_DIR
 */
#include "alloc.h"
#include "console_auth.h"
#include "console_hub.h"
#include "errors.h"
#include "event_store.h"
#include "exercise.h"
#include "guestless_hooks.h"
#include "libvirt_conn.h"
#include "sandbox_course.h"
#include "scenario.h"

#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEATS 8
#define CODE "SEC-101"

static _Atomic(console_hub *) live_hub;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void on_event(void *ctx, const event *ev)
{
    (void)ctx, (void)ev;
    console_hub *hub = atomic_load(&live_hub);
    if (hub)
        console_hub_notify(hub);
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f);
}

/* An empty stand-in image of 160 MiB of memory, as the integration tests make. */
static int make_image(const char *dir, const char *name)
{
    char *folder = xasprintf("%s/%s", dir, name);
    char *cmd = xasprintf("mkdir -p %s && touch %s/vmlinuz %s/initrd.img && "
                          "qemu-img create -q -f qcow2 %s/disk.qcow2 32M",
                          folder, folder, folder, folder);
    int rc = system(cmd);
    char *path = xasprintf("%s/image.json", folder);
    char *json = xasprintf("{\"name\": \"%s\", \"os\": \"linux\", \"memory_mib\": 160, "
                           "\"vcpus\": 1, \"disk\": \"disk.qcow2\", \"sha256\": \"%064d\", "
                           "\"origin\": \"built\", \"boot\": \"kernel\", \"exec\": \"sh\", "
                           "\"addressing\": \"cmdline\", \"consoles\": [\"serial\"]}\n",
                           name, 0);
    if (rc == 0)
        rc = write_file(path, json);
    free(json);
    free(path);
    free(cmd);
    free(folder);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: course_fixture FILE LISTEN WEB_DIR\n");
        return 2;
    }
    const char *state = getenv("ENSHU_STATE_DIR");
    if (!state) {
        fprintf(stderr, "course_fixture: set ENSHU_STATE_DIR\n");
        return 2;
    }
    char *images = xasprintf("%s/images", state);
    char *pool = xasprintf("%s/pool", state);
    setenv("ENSHU_IMAGE_DIR", images, 1);
    setenv("ENSHU_POOL_DIR", pool, 1);
    static const char *const imgs[] = {"workstation", "server", "attacker", "router"};
    for (size_t i = 0; i < 4; i++)
        if (make_image(images, imgs[i]) != 0) {
            fprintf(stderr, "course_fixture: the image %s could not be made\n", imgs[i]);
            return 1;
        }
    char *hosts = xasprintf("%s/hosts.yaml", state);
    if (write_file(hosts, "hosts:\n  - {uri: 'test://" HOSTS_DIR "/sim1.xml', memory: 2G}\n") != 0)
        return 1;
    scenario *s = scenario_load_reported(argv[1]);
    if (!s)
        return 1;
    libvirt_setup();
    if (sodium_init() < 0)
        return 1;
    char *ledger_path = xasprintf("%s/events.db", state);
    event_store *ledger;
    if (event_store_open(ledger_path, true, &ledger) != ENSHU_OK)
        return 1;
    exercise_hooks hooks = guestless_hooks(on_event, NULL);
    exercise *ex = exercise_new(s, SEATS, ledger, &hooks);
    exercise_set_self_paced(ex);
    sandbox_course_config cc = {.scenario_path = argv[1],
                                .hosts_path = hosts,
                                .prefix = "course",
                                .pool = {.course_code = CODE,
                                         .warm = 2,
                                         .max = 2,
                                         .max_jobs = 2,
                                         .host_builds = 1,
                                         .ttl_ms = 60 * 60 * 1000,
                                         .build_guess_ms = 30000,
                                         .teardown_guess_ms = 4000}};
    sandbox_course *course = sandbox_course_open(&cc);
    if (!course)
        return 1;
    sandbox_course_wait_idle(course);
    char(*codes)[JOIN_CODE_SIZE] = xcalloc(SEATS, JOIN_CODE_SIZE);
    const char **code_list = xcalloc(SEATS, sizeof(char *));
    for (unsigned t = 0; t < SEATS; t++) {
        join_code_new(codes[t]);
        code_list[t] = codes[t];
    }
    console_hub_config cfg = {.ex = ex,
                              .ledger = ledger,
                              .join_codes = code_list,
                              .listen = argv[2],
                              .static_dir = argv[3],
                              .course = course};
    console_hub *hub;
    if (console_hub_start(&cfg, &hub) != ENSHU_OK)
        return 1;
    atomic_store(&live_hub, hub);
    printf("console: http://127.0.0.1:%d/\n", console_hub_port(hub));
    printf("course code: %s\n", CODE);
    fflush(stdout);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
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
    sandbox_course_close(course);
    exercise_free(ex);
    event_store_free(ledger);
    scenario_free(s);
    free(ledger_path);
    free(hosts);
    free(images);
    free(pool);
    free(codes);
    free(code_list);
    return 0;
}
