/* "Did you mean" suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "suggest.h"

static const char *const KEYS[] = {"title", "description", "segments", "interfaces", NULL};

static void close_words(void **state)
{
    assert_string_equal(suggest_closest("titel", KEYS), "title");
    assert_string_equal(suggest_closest("segmnets", KEYS), "segments");
    assert_string_equal(suggest_closest("Interfaces", KEYS), "interfaces");
}

static void far_words(void **state)
{
    assert_null(suggest_closest("zzz", KEYS));
    assert_null(suggest_closest("", KEYS));
    assert_null(suggest_closest(
        "a-very-long-word-that-is-longer-than-sixty-four-characters-for-sure", KEYS));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(close_words),
        cmocka_unit_test(far_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
