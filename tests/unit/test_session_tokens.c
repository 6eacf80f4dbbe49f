/* Session tokens (session_tokens.c) on a clock passed in: issue and check,
 * expiry, revoking one or a member's, what is stored (only hashes), the
 * bound on tokens kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "session_tokens.h"

#include <sodium.h>

#include <stdlib.h>
#include <string.h>

#define HOUR (3600 * 1000LL)

static token_owner member(int team, const char *name)
{
    return (token_owner){false, team, (char *)name};
}

static void a_token_names_its_owner_until_it_expires(void **state)
{
    session_tokens *st = session_tokens_new(12 * HOUR, 16);
    char tok[SESSION_TOKEN_SIZE], ins[SESSION_TOKEN_SIZE];
    token_owner aiko = member(2, "Aiko");
    assert_true(session_tokens_issue(st, &aiko, 1000, tok) == 1000 + 12 * HOUR);
    assert_int_equal(strlen(tok), SESSION_TOKEN_SIZE - 1);
    for (const char *c = tok; *c; c++)
        assert_true((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
                    (*c >= '0' && *c <= '9') || *c == '-' || *c == '_');
    token_owner instructor = {true, 0, (char *)"instructor"};
    session_tokens_issue(st, &instructor, 2000, ins);
    assert_string_not_equal(tok, ins);

    token_owner got;
    assert_int_equal(session_tokens_check(st, tok, 1000 + 12 * HOUR - 1, &got), ENSHU_OK);
    assert_false(got.instructor);
    assert_int_equal(got.team, 2);
    assert_string_equal(got.name, "Aiko");
    token_owner_clear(&got);
    assert_int_equal(session_tokens_check(st, ins, 5000, &got), ENSHU_OK);
    assert_true(got.instructor);
    token_owner_clear(&got);

    /* Expired: refused from then on, even asked with an earlier time. */
    assert_int_equal(session_tokens_check(st, tok, 1000 + 12 * HOUR, &got), ENSHU_ENOTFOUND);
    assert_null(got.name);
    assert_int_equal(session_tokens_check(st, tok, 1000, &got), ENSHU_ENOTFOUND);
    assert_int_equal(session_tokens_check(st, ins, 2000 + 12 * HOUR - 1, &got), ENSHU_OK);
    token_owner_clear(&got);
    session_tokens_free(st);
}

static void wrong_and_malformed_tokens_are_refused(void **state)
{
    session_tokens *st = session_tokens_new(HOUR, 16);
    char tok[SESSION_TOKEN_SIZE];
    token_owner aiko = member(1, "Aiko");
    session_tokens_issue(st, &aiko, 0, tok);
    token_owner got;
    char wrong[SESSION_TOKEN_SIZE];
    memcpy(wrong, tok, sizeof wrong);
    wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
    assert_int_equal(session_tokens_check(st, wrong, 1, &got), ENSHU_ENOTFOUND);
    assert_int_equal(session_tokens_check(st, "", 1, &got), ENSHU_ENOTFOUND);
    assert_int_equal(session_tokens_check(st, NULL, 1, &got), ENSHU_ENOTFOUND);
    char longer[SESSION_TOKEN_SIZE + 1];
    snprintf(longer, sizeof longer, "%sx", tok);
    assert_int_equal(session_tokens_check(st, longer, 1, &got), ENSHU_ENOTFOUND);
    assert_int_equal(session_tokens_check(st, tok, 1, &got), ENSHU_OK);
    token_owner_clear(&got);
    session_tokens_free(st);
}

static void revoked_tokens_die_alone_or_by_member(void **state)
{
    session_tokens *st = session_tokens_new(HOUR, 16);
    char a1[SESSION_TOKEN_SIZE], a2[SESSION_TOKEN_SIZE], b[SESSION_TOKEN_SIZE],
        other_team[SESSION_TOKEN_SIZE], ins[SESSION_TOKEN_SIZE];
    token_owner aiko = member(1, "Aiko"), ben = member(1, "Ben"), aiko2 = member(2, "Aiko");
    token_owner instructor = {true, 0, (char *)"Aiko"};
    session_tokens_issue(st, &aiko, 0, a1); /* two tabs of one member */
    session_tokens_issue(st, &aiko, 0, a2);
    session_tokens_issue(st, &ben, 0, b);
    session_tokens_issue(st, &aiko2, 0, other_team);
    session_tokens_issue(st, &instructor, 0, ins);
    token_owner got;

    session_tokens_revoke(st, b);
    assert_int_equal(session_tokens_check(st, b, 1, &got), ENSHU_ENOTFOUND);
    session_tokens_revoke(st, b); /* twice: nothing */
    session_tokens_revoke(st, "no-such-token");

    assert_int_equal(session_tokens_revoke_member(st, 1, "Aiko"), 2);
    assert_int_equal(session_tokens_check(st, a1, 1, &got), ENSHU_ENOTFOUND);
    assert_int_equal(session_tokens_check(st, a2, 1, &got), ENSHU_ENOTFOUND);
    /* The same name in another team, and an instructor, are others. */
    assert_int_equal(session_tokens_check(st, other_team, 1, &got), ENSHU_OK);
    token_owner_clear(&got);
    assert_int_equal(session_tokens_check(st, ins, 1, &got), ENSHU_OK);
    token_owner_clear(&got);
    assert_int_equal(session_tokens_revoke_member(st, 1, "Aiko"), 0);
    session_tokens_free(st);
}

static void count_owner(const token_owner *o, void *arg)
{
    (*(int *)arg)++;
}

static void tokens_are_bounded_expired_then_oldest_forgotten(void **state)
{
    session_tokens *st = session_tokens_new(HOUR, 3);
    char t[5][SESSION_TOKEN_SIZE];
    token_owner aiko = member(1, "Aiko");
    session_tokens_issue(st, &aiko, 0, t[0]);
    session_tokens_issue(st, &aiko, 10, t[1]);
    session_tokens_issue(st, &aiko, 20, t[2]);
    int live = 0;
    session_tokens_each(st, 30, count_owner, &live);
    assert_int_equal(live, 3);
    /* Full and all live: the oldest goes. */
    session_tokens_issue(st, &aiko, 30, t[3]);
    token_owner got;
    assert_int_equal(session_tokens_check(st, t[0], 40, &got), ENSHU_ENOTFOUND);
    assert_int_equal(session_tokens_check(st, t[1], 40, &got), ENSHU_OK);
    token_owner_clear(&got);
    /* Full with expired ones (t[1] and t[2] expire before t[3]): only those go. */
    session_tokens_issue(st, &aiko, 25 + HOUR, t[4]);
    assert_int_equal(session_tokens_check(st, t[3], 26 + HOUR, &got), ENSHU_OK);
    token_owner_clear(&got);
    assert_int_equal(session_tokens_check(st, t[4], 26 + HOUR, &got), ENSHU_OK);
    token_owner_clear(&got);
    live = 0;
    session_tokens_each(st, 26 + HOUR, count_owner, &live);
    assert_int_equal(live, 2);
    session_tokens_free(st);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_token_names_its_owner_until_it_expires),
        cmocka_unit_test(wrong_and_malformed_tokens_are_refused),
        cmocka_unit_test(revoked_tokens_die_alone_or_by_member),
        cmocka_unit_test(tokens_are_bounded_expired_then_oldest_forgotten),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
