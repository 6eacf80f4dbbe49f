/* How a failed inject reads in the ledger: how its command ended (exit
 * status, or signal by name), and the bounded tail of its stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "inject_failure.h"

#include <stdlib.h>
#include <string.h>

static void a_signal_is_named(void **state)
{
    inject_outcome o = {.exit_status = -1, .signal = 9, .err = xstrdup("Killed\n")};
    char *text = inject_failure_text(&o, ENSHU_EAGENT);
    assert_string_equal(text, "killed by signal 9 (SIGKILL); stderr (last 1 line):\nKilled");
    assert_int_equal(inject_failure_value(&o, ENSHU_EAGENT), INJECT_FAILURE_SIGNAL_BASE + 9);
    assert_string_equal(inject_signal_name(15), "SIGTERM");
    assert_null(inject_signal_name(0));
    assert_null(inject_signal_name(99));
    free(text);
    inject_outcome_fini(&o);
}

static void an_exit_status_keeps_the_last_lines_of_stderr(void **state)
{
    char *err = xstrdup("");
    for (int i = 1; i <= 25; i++) {
        char *more = xasprintf("%serror line %d\n", err, i);
        free(err);
        err = more;
    }
    inject_outcome o = {.exit_status = 2, .err = err, .output = xstrdup("progress\n")};
    char *text = inject_failure_text(&o, ENSHU_EAGENT);
    const char *want_head = "exit status 2; stderr (last 10 lines):\nerror line 16\n";
    assert_memory_equal(text, want_head, strlen(want_head));
    assert_non_null(strstr(text, "\nerror line 25"));
    assert_null(strstr(text, "error line 15"));
    assert_int_not_equal(text[strlen(text) - 1], '\n');
    assert_int_equal(inject_failure_value(&o, ENSHU_EAGENT), 2);
    free(text);
    inject_outcome_fini(&o);
}

static void a_long_stderr_is_cut_to_its_last_bytes_on_a_character(void **state)
{
    /* One line of 3000 bytes of 3-byte characters: its last 2 KiB at most,
     * starting on a whole character. */
    size_t n = 1000;
    char *err = xmalloc(n * 3 + 1);
    for (size_t i = 0; i < n; i++)
        memcpy(err + i * 3, "\xe3\x81\x82", 3); /* あ */
    err[n * 3] = '\0';
    inject_outcome o = {.exit_status = 1, .err = err};
    char *text = inject_failure_text(&o, ENSHU_EAGENT);
    const char *tail = strchr(text, '\n') + 1;
    assert_true(strlen(tail) <= INJECT_FAILURE_TAIL_BYTES);
    assert_true(strlen(tail) > INJECT_FAILURE_TAIL_BYTES - 3);
    assert_int_equal(strlen(tail) % 3, 0);
    assert_memory_equal(tail, "\xe3\x81\x82", 3);
    free(text);
    inject_outcome_fini(&o);
}

static void a_killed_command_of_a_shell_names_the_signal(void **state)
{
    inject_outcome o = {.exit_status = 137};
    char *text = inject_failure_text(&o, ENSHU_EAGENT);
    assert_string_equal(
        text, "exit status 137 (a command it ran was killed by SIGKILL); nothing on stderr");
    free(text);
}

static void without_stderr_its_output_says_why(void **state)
{
    inject_outcome o = {.exit_status = 3, .output = xstrdup("no such file\n")};
    char *text = inject_failure_text(&o, ENSHU_EAGENT);
    assert_string_equal(text,
                        "exit status 3; nothing on stderr; stdout (last 1 line):\nno such file");
    free(text);
    inject_outcome_fini(&o);
}

static void an_action_that_never_ran_keeps_its_reason(void **state)
{
    inject_outcome o = {.exit_status = -1, .output = xstrdup("the guest agent did not run it")};
    char *text = inject_failure_text(&o, ENSHU_EAGENT);
    assert_string_equal(text, "the guest agent did not run it");
    assert_int_equal(inject_failure_value(&o, ENSHU_EAGENT), ENSHU_EAGENT);
    free(text);
    inject_outcome_fini(&o);
    inject_outcome none = INJECT_OUTCOME_INIT;
    text = inject_failure_text(&none, ENSHU_ETIMEOUT);
    assert_string_equal(text, "its action failed: it did not finish in time");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_signal_is_named),
        cmocka_unit_test(an_exit_status_keeps_the_last_lines_of_stderr),
        cmocka_unit_test(a_long_stderr_is_cut_to_its_last_bytes_on_a_character),
        cmocka_unit_test(a_killed_command_of_a_shell_names_the_signal),
        cmocka_unit_test(without_stderr_its_output_says_why),
        cmocka_unit_test(an_action_that_never_ran_keeps_its_reason),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
