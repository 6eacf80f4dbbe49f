/* The scenario's accounts on a guest, without a guest: what the fixed
 * account program gets on its input, the full name an account gets, and
 * which nodes have accounts. (The program itself runs on real guests:
 * e2e/accounts.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guest_accounts.h"
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

static const char ORGANISATION[] =
    "enshu: 1\n"
    "id: org\n"
    "title: Org\n"
    "languages: [ja, en]\n"
    "network:\n"
    "  segments: [{name: office}]\n"
    "nodes:\n"
    "  - {name: ws, image: workstation, interfaces: [{segment: office}]}\n"
    "  - {name: fw, image: firewall, role: grey, interfaces: [{segment: office}]}\n"
    "  - {name: kali, image: attacker, role: red, interfaces: [{segment: office}]}\n"
    "users:\n"
    "  - {name: alice, password: 'a b:c', title: {ja: 経理, en: Accounting}}\n"
    "  - {name: bob, password: x, title: 経理}\n"
    "  - {name: carol, password: x, title: 'Sales, Osaka', sudo: true, nodes: [fw]}\n"
    "  - {name: dave, password: x, nodes: [kali]}\n";

/* Four lines: the password last and whole, so nothing else can be taken
 * for it (a password may hold spaces and ':'). */
static void input_is_four_lines(void **state)
{
    size_t len = 0;
    char *in = guest_account_input("alice", false, "Accounting", "a b:c d", &len);
    assert_string_equal(in, "alice\n--no-sudo\nAccounting\na b:c d\n");
    assert_int_equal(len, strlen(in));
    free(in);
    in = guest_account_input("bob", true, "", "x", &len);
    assert_string_equal(in, "bob\n--sudo\n\nx\n");
    free(in);
}

/* useradd takes printable ASCII without ':', ',' and '=' as a full name in
 * the C locale: the English title when there is one, else none. */
static void full_name_is_what_useradd_takes(void **state)
{
    scenario *s = load_or_fail(ORGANISATION);
    char *g = guest_account_gecos(s, &s->users[0]);
    assert_string_equal(g, "Accounting");
    free(g);
    g = guest_account_gecos(s, &s->users[1]); /* Japanese only */
    assert_string_equal(g, "");
    free(g);
    g = guest_account_gecos(s, &s->users[2]); /* a comma */
    assert_string_equal(g, "");
    free(g);
    g = guest_account_gecos(s, &s->users[3]); /* no title */
    assert_string_equal(g, "");
    free(g);
    scenario_free(s);
}

static void accounts_per_node(void **state)
{
    scenario *s = load_or_fail(ORGANISATION);
    /* ws: alice and bob (the default: blue and grey nodes); fw: those and
     * carol; kali (red): dave only, who names it. */
    assert_int_equal(guest_accounts_on_node(s, &s->nodes[0], true), 2);
    assert_int_equal(guest_accounts_on_node(s, &s->nodes[1], true), 3);
    assert_int_equal(guest_accounts_on_node(s, &s->nodes[2], true), 1);
    /* An image that does not run Linux gets the named users only. */
    assert_int_equal(guest_accounts_on_node(s, &s->nodes[0], false), 0);
    assert_int_equal(guest_accounts_on_node(s, &s->nodes[1], false), 1);
    scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(input_is_four_lines),
        cmocka_unit_test(full_name_is_what_useradd_takes),
        cmocka_unit_test(accounts_per_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
