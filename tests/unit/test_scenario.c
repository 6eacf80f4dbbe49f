/* Loading and checking scenarios from text: the model and the diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "range_plan.h"
#include "range_team_vars.h"
#include "scenario.h"
#include "team_vars.h"
#include "template.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    expect_error("timeout: 10s", "timeout: 2h",
                 "'timeout' of an inject is 2h; it must be between 1s and 1h");
    expect_error("attempts: 2", "attempts: two", "'attempts' of a question must be a whole number");
    expect_error("title: {en: Mini, ja: ミニ}", "title: {ja: ミニ}",
                 "has no 'en' text (the default language)");
    expect_error("title: {en: Mini, ja: ミニ}", "title: {en: Mini, jp: ミニ}",
                 "has text in 'jp', which is not in 'languages'; did you mean 'ja'?");
    expect_error("output: '^ok$'", "output: '(('", "'output' is not a valid regular expression");
    expect_error("run: 'echo hi', ", "", "an inject needs exactly one action");
}

static void garbage_never_crashes(void **state)
{
    static const char *const inputs[] = {
        "",
        "---",
        "[]",
        "- a",
        "enshu: 1",
        "{enshu: x, id: [], nodes: {}}",
        "\xff\xfe",
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
    const char *files[] = {ENSHU_SOURCE_DIR "/scenarios/intro-office.yaml",
                           ENSHU_SOURCE_DIR "/scenarios/cyder-beginner.yaml"};
    for (size_t i = 0; i < 2; i++) {
        diag_list *d = diag_list_new();
        scenario *s = scenario_load_file(files[i], d);
        char *errs = diag_list_format(d);
        if (*errs || !s)
            fail_msg("%s:\n%s", files[i], errs);
        free(errs);
        scenario_free(s);
        diag_list_free(d);
    }
}

static void power_link_and_attachments_load(void **state)
{
    char *text = variant("  - {id: c, when",
                         "  - {id: off, at: 1h, target: pc, power: stop}\n"
                         "  - {id: on, after: off, target: pc, power: reboot, timeout: 2m}\n"
                         "  - {id: cut, at: 2h, target: gw, link: cut, segment: wan}\n"
                         "  - {id: mail, at: 3h, message: {from: x, subject: s, body: b,\n"
                         "     attachment: tests/unit/test_scenario.c}}\n"
                         "  - {id: c, when");
    char *owd = getcwd(NULL, 0);
    assert_int_equal(chdir(ENSHU_SOURCE_DIR), 0); /* attachments are relative to the file */
    scenario *s;
    char *errs = load_errors(text, &s);
    assert_int_equal(chdir(owd), 0);
    free(owd);
    assert_string_equal(errs, "");
    const inject *off = scenario_inject(s, "off"), *on = scenario_inject(s, "on");
    assert_int_equal(off->action.kind, ACTION_POWER);
    assert_int_equal(off->action.power, POWER_STOP);
    assert_int_equal(on->action.power, POWER_REBOOT);
    const inject *cut = scenario_inject(s, "cut");
    assert_int_equal(cut->action.kind, ACTION_LINK);
    assert_false(cut->action.link_up);
    assert_string_equal(cut->action.segment, "wan");
    const action *mail = &scenario_inject(s, "mail")->action;
    assert_non_null(strstr(mail->attachment_content, "power_link_and_attachments_load"));
    assert_int_equal(mail->attachment_size, strlen(mail->attachment_content));
    scenario_free(s);
    free(errs);
    free(text);
    expect_error("run: 'echo hi'", "power: halt", "'power' must be stop, start or reboot");
    expect_error("run: 'echo hi'", "link: cut", "a link inject is missing 'segment'");
    expect_error("run: 'echo hi'", "link: cut, segment: wan",
                 "target 'pc' has no interface on segment 'wan'");
    expect_error("run: 'echo hi'", "link: cut, segment: wam", "unknown segment 'wam'");
    expect_error("run: 'echo hi'", "run: 'x', segment: lan", "'segment' only goes with 'link'");
    expect_error("target: pc, run: 'echo hi'", "power: stop",
                 "inject 'a' acts on a guest and needs a 'target' node");
    expect_error("body: b}", "body: b, attachment: no/such.file}",
                 "cannot read attachment 'no/such.file'");
    /* One byte over the bound is refused. */
    char big[] = "/tmp/enshu-attachment-XXXXXX";
    int fd = mkstemp(big);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, SCENARIO_MAX_ATTACHMENT + 1), 0);
    close(fd);
    char *to = xasprintf("body: b, attachment: '%s'}", big);
    char *want = xasprintf("attachment '%s' is %d bytes; at most %d are allowed", big,
                           SCENARIO_MAX_ATTACHMENT + 1, SCENARIO_MAX_ATTACHMENT);
    expect_error("body: b}", to, want);
    unlink(big);
    free(to);
    free(want);
}

/* Replaces the first occurrence of from in text by to (text is freed). */
static char *replaced(char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    assert_non_null(at);
    char *out = xasprintf("%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    free(text);
    return out;
}

static void mail_users_and_owners_load(void **state)
{
    char *text = variant(
        "  - {id: c, when",
        "  - {id: send, at: 1h, mail: {from: '経理部 <billing@corp.example>',\n"
        "     to: [alice@corp.example, 'Bob <bob@corp.example>'], subject: 'Team {{team}}',\n"
        "     body: 'see {{addr gw wan}}', via: pc, server: gw,\n"
        "     attachments: [tests/unit/test_scenario.c, tests/unit/test_mail_message.c]}}\n"
        "  - {id: send2, at: 1h, mail: {from: a@b.example, to: c@d.example, subject: s,\n"
        "     body: b, via: gw, server: 'mail.corp.example:587'}}\n"
        "  - {id: as-alice, at: 1h, target: pc, user: alice, run: 'id -un'}\n"
        "  - {id: owned, at: 1h, target: pc, file: {path: /srv/x, content: y, mode: '0640',\n"
        "     owner: alice, group: '1000'}}\n"
        "  - {id: c, when");
    text = replaced(text, "{id: up, node: pc,", "{id: up, node: pc, user: _svc.web,");
    char *owd = getcwd(NULL, 0);
    assert_int_equal(chdir(ENSHU_SOURCE_DIR), 0); /* attachments are relative to the file */
    scenario *s;
    char *errs = load_errors(text, &s);
    assert_int_equal(chdir(owd), 0);
    free(owd);
    assert_string_equal(errs, "");
    const inject *send = scenario_inject(s, "send");
    const action *m = &send->action;
    assert_int_equal(m->kind, ACTION_MAIL);
    assert_string_equal(send->target, "pc"); /* it is sent from there */
    assert_string_equal(m->mail_from.name, "経理部");
    assert_string_equal(m->mail_from.addr, "billing@corp.example");
    assert_int_equal(m->nmail_to, 2);
    assert_null(m->mail_to[0].name);
    assert_string_equal(m->mail_to[1].name, "Bob");
    assert_string_equal(m->mail_to[1].addr, "bob@corp.example");
    assert_string_equal(m->mail_subject, "Team {{team}}");
    /* The server node's address on the segment it shares with the sender. */
    char *host = scenario_mail_server(s, m, scenario_node(s, send->target));
    assert_string_equal(host, "{{addr gw lan}}");
    free(host);
    assert_int_equal(m->server_port, 25);
    assert_int_equal(m->nmail_files, 2);
    assert_non_null(strstr(m->mail_files[0].content, "mail_users_and_owners_load"));
    assert_int_equal(m->mail_files[1].size, strlen(m->mail_files[1].content));
    const action *m2 = &scenario_inject(s, "send2")->action;
    host = scenario_mail_server(s, m2, NULL);
    assert_string_equal(host, "mail.corp.example");
    free(host);
    assert_int_equal(m2->server_port, 587);
    assert_int_equal(m2->nmail_files, 0);
    assert_string_equal(scenario_inject(s, "as-alice")->action.user, "alice");
    assert_null(scenario_inject(s, "a")->action.user);
    const action *owned = &scenario_inject(s, "owned")->action;
    assert_string_equal(owned->owner, "alice");
    assert_string_equal(owned->group, "1000");
    assert_int_equal(owned->mode, 0640);
    assert_string_equal(scenario_check(s, "up")->user, "_svc.web");
    scenario_free(s);
    free(errs);
    free(text);
}

static void mail_users_and_owners_are_checked(void **state)
{
    const char *run = "target: pc, run: 'echo hi'";
    /* Each problem at its line and column (the inject is line 16). */
    expect_error(run,
                 "mail: {from: alice, to: b@c.example, subject: s, body: b, via: pc, server: gw}",
                 "t.yaml:16:34: error: 'from' of 'mail' 'alice' has no '@'");
    expect_error(run,
                 "mail: {from: a@b.example, to: [b@c.example, 'x y@c.example'], subject: s, "
                 "body: b, via: pc, server: gw}",
                 "t.yaml:16:65: error: an address of 'to' 'x y@c.example' has a bad local part");
    expect_error(run,
                 "mail: {from: a@b.example, to: b@c.example, subject: s, body: b, via: pc, "
                 "server: gww}",
                 "t.yaml:16:102: error: unknown node 'gww' for 'server'; did you mean 'gw'?");
    expect_error(run,
                 "mail: {from: a@b.example, to: b@c.example, subject: s, body: b, via: pcc, "
                 "server: gw}",
                 "t.yaml:16:90: error: unknown node 'pcc'; did you mean 'pc'?");
    expect_error(run,
                 "mail: {from: a@b.example, to: b@c.example, subject: s, body: b, via: pc, "
                 "server: 'gw:99999'}",
                 "'server' of 'mail' has a bad port '99999'; use 1 to 65535");
    expect_error(run,
                 "mail: {from: a@b.example, to: b@c.example, subject: s, body: b, via: pc, "
                 "server: 'gw;reboot'}",
                 "'server' of 'mail' is 'gw;reboot'; give a node, an address");
    expect_error(run, "mail: {from: a@b.example, to: [], subject: s, body: b, via: pc, server: gw}",
                 "'to' of 'mail' needs 1 to 50 addresses");
    expect_error(run, "mail: {from: a@b.example, to: b@c.example, subject: s, body: b, server: gw}",
                 "'mail' (the node that sends it) is missing 'via'");
    expect_error(run,
                 "mail: {from: a@b.example, to: b@c.example, subject: '{{addr pcc}}', body: b, "
                 "via: pc, server: gw}",
                 "'subject': unknown node 'pcc' in {{addr pcc}}; did you mean 'pc'?");
    expect_error(run,
                 "mail: {from: a@b.example, to: b@c.example, subject: s, body: b, via: pc, "
                 "server: gw, attachments: [no/such.file]}",
                 "cannot read attachment 'no/such.file'");
    expect_error("run: 'echo hi'",
                 "mail: {from: a@b.example, to: b@c.example, subject: s, body: b, via: pc, "
                 "server: gw}",
                 "a mail inject is sent from its 'via' node; remove 'target'");
    expect_error("body: b}}", "body: b}, user: alice}", "'user' only goes with 'run' and 'file'");
    expect_error("target: pc,", "target: pc, user: 1alice,",
                 "'user' of an inject is '1alice'; account names use letters");
    expect_error("run: 'echo hi'", "file: {path: /x, content: y, owner: 'a b'}",
                 "'owner' of 'file' is 'a b'; account names use letters, digits, '.', '-' and "
                 "'_', start with a letter or '_', and are at most 32 characters (or give a "
                 "number)");
    expect_error("{id: up, node: pc,", "{id: up, node: pc, user: 'x;y',",
                 "'user' of a check is 'x;y'");

    /* Attachments of one mail together: at most 2 MiB (each at most 1 MiB). */
    char paths[3][32];
    for (int i = 0; i < 3; i++) {
        strcpy(paths[i], "/tmp/enshu-mailfile-XXXXXX");
        int fd = mkstemp(paths[i]);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, SCENARIO_MAX_ATTACHMENT), 0);
        close(fd);
    }
    char *to = xasprintf("mail: {from: a@b.example, to: b@c.example, subject: s, body: b, via: pc, "
                         "server: gw, attachments: [%s, %s, %s]}",
                         paths[0], paths[1], paths[2]);
    char *want = xasprintf("the attachments of 'mail' are %d bytes together up to '%s'; at most "
                           "%d are allowed",
                           3 * SCENARIO_MAX_ATTACHMENT, paths[2], SCENARIO_MAX_MAIL_FILES_SIZE);
    expect_error(run, to, want);
    for (int i = 0; i < 3; i++)
        unlink(paths[i]);
    free(to);
    free(want);
}

static void templates_are_checked_at_load(void **state)
{
    scenario *s = NULL;
    char *text = variant("run: 'echo hi'", "run: 'ping {{addr gw wan}} {{ team }} {{subnet lan}}'");
    char *errs = load_errors(text, &s);
    assert_string_equal(errs, "");
    free(errs);
    free(text);
    scenario_free(s);
    expect_error(
        "run: 'echo hi'", "run: 'ping {{addr gww}}'",
        "t.yaml:16:38: error: 'run': unknown node 'gww' in {{addr gww}}; did you mean 'gw'?");
    expect_error("run: 'echo hi'", "run: 'ping {{addr pc wan}}'",
                 "node 'pc' in {{addr pc wan}} has no interface on segment 'wan'");
    expect_error("run: 'echo hi'", "run: 'ping {{adr pc}}'",
                 "unknown template {{adr pc}}; did you mean 'addr'?");
    expect_error("run: 'echo hi'", "run: 'ping {{addr pc'", "'{{' has no closing '}}'");
    expect_error("run: 'echo hi'", "run: 'ping {{team 2}}'", "takes nothing after 'team'");
    expect_error("subject: s", "subject: {en: '{{gateway lan}}', ja: '{{gateway lam}}'}",
                 "'subject': unknown segment 'lam' in {{gateway lam}}; did you mean 'lan'?");
    expect_error("output: '^ok$'", "output: '^{{subnet wan}}('",
                 "'output' is not a valid regular expression");
    expect_error("output: '^ok$'", "output: '{{nope}}'", "'output': unknown template {{nope}}");
    expect_error("range: [1, 5]", "exact: '{{addr pc3}}'", "'answer': unknown node 'pc3'");
}

static void decay_penalties_and_time_answers_load(void **state)
{
    char *text = variant("  - {id: r, kind: report",
                         "  - {id: s, kind: check, check: up, points: 20,\n"
                         "     decay: {from: a, full: 10m, zero_at: 40m, floor: 5}}\n"
                         "  - {id: w, kind: question, text: t, answer: {time: {inject: a}}}\n"
                         "  - {id: r, kind: report");
    char *full =
        xasprintf("%spenalties:\n  - {id: down, check: up, points: 5, after: b, max: 15}\n", text);
    scenario *s;
    char *errs = load_errors(full, &s);
    assert_string_equal(errs, "");
    const objective *o = scenario_objective(s, "s");
    assert_string_equal(o->decay.from, "a");
    assert_int_equal(o->decay.full_ms, 600000);
    assert_int_equal(o->decay.zero_at_ms, 2400000);
    assert_int_equal(o->decay.floor, 5);
    const objective *w = scenario_objective(s, "w");
    assert_int_equal(w->answer, ANSWER_TIME);
    assert_int_equal(w->tolerance_ms, 120000);
    assert_int_equal(s->npenalties, 1);
    assert_false(s->penalties[0].when_passing);
    assert_int_equal(s->penalties[0].max, 15);
    scenario_free(s);
    free(errs);
    free(full);
    free(text);
    expect_error("points: 6}]}", "points: 6}], decay: {from: a, full: 1m, zero_at: 2m}}",
                 "'decay' applies only to check and question objectives");
}

/* Questions take 'decay' as checks do. */
static void questions_take_decay(void **state)
{
    char *text = variant("attempts: 2, points: 3}",
                         "attempts: 2, points: 3,\n"
                         "     decay: {from: a, full: 1m, zero_at: 3m, floor: 1}}");
    scenario *s;
    char *errs = load_errors(text, &s);
    assert_string_equal(errs, "");
    const objective *q = scenario_objective(s, "q");
    assert_string_equal(q->decay.from, "a");
    assert_int_equal(q->decay.zero_at_ms, 180000);
    assert_int_equal(q->decay.floor, 1);
    scenario_free(s);
    free(errs);
    free(text);
}

/* Conditions on the team's progress load with what they say (the short
 * and the long forms), and team requests with their parts. */
static void progress_conditions_and_requests_load(void **state)
{
    char *text = variant("  - {id: c, when:",
                         "  - {id: d, when: {all: [{objective: r}, {answered: q},\n"
                         "      {answered: {objective: q, right: false}}, {report: r},\n"
                         "      {hint: {objective: q, number: 1}}, {hint: q},\n"
                         "      {request: {id: call, state: refused}}, {request: reimage}]},\n"
                         "     note: n}\n"
                         "  - {id: c, when:");
    char *full = xasprintf("%s"
                           "requests:\n"
                           "  - {id: reimage, title: {en: Re-image, ja: 再イメージ},\n"
                           "     fires: [a, b], cost: 5, limit: 2}\n"
                           "  - {id: call, title: Call, approval: auto}\n",
                           text);
    char *with_hint = NULL;
    {
        const char *at = strstr(full, "points: 3}");
        with_hint = xasprintf("%.*spoints: 3, hints: [{text: h}]}%s", (int)(at - full), full,
                              at + strlen("points: 3}"));
    }
    scenario *s;
    char *errs = load_errors(with_hint, &s);
    assert_string_equal(errs, "");
    const condition *all = scenario_inject(s, "d")->when;
    assert_int_equal(all->nkids, 8);
    assert_int_equal(all->kids[0]->kind, COND_OBJECTIVE);
    assert_string_equal(all->kids[0]->ref, "r");
    assert_int_equal(all->kids[1]->kind, COND_ANSWERED);
    assert_int_equal(all->kids[1]->answered, ANSWERED_ANY);
    assert_int_equal(all->kids[2]->answered, ANSWERED_WRONG);
    assert_int_equal(all->kids[3]->kind, COND_REPORT);
    assert_int_equal(all->kids[4]->kind, COND_HINT);
    assert_int_equal(all->kids[4]->hint, 1);
    assert_int_equal(all->kids[5]->hint, 0);
    assert_int_equal(all->kids[6]->kind, COND_REQUEST);
    assert_int_equal(all->kids[6]->stage, REQUEST_REFUSED);
    assert_string_equal(all->kids[6]->ref, "call");
    assert_int_equal(all->kids[7]->stage, REQUEST_APPROVED);
    assert_int_equal(s->nrequests, 2);
    const team_request *r = scenario_request(s, "reimage");
    assert_int_equal(r->approval, APPROVAL_INSTRUCTOR);
    assert_int_equal(r->nfires, 2);
    assert_string_equal(r->fires[1], "b");
    assert_int_equal(r->cost, 5);
    assert_int_equal(r->limit, 2);
    assert_string_equal(l10n_get(&r->title, "ja", "en"), "再イメージ");
    assert_int_equal(scenario_request(s, "call")->approval, APPROVAL_AUTO);
    assert_int_equal(scenario_request(s, "call")->limit, 1);
    assert_null(scenario_request(s, "nope"));
    scenario_free(s);
    free(errs);
    free(with_hint);
    free(full);
    free(text);
}

static void power_and_combined_checks_load(void **state)
{
    static const char TEXT[] =
        "enshu: 1\n"
        "id: probes\n"
        "title: Probes\n"
        "network: {segments: [{name: lan}]}\n"
        "nodes:\n"
        "  - {name: pc, image: workstation, interfaces: [{segment: lan}]}\n"
        "  - {name: gw, image: router, interfaces: [{segment: lan}]}\n"
        "checks:\n"
        "  - {id: off, node: pc, power: stopped}\n"
        "  - {id: on, node: pc, power: running, interval: 5s}\n"
        "  - id: both\n"
        "    all:\n"
        "      - {node: gw, command: 'nft list ruleset', expect: {output: '{{addr pc}}'}}\n"
        "      - {node: pc, power: running}\n"
        "  - {id: either, any: [{node: gw, command: 'true', user: nobody}], timeout: 5s}\n"
        "penalties: [{id: p, check: off, when: passing, points: 5}]\n";
    scenario *s = NULL;
    char *errs = load_errors(TEXT, &s);
    assert_string_equal(errs, "");
    free(errs);
    assert_int_equal(s->checks[0].kind, CHECK_POWER);
    assert_false(s->checks[0].power_running);
    assert_string_equal(s->checks[0].node, "pc");
    assert_null(s->checks[0].command);
    assert_int_equal(s->checks[1].kind, CHECK_POWER);
    assert_true(s->checks[1].power_running);
    const check *both = scenario_check(s, "both");
    assert_int_equal(both->kind, CHECK_ALL);
    assert_null(both->node);
    assert_int_equal(both->nprobes, 2);
    assert_int_equal(both->probes[0].kind, CHECK_COMMAND);
    assert_string_equal(both->probes[0].node, "gw");
    assert_string_equal(both->probes[0].expect_output, "{{addr pc}}");
    assert_int_equal(both->probes[1].kind, CHECK_POWER);
    const check *either = scenario_check(s, "either");
    assert_int_equal(either->kind, CHECK_ANY);
    assert_string_equal(either->probes[0].user, "nobody");
    assert_int_equal(either->timeout_ms, 5000);
    scenario_free(s);
}

static void team_values_fill_templates(void **state)
{
    scenario *s = NULL;
    char *errs = load_errors(MINIMAL, &s);
    free(errs);
    range_plan *plan = range_plan_new(s, "mini", 2, 0);
    team_vars *v = team_vars_from_plan(plan);
    /* Team 2 is block 1: lan 10.90.2.0/24, wan 10.90.3.0/24. */
    char *text = team_vars_expand(v, 2,
                                  "T{{team}} {{addr pc}} {{ addr gw wan }} {{subnet wan}} "
                                  "{{gateway lan}} {{unknown}} {{addr");
    assert_string_equal(text,
                        "T2 10.90.2.10 10.90.3.254 10.90.3.0/24 10.90.2.2 {{unknown}} {{addr");
    free(text);
    char *json = team_vars_to_json(v);
    team_vars *back = NULL;
    assert_int_equal(team_vars_from_json(json, &back), 0);
    assert_int_equal(team_vars_teams(back), 2);
    assert_string_equal(team_vars_get(back, 1, "addr gw lan"), "10.90.0.2");
    assert_string_equal(team_vars_get(back, 2, "gateway wan"), "10.90.3.254");
    assert_null(team_vars_get(back, 3, "addr pc"));
    text = team_vars_expand(NULL, 4, "{{team}}:{{addr pc}}");
    assert_string_equal(text, "4:{{addr pc}}");
    free(text);
    team_vars *bad = NULL;
    assert_int_not_equal(team_vars_from_json("{\"teams\": [{\"team\": 2}]}", &bad), 0);
    assert_int_not_equal(team_vars_from_json("not json", &bad), 0);
    assert_null(bad);
    assert_true(template_has("a {{b}}"));
    assert_false(template_has("a {b}"));
    team_vars_free(back);
    team_vars_free(NULL);
    free(json);
    team_vars_free(v);
    range_plan_free(plan);
    scenario_free(s);
}

/* The organisation: time zone, locale and accounts, with where they are
 * when they are wrong. */
static void organisation_loads_and_is_checked(void **state)
{
    char *text = variant("nodes:\n", "time_zone: America/Argentina/Buenos_Aires\n"
                                     "locale: ja_JP.UTF-8\n"
                                     "users:\n"
                                     "  - name: alice\n"
                                     "    password: 'Pw-{{team}}-{{addr pc}}'\n"
                                     "    title: {en: Accounting, ja: 経理}\n"
                                     "    nodes: [pc2, gw]\n"
                                     "  - {name: _svc-1, password: 'x:y', sudo: false}\n"
                                     "nodes:\n");
    scenario *s = NULL;
    char *errs = load_errors(text, &s);
    assert_string_equal(errs, "");
    free(errs);
    free(text);
    assert_string_equal(s->time_zone, "America/Argentina/Buenos_Aires");
    assert_string_equal(s->locale, "ja_JP.UTF-8");
    assert_int_equal(s->nusers, 2);
    const scenario_user *alice = &s->users[0], *svc = &s->users[1];
    assert_string_equal(alice->name, "alice");
    assert_string_equal(l10n_get(&alice->title, "ja", "en"), "経理");
    assert_false(alice->sudo);
    assert_int_equal(alice->nnodes, 2);
    /* Named nodes: those, whatever their role or image. */
    assert_false(scenario_user_on_node(s, alice, &s->nodes[0], true));
    assert_true(scenario_user_on_node(s, alice, &s->nodes[1], true));
    assert_true(scenario_user_on_node(s, alice, &s->nodes[2], false));
    /* Default: every blue or grey node whose image runs Linux. */
    assert_null(svc->nodes);
    assert_true(scenario_user_on_node(s, svc, &s->nodes[0], true));
    assert_true(scenario_user_on_node(s, svc, &s->nodes[2], true)); /* grey */
    assert_false(scenario_user_on_node(s, svc, &s->nodes[0], false));
    s->nodes[1].role = ROLE_RED;
    assert_false(scenario_user_on_node(s, svc, &s->nodes[1], true));
    /* Each team's own password. */
    range_plan *plan = range_plan_new(s, "mini", 2, 0);
    team_vars *v = team_vars_from_plan(plan);
    char *pw = team_vars_expand(v, 2, alice->password);
    assert_string_equal(pw, "Pw-2-10.90.2.10");
    free(pw);
    team_vars_free(v);
    range_plan_free(plan);
    scenario_free(s);

    /* Without them, the images' own. */
    s = NULL;
    errs = load_errors(MINIMAL, &s);
    free(errs);
    assert_null(s->time_zone);
    assert_null(s->locale);
    assert_int_equal(s->nusers, 0);
    scenario_free(s);

    static const char *const good_zones[] = {"UTC", "Asia/Tokyo", "Etc/GMT-9", "EST5EDT"};
    for (size_t i = 0; i < 4; i++) {
        char *line = xasprintf("time_zone: %s\nnodes:\n", good_zones[i]);
        text = variant("nodes:\n", line);
        errs = load_errors(text, NULL);
        assert_string_equal(errs, "");
        free(errs);
        free(text);
        free(line);
    }
    expect_error("nodes:\n", "time_zone: Asia//Tokyo\nnodes:\n",
                 "t.yaml:10:12: error: 'time_zone' is 'Asia//Tokyo'; it must name a zone");
    expect_error("nodes:\n", "time_zone: ../etc/passwd\nnodes:\n",
                 "t.yaml:10:12: error: 'time_zone' is '../etc/passwd'");
    expect_error("nodes:\n", "time_zone: 'Asia/Tokyo quiet'\nnodes:\n",
                 "t.yaml:10:12: error: 'time_zone' is 'Asia/Tokyo quiet'");
    expect_error("nodes:\n", "locale: ja_JP\nnodes:\n",
                 "t.yaml:10:9: error: 'locale' is 'ja_JP'; it must be a UTF-8 locale");
    expect_error("nodes:\n", "locale: JA_jp.UTF-8\nnodes:\n", "t.yaml:10:9: error: 'locale'");
    expect_error("nodes:\n", "locale: [ja_JP.UTF-8]\nnodes:\n",
                 "t.yaml:10:9: error: 'locale' of the scenario must be text, not a list");
    expect_error("nodes:\n", "users: [{name: 1abc, password: x}]\nnodes:\n",
                 "t.yaml:10:16: error: user name '1abc' is not a Linux user name");
    expect_error("nodes:\n", "users: [{name: bob}]\nnodes:\n",
                 "t.yaml:10:9: error: a user is missing 'password'");
    expect_error("nodes:\n", "users: [{name: bob, password: x, nodes: [pc3]}]\nnodes:\n",
                 "t.yaml:10:42: error: unknown node 'pc3'; did you mean 'pc'?");
    expect_error("nodes:\n", "users: [{name: bob, password: '{{addr pc9}}'}]\nnodes:\n",
                 "t.yaml:10:31: error: 'password': ");
    /* No sudo on the BusyBox images: refused where a sudoer would be. */
    expect_error("nodes:\n", "users: [{name: bob, password: x, sudo: true}]\nnodes:\n",
                 "t.yaml:10:40: error: user 'bob' has 'sudo: true', but node 'pc' runs the "
                 "BusyBox image 'workstation', which has no sudo");
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
        cmocka_unit_test(power_link_and_attachments_load),
        cmocka_unit_test(mail_users_and_owners_load),
        cmocka_unit_test(mail_users_and_owners_are_checked),
        cmocka_unit_test(templates_are_checked_at_load),
        cmocka_unit_test(decay_penalties_and_time_answers_load),
        cmocka_unit_test(power_and_combined_checks_load),
        cmocka_unit_test(questions_take_decay),
        cmocka_unit_test(progress_conditions_and_requests_load),
        cmocka_unit_test(team_values_fill_templates),
        cmocka_unit_test(organisation_loads_and_is_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
