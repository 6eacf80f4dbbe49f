/*
 * Serial console figures on a real guest of a range that is up:
 *
 *   bench_serial RANGE TEAM NODE [LINES]
 *
 * 1. output throughput through the bridge (engine/range/serial_console.c) with a
 *    consumer that keeps up: `seq 1 LINES` (default 300000) printed on the
 *    guest's ttyS0; twice, each followed by 5. for comparison on a machine
 *    whose load varies;
 * 2. the same command with nobody on the console (QEMU drops the output),
 *    timed inside the guest: what the emulated UART allows by itself;
 * 3. keystroke echo latency through the bridge (typed letter to its echo);
 * 4. memory: a viewer paused during that output (the bridge holds bytes and
 *    stops the guest) against a raw libvirt console stream that is simply
 *    not read (libvirt's client queues everything that arrives);
 * 5. the same output read from a raw blocking libvirt stream as fast as it
 *    comes, without the bridge: what libvirt and QEMU allow.
 *
 * Figures, not pass/fail.
 */
#include "alloc.h"
#include "errors.h"
#include "guest_agent.h"
#include "libvirt_conn.h"
#include "libvirt_events.h"
#include "range_files.h"
#include "serial_console.h"
#include "state_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct counter {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t bytes;
    uint64_t calls;
    char tail[64]; /* the last bytes, to spot a marker without keeping all */
    size_t tail_len;
    double first_s; /* first byte after arm() */
    bool armed;
} counter;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_output(void *ctx, const void *data, size_t len)
{
    counter *c = ctx;
    pthread_mutex_lock(&c->lock);
    if (c->armed && c->bytes == 0)
        c->first_s = now_s();
    c->bytes += len;
    c->calls++;
    const char *p = data;
    if (len >= sizeof c->tail) {
        memcpy(c->tail, p + len - (sizeof c->tail - 1), sizeof c->tail - 1);
        c->tail_len = sizeof c->tail - 1;
    } else {
        if (c->tail_len + len > sizeof c->tail - 1) {
            size_t drop = c->tail_len + len - (sizeof c->tail - 1);
            memmove(c->tail, c->tail + drop, c->tail_len - drop);
            c->tail_len -= drop;
        }
        memcpy(c->tail + c->tail_len, p, len);
        c->tail_len += len;
    }
    c->tail[c->tail_len] = '\0';
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

static void on_closed(void *ctx, serial_console_end why, const char *message)
{
    fprintf(stderr, "bench_serial: %s\n", message);
    exit(1);
}

static const serial_console_callbacks CALLBACKS = {on_output, on_closed};

static void reset(counter *c, bool arm)
{
    pthread_mutex_lock(&c->lock);
    c->bytes = 0;
    c->calls = 0;
    c->tail_len = 0;
    c->tail[0] = '\0';
    c->armed = arm;
    pthread_mutex_unlock(&c->lock);
}

/* Waits until the received tail holds needle; false after timeout_s. */
static bool wait_tail(counter *c, const char *needle, int timeout_s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_s;
    pthread_mutex_lock(&c->lock);
    bool found;
    while (!(found = strstr(c->tail, needle) != NULL) &&
           pthread_cond_timedwait(&c->cond, &c->lock, &until) == 0)
        ;
    pthread_mutex_unlock(&c->lock);
    return found;
}

static void type(serial_console *sc, const char *text)
{
    if (serial_console_write(sc, text, strlen(text)) != ENSHU_OK) {
        fprintf(stderr, "bench_serial: cannot type into the console\n");
        exit(1);
    }
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void find_node(const char *range, int team, const char *node, char **domain, char **host)
{
    char *path = range_db_path(range);
    state_store *st = NULL;
    stored_node *nodes = NULL;
    size_t n = 0;
    if (access(path, F_OK) != 0 || state_store_open(path, false, &st) != ENSHU_OK ||
        state_store_nodes(st, &nodes, &n) != ENSHU_OK) {
        fprintf(stderr, "bench_serial: range %s is not up (no %s)\n", range, path);
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        if (nodes[i].team == team && strcmp(nodes[i].node, node) == 0) {
            *domain = xstrdup(nodes[i].domain);
            *host = xstrdup(nodes[i].host_uri);
        }
    stored_nodes_free(nodes, n);
    state_store_free(st);
    free(path);
    if (!*domain) {
        fprintf(stderr, "bench_serial: range %s has no node %s in team %d\n", range, node, team);
        exit(1);
    }
}

static void open_console(serial_consoles *hub, const char *uri, const char *domain, counter *c,
                         serial_console **sc)
{
    if (serial_console_open(hub, uri, domain, &CALLBACKS, c, sc) != ENSHU_OK)
        exit(1);
    type(*sc, "\003\n");
    sleep(1);
}

/* 1. Throughput through the bridge with a consumer that keeps up. */
static void bridge_throughput(serial_consoles *hub, const char *uri, const char *domain,
                              const char *cmd, long lines)
{
    counter c = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    serial_console *sc = NULL;
    open_console(hub, uri, domain, &c, &sc);
    reset(&c, false);
    type(sc, cmd);
    /* The echo of the command line comes first: count from then on. */
    if (!wait_tail(&c, "-end\r\n", 30)) {
        fprintf(stderr, "bench_serial: the command was not echoed\n");
        exit(1);
    }
    reset(&c, true);
    double t0 = now_s();
    if (!wait_tail(&c, "bench-5-end", 1200)) {
        fprintf(stderr, "bench_serial: seq did not finish within 20 minutes\n");
        exit(1);
    }
    double t1 = now_s();
    double secs = t1 - c.first_s;
    printf("output through the bridge: %llu bytes in %.2f s = %.3f MB/s (%.0f lines/s, "
           "%.0f bytes per on_output); first byte %.0f ms after the echo\n",
           (unsigned long long)c.bytes, secs, c.bytes / secs / 1e6, lines / secs,
           (double)c.bytes / (double)(c.calls ? c.calls : 1), (c.first_s - t0) * 1e3);
    serial_console_close(sc);
}

/* 5. The same read from a raw blocking libvirt stream as fast as it comes. */
static void raw_throughput(virConnectPtr conn, virDomainPtr dom, const char *cmd)
{
    virStreamPtr raw = virStreamNew(conn, 0);
    if (!raw || virDomainOpenConsole(dom, NULL, raw, VIR_DOMAIN_CONSOLE_FORCE) < 0) {
        fprintf(stderr, "bench_serial: cannot open a raw console stream: %s\n", libvirt_error());
        exit(1);
    }
    virStreamSend(raw, "\003\n", 2);
    sleep(1);
    virStreamSend(raw, cmd, strlen(cmd));
    char buf[65536], tail[128] = "";
    uint64_t got = 0, chunks = 0;
    double r0 = 0;
    bool echoed = false;
    for (;;) {
        int n = virStreamRecv(raw, buf, sizeof buf);
        if (n <= 0)
            break;
        if (echoed) {
            if (got == 0)
                r0 = now_s();
            got += (uint64_t)n;
            chunks++;
        }
        size_t keep = strlen(tail), add = (size_t)n < 63 ? (size_t)n : 63;
        if (keep + add > 127) {
            memmove(tail, tail + keep + add - 127, 127 - add);
            keep = 127 - add;
        }
        memcpy(tail + keep, buf + n - add, add);
        tail[keep + add] = '\0';
        if (!echoed && strstr(tail, "-end\r\n")) {
            echoed = true;
            tail[0] = '\0';
        } else if (echoed && strstr(tail, "bench-5-end")) {
            break;
        }
    }
    double r1 = now_s();
    if (got && r1 > r0)
        printf("raw libvirt stream read as fast as it comes: %llu bytes in %.2f s = %.3f MB/s "
               "(%.0f bytes per read)\n",
               (unsigned long long)got, r1 - r0, got / (r1 - r0) / 1e6,
               (double)got / (double)chunks);
    virStreamAbort(raw);
    virStreamFree(raw);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_serial RANGE TEAM NODE [LINES]\n");
        return 2;
    }
    libvirt_events_init_once();
    libvirt_setup();
    long lines = argc > 4 ? atol(argv[4]) : 300000;
    char *domain = NULL, *uri = NULL;
    find_node(argv[1], atoi(argv[2]), argv[3], &domain, &uri);
    serial_consoles *hub = serial_consoles_new();
    virConnectPtr conn = libvirt_open(uri);
    virDomainPtr dom = conn ? virDomainLookupByName(conn, domain) : NULL;
    if (!hub || !dom)
        return 1;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "seq 1 %ld; echo bench-$((2+3))-end\n", lines);

    for (int round = 0; round < 2; round++) {
        bridge_throughput(hub, uri, domain, cmd, lines);
        raw_throughput(conn, dom, cmd);
    }

    /* 2. The guest alone: nobody on the console, QEMU drops the output. */
    char guest_cmd[160];
    snprintf(guest_cmd, sizeof guest_cmd,
             "read a b </proc/uptime; seq 1 %ld >/dev/ttyS0; read c d </proc/uptime; "
             "seq 1 %ld | wc -c; echo $a $c",
             lines, lines);
    guest_exec_result r;
    if (guest_agent_exec(dom, guest_cmd, 1200000, &r) == ENSHU_OK) {
        double a = 0, b = 0, bytes = 0;
        /* The tty adds a carriage return per line. */
        if (sscanf(r.out, "%lf %lf %lf", &bytes, &a, &b) == 3 && b > a)
            printf("the guest alone (nobody on the console): %.0f bytes in %.2f s = %.3f MB/s\n",
                   bytes + lines, b - a, (bytes + lines) / (b - a) / 1e6);
        guest_exec_result_fini(&r);
    }

    /* 3. Keystroke echo latency. */
    counter c = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    serial_console *sc = NULL;
    open_console(hub, uri, domain, &c, &sc);
    double lat[30];
    int nlat = 0;
    for (int i = 0; i < 30; i++) {
        char key[2] = {(char)('a' + i % 26), '\0'};
        reset(&c, false);
        double k0 = now_s();
        type(sc, key);
        if (!wait_tail(&c, key, 10))
            break;
        lat[nlat++] = (now_s() - k0) * 1e3;
    }
    type(sc, "\003\n");
    qsort(lat, (size_t)nlat, sizeof lat[0], cmp_double);
    if (nlat)
        printf("keystroke echo through the bridge: median %.2f ms, max %.2f ms (%d keys)\n",
               lat[nlat / 2], lat[nlat - 1], nlat);

    /* 4a. The bridge paused during that output. */
    sleep(1);
    long rss0 = rss_kib();
    reset(&c, false);
    serial_console_pause(sc);
    type(sc, cmd);
    sleep(15);
    serial_console_stats st;
    serial_console_get_stats(sc, &st);
    long rss1 = rss_kib();
    printf("bridge paused for 15 s during that output: %zu bytes held, guest %s, %s, "
           "RSS +%ld KiB\n",
           st.held, st.guest_stopped ? "stopped (XOFF)" : "not stopped",
           st.ended ? "viewer closed (fell behind)" : "viewer open", rss1 - rss0);
    serial_console_resume(sc);
    wait_tail(&c, "bench-5-end", 1200);
    serial_console_close(sc);
    sleep(1);

    /* 4b. A raw libvirt stream, opened and not read. */
    long rss2 = rss_kib();
    virStreamPtr raw = virStreamNew(conn, VIR_STREAM_NONBLOCK);
    if (raw && virDomainOpenConsole(dom, NULL, raw, VIR_DOMAIN_CONSOLE_FORCE) == 0) {
        virStreamSend(raw, "\003\n", 2);
        virStreamSend(raw, cmd, strlen(cmd));
        sleep(15);
        long rss3 = rss_kib();
        printf("raw libvirt stream not read for 15 s during that output: RSS +%ld KiB "
               "(libvirt's client queue)\n",
               rss3 - rss2);
        virStreamAbort(raw);
    }
    if (raw)
        virStreamFree(raw);
    virDomainFree(dom);
    virConnectClose(conn);
    serial_consoles_free(hub);
    free(domain);
    free(uri);
    return 0;
}
