/* The logging facility: levels, the plain and decorated sinks, reopening a
 * renamed file, and whole lines from concurrent writers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/enshu-test-log-XXXXXX";

static char *path_in_dir(const char *name)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    return p;
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = malloc((size_t)n + 1);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    return text;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (; *text; text++)
        n += *text == '\n';
    return n;
}

/* "TIME LEVEL: message" with TIME as log.h describes it. */
static regex_t line_re;

static void assert_decorated(const char *line, const char *level, const char *message)
{
    regmatch_t m[3];
    if (regexec(&line_re, line, 3, m, 0) != 0)
        fail_msg("not a decorated line: '%s'", line);
    assert_int_equal(m[1].rm_eo - m[1].rm_so, strlen(level));
    assert_memory_equal(line + m[1].rm_so, level, strlen(level));
    assert_string_equal(line + m[2].rm_so, message);
}

static int setup(void **state)
{
    if (!mkdtemp(dir))
        return -1;
    return regcomp(&line_re,
                   "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}"
                   "[+-][0-9]{2}:[0-9]{2} (error|warning|notice|info|debug): (.*)$",
                   REG_EXTENDED);
}

/* Every file the tests write. */
static const char *const files[] = {"plain",       "levels",        "decorated",  "kept",
                                    "rotated.log", "rotated.log.1", "threads.log"};

static int teardown(void **state)
{
    log_close();
    regfree(&line_re);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char *path = path_in_dir(files[i]);
        unlink(path);
        free(path);
    }
    return rmdir(dir);
}

/* Back to the defaults after each test. */
static int reset(void **state)
{
    log_close();
    log_set_level(ENSHU_LOG_INFO);
    return 0;
}

static void plain_sink_writes_the_message_alone(void **state)
{
    char *path = path_in_dir("plain");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int saved = dup(STDERR_FILENO);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, STDERR_FILENO);
    log_printf(ENSHU_LOG_ERROR, "enshu: cannot do %s", "this");
    log_printf(ENSHU_LOG_INFO, "a newline at the end is not doubled\n");
    log_printf(ENSHU_LOG_DEBUG, "below the default level");
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    char *text = read_all(path);
    assert_string_equal(text, "enshu: cannot do this\na newline at the end is not doubled\n");
    free(text);
    free(path);
}

static void levels_below_the_minimum_are_dropped(void **state)
{
    char *path = path_in_dir("levels");
    assert_int_equal(log_open(path), ENSHU_OK);
    log_set_level(ENSHU_LOG_WARNING);
    log_printf(ENSHU_LOG_DEBUG, "d");
    log_printf(ENSHU_LOG_INFO, "i");
    log_printf(ENSHU_LOG_NOTICE, "n");
    log_printf(ENSHU_LOG_WARNING, "w");
    log_printf(ENSHU_LOG_ERROR, "e");
    log_set_level(ENSHU_LOG_DEBUG);
    log_printf(ENSHU_LOG_DEBUG, "d2");
    log_close();
    char *text = read_all(path);
    assert_int_equal(count_lines(text), 3);
    char *save = NULL;
    assert_decorated(strtok_r(text, "\n", &save), "warning", "w");
    assert_decorated(strtok_r(NULL, "\n", &save), "error", "e");
    assert_decorated(strtok_r(NULL, "\n", &save), "debug", "d2");
    free(text);
    free(path);
}

static void file_lines_carry_time_and_level(void **state)
{
    char *path = path_in_dir("decorated");
    assert_int_equal(log_open(path), ENSHU_OK);
    log_printf(ENSHU_LOG_NOTICE, "enshu: session %d closed", 7);
    log_printf(ENSHU_LOG_ERROR, "first line\n  second line");
    errno = ENOENT;
    log_printf(ENSHU_LOG_WARNING, "why: %m");
    assert_int_equal(errno, ENOENT); /* logging leaves errno alone */
    log_close();
    char *text = read_all(path);
    assert_int_equal(count_lines(text), 4);
    char *save = NULL;
    assert_decorated(strtok_r(text, "\n", &save), "notice", "enshu: session 7 closed");
    /* Every line of a message is decorated, so a reader never sees a bare one. */
    assert_decorated(strtok_r(NULL, "\n", &save), "error", "first line");
    assert_decorated(strtok_r(NULL, "\n", &save), "error", "  second line");
    assert_decorated(strtok_r(NULL, "\n", &save), "warning", "why: No such file or directory");
    free(text);
    free(path);
}

static void a_file_that_cannot_be_opened_keeps_the_sink(void **state)
{
    char *path = path_in_dir("kept");
    assert_int_equal(log_open(path), ENSHU_OK);
    assert_int_equal(log_open("/nonexistent/dir/enshu.log"), ENSHU_EIO);
    log_printf(ENSHU_LOG_INFO, "still here");
    log_close();
    char *text = read_all(path);
    assert_int_equal(count_lines(text), 1);
    assert_non_null(strstr(text, " info: still here\n"));
    free(text);
    free(path);
}

static void reopen_follows_a_rename(void **state)
{
    char *path = path_in_dir("rotated.log");
    char *old = path_in_dir("rotated.log.1");
    assert_int_equal(log_open(path), ENSHU_OK);
    log_printf(ENSHU_LOG_INFO, "before");
    assert_int_equal(rename(path, old), 0);
    log_printf(ENSHU_LOG_INFO, "still to the renamed file");
    log_reopen();
    log_printf(ENSHU_LOG_INFO, "after");
    log_close();
    char *before = read_all(old), *after = read_all(path);
    assert_int_equal(count_lines(before), 2);
    assert_non_null(strstr(before, " info: before\n"));
    assert_non_null(strstr(before, " info: still to the renamed file\n"));
    assert_int_equal(count_lines(after), 1);
    assert_non_null(strstr(after, " info: after\n"));
    free(before);
    free(after);
    free(old);
    free(path);
}

enum { WRITERS = 6, LINES = 300 };

/* Each line names its thread and is filled with the thread's letter, some
 * longer than the formatting buffers on the stack. */
static void *writer(void *arg)
{
    int t = *(const int *)arg;
    char fill[3001];
    for (int i = 0; i < LINES; i++) {
        size_t n = i % 3 == 0 ? 3000 : (size_t)(i % 200 + 1);
        memset(fill, 'a' + t, n);
        fill[n] = '\0';
        log_printf(ENSHU_LOG_INFO, "w%d %d %s", t, i, fill);
    }
    return NULL;
}

static void concurrent_writers_never_interleave(void **state)
{
    char *path = path_in_dir("threads.log");
    assert_int_equal(log_open(path), ENSHU_OK);
    pthread_t threads[WRITERS];
    int ids[WRITERS];
    for (int t = 0; t < WRITERS; t++) {
        ids[t] = t;
        assert_int_equal(pthread_create(&threads[t], NULL, writer, &ids[t]), 0);
    }
    for (int t = 0; t < WRITERS; t++)
        pthread_join(threads[t], NULL);
    log_close();
    char *text = read_all(path);
    assert_int_equal(count_lines(text), WRITERS * LINES);
    int seen[WRITERS][LINES] = {{0}};
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        regmatch_t m[3];
        assert_int_equal(regexec(&line_re, line, 3, m, 0), 0);
        char *p = line + m[2].rm_so, *end;
        assert_int_equal(*p, 'w');
        long t = strtol(p + 1, &end, 10);
        assert_int_equal(*end, ' ');
        long i = strtol(end + 1, &end, 10);
        assert_int_equal(*end, ' ');
        assert_true(t >= 0 && t < WRITERS && i >= 0 && i < LINES);
        const char *fill = end + 1;
        size_t want = i % 3 == 0 ? 3000 : (size_t)(i % 200 + 1);
        assert_int_equal(strlen(fill), want);
        assert_int_equal(strspn(fill, (char[]){(char)('a' + t), '\0'}), want);
        seen[t][i]++;
    }
    for (int t = 0; t < WRITERS; t++)
        for (int i = 0; i < LINES; i++)
            assert_int_equal(seen[t][i], 1);
    free(text);
    free(path);
}

static void level_names_round_trip(void **state)
{
    for (int l = ENSHU_LOG_ERROR; l <= ENSHU_LOG_DEBUG; l++) {
        log_level got;
        assert_int_equal(log_level_parse(log_level_name((log_level)l), &got), ENSHU_OK);
        assert_int_equal(got, l);
    }
    log_level got = ENSHU_LOG_INFO;
    assert_int_equal(log_level_parse("verbose", &got), ENSHU_EINVAL);
    assert_int_equal(log_level_parse("", &got), ENSHU_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(plain_sink_writes_the_message_alone, reset),
        cmocka_unit_test_teardown(levels_below_the_minimum_are_dropped, reset),
        cmocka_unit_test_teardown(file_lines_carry_time_and_level, reset),
        cmocka_unit_test_teardown(a_file_that_cannot_be_opened_keeps_the_sink, reset),
        cmocka_unit_test_teardown(reopen_follows_a_rename, reset),
        cmocka_unit_test_teardown(concurrent_writers_never_interleave, reset),
        cmocka_unit_test(level_names_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
