/* Who may use the consoles: the instructor password (set, checked, kept
 * only as a hash in a file of mode 0600), join codes (format, alphabet,
 * forgiving matching) and the token-bucket rate limiter on an injected
 * clock (burst, refill, retry time, bounded keys, refunds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "console_auth.h"
#include "errors.h"
#include "text_file.h"

#include <ctype.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char state_dir[64];

/* Every test of the password works in a state directory of its own that
 * does not exist yet (instructor_password_set creates it). */
static int fresh_state_dir(void **state)
{
    static int n;
    char base[] = "/tmp/enshu-auth-XXXXXX";
    assert_non_null(mkdtemp(base));
    snprintf(state_dir, sizeof state_dir, "%s/state%d", base, n++);
    assert_int_equal(setenv("ENSHU_STATE_DIR", state_dir, 1), 0);
    return 0;
}

static void remove_state_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (e->d_name[0] != '.') {
                char *path = xasprintf("%s/%s", dir, e->d_name);
                unlink(path);
                free(path);
            }
        closedir(d);
        rmdir(dir);
    }
    char *parent = xstrdup(dir);
    *strrchr(parent, '/') = '\0';
    rmdir(parent);
    free(parent);
}

static int drop_state_dir(void **state)
{
    remove_state_dir(state_dir);
    return 0;
}

/* ---- the instructor password ---- */

static void no_password_until_one_is_set(void **state)
{
    char *path = instructor_password_path();
    char *expected = xasprintf("%s/instructor.pwhash", state_dir);
    assert_string_equal(path, expected);
    free(expected);
    free(path);
    assert_false(instructor_password_is_set());
    assert_int_equal(instructor_password_check("anything"), ENSHU_ENOTFOUND);
    assert_int_equal(instructor_password_check(""), ENSHU_ENOTFOUND);
    /* An empty password is no password. */
    assert_int_equal(instructor_password_set(""), ENSHU_EINVAL);
    assert_int_equal(instructor_password_set(NULL), ENSHU_EINVAL);
    assert_false(instructor_password_is_set());
}

static void a_password_set_is_the_one_that_matches(void **state)
{
    assert_int_equal(instructor_password_set("correct horse battery"), ENSHU_OK);
    assert_true(instructor_password_is_set());
    assert_int_equal(instructor_password_check("correct horse battery"), ENSHU_OK);
    assert_int_equal(instructor_password_check("correct horse batter"), ENSHU_EINVAL);
    assert_int_equal(instructor_password_check("correct horse battery "), ENSHU_EINVAL);
    assert_int_equal(instructor_password_check("Correct horse battery"), ENSHU_EINVAL);
    assert_int_equal(instructor_password_check(""), ENSHU_EINVAL);
    assert_int_equal(instructor_password_check(NULL), ENSHU_EINVAL);

    /* Setting it again replaces it: the old one no longer opens. */
    assert_int_equal(instructor_password_set("演習のパスワード"), ENSHU_OK);
    assert_int_equal(instructor_password_check("演習のパスワード"), ENSHU_OK);
    assert_int_equal(instructor_password_check("correct horse battery"), ENSHU_EINVAL);
}

static void the_hash_file_is_private_and_holds_no_password(void **state)
{
    static const char password[] = "hunter2-but-longer";
    assert_int_equal(instructor_password_set(password), ENSHU_OK);
    char *path = instructor_password_path();
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    char *text = text_file_read(path, 4096);
    assert_non_null(text);
    assert_null(strstr(text, password));
    assert_null(strstr(text, "hunter2"));
    /* Argon2id, in libsodium's self-describing string. */
    assert_int_equal(strncmp(text, "$argon2id$", 10), 0);
    free(text);

    /* Replaced atomically: no temporary file is left beside it, and the
     * mode stays 0600 after a second set. */
    assert_int_equal(instructor_password_set("another one"), ENSHU_OK);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    DIR *d = opendir(state_dir);
    assert_non_null(d);
    int files = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.') {
            files++;
            assert_string_equal(e->d_name, "instructor.pwhash");
        }
    closedir(d);
    assert_int_equal(files, 1);
    free(path);
}

/* Two hashes of one password differ (a random salt each time). */
static void hashes_are_salted(void **state)
{
    char *path = instructor_password_path();
    assert_int_equal(instructor_password_set("same password"), ENSHU_OK);
    char *first = text_file_read(path, 4096);
    assert_int_equal(instructor_password_set("same password"), ENSHU_OK);
    char *second = text_file_read(path, 4096);
    assert_non_null(first);
    assert_non_null(second);
    assert_string_not_equal(first, second);
    assert_int_equal(instructor_password_check("same password"), ENSHU_OK);
    free(first);
    free(second);
    free(path);
}

/* A damaged hash file lets nobody in. */
static void a_damaged_hash_file_opens_nothing(void **state)
{
    assert_int_equal(instructor_password_set("pw"), ENSHU_OK);
    char *path = instructor_password_path();
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("not a hash\n", f);
    fclose(f);
    assert_int_equal(instructor_password_check("pw"), ENSHU_EINVAL);
    assert_int_equal(instructor_password_check("not a hash"), ENSHU_EINVAL);
    free(path);
}

/* ---- join codes ---- */

static const char ALPHABET[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

static void join_codes_have_their_format_and_alphabet(void **state)
{
    enum { N = 2000 };
    char(*codes)[JOIN_CODE_SIZE] = xcalloc(N, JOIN_CODE_SIZE);
    bool used[256] = {false};
    for (int i = 0; i < N; i++) {
        memset(codes[i], '!', JOIN_CODE_SIZE);
        join_code_new(codes[i]);
        const char *c = codes[i];
        assert_int_equal(strlen(c), 9);
        assert_int_equal(c[4], '-');
        for (int k = 0; k < 9; k++) {
            if (k == 4)
                continue;
            if (!strchr(ALPHABET, c[k]) || c[k] == '\0')
                fail_msg("code %s has '%c', outside the alphabet", c, c[k]);
            used[(unsigned char)c[k]] = true;
        }
        /* No look-alikes, ever. */
        assert_null(strpbrk(c, "0O1IL"));
    }
    /* 16,000 draws use every letter of the alphabet... */
    for (const char *a = ALPHABET; *a; a++)
        if (!used[(unsigned char)*a])
            fail_msg("'%c' never drawn", *a);
    /* ...and codes do not repeat (31^8 of them). */
    for (int i = 0; i < N; i++)
        for (int j = i + 1; j < N; j++)
            if (strcmp(codes[i], codes[j]) == 0)
                fail_msg("code %s drawn twice", codes[i]);
    free(codes);
}

static void join_codes_match_as_people_type_them(void **state)
{
    static const char code[] = "K7QF-M2XP";
    static const char *const same[] = {
        "K7QF-M2XP", "k7qf-m2xp", "K7QFM2XP", "k7qfm2xp", " K7QF M2XP ", "K7-QF-M2-XP",
        "k7qf\tm2xp", "K 7 Q F M 2 X P",
        /* full-width, as a Japanese input method types it */
        "\xEF\xBC\xAB\xEF\xBC\x97\xEF\xBC\xB1\xEF\xBC\xA6\xEF\xBC\x8D"
        "\xEF\xBC\xAD\xEF\xBC\x92\xEF\xBC\xB8\xEF\xBC\xB0",
        "\xEF\xBD\x8B"
        "7qf\xE3\x80\x80m2xp",
        "K7QF\xE3\x83\xBCM2XP"};
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++)
        if (!join_code_matches(code, same[i]))
            fail_msg("'%s' does not match %s", same[i], code);
    static const char *const other[] = {"",
                                        " ",
                                        "-",
                                        "----",
                                        "K7QF-M2X",
                                        "K7QF-M2XPP",
                                        "K7QF-M2XQ",
                                        "X7QF-M2XP",
                                        "K7QF",
                                        "M2XP",
                                        "K7QF-M2XP-K7QF-M2XP",
                                        "K7QF-M2XP"
                                        "                       x"};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++)
        if (join_code_matches(code, other[i]))
            fail_msg("'%s' matches %s", other[i], code);
    assert_false(join_code_matches(code, NULL));
    assert_false(join_code_matches(NULL, code));
    assert_false(join_code_matches("", ""));
    /* The match is symmetric in how either side is written. */
    assert_true(join_code_matches("k7qf m2xp", "K7QF-M2XP"));
    /* A fresh code matches itself, typed sloppily. */
    char fresh[JOIN_CODE_SIZE];
    join_code_new(fresh);
    char typed[JOIN_CODE_SIZE];
    for (int i = 0; i < JOIN_CODE_SIZE; i++)
        typed[i] = fresh[i] == '-' ? ' ' : (char)tolower((unsigned char)fresh[i]);
    assert_true(join_code_matches(fresh, typed));
    char other_code[JOIN_CODE_SIZE];
    do
        join_code_new(other_code);
    while (strcmp(other_code, fresh) == 0);
    assert_false(join_code_matches(fresh, other_code));
}

/* ---- rate limits ---- */

#define MINUTE 60000

static void a_burst_then_nothing(void **state)
{
    rate_limiter *rl = rate_limiter_new(5, 5, 100);
    int64_t retry = -1;
    for (int i = 0; i < 5; i++)
        assert_true(rate_limiter_take(rl, "10.0.0.1", 1000, &retry));
    assert_int_equal(retry, -1); /* untouched while tokens are left */
    assert_false(rate_limiter_take(rl, "10.0.0.1", 1000, &retry));
    /* 5 a minute: the next token comes 12 seconds after the last take. */
    assert_true(retry > 0);
    assert_in_range(retry, 11990, 12010);
    assert_false(rate_limiter_take(rl, "10.0.0.1", 1000, NULL));
    /* Another key has its own bucket. */
    assert_true(rate_limiter_take(rl, "10.0.0.2", 1000, &retry));
    rate_limiter_free(rl);
    rate_limiter_free(NULL);
}

static void tokens_come_back_over_time(void **state)
{
    rate_limiter *rl = rate_limiter_new(6, 3, 10); /* one token each 10 s */
    int64_t now = 5 * MINUTE, retry = 0;
    for (int i = 0; i < 3; i++)
        assert_true(rate_limiter_take(rl, "team 1", now, NULL));
    assert_false(rate_limiter_take(rl, "team 1", now, &retry));
    assert_in_range(retry, 9990, 10010);
    /* Half way there: still nothing, and the wait has shrunk. */
    now += 5000;
    assert_false(rate_limiter_take(rl, "team 1", now, &retry));
    assert_in_range(retry, 4990, 5010);
    /* The wait it said is enough. */
    now += retry;
    assert_true(rate_limiter_take(rl, "team 1", now, NULL));
    assert_false(rate_limiter_take(rl, "team 1", now, NULL));
    /* A long pause refills to the burst, not beyond it. */
    now += 60 * MINUTE;
    for (int i = 0; i < 3; i++)
        assert_true(rate_limiter_take(rl, "team 1", now, NULL));
    assert_false(rate_limiter_take(rl, "team 1", now, NULL));
    /* A clock going back gives nothing (and takes nothing). */
    assert_false(rate_limiter_take(rl, "team 1", now - MINUTE, NULL));
    rate_limiter_free(rl);
}

static void a_limiter_that_never_refills(void **state)
{
    rate_limiter *rl = rate_limiter_new(0, 2, 4);
    int64_t retry = 0;
    assert_true(rate_limiter_take(rl, "k", 0, NULL));
    assert_true(rate_limiter_take(rl, "k", 0, NULL));
    assert_false(rate_limiter_take(rl, "k", 100 * MINUTE, &retry));
    assert_true(retry == INT64_MAX);
    rate_limiter_free(rl);
    /* A burst of 0 still lets one through. */
    rl = rate_limiter_new(60, 0, 4);
    assert_true(rate_limiter_take(rl, "k", 0, NULL));
    assert_false(rate_limiter_take(rl, "k", 0, NULL));
    rate_limiter_free(rl);
}

static void keys_are_bounded_least_recently_used_first(void **state)
{
    rate_limiter *rl = rate_limiter_new(1, 1, 2);
    assert_true(rate_limiter_take(rl, "a", 0, NULL));
    assert_true(rate_limiter_take(rl, "b", 0, NULL));
    /* a is used again (and refused): now b is the least recently used. */
    assert_false(rate_limiter_take(rl, "a", 10, NULL));
    assert_true(rate_limiter_take(rl, "c", 20, NULL)); /* forgets b, not a */
    assert_false(rate_limiter_take(rl, "a", 30, NULL));
    assert_false(rate_limiter_take(rl, "c", 40, NULL));
    /* b was forgotten: it starts again with a full bucket (and forgets a). */
    assert_true(rate_limiter_take(rl, "b", 50, NULL));
    assert_true(rate_limiter_take(rl, "a", 60, NULL));
    rate_limiter_free(rl);

    /* Many keys: memory stays bounded and the recent ones are remembered. */
    rl = rate_limiter_new(1, 1, 16);
    char key[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof key, "198.51.100.%d", i);
        assert_true(rate_limiter_take(rl, key, i, NULL));
    }
    for (int i = 10000 - 16; i < 10000; i++) {
        snprintf(key, sizeof key, "198.51.100.%d", i);
        assert_false(rate_limiter_take(rl, key, 10000, NULL));
    }
    rate_limiter_free(rl);
}

static void refunds_give_back_what_was_taken(void **state)
{
    rate_limiter *rl = rate_limiter_new(5, 2, 8);
    /* Logins that succeed are refunded: they never run out. */
    for (int i = 0; i < 20; i++) {
        assert_true(rate_limiter_take(rl, "peer", 0, NULL));
        rate_limiter_refund(rl, "peer");
    }
    /* Failures are not: two, then refused. */
    assert_true(rate_limiter_take(rl, "peer", 0, NULL));
    assert_true(rate_limiter_take(rl, "peer", 0, NULL));
    assert_false(rate_limiter_take(rl, "peer", 0, NULL));
    /* A refund never lifts a bucket above its burst. */
    rate_limiter_refund(rl, "fresh");
    assert_true(rate_limiter_take(rl, "other", 0, NULL));
    rate_limiter_refund(rl, "other");
    rate_limiter_refund(rl, "other");
    rate_limiter_refund(rl, "other");
    assert_true(rate_limiter_take(rl, "other", 0, NULL));
    assert_true(rate_limiter_take(rl, "other", 0, NULL));
    assert_false(rate_limiter_take(rl, "other", 0, NULL));
    /* A refund for a key never seen creates nothing. */
    rate_limiter_refund(rl, "never seen");
    assert_true(rate_limiter_take(rl, "never seen", 0, NULL));
    assert_true(rate_limiter_take(rl, "never seen", 0, NULL));
    assert_false(rate_limiter_take(rl, "never seen", 0, NULL));
    rate_limiter_free(rl);
}

int main(void)
{
    if (console_auth_init() != ENSHU_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(no_password_until_one_is_set, fresh_state_dir,
                                        drop_state_dir),
        cmocka_unit_test_setup_teardown(a_password_set_is_the_one_that_matches, fresh_state_dir,
                                        drop_state_dir),
        cmocka_unit_test_setup_teardown(the_hash_file_is_private_and_holds_no_password,
                                        fresh_state_dir, drop_state_dir),
        cmocka_unit_test_setup_teardown(hashes_are_salted, fresh_state_dir, drop_state_dir),
        cmocka_unit_test_setup_teardown(a_damaged_hash_file_opens_nothing, fresh_state_dir,
                                        drop_state_dir),
        cmocka_unit_test(join_codes_have_their_format_and_alphabet),
        cmocka_unit_test(join_codes_match_as_people_type_them),
        cmocka_unit_test(a_burst_then_nothing),
        cmocka_unit_test(tokens_come_back_over_time),
        cmocka_unit_test(a_limiter_that_never_refills),
        cmocka_unit_test(keys_are_bounded_least_recently_used_first),
        cmocka_unit_test(refunds_give_back_what_was_taken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
