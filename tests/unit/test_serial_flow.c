/* Flow control of a shared serial console (engine/range/serial_flow.c), driven as
 * serial_console.c drives it: a model guest writes numbered bytes (and
 * stops while it was last sent XOFF, unless it ignores XOFF), every viewer
 * is offered each piece, what is delivered lands on the viewer's screen,
 * a viewer that falls behind is closed, and every flow byte the rule asks
 * for is sent. The real guest side is e2e/serial_console. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "serial_console.h"
#include "serial_flow.h"

#include <stdlib.h>
#include <string.h>

enum { CHUNK = 4096, FLUSH = 16 * 1024 };

typedef struct screen {
    serial_flow_viewer v;
    char *data; /* what it was handed, in order */
    size_t len, cap;
    uint64_t start; /* the guest's output offset when it joined */
    bool closed;    /* fell behind */
    uint64_t closed_at;
} screen;

typedef struct console {
    serial_flow f;
    screen *screens[4];
    size_t nscreens;
    uint64_t written; /* bytes the guest wrote so far */
    bool guest_stopped;
    bool ignores_xoff;
    unsigned xoffs, xons;
} console;

static char byte_at(uint64_t offset)
{
    return (char)(offset % 251);
}

static void show(screen *s, const char *data, size_t len)
{
    if (s->len + len > s->cap) {
        s->cap = (s->len + len) * 2;
        s->data = realloc(s->data, s->cap);
        assert_non_null(s->data);
    }
    memcpy(s->data + s->len, data, len);
    s->len += len;
}

static void send_flow(console *c)
{
    char b;
    while ((b = serial_flow_take_byte(&c->f)) != 0) {
        if (b == SERIAL_FLOW_XOFF) {
            assert_false(c->guest_stopped);
            c->guest_stopped = true;
            c->xoffs++;
        } else {
            assert_int_equal(b, SERIAL_FLOW_XON);
            assert_true(c->guest_stopped);
            c->guest_stopped = false;
            c->xons++;
        }
    }
}

static void join(console *c, screen *s)
{
    memset(s, 0, sizeof *s);
    s->start = c->written;
    serial_flow_join(&c->f, &s->v);
    c->screens[c->nscreens++] = s;
    send_flow(c);
}

static void pause_(console *c, screen *s)
{
    serial_flow_pause(&s->v);
    send_flow(c);
}

/* Resumes s and hands it what it held, as the hub's work run does. */
static void resume(console *c, screen *s, bool flush)
{
    serial_flow_resume(&s->v);
    send_flow(c);
    const char *data;
    size_t n;
    while (flush && (n = serial_flow_held(&s->v, FLUSH, &data)) > 0) {
        show(s, data, n);
        serial_flow_consume(&s->v, n);
    }
}

/* The guest writes len bytes, unless it was stopped (and honours XOFF).
 * Returns whether it wrote. */
static bool guest_writes(console *c, size_t len)
{
    if (c->guest_stopped && !c->ignores_xoff)
        return false;
    char buf[CHUNK];
    assert_true(len <= sizeof buf);
    for (size_t i = 0; i < len; i++)
        buf[i] = byte_at(c->written + i);
    for (size_t i = 0; i < c->nscreens; i++) {
        screen *s = c->screens[i];
        if (s->closed)
            continue;
        switch (serial_flow_offer(&s->v, buf, len)) {
        case SERIAL_FLOW_DELIVER:
            show(s, buf, len);
            break;
        case SERIAL_FLOW_HELD:
            break;
        case SERIAL_FLOW_BEHIND:
            s->closed = true;
            s->closed_at = c->written;
            serial_flow_leave(&s->v);
            break;
        }
    }
    c->written += len;
    send_flow(c);
    return true;
}

/* s got the guest's output from its start, in order, n bytes of it. */
static void assert_screen(const screen *s, uint64_t n)
{
    assert_int_equal(s->len, n);
    for (size_t i = 0; i < s->len; i++)
        if (s->data[i] != byte_at(s->start + i))
            fail_msg("byte %zu of a screen is out of order", i);
}

static void console_fini(console *c)
{
    for (size_t i = 0; i < c->nscreens; i++) {
        serial_flow_leave(&c->screens[i]->v);
        serial_flow_viewer_fini(&c->screens[i]->v);
        free(c->screens[i]->data);
    }
    assert_int_equal(c->f.nviewers, 0);
}

static void one_paused_viewer_does_not_stop_the_guest(void **state)
{
    console c = {0};
    screen a, b;
    join(&c, &a);
    join(&c, &b);
    pause_(&c, &b);
    const uint64_t total = 2 * SERIAL_CONSOLE_HOLD_MAX;
    while (c.written < total)
        assert_true(guest_writes(&c, CHUNK));
    /* The reader got everything; the guest was never asked to stop. */
    assert_int_equal(c.xoffs, 0);
    assert_false(c.f.stopped);
    assert_screen(&a, total);
    /* The paused viewer held up to its bound, no further, and was closed
     * by the piece that would have passed it, having been shown nothing. */
    assert_true(b.closed);
    assert_int_equal(b.closed_at, SERIAL_CONSOLE_HOLD_MAX);
    assert_int_equal(b.v.held_peak, SERIAL_CONSOLE_HOLD_MAX);
    assert_int_equal(b.v.held_len, 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(c.f.nviewers, 1);
    assert_int_equal(serial_flow_offer(&b.v, "x", 1), SERIAL_FLOW_BEHIND);
    console_fini(&c);
}

static void held_output_follows_in_order(void **state)
{
    console c = {0};
    screen a, b;
    join(&c, &a);
    join(&c, &b);
    pause_(&c, &b);
    for (int i = 0; i < 25; i++)
        assert_true(guest_writes(&c, CHUNK));
    assert_int_equal(b.v.held_len, 25 * CHUNK);
    /* Resumed but not yet handed its held output: new output queues
     * behind it. */
    resume(&c, &b, false);
    assert_true(guest_writes(&c, 1000));
    assert_int_equal(b.len, 0);
    const char *data;
    size_t n;
    while ((n = serial_flow_held(&b.v, FLUSH, &data)) > 0) {
        show(&b, data, n);
        serial_flow_consume(&b.v, n);
    }
    assert_true(guest_writes(&c, 7));
    assert_screen(&a, c.written);
    assert_screen(&b, c.written);
    assert_int_equal(c.xoffs + c.xons, 0);
    console_fini(&c);
}

static void every_viewer_paused_stops_the_guest(void **state)
{
    console c = {0};
    screen a, b;
    join(&c, &a);
    join(&c, &b);
    pause_(&c, &a);
    pause_(&c, &b);
    int writes = 0;
    while (guest_writes(&c, CHUNK))
        assert_true(++writes < 1000);
    /* Stopped once both held the soft bound, and nobody closed. */
    assert_int_equal(c.xoffs, 1);
    assert_int_equal(c.written, SERIAL_CONSOLE_HOLD_SOFT);
    assert_int_equal(a.v.held_len, SERIAL_CONSOLE_HOLD_SOFT);
    assert_int_equal(b.v.held_len, SERIAL_CONSOLE_HOLD_SOFT);
    assert_false(a.closed || b.closed);
    /* Bytes already on their way when XOFF went out change nothing. */
    c.ignores_xoff = true;
    assert_true(guest_writes(&c, CHUNK));
    c.ignores_xoff = false;
    assert_int_equal(c.xoffs, 1);
    /* One reads again: the guest goes on at once, for that one. */
    resume(&c, &a, true);
    assert_int_equal(c.xons, 1);
    assert_false(c.guest_stopped);
    while (c.written < 3 * SERIAL_CONSOLE_HOLD_MAX)
        assert_true(guest_writes(&c, CHUNK));
    assert_int_equal(c.xoffs, 1);
    assert_screen(&a, c.written);
    /* The other, still paused, fell behind at its bound. */
    assert_true(b.closed);
    assert_int_equal(b.v.held_peak, SERIAL_CONSOLE_HOLD_MAX);
    assert_int_equal(b.len, 0);
    console_fini(&c);
}

static void a_guest_ignoring_xoff_closes_the_paused_viewers(void **state)
{
    console c = {.ignores_xoff = true};
    screen a, b;
    join(&c, &a);
    join(&c, &b);
    pause_(&c, &a);
    pause_(&c, &b);
    while (!(a.closed && b.closed)) {
        assert_true(guest_writes(&c, CHUNK));
        assert_true(a.v.held_len <= SERIAL_CONSOLE_HOLD_MAX);
        assert_true(b.v.held_len <= SERIAL_CONSOLE_HOLD_MAX);
    }
    assert_int_equal(a.closed_at, SERIAL_CONSOLE_HOLD_MAX);
    assert_int_equal(b.closed_at, SERIAL_CONSOLE_HOLD_MAX);
    /* With nobody left the guest is let go. */
    assert_int_equal(c.xoffs, 1);
    assert_int_equal(c.xons, 1);
    assert_int_equal(c.f.nviewers, 0);
    console_fini(&c);
}

static void pauses_with_little_held_send_nothing(void **state)
{
    console c = {0};
    screen a, b;
    join(&c, &a);
    join(&c, &b);
    for (int i = 0; i < 100; i++) {
        pause_(&c, &a);
        pause_(&c, &b);
        assert_true(guest_writes(&c, 100));
        resume(&c, &a, true);
        resume(&c, &b, true);
    }
    assert_int_equal(c.xoffs + c.xons, 0);
    assert_screen(&a, c.written);
    assert_screen(&b, c.written);
    console_fini(&c);
}

static void the_flow_byte_follows_the_rule(void **state)
{
    console c = {0};
    screen a, n;
    join(&c, &a);
    serial_flow_pause(&a.v);
    assert_int_equal(serial_flow_offer(&a.v, "0123", 4), SERIAL_FLOW_HELD);
    /* Not yet at the soft bound: nothing to send. */
    assert_int_equal(serial_flow_pending(&c.f), 0);
    char big[CHUNK] = {0};
    while (a.v.held_len < SERIAL_CONSOLE_HOLD_SOFT)
        assert_int_equal(serial_flow_offer(&a.v, big, CHUNK), SERIAL_FLOW_HELD);
    assert_int_equal(serial_flow_pending(&c.f), SERIAL_FLOW_XOFF);
    /* A change of mind before it went out: nothing to send. */
    serial_flow_resume(&a.v);
    assert_int_equal(serial_flow_pending(&c.f), 0);
    serial_flow_pause(&a.v);
    /* Taken, then could not go out: pending again. */
    assert_int_equal(serial_flow_take_byte(&c.f), SERIAL_FLOW_XOFF);
    assert_int_equal(serial_flow_pending(&c.f), 0);
    serial_flow_untake_byte(&c.f, SERIAL_FLOW_XOFF);
    assert_int_equal(serial_flow_take_byte(&c.f), SERIAL_FLOW_XOFF);
    /* A new viewer reads: the guest goes on; it leaves: stopped again. */
    memset(&n, 0, sizeof n);
    serial_flow_join(&c.f, &n.v);
    assert_int_equal(serial_flow_take_byte(&c.f), SERIAL_FLOW_XON);
    serial_flow_leave(&n.v);
    assert_int_equal(serial_flow_take_byte(&c.f), SERIAL_FLOW_XOFF);
    /* The last viewer leaves: the guest is not left stopped. */
    serial_flow_leave(&a.v);
    assert_int_equal(serial_flow_take_byte(&c.f), SERIAL_FLOW_XON);
    assert_int_equal(serial_flow_pending(&c.f), 0);
    /* What it held stays with it. */
    assert_int_equal(a.v.held_len, 4 + SERIAL_CONSOLE_HOLD_SOFT);
    serial_flow_viewer_fini(&a.v);
    serial_flow_viewer_fini(&n.v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_paused_viewer_does_not_stop_the_guest),
        cmocka_unit_test(held_output_follows_in_order),
        cmocka_unit_test(every_viewer_paused_stops_the_guest),
        cmocka_unit_test(a_guest_ignoring_xoff_closes_the_paused_viewers),
        cmocka_unit_test(pauses_with_little_held_send_nothing),
        cmocka_unit_test(the_flow_byte_follows_the_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
