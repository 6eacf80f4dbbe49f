/* The exercise clock: pause shifts everything, speed scales, no sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "exercise_clock.h"

static void pause_and_resume(void **state)
{
    exercise_clock c;
    exercise_clock_init(&c);
    assert_int_equal(exercise_clock_now(&c, 5000), 0); /* before STARTEX */
    exercise_clock_start(&c, 10000);
    assert_int_equal(exercise_clock_now(&c, 70000), 60000);
    exercise_clock_pause(&c, 70000);
    assert_int_equal(exercise_clock_now(&c, 600000), 60000);
    assert_true(exercise_clock_wall_at(&c, 120000) == INT64_MAX);
    exercise_clock_resume(&c, 600000);
    assert_int_equal(exercise_clock_now(&c, 630000), 90000);
    /* An inject at T+2m now comes 530 s of wall time later than planned. */
    assert_int_equal(exercise_clock_wall_at(&c, 120000), 660000);
    exercise_clock_resume(&c, 640000); /* resuming a running clock changes nothing */
    assert_int_equal(exercise_clock_now(&c, 640000), 100000);
}

static void speed_factor(void **state)
{
    exercise_clock c;
    exercise_clock_init(&c);
    exercise_clock_start(&c, 0);
    exercise_clock_set_speed(&c, 1000, 30.0);
    assert_int_equal(exercise_clock_now(&c, 3000), 1000 + 60000);
    assert_int_equal(exercise_clock_wall_at(&c, 1000 + 30 * 10000), 11000);
    exercise_clock_set_speed(&c, 3000, 0);  /* refused */
    exercise_clock_set_speed(&c, 3000, -2); /* refused */
    assert_true(c.speed == 30.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pause_and_resume),
        cmocka_unit_test(speed_factor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
