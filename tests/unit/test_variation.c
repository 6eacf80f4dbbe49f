/* Per-team variation (variation.h) and time templates (time_template.h):
 * seeded, reproducible, different across teams where the choices allow, and
 * filled in by team_vars_expand_at. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "node_ref.h"
#include "scenario.h"
#include "team_vars.h"
#include "time_template.h"
#include "variation.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static const char SCENARIO[] = "enshu: 1\n"
                               "id: vary\n"
                               "title: Vary\n"
                               "variables:\n"
                               "  pz: {one_of: [ws1, ws2, ws3]}\n"
                               "  port: {number: [2000, 2009]}\n"
                               "  one: {number: [7, 7]}\n"
                               "  pw: {password: {length: 14}}\n"
                               "  folder: {word: {length: 7}}\n"
                               "network:\n"
                               "  segments: [{name: lan}]\n"
                               "nodes:\n"
                               "  - {name: ws1, image: workstation, interfaces: [{segment: lan}]}\n"
                               "injects:\n"
                               "  - {id: a, at: 1m, target: ws1, run: 'echo {{var pw}} {{now}}'}\n"
                               "objectives:\n"
                               "  - {id: q, kind: question, text: t, answer: {exact: '{{var pz}}'},"
                               " points: 1}\n";

static const char SEED_A[] = "00112233445566778899aabbccddeeff";
static const char SEED_B[] = "ffeeddccbbaa99887766554433221100";

static scenario *load(void)
{
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_buffer("t.yaml", SCENARIO, strlen(SCENARIO), d);
    char *msgs = diag_list_format(d);
    assert_string_equal(msgs, "");
    free(msgs);
    diag_list_free(d);
    assert_non_null(s);
    return s;
}

static team_vars *filled(const scenario *s, unsigned teams, const char *seed)
{
    team_vars *v = team_vars_new(teams);
    assert_int_equal(variation_fill(v, s, seed), ENSHU_OK);
    return v;
}

static void variables_load(void **state)
{
    (void)state;
    scenario *s = load();
    assert_int_equal(s->nvariables, 5);
    const scenario_variable *pz = scenario_variable_named(s, "pz");
    assert_int_equal(pz->kind, VARIABLE_ONE_OF);
    assert_int_equal(pz->nchoices, 3);
    assert_string_equal(pz->choices[2], "ws3");
    const scenario_variable *port = scenario_variable_named(s, "port");
    assert_int_equal(port->kind, VARIABLE_NUMBER);
    assert_int_equal(port->lo, 2000);
    assert_int_equal(port->hi, 2009);
    assert_int_equal(scenario_variable_named(s, "pw")->length, 14);
    assert_int_equal(scenario_variable_named(s, "folder")->kind, VARIABLE_WORD);
    assert_null(scenario_variable_named(s, "nope"));
    scenario_free(s);
}

static void same_seed_same_values(void **state)
{
    (void)state;
    scenario *s = load();
    team_vars *a = filled(s, 4, SEED_A), *b = filled(s, 4, SEED_A), *c = filled(s, 4, SEED_B);
    int differ = 0;
    for (int t = 1; t <= 4; t++) {
        const char *keys[] = {"var pz", "var port", "var pw", "var folder"};
        for (size_t k = 0; k < 4; k++) {
            assert_non_null(team_vars_get(a, t, keys[k]));
            assert_string_equal(team_vars_get(a, t, keys[k]), team_vars_get(b, t, keys[k]));
            differ += strcmp(team_vars_get(a, t, keys[k]), team_vars_get(c, t, keys[k])) != 0;
        }
        char *one = variation_value(scenario_variable_named(s, "pw"), SEED_A, t, 4);
        assert_string_equal(one, team_vars_get(a, t, "var pw"));
        free(one);
    }
    /* Another seed gives other passwords and words, at least. */
    assert_true(differ >= 8);
    assert_string_equal(team_vars_seed(a), SEED_A);
    team_vars_free(a);
    team_vars_free(b);
    team_vars_free(c);
    scenario_free(s);
}

static void teams_differ_where_choices_allow(void **state)
{
    (void)state;
    scenario *s = load();
    team_vars *v = filled(s, 10, SEED_B);
    for (int t = 1; t <= 10; t++) {
        for (int u = 1; u < t; u++) {
            assert_string_not_equal(team_vars_get(v, t, "var port"),
                                    team_vars_get(v, u, "var port"));
            assert_string_not_equal(team_vars_get(v, t, "var pw"), team_vars_get(v, u, "var pw"));
            assert_string_not_equal(team_vars_get(v, t, "var folder"),
                                    team_vars_get(v, u, "var folder"));
            /* Three choices: teams 1-3 get all three, then they come round again. */
            if (t <= 3)
                assert_string_not_equal(team_vars_get(v, t, "var pz"),
                                        team_vars_get(v, u, "var pz"));
        }
        if (t > 3)
            assert_string_equal(team_vars_get(v, t, "var pz"), team_vars_get(v, t - 3, "var pz"));
        long port = strtol(team_vars_get(v, t, "var port"), NULL, 10);
        assert_true(port >= 2000 && port <= 2009);
        assert_string_equal(team_vars_get(v, t, "var one"), "7");
        const char *pw = team_vars_get(v, t, "var pw");
        assert_int_equal(strlen(pw), 14);
        assert_non_null(strpbrk(pw, "0123456789"));
        assert_non_null(strpbrk(pw, "ABCDEFGHJKLMNPQRSTUVWXYZ"));
        const char *w = team_vars_get(v, t, "var folder");
        assert_int_equal(strlen(w), 7);
        for (size_t i = 0; i < 7; i++)
            assert_true(islower((unsigned char)w[i]));
    }
    team_vars_free(v);
    scenario_free(s);
}

static void values_survive_the_ledger(void **state)
{
    (void)state;
    scenario *s = load();
    team_vars *v = filled(s, 3, SEED_A);
    char *json = team_vars_to_json(v);
    team_vars *back = NULL;
    assert_int_equal(team_vars_from_json(json, &back), ENSHU_OK);
    assert_string_equal(team_vars_seed(back), SEED_A);
    char *x = team_vars_expand(back, 2, "{{var pz}}/{{var port}}");
    char *y = team_vars_expand(v, 2, "{{var pz}}/{{var port}}");
    assert_string_equal(x, y);
    assert_null(strstr(x, "{{"));
    free(x);
    free(y);
    free(json);
    team_vars_free(back);
    team_vars_free(v);
    scenario_free(s);
}

/* A course's slot takes its sandbox's team 1's values: its own number
 * stays, the rest is replaced whole, and what a reader got before stays
 * valid until the table is freed. */
static void a_team_adopts_another_tables_values(void **state)
{
    (void)state;
    team_vars *course = team_vars_new(3);
    team_vars_set(course, 2, "addr ws", "10.89.0.10");
    const char *before = team_vars_get(course, 2, "addr ws");
    team_vars *sandbox = team_vars_new(1);
    team_vars_set(sandbox, 1, "addr ws", "10.89.7.10");
    team_vars_set(sandbox, 1, "var pz", "ws2");
    team_vars_adopt(course, 2, sandbox, 1);
    team_vars_free(sandbox);
    assert_string_equal(team_vars_get(course, 2, "addr ws"), "10.89.7.10");
    assert_string_equal(team_vars_get(course, 2, "var pz"), "ws2");
    assert_string_equal(team_vars_get(course, 2, "team"), "2");
    assert_string_equal(before, "10.89.0.10");
    assert_null(team_vars_get(course, 1, "addr ws"));
    char *text = team_vars_expand(course, 2, "{{team}} {{addr ws}}");
    assert_string_equal(text, "2 10.89.7.10");
    free(text);
    char *json = team_vars_to_json(course);
    assert_non_null(strstr(json, "\"addr ws\":\"10.89.7.10\""));
    free(json);
    /* A team the other table does not have: none of its values. */
    team_vars_adopt(course, 2, course, 9);
    assert_null(team_vars_get(course, 2, "addr ws"));
    team_vars_free(course);
}

static void bad_seeds_are_refused(void **state)
{
    (void)state;
    scenario *s = load();
    team_vars *v = team_vars_new(2);
    assert_int_equal(variation_fill(v, s, "xyz"), ENSHU_EINVAL);
    assert_int_equal(variation_fill(v, s, "00112233445566778899aabbccddeefg"), ENSHU_EINVAL);
    assert_null(team_vars_get(v, 1, "var pz"));
    char seed[VARIATION_SEED_SIZE];
    variation_seed_new(seed);
    assert_true(variation_seed_valid(seed));
    assert_int_equal(strlen(seed), 32);
    team_vars_free(v);
    scenario_free(s);
}

/* 2026-03-05 01:02:03 UTC, a Thursday. */
static const int64_t T0 = 1772672523000;

static char *at(const char *key, const char *zone)
{
    char out[TIME_TEMPLATE_MAX];
    assert_int_equal(time_template_format(key, T0, zone, out, sizeof out), ENSHU_OK);
    return xstrdup(out);
}

static void time_templates_format(void **state)
{
    (void)state;
    /* Set before any thread starts (the module's constructor), never removed. */
    assert_non_null(getenv("TZ"));
    char *zone = xstrdup(getenv("TZ"));
    char *s = at("now", NULL);
    assert_string_equal(s, "Thu, 05 Mar 2026 01:02:03 +0000");
    free(s);
    s = at("now", "Asia/Tokyo");
    assert_string_equal(s, "Thu, 05 Mar 2026 10:02:03 +0900");
    free(s);
    s = at("now -3d %Y-%m-%d %H:%M", "Asia/Tokyo");
    assert_string_equal(s, "2026-03-02 10:02");
    free(s);
    s = at("now +1h30m %H:%M:%S", NULL);
    assert_string_equal(s, "02:32:03");
    free(s);
    s = at("now -90s", "Europe/Berlin");
    assert_string_equal(s, "Thu, 05 Mar 2026 02:00:33 +0100");
    free(s);
    s = at("now %%%Y", NULL);
    assert_string_equal(s, "%2026");
    free(s);
    /* The process's own zone is as it was. */
    assert_string_equal(getenv("TZ"), zone);
    free(zone);
}

static void time_templates_are_checked(void **state)
{
    (void)state;
    assert_true(time_template_is("now"));
    assert_true(time_template_is("now -2h"));
    assert_false(time_template_is("nowhere"));
    char *why = time_template_check("now -3x");
    assert_non_null(strstr(why, "'-3x' is not an offset"));
    free(why);
    why = time_template_check("now %Q");
    assert_non_null(strstr(why, "'%Q' is not a time format conversion"));
    free(why);
    why = time_template_check("now yesterday");
    assert_non_null(strstr(why, "neither an offset"));
    free(why);
    assert_null(time_template_check("now -1d %d/%m"));
    char out[8];
    assert_int_equal(time_template_format("now %Q", T0, NULL, out, sizeof out), ENSHU_EINVAL);
}

static void expand_at_fills_times_and_values(void **state)
{
    (void)state;
    scenario *s = load();
    team_vars *v = filled(s, 2, SEED_A);
    char *text = team_vars_expand_at(v, 2, "{{team}} {{ now  -1d  %Y-%m-%d }} {{var port}}", T0,
                                     "Asia/Tokyo");
    char *want = xasprintf("2 2026-03-04 %s", team_vars_get(v, 2, "var port"));
    assert_string_equal(text, want);
    free(want);
    free(text);
    /* Without a time, a time template stays as written. */
    text = team_vars_expand(v, 1, "at {{now}}");
    assert_string_equal(text, "at {{now}}");
    free(text);
    team_vars_free(v);
    scenario_free(s);
}

/* A variable that chooses a node: each team's value picks its own node for
 * an inject's target, a mail's via and a check's node (node_ref.h). */
static const char NODES[] =
    "enshu: 1\n"
    "id: nodes\n"
    "title: Nodes\n"
    "variables:\n"
    "  pz: {one_of: [ws1, ws2]}\n"
    "network:\n"
    "  segments: [{name: lan}, {name: office}]\n"
    "nodes:\n"
    "  - {name: ws1, image: workstation, interfaces: [{segment: lan}]}\n"
    "  - {name: ws2, image: workstation, interfaces: [{segment: office}, {segment: lan}]}\n"
    "  - {name: mx, image: server, interfaces: [{segment: office}, {segment: lan}]}\n"
    "injects:\n"
    "  - {id: drop, at: 1m, target: '{{ var  pz }}', run: 'touch /tmp/x'}\n"
    "  - {id: off, at: 2m, target: '{{var pz}}', power: stop}\n"
    "  - {id: cut, at: 3m, target: '{{var pz}}', link: cut, segment: lan}\n"
    "  - id: phish\n"
    "    at: 4m\n"
    "    mail: {from: a@corp.example, to: b@corp.example, subject: s, body: b,\n"
    "           via: '{{var pz}}', server: mx}\n"
    "checks:\n"
    "  - {id: up, node: '{{var pz}}', power: running}\n"
    "  - id: both\n"
    "    any: [{node: '{{var pz}}', command: 'true'}, {node: mx, power: running}]\n";

static void node_refs_parse(void **state)
{
    (void)state;
    static const struct {
        const char *ref, *var;
    } cases[] = {
        {"{{var pz}}", "pz"},        {"{{ var  pz }}", "pz"},
        {"{{var a-b_c}}", "a-b_c"},  {"ws1", NULL},
        {"{{var}}", NULL},           {"{{var a b}}", NULL},
        {"x{{var a}}", NULL},        {"{{var a}}x", NULL},
        {"{{var a}}{{team}}", NULL}, {"{{varpz}}", NULL},
        {"{{addr ws1}}", NULL},      {"{{var a}", NULL},
        {"{{ var {pz} }}", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *var = node_ref_variable(cases[i].ref);
        if (cases[i].var)
            assert_string_equal(var, cases[i].var);
        else
            assert_null(var);
        free(var);
    }
    assert_null(node_ref_variable(NULL));
}

static void a_variable_chooses_each_teams_node(void **state)
{
    (void)state;
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_buffer("t.yaml", NODES, strlen(NODES), d);
    char *msgs = diag_list_format(d);
    assert_string_equal(msgs, "");
    free(msgs);
    diag_list_free(d);
    assert_non_null(s);
    const inject *drop = scenario_inject(s, "drop");
    assert_string_equal(drop->target, "{{var pz}}"); /* kept in one spelling */

    /* Every choice, for the validator and the range's image checks. */
    const char **names;
    assert_int_equal(node_ref_choices(s, drop->target, &names), 2);
    assert_string_equal(names[0], "ws1");
    assert_string_equal(names[1], "ws2");
    free(names);
    assert_int_equal(node_ref_choices(s, "mx", &names), 1);
    assert_string_equal(names[0], "mx");
    free(names);
    assert_int_equal(node_ref_choices(s, "{{var nope}}", &names), 0);
    assert_null(names);
    assert_true(node_ref_may_be(s, drop->target, "ws2"));
    assert_false(node_ref_may_be(s, drop->target, "mx"));
    assert_true(node_ref_may_be(s, "mx", "mx"));
    assert_false(node_ref_may_be(s, NULL, "mx"));

    /* Two teams, two different nodes: each team's own value. */
    team_vars *v = filled(s, 2, SEED_A);
    const char *mail_via[2];
    for (int t = 1; t <= 2; t++) {
        const char *value = team_vars_get(v, t, "var pz");
        const node *nd = node_ref_node(s, v, t, drop->target);
        assert_non_null(nd);
        assert_string_equal(nd->name, value);
        assert_ptr_equal(node_ref_node(s, v, t, scenario_check(s, "up")->node), nd);
        assert_ptr_equal(node_ref_node(s, v, t, scenario_check(s, "both")->probes[0].node), nd);
        assert_string_equal(node_ref_node(s, v, t, "mx")->name, "mx");
        mail_via[t - 1] = node_ref_name(v, t, scenario_inject(s, "phish")->target);
    }
    assert_string_not_equal(node_ref_name(v, 1, drop->target), node_ref_name(v, 2, drop->target));
    /* The mail server's address is on the segment the team's sender shares
     * with it (its first such): lan from ws1, office from ws2. */
    const action *phish = &scenario_inject(s, "phish")->action;
    for (int t = 0; t < 2; t++) {
        char *host = scenario_mail_server(s, phish, scenario_node(s, mail_via[t]));
        assert_string_equal(host, strcmp(mail_via[t], "ws1") == 0 ? "{{addr mx lan}}"
                                                                  : "{{addr mx office}}");
        free(host);
    }
    /* Without values (no team's values known), a variable chooses nothing. */
    assert_null(node_ref_node(s, NULL, 1, drop->target));
    assert_null(node_ref_name(v, 3, drop->target));
    assert_string_equal(node_ref_name(NULL, 1, "ws1"), "ws1");
    team_vars_free(v);
    scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(variables_load),
        cmocka_unit_test(same_seed_same_values),
        cmocka_unit_test(teams_differ_where_choices_allow),
        cmocka_unit_test(values_survive_the_ledger),
        cmocka_unit_test(a_team_adopts_another_tables_values),
        cmocka_unit_test(bad_seeds_are_refused),
        cmocka_unit_test(time_templates_format),
        cmocka_unit_test(time_templates_are_checked),
        cmocka_unit_test(expand_at_fills_times_and_values),
        cmocka_unit_test(node_refs_parse),
        cmocka_unit_test(a_variable_chooses_each_teams_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
