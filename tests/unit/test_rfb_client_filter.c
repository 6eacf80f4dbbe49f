/* The RFB client-stream filter of the display relay
 * (engine/range/rfb_client_filter.c): a viewer's handshake and messages,
 * fed whole and in every split, pass or are dropped whole as the viewer
 * may; streams it cannot read fail. The relay itself, on a real guest, is
 * browser/display. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "rfb_client_filter.h"

#include <stdlib.h>
#include <string.h>

/* A growing byte string. */
typedef struct bytes {
    uint8_t *p;
    size_t len, cap;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

#define PUT(b, ...) put((b), (uint8_t[]){__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}))

static void handshake_38(bytes *b, uint8_t shared)
{
    put(b, "RFB 003.008\n", 12);
    PUT(b, 1);      /* security None */
    PUT(b, shared); /* ClientInit */
}

/* One of each message a viewer may send that is not input. */
static void view_messages(bytes *b)
{
    PUT(b, 0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0); /* pixel format */
    PUT(b, 2, 0, 0, 3, 0, 0, 0, 7, 0, 0, 0, 0, 0xff, 0xff, 0xfe, 0xfe);          /* 3 encodings */
    PUT(b, 3, 1, 0, 0, 0, 0, 5, 0, 3, 32);                   /* update request */
    PUT(b, 150, 1, 0, 0, 0, 0, 5, 0, 3, 32);                 /* continuous */
    PUT(b, 248, 0, 0, 0, 0, 0, 0, 3, 4, 'a', 'b', 'c', 'd'); /* fence */
    PUT(b, 255, 1, 0, 0);                                    /* audio on */
    PUT(b, 255, 1, 0, 2, 3, 2, 0, 0, 0xac, 0x44);            /* audio format */
}

/* One of each input message. */
static void input_messages(bytes *b)
{
    PUT(b, 4, 1, 0, 0, 0, 0, 0, 'x');                        /* key x down */
    PUT(b, 5, 1, 0, 10, 0, 20);                              /* pointer */
    PUT(b, 6, 0, 0, 0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'); /* cut text */
    PUT(b, 6, 0, 0, 0, 0xff, 0xff, 0xff, 0xfc, 1, 2, 3, 4);  /* extended clipboard, -4 */
    PUT(b, 255, 0, 0, 1, 0, 0, 0, 'y', 0, 0, 0, 0x15);       /* QEMU extended key */
    PUT(b, 251, 0, 4, 0, 3, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 4, 0, 3, 0, 0, 0, 0, 0); /* size */
    PUT(b, 250, 0, 1, 4); /* xvp reboot */
}

/* Feeds in in pieces of step bytes (0: whole); returns the filter's rc,
 * with what it forwarded in out. */
static int feed(rfb_client_filter *f, const bytes *in, size_t step, bytes *out)
{
    uint8_t buf[4096 + RFB_FILTER_HEADER_MAX];
    size_t off = 0;
    while (off < in->len) {
        size_t n = step ? step : in->len - off;
        if (n > in->len - off)
            n = in->len - off;
        if (n > 4096)
            n = 4096;
        size_t got = 0;
        int rc = rfb_client_filter_feed(f, in->p + off, n, buf, &got);
        if (rc != ENSHU_OK) {
            assert_int_equal(got, 0);
            return rc;
        }
        assert_true(got <= n + RFB_FILTER_HEADER_MAX);
        put(out, buf, got);
        off += n;
    }
    return ENSHU_OK;
}

static const size_t STEPS[] = {0, 1, 2, 3, 5, 7, 11, 13};

static void full_viewer_passes_everything_but_forces_shared(void **state)
{
    bytes in = {0}, want = {0};
    handshake_38(&in, 0); /* asks for the display alone */
    handshake_38(&want, 1);
    bytes msgs = {0};
    view_messages(&msgs);
    input_messages(&msgs);
    view_messages(&msgs);
    put(&in, msgs.p, msgs.len);
    put(&want, msgs.p, msgs.len);
    for (size_t s = 0; s < sizeof STEPS / sizeof *STEPS; s++) {
        rfb_client_filter f;
        rfb_client_filter_init(&f, false);
        bytes out = {0};
        assert_int_equal(feed(&f, &in, STEPS[s], &out), ENSHU_OK);
        assert_int_equal(out.len, want.len);
        assert_memory_equal(out.p, want.p, want.len);
        assert_null(rfb_client_filter_error(&f));
        assert_int_equal(f.dropped, 0);
        free(out.p);
    }
    free(in.p);
    free(want.p);
    free(msgs.p);
}

static void view_only_viewer_sends_no_input(void **state)
{
    bytes in = {0}, want = {0};
    handshake_38(&in, 1);
    handshake_38(&want, 1);
    view_messages(&in);
    view_messages(&want);
    input_messages(&in);
    view_messages(&in);
    view_messages(&want);
    input_messages(&in);
    for (size_t s = 0; s < sizeof STEPS / sizeof *STEPS; s++) {
        rfb_client_filter f;
        rfb_client_filter_init(&f, true);
        bytes out = {0};
        assert_int_equal(feed(&f, &in, STEPS[s], &out), ENSHU_OK);
        assert_int_equal(out.len, want.len);
        assert_memory_equal(out.p, want.p, want.len);
        assert_int_equal(f.dropped, 14); /* 7 input messages, twice */
        free(out.p);
    }
    free(in.p);
    free(want.p);
}

/* A huge clipboard is streamed, never held: a view-only viewer's is
 * dropped whole and what follows it passes. */
static void long_cut_text_streams_by(void **state)
{
    const size_t text = 3 * 1024 * 1024 + 17;
    bytes in = {0};
    handshake_38(&in, 1);
    PUT(&in, 6, 0, 0, 0, (uint8_t)(text >> 24), (uint8_t)(text >> 16), (uint8_t)(text >> 8),
        (uint8_t)text);
    uint8_t *body = malloc(text);
    assert_non_null(body);
    memset(body, 4, text); /* looks like KeyEvents, if it were read as messages */
    put(&in, body, text);
    PUT(&in, 3, 1, 0, 0, 0, 0, 5, 0, 3, 32);
    for (int view_only = 0; view_only < 2; view_only++) {
        rfb_client_filter f;
        rfb_client_filter_init(&f, view_only);
        bytes out = {0};
        assert_int_equal(feed(&f, &in, 1000, &out), ENSHU_OK);
        assert_int_equal(out.len, view_only ? 14 + 10 : in.len);
        assert_int_equal(out.p[out.len - 10], 3);
        free(out.p);
    }
    free(body);
    free(in.p);
}

/* RFB 3.3: the server names the security type, the client sends none. */
static void version_33_has_no_security_byte(void **state)
{
    bytes in = {0}, want = {0};
    put(&in, "RFB 003.003\n", 12);
    PUT(&in, 0);
    PUT(&in, 4, 1, 0, 0, 0, 0, 0, 'x');
    PUT(&in, 3, 1, 0, 0, 0, 0, 5, 0, 3, 32);
    put(&want, "RFB 003.003\n", 12);
    PUT(&want, 1);
    PUT(&want, 3, 1, 0, 0, 0, 0, 5, 0, 3, 32);
    rfb_client_filter f;
    rfb_client_filter_init(&f, true);
    bytes out = {0};
    assert_int_equal(feed(&f, &in, 1, &out), ENSHU_OK);
    assert_int_equal(out.len, want.len);
    assert_memory_equal(out.p, want.p, want.len);
    free(out.p);
    free(in.p);
    free(want.p);
}

/* Streams the relay cannot read fail, and stay failed. */
static void unreadable_streams_fail(void **state)
{
    static const struct {
        const char *what;
        uint8_t bytes[24];
        size_t len;
    } cases[] = {
        {"not RFB", "GET / HTTP/1.1\r\n", 16},
        {"RFB 4.0", "RFB 004.000\n", 12},
        {"VNC authentication", "RFB 003.008\n\x02", 13},
        {"unknown type", "RFB 003.008\n\x01\x01\x07", 15},
        {"long fence", "RFB 003.008\n\x01\x01\xf8\0\0\0\0\0\0\0\x41", 23},
        {"QEMU subtype", "RFB 003.008\n\x01\x01\xff\x09", 16},
        {"QEMU audio op", "RFB 003.008\n\x01\x01\xff\x01\x00\x07", 18},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        for (size_t s = 0; s < sizeof STEPS / sizeof *STEPS; s++) {
            rfb_client_filter f;
            rfb_client_filter_init(&f, false);
            bytes in = {0}, out = {0};
            put(&in, cases[c].bytes, cases[c].len);
            if (feed(&f, &in, STEPS[s], &out) != ENSHU_EINVAL)
                fail_msg("%s (step %zu) was not refused", cases[c].what, STEPS[s]);
            assert_non_null(rfb_client_filter_error(&f));
            uint8_t buf[64];
            size_t got = 99;
            assert_int_equal(rfb_client_filter_feed(&f, (const uint8_t *)"\x03", 1, buf, &got),
                             ENSHU_EINVAL);
            assert_int_equal(got, 0);
            free(in.p);
            free(out.p);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_viewer_passes_everything_but_forces_shared),
        cmocka_unit_test(view_only_viewer_sends_no_input),
        cmocka_unit_test(long_cut_text_streams_by),
        cmocka_unit_test(version_33_has_no_security_byte),
        cmocka_unit_test(unreadable_streams_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
