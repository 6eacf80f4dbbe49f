/* Loading and checking scenarios from text: the model and the diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

static const char MINIMAL[] =
    "enshu: 1\n"
    "id: mini\n"
    "title: {en: Mini, ja: ミニ}\n"
    "languages: [en, ja]\n"
    "network:\n"
    "  pool: 10.90.0.0/16\n"
    "  segments:\n"
    "    - {name: lan, gateway: gw}\n"
    "    - {name: wan, gateway: gw}\n"
    "nodes:\n"
    "  - {name: pc, image: workstation, interfaces: [{segment: lan}]}\n"
    "  - {name: pc2, image: workstation, interfaces: [{segment: lan}]}\n"
    "  - {name: gw, image: router, forwarding: true, role: grey,\n"
    "     interfaces: [{segment: lan, host: 2}, {segment: wan, host: 254}]}\n"
    "injects:\n"
    "  - {id: a, at: 5m, target: pc, run: 'echo hi', timeout: 10s}\n"
    "  - {id: b, after: a, delay: 1m, message: {from: x, subject: s, body: b}}\n"
    "  - {id: c, when: {any: [{inject: b}, {check: up, for: 2m}]}, note: n}\n"
    "checks:\n"
    "  - {id: up, node: pc, command: 'true', expect: {exit: 0, output: '^ok$'}}\n"
    "objectives:\n"
    "  - {id: q, kind: question, text: t, answer: {range: [1, 5]}, attempts: 2, points: 3}\n"
    "  - {id: r, kind: report, rubric: [{text: a, points: 4}, {text: b, points: 6}]}\n";

static char *load_errors(const char *text, scenario **out)
{
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_buffer("t.yaml", text, strlen(text), d);
    char *msgs = diag_list_format(d);
    diag_list_free(d);
    if (out)
        *out = s;
    else
        scenario_free(s);
    return msgs;
}

static void minimal_scenario_loads(void **state)
{
    scenario *s;
    char *errs = load_errors(MINIMAL, &s);
    assert_string_equal(errs, "");
    free(errs);
    assert_non_null(s);
    assert_string_equal(s->id, "mini");
    assert_string_equal(l10n_get(&s->title, "ja", s->default_language), "ミニ");
    assert_string_equal(l10n_get(&s->title, "th", s->default_language), "Mini");
    assert_int_equal(s->nnodes, 3);
    /* Automatic host numbers start at 10 and skip taken ones. */
    assert_int_equal(s->nodes[0].nics[0].host, 10);
    assert_int_equal(s->nodes[1].nics[0].host, 11);
    assert_int_equal(s->nodes[2].nics[0].segment_index, 0);
    assert_int_equal(s->nodes[2].nics[1].segment_index, 1);
    assert_int_equal(s->injects[0].timeout_ms, 10000);
    assert_int_equal(s->injects[1].trigger, TRIGGER_AFTER);
    assert_int_equal(s->injects[1].delay_ms, 60000);
    assert_int_equal(s->injects[2].when->kind, COND_ANY);
    assert_int_equal(s->injects[2].when->kids[1]->hold_ms, 120000);
    assert_int_equal(s->objectives[1].points, 10);
    assert_true(s->objectives[0].range_max == 5.0);
    assert_false(s->nodes[2].visible); /* grey nodes are hidden by default */
    assert_true(s->nodes[0].visible);
    scenario_free(s);
}

/* Replaces the first occurrence of from in MINIMAL by to. */
static char *variant(const char *from, const char *to)
{
    const char *at = strstr(MINIMAL, from);
    assert_non_null(at);
    return xasprintf("%.*s%s%s", (int)(at - MINIMAL), MINIMAL, to, at + strlen(from));
}

static void expect_error(const char *from, const char *to, const char *message)
{
    char *text = variant(from, to);
    char *errs = load_errors(text, NULL);
    if (!strstr(errs, message))
        fail_msg("expected '%s' in:\n%s", message, errs);
    free(errs);
    free(text);
}

static void every_problem_is_reported(void **state)
{
    char *text = variant("nodes:\n", "nodes:\n  - {name: pc, image: workstaton, memory: 1k, "
                                      "interfaces: [{segment: lam}]}\n");
    char *errs = load_errors(text, NULL);
    assert_non_null(strstr(errs, "unknown image 'workstaton'; did you mean 'workstation'?"));
    assert_non_null(strstr(errs, "'memory' must be a size"));
    assert_non_null(strstr(errs, "unknown segment 'lam'; did you mean 'lan'?"));
    assert_non_null(strstr(errs, "node 'pc' is defined twice (first at line 11)"));
    free(errs);
    free(text);
}

static void references_are_checked(void **state)
{
    expect_error("target: pc,", "target: pcc,", "unknown target node 'pcc'; did you mean 'pc'?");
    expect_error("after: a,", "after: z,", "unknown inject 'z'");
    expect_error("{check: up,", "{check: upp,", "unknown check 'upp'; did you mean 'up'?");
    expect_error("gateway: gw}\n    - {name: wan", "gateway: pc}\n    - {name: wan",
                 "gateway 'pc' must have 'forwarding: true'");
}

static void cycles_are_found(void **state)
{
    expect_error("at: 5m,", "after: c,", "injects wait on each other in a cycle: a -> c -> b -> a");
}

static void address_plan_must_fit(void **state)
{
    expect_error("pool: 10.90.0.0/16", "pool: 10.90.0.0/24",
                 "address plan overflows: 40 teams x 2 segments need 80 subnets of /24");
    expect_error("pool: 10.90.0.0/16", "pool: 10.90.0.1/16", "has host bits set");
    expect_error("{name: pc2, image: workstation, interfaces: [{segment: lan}]}",
                 "{name: pc2, image: workstation, interfaces: [{segment: lan, host: 2}]}",
                 "host 2 on segment 'lan' is already taken by node 'pc2'");
    expect_error("host: 254", "host: 1", "'host' of an interface is 1; it must be between 2");
    expect_error("host: 254", "host: 255", "host 255 does not fit in a /24 segment (2 to 254)");
}

static void types_and_keys(void **state)
{
    expect_error("id: mini", "idd: mini", "unknown key 'idd' in the scenario; did you mean 'id'?");
    expect_error("timeout: 10s", "timeout: 2h", "'timeout' of an inject is 2h; it must be between 1s and 1h");
    expect_error("attempts: 2", "attempts: two", "'attempts' of a question must be a whole number");
    expect_error("title: {en: Mini, ja: ミニ}", "title: {ja: ミニ}", "has no 'en' text (the default language)");
    expect_error("title: {en: Mini, ja: ミニ}", "title: {en: Mini, jp: ミニ}",
                 "has text in 'jp', which is not in 'languages'; did you mean 'ja'?");
    expect_error("output: '^ok$'", "output: '(('", "'output' is not a valid regular expression");
    expect_error("run: 'echo hi', ", "", "an inject needs exactly one action");
}

static void garbage_never_crashes(void **state)
{
    static const char *const inputs[] = {
        "", "---", "[]", "- a", "enshu: 1", "{enshu: x, id: [], nodes: {}}", "\xff\xfe",
        "nodes: [1, 2, {}]\nnetwork: {segments: [1]}",
        "injects: [{when: {not: {not: {not: {}}}}}]",
        "objectives: [{kind: question, answer: {range: [a]}}, {kind: report}]",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *errs = load_errors(inputs[i], NULL);
        assert_true(strlen(errs) > 0);
        free(errs);
    }
}

static void shipped_scenarios_are_valid(void **state)
{
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_file(ENSHU_SOURCE_DIR "/scenarios/intro-office.yaml", d);
    char *errs = diag_list_format(d);
    assert_string_equal(errs, "");
    assert_non_null(s);
    free(errs);
    scenario_free(s);
    diag_list_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(minimal_scenario_loads),
        cmocka_unit_test(every_problem_is_reported),
        cmocka_unit_test(references_are_checked),
        cmocka_unit_test(cycles_are_found),
        cmocka_unit_test(address_plan_must_fit),
        cmocka_unit_test(types_and_keys),
        cmocka_unit_test(garbage_never_crashes),
        cmocka_unit_test(shipped_scenarios_are_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
