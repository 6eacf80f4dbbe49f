/*
 * Benchmark: the consoles under attack. A running exercise over a temp
 * ledger (no guests) and its console hub run in a child process; this
 * process is every client, on 127.0.0.0/8 only. A legitimate team-1 client
 * sends a `nodes` request every 100 ms and times each reply. Two runs of
 * SECONDS each (default 30), every load bounded in count and time:
 *
 *   quiet   the legitimate client alone;
 *   attack  beside it: failed instructor logins at 100 a second from 20
 *           loopback addresses (127.0.0.11-30); 10 team-2 sockets asking
 *           for the timeline 45 times a second each (and reading the
 *           replies); 30 team-2 sockets that never read, each asking for a
 *           44 KB report file 10 times a second. A socket the server closes
 *           is opened again (at most once per 200 ms).
 *
 * Prints, for each run, the legitimate requests' p50/p99/max reply time
 * and how many were answered, the server's CPU time and peak RSS, and for
 * the attack what the attackers got (welcomes, error codes, closes).
 * Targets (issue: hardening): attack p99 <= 50 ms, server RSS <= 100 MB.
 *
 *     bench_console_attack [SECONDS]
 *
 * The server's log goes to /dev/null unless BENCH_VERBOSE is set.
 */
#include "alloc.h"
#include "bench_util.h"
#include "console_auth.h"
#include "console_hub.h"
#include "diag.h"
#include "errors.h"
#include "exercise.h"
#include "guestless_hooks.h"
#include "scenario.h"
#include "ws_test_client.h"

#include <libwebsockets.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TEAMS 2
#define LOGIN_ADDRESSES 20
#define LOGINS_PER_SEC 100
#define TIMELINE_SOCKETS 10
#define TIMELINE_PER_SEC 45
#define SILENT_SOCKETS 30
#define SILENT_PER_SEC 10
#define LEGIT_SPACING_MS 100
#define REPORT_BYTES 44000
#define REOPEN_MS 200

static const char SCRIPT[] =
    "enshu: 1\n"
    "id: attack\n"
    "title: Attack\n"
    "teams: {min: 1, max: 2}\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "objectives:\n"
    "  - {id: q, kind: question, text: '?', answer: {exact: ws}, points: 5}\n"
    "  - {id: r, kind: report, text: 'Report.', rubric: [{text: all, points: 10}]}\n";

static const char PASSWORD[] = "bench-instructor-password";

/* ---- the server (child process) ---- */

static _Atomic(console_hub *) the_hub;

static void on_event(void *ctx, const event *ev)
{
    console_hub *hub = atomic_load(&the_hub);
    if (hub)
        console_hub_notify(hub);
}

/* Serves until killed; writes the port and the join codes to fd first. */
static void serve(int fd, const char *dir)
{
    setenv("ENSHU_STATE_DIR", dir, 1);
    lws_set_log_level(LLL_ERR, NULL);
    if (console_auth_init() != ENSHU_OK || instructor_password_set(PASSWORD) != ENSHU_OK)
        _exit(1);
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_buffer("attack.yaml", SCRIPT, strlen(SCRIPT), d);
    if (!s) {
        char *msgs = diag_list_format(d);
        fprintf(stderr, "bench_console_attack: the scenario does not load:\n%s", msgs);
        _exit(1);
    }
    char *path = xasprintf("%s/events.db", dir);
    event_store *ledger;
    if (event_store_open(path, true, &ledger) != ENSHU_OK)
        _exit(1);
    exercise_hooks hooks = guestless_hooks(on_event, NULL);
    exercise *ex = exercise_new(s, TEAMS, ledger, &hooks);
    if (exercise_start(ex) != ENSHU_OK)
        _exit(1);
    char codes[TEAMS][JOIN_CODE_SIZE];
    const char *code_ptrs[TEAMS];
    for (int t = 0; t < TEAMS; t++) {
        join_code_new(codes[t]);
        code_ptrs[t] = codes[t];
    }
    console_hub_config cfg = {
        .ex = ex, .ledger = ledger, .join_codes = code_ptrs, .listen = "127.0.0.1:0"};
    console_hub *hub;
    if (console_hub_start(&cfg, &hub) != ENSHU_OK)
        _exit(1);
    atomic_store(&the_hub, hub);
    /* Setting the password hashed it (64 MiB for Argon2id): measure from here. */
    bench_reset_peak_rss();
    /* One refusal logged per failed login: thousands of lines. */
    if (!getenv("BENCH_VERBOSE") && !freopen("/dev/null", "w", stderr))
        _exit(1);
    dprintf(fd, "%d %s %s\n", console_hub_port(hub), codes[0], codes[1]);
    close(fd);
    for (;;)
        pause();
}

typedef struct server {
    pid_t pid;
    int port;
    char codes[TEAMS][JOIN_CODE_SIZE];
    char dir[64];
} server;

static server server_start(void)
{
    server sv = {0};
    snprintf(sv.dir, sizeof sv.dir, "/tmp/enshu-bench-attack-XXXXXX");
    if (!mkdtemp(sv.dir))
        exit(1);
    int p[2];
    if (pipe(p) < 0)
        exit(1);
    fflush(stdout);
    sv.pid = fork();
    if (sv.pid < 0)
        exit(1);
    if (sv.pid == 0) {
        close(p[0]);
        serve(p[1], sv.dir);
    }
    close(p[1]);
    char line[128] = {0};
    ssize_t n = read(p[0], line, sizeof line - 1);
    close(p[0]);
    if (n <= 0 || sscanf(line, "%d %9s %9s", &sv.port, sv.codes[0], sv.codes[1]) != 3) {
        fprintf(stderr, "bench_console_attack: the server did not start.\n");
        exit(1);
    }
    return sv;
}

static void server_stop(server *sv)
{
    kill(sv->pid, SIGKILL);
    waitpid(sv->pid, NULL, 0);
    char *cmd = xasprintf("rm -rf '%s'", sv->dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_console_attack: %s failed\n", cmd);
    free(cmd);
}

/* CPU seconds (user + system) the server has used. */
static double server_cpu_s(const server *sv)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)sv->pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    unsigned long utime = 0, stime = 0;
    /* fields after the command: state ppid pgrp session tty tpgid flags
     * minflt cminflt majflt cmajflt utime stime */
    if (!p ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return 0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* A line of /proc/PID/status in KiB (VmHWM, VmRSS). */
static long server_status_kb(const server *sv, const char *key)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)sv->pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    size_t klen = strlen(key);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, key, klen) == 0 && line[klen] == ':')
            kb = atol(line + klen + 1);
    if (f)
        fclose(f);
    return kb;
}

/* ---- the clients ---- */

typedef enum client_role { LEGIT, LOGIN, TIMELINE, SILENT, REPORTER } client_role;

typedef struct client {
    client_role role;
    ws_test_client ws; /* ws.fd -1 while closed */
    char source[16];
    bool joined;
    int64_t next_send_us, reopen_at_us;
    long next_id;
    int64_t *sent_us; /* LEGIT: send time by request id */
    long sent_cap;
} client;

typedef struct tally {
    long welcomes, closes, reopen_failures, sends;
    long errors[16];
    char error_names[16][24];
    int nerrors;
    float *legit_ms;
    size_t nlegit, legit_cap;
    long legit_sent;
    int64_t report_seq;
} tally;

static void count_error(tally *t, const char *p, size_t len)
{
    const char *c = memmem(p, len, "\"code\":\"", 8);
    if (!c)
        return;
    c += 8;
    const char *e = memchr(c, '"', (size_t)(p + len - c));
    if (!e)
        return;
    size_t n = (size_t)(e - c);
    if (n >= sizeof t->error_names[0])
        n = sizeof t->error_names[0] - 1;
    for (int i = 0; i < t->nerrors; i++)
        if (strlen(t->error_names[i]) == n && memcmp(t->error_names[i], c, n) == 0) {
            t->errors[i]++;
            return;
        }
    if (t->nerrors < 16) {
        memcpy(t->error_names[t->nerrors], c, n);
        t->error_names[t->nerrors][n] = '\0';
        t->errors[t->nerrors++] = 1;
    }
}

static int send_text(client *c, const char *text, size_t len)
{
    /* A socket that never reads still takes writes until its send buffer
     * and the server's receive buffer are full: don't block on it
     * (write_wait_ms 0). */
    return ws_test_client_send(&c->ws, WS_OP_TEXT, true, text, len);
}

/* Connects from c->source to 127.0.0.1:port and does the handshake. */
static int client_open(client *c, int port)
{
    char headers[128];
    snprintf(headers, sizeof headers, "Host: 127.0.0.1:%d\r\nOrigin: http://127.0.0.1:%d\r\n", port,
             port);
    ws_test_source source = {
        .address = c->source, .rcvbuf = c->role == SILENT ? 4096 : 0, .nodelay = true};
    ws_test_upgrade upgrade = {.headers = headers, .subprotocol = "enshu.v1", .timeout_ms = 2000};
    if (ws_test_client_open(&c->ws, port, &source, &upgrade) != 101) {
        ws_test_client_close(&c->ws);
        return -1;
    }
    fcntl(c->ws.fd, F_SETFL, fcntl(c->ws.fd, F_GETFL) | O_NONBLOCK);
    c->ws.write_wait_ms = 0;
    c->joined = false;
    return 0;
}

static void client_close(client *c, tally *t, int64_t now)
{
    ws_test_client_close(&c->ws);
    c->joined = false;
    c->reopen_at_us = now + REOPEN_MS * 1000;
    t->closes++;
}

static void say_hello(client *c, const server *sv, int team)
{
    char hello[256];
    int n;
    if (c->role == LOGIN)
        n = snprintf(hello, sizeof hello,
                     "{\"type\":\"hello\",\"version\":1,\"role\":\"instructor\",\"password\":"
                     "\"wrong-%ld\",\"since\":0,\"id\":%ld}",
                     c->next_id, c->next_id);
    else
        n = snprintf(hello, sizeof hello,
                     "{\"type\":\"hello\",\"version\":1,\"role\":\"team\",\"code\":\"%s\","
                     "\"name\":\"bench\",\"lang\":\"en\",\"since\":0,\"id\":0}",
                     sv->codes[team - 1]);
    c->next_id++;
    send_text(c, hello, (size_t)n);
}

/* One whole text message from the server. */
static void on_text(client *c, tally *t, const char *p, size_t len, int64_t now)
{
    if (memmem(p, len, "\"type\":\"welcome\"", 16)) {
        c->joined = true;
        t->welcomes++;
        return;
    }
    if (memmem(p, len, "\"type\":\"error\"", 14))
        count_error(t, p, len);
    if (c->role == REPORTER && memmem(p, len, "\"type\":\"ok\"", 11)) {
        const char *s = memmem(p, len, "\"seq\":", 6);
        if (s)
            t->report_seq = atoll(s + 6);
    }
    if (c->role != LEGIT)
        return;
    const char *idp = memmem(p, len, "\"id\":", 5);
    if (!idp)
        return;
    long id = atol(idp + 5);
    if (id > 0 && id < c->sent_cap && c->sent_us[id] > 0) {
        if (t->nlegit == t->legit_cap) {
            t->legit_cap = t->legit_cap * 2 + 256;
            t->legit_ms = xrealloc(t->legit_ms, t->legit_cap * sizeof(float));
        }
        t->legit_ms[t->nlegit++] = (float)(now - c->sent_us[id]) / 1000.0f;
        c->sent_us[id] = 0;
    }
}

/* Reads what is there; false when the connection ended. */
static bool client_read(client *c, tally *t, int64_t now)
{
    for (;;) {
        ssize_t r = ws_test_client_fill(&c->ws, 0);
        if (r == ENSHU_ETIMEOUT)
            return true; /* nothing more for now */
        if (r <= 0)
            return false;
        ws_frame f;
        int rc;
        while ((rc = ws_reader_frame(&c->ws.in, &f)) > 0) {
            if (f.opcode == WS_OP_CLOSE)
                return false;
            if (f.opcode == WS_OP_PING)
                (void)ws_test_client_send(&c->ws, WS_OP_PONG, true, f.payload,
                                          f.len > 125 ? 125 : f.len);
            else if (f.opcode == WS_OP_TEXT || f.opcode == WS_OP_CONTINUATION)
                on_text(c, t, f.payload, f.len, now); /* the server sends no fragments */
        }
        if (rc < 0)
            return false;
    }
}

/* Sends c's next request when it is due; false when the socket broke. */
static bool client_send(client *c, const server *sv, tally *t, int64_t now)
{
    char msg[256];
    int n;
    switch (c->role) {
    case LOGIN:
        say_hello(c, sv, 0);
        c->next_send_us += 1000000LL * LOGIN_ADDRESSES / LOGINS_PER_SEC;
        t->sends++;
        return true;
    case TIMELINE:
        n = snprintf(msg, sizeof msg, "{\"type\":\"timeline\",\"id\":%ld}", c->next_id++);
        c->next_send_us += 1000000LL / TIMELINE_PER_SEC;
        break;
    case SILENT:
        n = snprintf(msg, sizeof msg, "{\"type\":\"attachment\",\"report\":%" PRId64 ",\"id\":%ld}",
                     t->report_seq, c->next_id++);
        c->next_send_us += 1000000LL / SILENT_PER_SEC;
        break;
    case LEGIT:
        if (c->next_id >= c->sent_cap) {
            c->sent_cap = c->sent_cap * 2 + 1024;
            c->sent_us = xrealloc(c->sent_us, (size_t)c->sent_cap * sizeof(int64_t));
        }
        c->sent_us[c->next_id] = now;
        n = snprintf(msg, sizeof msg, "{\"type\":\"nodes\",\"id\":%ld}", c->next_id++);
        c->next_send_us += LEGIT_SPACING_MS * 1000LL;
        t->legit_sent++;
        break;
    default:
        return true;
    }
    t->sends++;
    return send_text(c, msg, (size_t)n) == 0 || errno == EAGAIN;
}

static int team_of(const client *c)
{
    return c->role == LEGIT ? 1 : 2;
}

/* Files the 44 KB report whose attachment the silent sockets ask for. */
static int64_t file_report(const server *sv, tally *t)
{
    client c = {.role = REPORTER};
    ws_test_client_init(&c.ws, -1);
    snprintf(c.source, sizeof c.source, "127.0.0.2");
    if (client_open(&c, sv->port) < 0)
        return -1;
    say_hello(&c, sv, 2);
    size_t data_len = (REPORT_BYTES + 2) / 3 * 4;
    char *msg = xmalloc(data_len + 256);
    int n = snprintf(msg, data_len + 256,
                     "{\"type\":\"report\",\"id\":1,\"objective\":\"r\",\"text\":\"what we saw\","
                     "\"attachment\":{\"name\":\"capture.txt\",\"data\":\"");
    memset(msg + n, 'Q', data_len); /* base64 of 0x41 0x04 0x10 ..., any bytes will do */
    n += (int)data_len;
    n += snprintf(msg + n, 64, "\"}}");
    send_text(&c, msg, (size_t)n);
    free(msg);
    int64_t deadline = bench_now_us() + 5000000;
    while (t->report_seq <= 0 && bench_now_us() < deadline) {
        struct pollfd p = {.fd = c.ws.fd, .events = POLLIN};
        poll(&p, 1, 100);
        if (!client_read(&c, t, bench_now_us()))
            break;
    }
    ws_test_client_close(&c.ws);
    return t->report_seq;
}

typedef struct run_result {
    bench_percentiles lat;
    size_t answered;
    long sent;
    double cpu_s;
    long hwm_kb, rss_kb;
} run_result;

static run_result run(const char *name, bool attack, int seconds)
{
    server sv = server_start();
    tally t = {0};
    if (attack && file_report(&sv, &t) <= 0) {
        fprintf(stderr, "bench_console_attack: the report with a file was not accepted.\n");
        server_stop(&sv);
        exit(1);
    }
    int nclients = 1 + (attack ? LOGIN_ADDRESSES + TIMELINE_SOCKETS + SILENT_SOCKETS : 0);
    client *cs = xcalloc((size_t)nclients, sizeof(client));
    int k = 0;
    cs[k++] = (client){.role = LEGIT};
    snprintf(cs[0].source, sizeof cs[0].source, "127.0.0.1");
    if (attack) {
        for (int i = 0; i < LOGIN_ADDRESSES; i++, k++) {
            cs[k].role = LOGIN;
            snprintf(cs[k].source, sizeof cs[k].source, "127.0.0.%d", 11 + i);
        }
        for (int i = 0; i < TIMELINE_SOCKETS; i++, k++) {
            cs[k].role = TIMELINE;
            snprintf(cs[k].source, sizeof cs[k].source, "127.0.0.3");
        }
        for (int i = 0; i < SILENT_SOCKETS; i++, k++) {
            cs[k].role = SILENT;
            snprintf(cs[k].source, sizeof cs[k].source, "127.0.0.4");
        }
    }
    double cpu0 = server_cpu_s(&sv);
    int64_t start = bench_now_us(), end = start + (int64_t)seconds * 1000000;
    for (int i = 0; i < nclients; i++) {
        ws_test_client_init(&cs[i].ws, -1);
        cs[i].next_id = 1;
        /* spread the first sends over one period */
        cs[i].next_send_us = start + (int64_t)i * 997 % 100000;
    }
    struct pollfd *pfd = xcalloc((size_t)nclients, sizeof(struct pollfd));
    while (bench_now_us() < end) {
        int64_t now = bench_now_us();
        for (int i = 0; i < nclients; i++) {
            client *c = &cs[i];
            if (c->ws.fd < 0) {
                if (now < c->reopen_at_us)
                    continue;
                if (client_open(c, sv.port) < 0) {
                    t.reopen_failures++;
                    c->reopen_at_us = now + REOPEN_MS * 1000;
                    continue;
                }
                if (c->role != LOGIN)
                    say_hello(c, &sv, team_of(c));
            }
            if ((c->role == LOGIN || c->joined || c->role == SILENT) && now >= c->next_send_us) {
                if (c->next_send_us < now - 1000000)
                    c->next_send_us = now; /* no catch-up burst after a close */
                if (!client_send(c, &sv, &t, now))
                    client_close(c, &t, now);
            }
        }
        for (int i = 0; i < nclients; i++) {
            pfd[i].fd = cs[i].role == SILENT ? -1 : cs[i].ws.fd;
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
        }
        poll(pfd, (nfds_t)nclients, 2);
        now = bench_now_us();
        for (int i = 0; i < nclients; i++)
            if (pfd[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                !client_read(&cs[i], &t, now))
                client_close(&cs[i], &t, now);
    }
    /* Replies still in flight count if they come within a second. */
    int64_t grace = bench_now_us() + 1000000;
    while (cs[0].ws.fd >= 0 && bench_now_us() < grace) {
        struct pollfd p = {.fd = cs[0].ws.fd, .events = POLLIN};
        poll(&p, 1, 50);
        if (!client_read(&cs[0], &t, bench_now_us()))
            break;
    }
    run_result r = {.answered = t.nlegit, .sent = t.legit_sent};
    r.cpu_s = server_cpu_s(&sv) - cpu0;
    r.hwm_kb = server_status_kb(&sv, "VmHWM");
    r.rss_kb = server_status_kb(&sv, "VmRSS");
    r.lat = bench_percentiles_of(t.legit_ms, t.nlegit);
    for (int i = 0; i < nclients; i++) {
        ws_test_client_close(&cs[i].ws);
        free(cs[i].sent_us);
    }
    free(cs);
    free(pfd);
    free(t.legit_ms);
    server_stop(&sv);
    printf("%-6s legitimate nodes requests: %zu/%ld answered, p50 %.2f ms, p99 %.2f ms, max "
           "%.2f ms; server CPU %.1f s in %d s, RSS %ld MiB (peak %ld MiB)\n",
           name, r.answered, r.sent, r.lat.p50, r.lat.p99, r.lat.max, r.cpu_s, seconds,
           r.rss_kb / 1024, r.hwm_kb / 1024);
    if (attack) {
        printf("       attackers: %ld requests sent, %ld welcomes, %ld closes, %ld opens refused;"
               " errors:",
               t.sends, t.welcomes, t.closes, t.reopen_failures);
        for (int i = 0; i < t.nerrors; i++)
            printf(" %s %ld", t.error_names[i], t.errors[i]);
        printf("\n");
    }
    fflush(stdout);
    return r;
}

int main(int argc, char **argv)
{
    int seconds = argc > 1 ? atoi(argv[1]) : 30;
    if (argc > 2 || seconds < 1 || seconds > 600) {
        fprintf(stderr, "usage: bench_console_attack [SECONDS (1-600)]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    printf("consoles under attack, %d s each: %d failed instructor logins/s from %d addresses, "
           "%d sockets x %d timeline/s, %d sockets that never read asking for a %d-byte file "
           "%d times/s; a legitimate team asks for its nodes every %d ms\n",
           seconds, LOGINS_PER_SEC, LOGIN_ADDRESSES, TIMELINE_SOCKETS, TIMELINE_PER_SEC,
           SILENT_SOCKETS, REPORT_BYTES, SILENT_PER_SEC, LEGIT_SPACING_MS);
    bench_print_load("before");
    run_result quiet = run("quiet", false, seconds);
    run_result attack = run("attack", true, seconds);
    printf("attack/quiet: p99 %.2fx, server CPU %.1f s vs %.1f s (targets under attack: p99 <= 50 "
           "ms, RSS <= 100 MB)\n",
           quiet.lat.p99 > 0 ? attack.lat.p99 / quiet.lat.p99 : 0, attack.cpu_s, quiet.cpu_s);
    bench_print_load("after");
    bool met = attack.lat.p99 <= 50 && attack.hwm_kb <= 100 * 1024 &&
               attack.answered >= (size_t)attack.sent * 99 / 100;
    printf("%s\n", met ? "targets met" : "targets NOT met");
    return 0;
}
