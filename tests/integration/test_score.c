/*
 * `enshu score --db` recomputes from the ledger alone exactly the scores a
 * live grader fed the same events reached.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "event_store.h"
#include "grader.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char SCENARIO_TEXT[] =
    "enshu: 1\nid: scored\ntitle: {en: Scored, ja: 採点}\nlanguages: [en, ja]\n"
    "network: {segments: [{name: lan}]}\n"
    "nodes: [{name: ws, image: workstation, interfaces: [{segment: lan}]}]\n"
    "injects: [{id: infect, manual: true, note: n}]\n"
    "checks: [{id: fixed, node: ws, command: 'true'}]\n"
    "requests:\n"
    "  - {id: reimage, title: Re-image, cost: 2, limit: 100}\n"
    "  - {id: call, title: Call, approval: auto, cost: 1, limit: 100}\n"
    "objectives:\n"
    "  - {id: c2, kind: question, text: '?', answer: {exact: 203.0.113.66}, points: 10,\n"
    "     decay: {from: infect, full: 10s, zero_at: 600s, floor: 1}}\n"
    "  - {id: fix, kind: check, check: fixed, points: 20, hints: [{text: h, cost: 3}]}\n"
    "  - {id: report, kind: report, rubric: [{text: r, points: 10}]}\n";

static void recomputed_scores_equal_live_ones(void **state)
{
    char dir[] = "/tmp/enshu-score-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/events.db", dir);
    event_store *st;
    assert_int_equal(event_store_open(path, true, &st), ENSHU_OK);
    assert_int_equal(event_store_set_meta(st, "scenario_yaml", SCENARIO_TEXT), ENSHU_OK);
    assert_int_equal(event_store_set_meta(st, "scenario_path", "scored.yaml"), ENSHU_OK);
    assert_int_equal(event_store_set_meta(st, "teams", "3"), ENSHU_OK);
    diag_list *d = diag_list_new();
    scenario *s = scenario_load_buffer("scored.yaml", SCENARIO_TEXT, strlen(SCENARIO_TEXT), d);
    assert_non_null(s);
    grader *live = grader_new(s, 3);
    srand(7);
    for (int i = 0; i < 3000; i++) {
        static const char *const answers[] = {"203.0.113.66", "10.0.0.1", "", "203.0.113.6"};
        event ev = {.at_ms = i * 1000, .team = 1 + rand() % 3};
        static const char *const requests[] = {"reimage", "call"};
        switch (rand() % 8) {
        case 5:
            ev.kind = EV_INJECT_FIRED;
            ev.subject = "infect";
            break;
        case 6:
            ev.kind = EV_REQUEST;
            ev.subject = requests[rand() % 2];
            break;
        case 7:
            ev.kind = EV_REQUEST_DECIDED;
            ev.subject = "reimage";
            ev.value = rand() % 2;
            break;
        case 0:
            ev.kind = EV_ANSWER;
            ev.subject = "c2";
            ev.text = answers[rand() % 4];
            break;
        case 1:
            ev.kind = EV_CHECK_RESULT;
            ev.subject = "fixed";
            ev.value = rand() % 20 == 0;
            break;
        case 2:
            ev.kind = EV_HINT;
            ev.subject = "fix";
            ev.value = rand() % 2;
            break;
        case 3:
            ev.kind = EV_GRADE;
            ev.subject = "report";
            ev.value = rand() % 12;
            ev.text = "0";
            break;
        default:
            ev.kind = EV_PENALTY;
            ev.subject = "web down";
            ev.value = rand() % 50 == 0;
            break;
        }
        assert_int_equal(event_store_append(st, &ev, NULL, NULL), ENSHU_OK);
        grader_apply(live, &ev);
    }
    event_store_free(st);

    char *cmd = xasprintf("%s score --db %s --json", ENSHU_BIN, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    json_error_t jerr;
    json_t *out = json_loadf(p, 0, &jerr);
    assert_int_equal(pclose(p), 0);
    assert_non_null(out);
    json_t *teams = json_object_get(out, "teams");
    assert_int_equal(json_array_size(teams), 3);
    for (int t = 1; t <= 3; t++) {
        json_t *team = json_array_get(teams, (size_t)t - 1);
        const team_score *ts = grader_team(live, t);
        assert_int_equal(json_integer_value(json_object_get(team, "total")), ts->total);
        assert_int_equal(json_integer_value(json_object_get(team, "request_cost")),
                         ts->request_cost);
        assert_true(ts->request_cost > 0);
        json_t *c2 = json_array_get(json_object_get(team, "objectives"), 0);
        assert_int_equal(json_integer_value(json_object_get(c2, "points")),
                         ts->objectives[0].points);
        assert_int_equal(json_is_true(json_object_get(c2, "decayed")),
                         ts->objectives[0].achieved && ts->objectives[0].points < 10);
        json_t *reimage = json_array_get(json_object_get(team, "requests"), 0);
        assert_int_equal(json_integer_value(json_object_get(reimage, "approved")),
                         ts->requests[0].approved);
        assert_int_equal(json_array_size(json_object_get(team, "history")), ts->nhistory);
        json_t *last = json_array_get(json_object_get(team, "history"), ts->nhistory - 1);
        assert_int_equal(json_integer_value(json_array_get(last, 1)), ts->total);
    }
    assert_int_equal(json_integer_value(json_object_get(out, "max")), 40);
    json_decref(out);
    grader_free(live);
    scenario_free(s);
    diag_list_free(d);
    free(cmd);
    cmd = xasprintf("rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(recomputed_scores_equal_live_ones),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
