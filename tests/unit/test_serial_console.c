/* The serial console bridge without a real guest (libvirt's test driver):
 * hubs start and stop the shared event loop, and an open that fails
 * reports, returns its error and never calls back. The console itself is
 * tested on a real guest by e2e/serial_console, its flow control between
 * viewers by unit/serial_flow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "libvirt_conn.h"
#include "libvirt_events.h"
#include "serial_console.h"

#include <stdatomic.h>

static atomic_int callbacks;

static void on_output(void *ctx, const void *data, size_t len)
{
    atomic_fetch_add(&callbacks, 1);
}

static void on_closed(void *ctx, serial_console_end why, const char *message)
{
    atomic_fetch_add(&callbacks, 1);
}

static const serial_console_callbacks CALLBACKS = {on_output, on_closed};

static void hubs_come_and_go(void **state)
{
    for (int i = 0; i < 3; i++) {
        serial_consoles *a = serial_consoles_new();
        serial_consoles *b = serial_consoles_new();
        assert_non_null(a);
        assert_non_null(b);
        serial_consoles_free(a);
        serial_consoles_free(b);
    }
    serial_consoles_free(NULL);
    serial_console_close(NULL);
}

static void failed_opens_call_nothing_back(void **state)
{
    serial_consoles *h = serial_consoles_new();
    serial_console *c = (serial_console *)&c;
    /* The test driver has no consoles. */
    assert_int_equal(serial_console_open(h, "test:///default", "test", &CALLBACKS, NULL, &c),
                     ENSHU_ELIBVIRT);
    assert_null(c);
    c = (serial_console *)&c;
    assert_int_equal(
        serial_console_open(h, "test:///default", "no-such-guest", &CALLBACKS, NULL, &c),
        ENSHU_ELIBVIRT);
    assert_null(c);
    const serial_console_callbacks half = {on_output, NULL};
    assert_int_equal(serial_console_open(h, "test:///default", "test", &half, NULL, &c),
                     ENSHU_EINVAL);
    assert_int_equal(serial_console_open(h, "nosuchdriver:///x", "test", &CALLBACKS, NULL, &c),
                     ENSHU_ELIBVIRT);
    serial_consoles_free(h);
    assert_int_equal(atomic_load(&callbacks), 0);
}

int main(void)
{
    libvirt_events_init_once();
    libvirt_setup();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hubs_come_and_go),
        cmocka_unit_test(failed_opens_call_nothing_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
