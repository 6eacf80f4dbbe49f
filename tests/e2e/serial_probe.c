/*
 * Drives the serial console bridge (engine/range/serial_console.c) against a real
 * guest of a range that is up: typing and reading command output, two
 * viewers of one console, flow control under heavy output (also with a
 * guest that ignores XOFF), one viewer paused while another reads (the
 * guest goes on, the paused one falls behind and is closed), closing from
 * another thread while output flows, a console taken over by another
 * client, and (last) the guest dying. Used by test_serial_console.sh.
 *
 *   serial_probe RANGE TEAM NODE
 *   serial_probe --reach RANGE TEAM NODE
 *
 * --reach only opens the console, types one command, reads its output
 * back and closes it: that the console reaches the guest, on whichever
 * host (local or remote) it runs.
 *
 * Prints "ok: ..." per check, "probe: waiting for the guest to stop" when
 * the caller should destroy the guest, and exits 0 when every check held.
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
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SEQ_LINES 200000
#define IGNORED_LINES 160000 /* about 1.1 MB: more than SERIAL_CONSOLE_HOLD_MAX */

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputs("\n", stdout);
    va_end(ap);
    fflush(stdout);
    exit(1);
}

static void pass(const char *what)
{
    printf("ok: %s\n", what);
    fflush(stdout);
}

/* ---- a viewer's side: everything it received, and how it ended ---- */

typedef struct sink {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char *data;
    size_t len, cap;
    bool ended;
    serial_console_end why;
    char *message;
    atomic_bool close_returned; /* serial_console_close returned */
    atomic_bool late_callback;  /* a callback ran after that */
    atomic_bool slow;           /* each on_output takes a while */
} sink;

static void sink_init(sink *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
}

static void sink_fini(sink *s)
{
    free(s->data);
    free(s->message);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->lock);
}

static void on_output(void *ctx, const void *data, size_t len)
{
    sink *s = ctx;
    if (atomic_load(&s->close_returned))
        atomic_store(&s->late_callback, true);
    if (atomic_load(&s->slow))
        usleep(2000); /* so that close often finds a callback running */
    if (atomic_load(&s->close_returned))
        atomic_store(&s->late_callback, true);
    pthread_mutex_lock(&s->lock);
    XGROW(s->data, s->cap, s->len + len + 1);
    memcpy(s->data + s->len, data, len);
    s->len += len;
    s->data[s->len] = '\0';
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void on_closed(void *ctx, serial_console_end why, const char *message)
{
    sink *s = ctx;
    if (atomic_load(&s->close_returned))
        atomic_store(&s->late_callback, true);
    pthread_mutex_lock(&s->lock);
    if (s->ended)
        fail("on_closed ran twice (%s)", message);
    s->ended = true;
    s->why = why;
    s->message = xstrdup(message);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static const serial_console_callbacks CALLBACKS = {on_output, on_closed};

static void deadline_in(struct timespec *ts, int seconds)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += seconds;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits until needle appears in what s received from offset from on;
 * returns where it ends, or 0 on timeout. */
static size_t sink_wait_for(sink *s, size_t from, const char *needle, int timeout_s)
{
    struct timespec until;
    deadline_in(&until, timeout_s);
    size_t found = 0, nlen = strlen(needle);
    pthread_mutex_lock(&s->lock);
    for (;;) {
        /* Only what arrived since the last look (and a needle's length
         * before it): the lock is held while looking. */
        const char *p = from < s->len ? memmem(s->data + from, s->len - from, needle, nlen) : NULL;
        if (p) {
            found = (size_t)(p - s->data) + nlen;
            break;
        }
        if (s->len >= from + nlen)
            from = s->len - nlen + 1;
        if (pthread_cond_timedwait(&s->cond, &s->lock, &until) != 0)
            break;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

static bool sink_wait_end(sink *s, int timeout_s)
{
    struct timespec until;
    deadline_in(&until, timeout_s);
    pthread_mutex_lock(&s->lock);
    while (!s->ended && pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
        ;
    bool ended = s->ended;
    pthread_mutex_unlock(&s->lock);
    return ended;
}

static size_t sink_len(sink *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->len;
    pthread_mutex_unlock(&s->lock);
    return n;
}

static void type(serial_console *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void type(serial_console *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0)
        abort();
    va_end(ap);
    int rc = serial_console_write(c, text, strlen(text));
    free(text);
    if (rc != ENSHU_OK)
        fail("serial_console_write returned %d", rc);
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

static serial_console *open_or_fail(serial_consoles *h, const char *uri, const char *domain,
                                    sink *s)
{
    serial_console *c = NULL;
    if (serial_console_open(h, uri, domain, &CALLBACKS, s, &c) != ENSHU_OK)
        fail("cannot open the serial console of %s", domain);
    return c;
}

/* Types a command whose output differs from its echo and waits for the
 * output in each sink given (NULL-terminated). */
static void expect_command_output(serial_console *typist, int timeout_s, sink *first, ...)
{
    int a = 2 + rand() % 90, b = 2 + rand() % 90, tag = rand() % 100000;
    char want[64];
    snprintf(want, sizeof want, "%d-ok-%d\r\n", a * b, tag);
    size_t from[8];
    sink *sinks[8];
    size_t n = 0;
    va_list ap;
    va_start(ap, first);
    for (sink *s = first; s && n < 8; s = va_arg(ap, sink *)) {
        sinks[n] = s;
        from[n++] = sink_len(s);
    }
    va_end(ap);
    type(typist, "echo $((%d*%d))-ok-%d\n", a, b, tag);
    for (size_t i = 0; i < n; i++)
        if (!sink_wait_for(sinks[i], from[i], want, timeout_s))
            fail("viewer %zu did not see the output '%.*s' of the typed command; it got: %.400s",
                 i + 1, (int)strlen(want) - 2, want,
                 sinks[i]->len > from[i] ? sinks[i]->data + from[i] : "(nothing)");
}

/* The numbers 1..last, one per line, in order, right after the echo of the
 * command line that ends with end_of_echo: text only that echo has (the
 * output of an earlier command may still be arriving after from). */
static void check_sequence(sink *s, size_t from, const char *end_of_echo, long last)
{
    pthread_mutex_lock(&s->lock);
    const char *p = memmem(s->data + from, s->len - from, end_of_echo, strlen(end_of_echo));
    if (!p) {
        pthread_mutex_unlock(&s->lock);
        fail("the echo of the seq command is missing");
    }
    p += strlen(end_of_echo);
    const char *end = s->data + s->len;
    /* The shell's line editor may draw the command line again before it
     * runs (seen once after the terminal was stopped and started with the
     * command typed): the output follows its last drawing. */
    while (!(end - p >= 3 && memcmp(p, "1\r\n", 3) == 0)) {
        const char *again = memmem(p, (size_t)(end - p), end_of_echo, strlen(end_of_echo));
        if (!again)
            break;
        p = again + strlen(end_of_echo);
    }
    long expect = 1;
    while (expect <= last && p < end) {
        char *stop;
        long got = strtol(p, &stop, 10);
        if (stop == p || got != expect || end - stop < 2 || stop[0] != '\r' || stop[1] != '\n') {
            pthread_mutex_unlock(&s->lock);
            fail("line %ld of seq's output is wrong or missing: '%.40s'", expect, p);
        }
        p = stop + 2;
        expect++;
    }
    pthread_mutex_unlock(&s->lock);
    if (expect <= last)
        fail("seq's output stops after line %ld of %ld", expect - 1, last);
}

/* ---- closing from another thread ---- */

typedef struct closer {
    serial_console *c;
    sink *s;
} closer;

static void *close_main(void *p)
{
    closer *k = p;
    serial_console_close(k->c);
    atomic_store(&k->s->close_returned, true);
    return NULL;
}

/* Finds the node's domain and host in the range's store. */
static void find_node(const char *range, int team, const char *node, char **domain, char **host)
{
    char *path = range_db_path(range);
    state_store *st = NULL;
    if (access(path, F_OK) != 0 || state_store_open(path, false, &st) != ENSHU_OK)
        fail("range %s is not up (no %s)", range, path);
    free(path);
    stored_node *nodes = NULL;
    size_t n = 0;
    if (state_store_nodes(st, &nodes, &n) != ENSHU_OK)
        fail("cannot read the nodes of range %s", range);
    for (size_t i = 0; i < n; i++) {
        if (nodes[i].team == team && strcmp(nodes[i].node, node) == 0) {
            *domain = xstrdup(nodes[i].domain);
            *host = xstrdup(nodes[i].host_uri);
        }
    }
    stored_nodes_free(nodes, n);
    state_store_free(st);
    if (!*domain)
        fail("range %s has no node %s in team %d", range, node, team);
}

/* --reach: one command typed and its output read back, then closed. */
static int reach(const char *range, int team, const char *node)
{
    char *domain = NULL, *uri = NULL;
    find_node(range, team, node, &domain, &uri);
    serial_consoles *hub = serial_consoles_new();
    if (!hub)
        fail("cannot start the serial consoles");
    sink a;
    sink_init(&a);
    serial_console *c = open_or_fail(hub, uri, domain, &a);
    type(c, "\n");
    expect_command_output(c, 60, &a, (sink *)NULL);
    serial_console_close(c);
    printf("ok: the serial console of %s on %s answers\n", domain, uri);
    serial_consoles_free(hub);
    sink_fini(&a);
    free(domain);
    free(uri);
    return 0;
}

int main(int argc, char **argv)
{
    bool only_reach = argc == 5 && strcmp(argv[1], "--reach") == 0;
    if (argc != 4 && !only_reach) {
        fprintf(stderr, "usage: serial_probe [--reach] RANGE TEAM NODE\n");
        return 2;
    }
    /* Before any connection: see serial_console.h. */
    libvirt_events_init_once();
    libvirt_setup();
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    if (only_reach)
        return reach(argv[2], atoi(argv[3]), argv[4]);
    char *domain = NULL, *uri = NULL;
    find_node(argv[1], atoi(argv[2]), argv[3], &domain, &uri);
    virConnectPtr conn = libvirt_open(uri);
    virDomainPtr dom = conn ? virDomainLookupByName(conn, domain) : NULL;
    if (!dom)
        fail("cannot find guest %s on %s", domain, uri);

    serial_consoles *hub = serial_consoles_new();
    if (!hub)
        fail("cannot start the serial consoles");

    /* 0. A hub freed with a console open ends it with the reason. */
    serial_consoles *brief = serial_consoles_new();
    sink z;
    sink_init(&z);
    serial_console *cz = open_or_fail(brief, uri, domain, &z);
    expect_command_output(cz, 60, &z, (sink *)NULL);
    serial_consoles_free(brief); /* cz is freed with it */
    if (!z.ended || z.why != SERIAL_CONSOLE_HUB_CLOSED || !strstr(z.message, domain))
        fail("freeing the hub did not end its open console with the reason");
    sink_fini(&z);
    pass("freeing a hub ends its open consoles with the reason");

    /* 1. Typing and reading. */
    sink a;
    sink_init(&a);
    serial_console *ca = open_or_fail(hub, uri, domain, &a);
    type(ca, "\n");
    expect_command_output(ca, 60, &a, (sink *)NULL);
    pass("a typed command's output comes back");

    /* 2. Two viewers of one console. */
    sink b;
    sink_init(&b);
    serial_console *cb = open_or_fail(hub, uri, domain, &b);
    serial_console_stats st;
    serial_console_get_stats(ca, &st);
    if (st.viewers != 2)
        fail("the second viewer has its own stream: %u viewers on the first", st.viewers);
    expect_command_output(cb, 30, &a, &b, (sink *)NULL);
    expect_command_output(ca, 30, &a, &b, (sink *)NULL);
    pass("two viewers of one console both see output, typed from either");
    serial_console_close(cb);
    serial_console_get_stats(ca, &st);
    if (st.viewers != 1)
        fail("closing the second viewer left %u viewers", st.viewers);
    expect_command_output(ca, 30, &a, (sink *)NULL);
    pass("the console stays open for the remaining viewer");

    /* 3. Flow control: paused while the guest prints 1.3 MB. */
    long rss_before = rss_kib();
    size_t from = sink_len(&a);
    serial_console_pause(ca);
    type(ca, "seq 1 %d; echo seq-$((1+1))-done\n", SEQ_LINES);
    for (int i = 0; i < 600; i++) {
        serial_console_get_stats(ca, &st);
        if (st.guest_stopped)
            break;
        usleep(100000);
    }
    if (!st.guest_stopped)
        fail("the guest was not asked to stop although %zu bytes are held", st.held);
    sleep(3);
    serial_console_stats st1, st2;
    serial_console_get_stats(ca, &st1);
    sleep(3);
    serial_console_get_stats(ca, &st2);
    long rss_paused = rss_kib();
    printf("probe: paused: %zu bytes held (peak %zu), then %zu 3 s later; "
           "RSS %ld -> %ld KiB\n",
           st1.held, st1.held_peak, st2.held, rss_before, rss_paused);
    if (st2.held != st1.held)
        fail("output kept arriving while paused: %zu then %zu bytes held", st1.held, st2.held);
    if (st2.held >= SERIAL_CONSOLE_HOLD_MAX || st2.ended)
        fail("paused output reached the hard limit (%zu held, %s)", st2.held,
             st2.ended ? "closed" : "open");
    if (sink_wait_for(&a, from, "seq-2-done", 0))
        fail("output reached the viewer while it was paused");
    guest_exec_result r;
    if (guest_agent_exec(dom, "pidof seq", 20000, &r) != ENSHU_OK)
        fail("the guest agent does not answer");
    bool seq_waits = r.exit_code == 0;
    guest_exec_result_fini(&r);
    if (!seq_waits)
        fail("seq ended in the guest while its output was paused: the guest was not held back");
    pass("paused: the guest is held back and memory stays bounded");
    double t0 = now_s();
    serial_console_resume(ca);
    if (!sink_wait_for(&a, from, "seq-2-done", 300))
        fail("after resume the output did not reach its end (%zu bytes arrived)",
             sink_len(&a) - from);
    double secs = now_s() - t0;
    check_sequence(&a, from, "$((1+1))-done\r\n", SEQ_LINES);
    serial_console_get_stats(ca, &st);
    if (st.guest_stopped || st.held)
        fail("after resume the guest is still stopped or output is still held");
    printf("probe: after resume %zu bytes in %.1f s (%.2f MB/s)\n", sink_len(&a) - from, secs,
           (double)(sink_len(&a) - from) / secs / 1e6);
    pass("after resume every line arrives, in order, up to the last");
    expect_command_output(ca, 30, &a, (sink *)NULL);

    /* 3b. Two viewers, one paused from the start: the guest is never
     * stopped, the reading viewer gets every line, and the paused one is
     * closed with the reason once it would hold more than the bound. */
    sink p;
    sink_init(&p);
    serial_console *cp = open_or_fail(hub, uri, domain, &p);
    serial_console_pause(cp);
    size_t p_at_pause = sink_len(&p);
    from = sink_len(&a);
    type(ca, "seq 1 %d; echo seq-$((2+1))-done\n", SEQ_LINES);
    bool stopped_seen = false;
    double t1 = now_s();
    while (!sink_wait_for(&a, from, "seq-3-done", 0)) {
        serial_console_get_stats(ca, &st);
        stopped_seen |= st.guest_stopped;
        if (now_s() - t1 > 300)
            fail("with a second viewer paused the reading one got only %zu bytes",
                 sink_len(&a) - from);
        usleep(20000);
    }
    secs = now_s() - t1;
    check_sequence(&a, from, "$((2+1))-done\r\n", SEQ_LINES);
    if (stopped_seen)
        fail("the guest was sent XOFF although a viewer was reading");
    if (!sink_wait_end(&p, 30))
        fail("the paused viewer was not closed although %d lines went by", SEQ_LINES);
    serial_console_stats stp;
    serial_console_get_stats(cp, &stp);
    printf("probe: one of two viewers paused: the other got %zu bytes in %.1f s; the paused one "
           "held at most %zu bytes and ended: %s\n",
           sink_len(&a) - from, secs, stp.held_peak, p.message);
    if (p.why != SERIAL_CONSOLE_FELL_BEHIND || !strstr(p.message, domain) ||
        !strstr(p.message, "behind"))
        fail("the paused viewer ended with reason %d: %s", (int)p.why, p.message);
    if (stp.held_peak > SERIAL_CONSOLE_HOLD_MAX || stp.held || !stp.ended)
        fail("the paused viewer held %zu bytes (peak %zu) and is %s", stp.held, stp.held_peak,
             stp.ended ? "ended" : "open");
    if (sink_len(&p) != p_at_pause)
        fail("the paused viewer got output while paused");
    serial_console_get_stats(ca, &st);
    if (st.viewers != 1)
        fail("the viewer that fell behind is still counted: %u viewers", st.viewers);
    serial_console_close(cp);
    sink_fini(&p);
    expect_command_output(ca, 30, &a, (sink *)NULL);
    pass("one viewer paused, another reading: the guest goes on, the reader gets every line, "
         "the paused one is closed with the reason past its bound");

    /* 3c. Both viewers paused: the guest is stopped; once one reads again
     * it goes on for that one, and the other falls behind. */
    sink q;
    sink_init(&q);
    serial_console *cq = open_or_fail(hub, uri, domain, &q);
    serial_console_pause(cq);
    serial_console_pause(ca);
    from = sink_len(&a);
    type(ca, "seq 1 %d; echo seq-$((3+1))-done\n", SEQ_LINES);
    for (int i = 0; i < 600; i++) {
        serial_console_get_stats(ca, &st);
        if (st.guest_stopped)
            break;
        usleep(100000);
    }
    if (!st.guest_stopped)
        fail("with every viewer paused the guest was not stopped (%zu bytes held)", st.held);
    sleep(2);
    serial_console_get_stats(ca, &st1);
    serial_console_get_stats(cq, &st2);
    if (st1.held >= SERIAL_CONSOLE_HOLD_MAX || st2.held >= SERIAL_CONSOLE_HOLD_MAX || st1.ended ||
        st2.ended)
        fail("every viewer paused and the guest stopped, yet a viewer reached its bound");
    if (guest_agent_exec(dom, "pidof seq", 20000, &r) != ENSHU_OK)
        fail("the guest agent does not answer");
    seq_waits = r.exit_code == 0;
    guest_exec_result_fini(&r);
    if (!seq_waits)
        fail("seq ended while every viewer was paused: the guest was not held back");
    serial_console_resume(ca);
    if (!sink_wait_for(&a, from, "seq-4-done", 300))
        fail("after one of two paused viewers resumed its output did not reach the end");
    check_sequence(&a, from, "$((3+1))-done\r\n", SEQ_LINES);
    if (!sink_wait_end(&q, 30) || q.why != SERIAL_CONSOLE_FELL_BEHIND)
        fail("the viewer still paused was not closed as fallen behind");
    serial_console_get_stats(ca, &st);
    if (st.guest_stopped || st.held)
        fail("after resume the guest is still stopped or output is still held");
    serial_console_close(cq);
    sink_fini(&q);
    expect_command_output(ca, 30, &a, (sink *)NULL);
    pass("every viewer paused: the guest is stopped; one resumes: it gets every line and the "
         "other falls behind and is closed");

    /* 3d. A program that turned IXON off is not stopped: a paused viewer
     * then falls behind and is closed, its memory bounded, and the console
     * opened again works. */
    rss_before = rss_kib();
    serial_console_pause(ca);
    type(ca, "stty -ixon; seq 1 %d; stty ixon\n", IGNORED_LINES);
    if (!sink_wait_end(&a, 300))
        fail("with IXON off the paused viewer was not closed");
    serial_console_get_stats(ca, &st);
    long rss_full = rss_kib();
    printf("probe: IXON off, paused: held at most %zu bytes; RSS %ld -> %ld KiB; ended: %s\n",
           st.held_peak, rss_before, rss_full, a.message);
    if (a.why != SERIAL_CONSOLE_FELL_BEHIND || st.held_peak > SERIAL_CONSOLE_HOLD_MAX)
        fail("with IXON off the viewer ended with reason %d, %zu bytes held at most", (int)a.why,
             st.held_peak);
    for (int i = 0; i < 150; i++) {
        if (guest_agent_exec(dom, "pidof seq", 20000, &r) != ENSHU_OK)
            fail("the guest agent does not answer");
        seq_waits = r.exit_code == 0;
        guest_exec_result_fini(&r);
        if (!seq_waits)
            break;
        sleep(2);
    }
    if (seq_waits)
        fail("seq with IXON off did not end");
    serial_console_close(ca);
    sink x;
    sink_init(&x);
    serial_console *cx = open_or_fail(hub, uri, domain, &x);
    /* XOFF and XON reached the shell as input: Ctrl-C discards them. */
    type(cx, "\003");
    expect_command_output(cx, 30, &x, (sink *)NULL);
    serial_console_close(cx);
    sink_fini(&x);
    pass("a guest ignoring XOFF: the paused viewer is closed at its bound, and the console "
         "goes on");

    /* 4. Closing from another thread while output flows, paused or not. */
    for (int round = 0; round < 6; round++) {
        sink k;
        sink_init(&k);
        serial_console *ck = open_or_fail(hub, uri, domain, &k);
        type(ck, "\003seq 1 400000\n");
        size_t want = 20000 + (size_t)(rand() % 60000);
        for (int i = 0; i < 600 && sink_len(&k) < want; i++)
            usleep(50000);
        if (sink_len(&k) < want)
            fail("round %d: output does not flow (%zu bytes)", round, sink_len(&k));
        if (round % 2)
            serial_console_pause(ck);
        atomic_store(&k.slow, true);
        closer cl = {ck, &k};
        pthread_t t;
        if (pthread_create(&t, NULL, close_main, &cl) != 0)
            fail("cannot start a thread");
        pthread_join(t, NULL);
        usleep(300000);
        if (atomic_load(&k.late_callback))
            fail("round %d: a callback ran after serial_console_close returned", round);
        sink_fini(&k);
    }
    sink c;
    sink_init(&c);
    serial_console *cc = open_or_fail(hub, uri, domain, &c);
    type(cc, "\003\n");
    expect_command_output(cc, 60, &c, (sink *)NULL);
    pass("closing from another thread while output flows: no callback after close, console "
         "usable again");

    /* 4b. Closed and opened again at once, many times: each open overlaps
     * the previous stream's end on the host, which must still know this
     * console's holder afterwards (5 takes it over). */
    for (int round = 0; round < 12; round++) {
        serial_console_close(cc);
        sink_fini(&c);
        sink_init(&c);
        cc = open_or_fail(hub, uri, domain, &c);
    }
    type(cc, "\003\n");
    expect_command_output(cc, 60, &c, (sink *)NULL);
    pass("a console closed and opened again at once twelve times works");

    /* 5. Another client takes the console over. */
    serial_consoles *other = serial_consoles_new();
    sink d;
    sink_init(&d);
    serial_console *cd = open_or_fail(other, uri, domain, &d);
    if (!sink_wait_end(&c, 30))
        fail("the first console did not end when another client opened it with force");
    if (c.why != SERIAL_CONSOLE_TAKEN_OVER || !strstr(c.message, domain))
        fail("taken over, the console ended with reason %d: %s", (int)c.why, c.message);
    printf("probe: first console ended: %s\n", c.message);
    if (serial_console_write(cc, "x", 1) != ENSHU_EIO)
        fail("writing to an ended console did not fail");
    expect_command_output(cd, 30, &d, (sink *)NULL);
    pass("a console opened elsewhere with force ends this one with a reason");
    serial_console_close(cc);
    sink_fini(&c);

    /* 5b. The guest restarts (a new QEMU process): the console ends as the
     * guest's, and one opened again works once the guest is back. */
    if (virDomainDestroy(dom) < 0 || virDomainCreate(dom) < 0)
        fail("cannot restart guest %s: %s", domain, libvirt_error());
    if (!sink_wait_end(&d, 60))
        fail("the console did not end when the guest restarted");
    if (d.why != SERIAL_CONSOLE_GUEST_STOPPED || !strstr(d.message, domain))
        fail("the guest restarted but its console ended with reason %d: %s", (int)d.why, d.message);
    printf("probe: console ended: %s\n", d.message);
    serial_console_close(cd);
    sink_fini(&d);
    sink_init(&d);
    cd = open_or_fail(other, uri, domain, &d);
    /* Typed before the guest's shell runs, input is lost: wait for the
     * agent, which starts beside the shell, then for a prompt. */
    bool back = false;
    for (int i = 0; i < 120 && !back; i++) {
        back = guest_agent_ping(dom, 2) == ENSHU_OK;
        if (!back)
            sleep(1);
    }
    if (!back)
        fail("guest %s did not come back after the restart", domain);
    type(cd, "\003\n");
    if (!sink_wait_for(&d, 0, "# ", 60))
        fail("no shell prompt on the console after the restart: %.300s", d.data ? d.data : "");
    expect_command_output(cd, 60, &d, (sink *)NULL);
    pass("a guest that restarts ends its console with the reason; opened again, it works");

    /* 6. The guest dies; e, a second viewer, is left for the hub to free. */
    sink e;
    sink_init(&e);
    open_or_fail(other, uri, domain, &e);
    puts("probe: waiting for the guest to stop");
    fflush(stdout);
    if (!sink_wait_end(&d, 120) || !sink_wait_end(&e, 10))
        fail("the console did not end for both viewers when the guest stopped");
    if (e.why != SERIAL_CONSOLE_GUEST_STOPPED)
        fail("the second viewer's console ended with reason %d: %s", (int)e.why, e.message);
    if (d.why != SERIAL_CONSOLE_GUEST_STOPPED || !strstr(d.message, domain))
        fail("the guest stopped but its console ended with reason %d: %s", (int)d.why, d.message);
    printf("probe: console ended: %s\n", d.message);
    pass("a guest that dies ends its console with the reason");
    serial_console_close(cd);
    sink_fini(&d);

    serial_consoles_free(other);
    sink_fini(&e);
    serial_consoles_free(hub);
    sink_fini(&a);
    sink_fini(&b);
    virDomainFree(dom);
    virConnectClose(conn);
    free(domain);
    free(uri);
    return 0;
}
