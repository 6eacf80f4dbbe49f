/*
 * A self-paced course's injects and checks on its trainees' own sandboxes
 * (sandbox_actions.h), on simulated hosts (libvirt's test driver) and a
 * fake clock: team slot t acts on range PREFIX-st and on no other, each
 * slot's template values are its sandbox's (and the ledger records them),
 * and a slot whose sandbox was revoked or torn down fails clearly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "diag.h"
#include "errors.h"
#include "event_store.h"
#include "exercise_record.h"
#include "libvirt_conn.h"
#include "range_files.h"
#include "range_team_vars.h"
#include "sandbox_actions.h"
#include "sandbox_course.h"
#include "sandbox_hosts.h"
#include "sim_images.h"

#include <sodium.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM(n) "test://" HOSTS_DIR "/sim" #n ".xml"
#define MINUTE 60000

static char *workdir;

/* One guest per sandbox; an inject that pulls its plug, a check that it
 * is off, and a message that names its address. */
static const char SCENARIO_TEXT[] =
    "enshu: 1\n"
    "id: sim-course\n"
    "title: Sandbox actions on simulated hosts\n"
    "teams: {min: 1, max: 8}\n"
    "network:\n"
    "  pool: 10.89.0.0/16\n"
    "  segments:\n"
    "    - {name: lan}\n"
    "nodes:\n"
    "  - {name: ws, image: workstation, interfaces: [{segment: lan, host: 10}]}\n"
    "injects:\n"
    "  - {id: off, at: 1m, target: ws, power: stop}\n"
    "  - id: hello\n"
    "    at: 2m\n"
    "    message: {from: soc@example.jp, subject: 'Look at {{addr ws}}', body: 'Team {{team}}'}\n"
    "checks:\n"
    "  - {id: ws-off, node: ws, power: stopped, interval: 20s}\n";

static int setup(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/enshu-sandbox-actions-XXXXXX";
    workdir = xstrdup(mkdtemp(tmpl));
    char *images = xasprintf("%s/images", workdir);
    char *pool = xasprintf("%s/pool", workdir);
    setenv("ENSHU_STATE_DIR", workdir, 1);
    setenv("ENSHU_IMAGE_DIR", images, 1);
    setenv("ENSHU_POOL_DIR", pool, 1);
    free(pool);
    free(images);
    sim_make_image("workstation");
    char *hosts = xasprintf("%s/hosts.yaml", workdir);
    sim_write_file(hosts, "hosts:\n  - {uri: '" SIM(1) "', memory: 2G}\n");
    free(hosts);
    char *course_file = xasprintf("%s/course.yaml", workdir);
    sim_write_file(course_file, SCENARIO_TEXT);
    free(course_file);
    libvirt_setup();
    assert_true(sodium_init() >= 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = xasprintf("rm -rf %s", workdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", workdir);
    free(cmd);
    free(workdir);
    return 0;
}

static _Atomic int64_t fake_now;

static int64_t fake_wall(void *ctx)
{
    (void)ctx;
    return atomic_load(&fake_now);
}

/* Whether sandbox id's guest runs on the simulated host: 1 running, 0
 * not, -1 no such guest. */
static int guest_running(virConnectPtr conn, unsigned id)
{
    char *range = sandbox_range_name("sact", id);
    char *prefix = xasprintf("enshu-%s-", range);
    virDomainPtr *doms;
    int n = virConnectListAllDomains(conn, &doms, 0), running = -1;
    for (int i = 0; i < n; i++) {
        if (strncmp(virDomainGetName(doms[i]), prefix, strlen(prefix)) == 0)
            running = virDomainIsActive(doms[i]) == 1;
        virDomainFree(doms[i]);
    }
    free(doms);
    free(prefix);
    free(range);
    return running;
}

static const inject *inject_named(const scenario *s, const char *id)
{
    for (size_t i = 0; i < s->ninjects; i++)
        if (!strcmp(s->injects[i].id, id))
            return &s->injects[i];
    fail_msg("no inject %s", id);
    return NULL;
}

static void each_slot_acts_on_its_own_sandbox_and_a_gone_one_fails(void **state)
{
    (void)state;
    char *scenario_path = xasprintf("%s/course.yaml", workdir);
    char *hosts = xasprintf("%s/hosts.yaml", workdir);
    char *ledger_path = xasprintf("%s/course.db", workdir);
    diag_list *diags = diag_list_new();
    scenario *s = scenario_load_file(scenario_path, diags);
    if (!s)
        diag_list_print(diags, stderr);
    assert_non_null(s);
    diag_list_free(diags);
    event_store *ledger = NULL;
    assert_int_equal(event_store_open(ledger_path, true, &ledger), ENSHU_OK);
    sandbox_actions *sa = sandbox_actions_new(s, "sact", 8, ledger);
    const team_vars *vars = sandbox_actions_team_vars(sa);
    assert_int_equal(exercise_record_write(ledger, scenario_path, s, 8, vars), ENSHU_OK);
    exercise_hooks h = {0};
    sandbox_actions_hooks(sa, &h);

    atomic_store(&fake_now, 1700000000000);
    sandbox_course_config cfg = {.scenario_path = scenario_path,
                                 .hosts_path = hosts,
                                 .prefix = "sact",
                                 .pool = {.course_code = "SEC-101",
                                          .warm = 2,
                                          .max_jobs = 2,
                                          .host_builds = 1,
                                          .ttl_ms = 30 * MINUTE,
                                          .build_guess_ms = MINUTE,
                                          .teardown_guess_ms = MINUTE},
                                 .wall_ms = fake_wall,
                                 .on_range = sandbox_actions_on_range,
                                 .range_ctx = sa};
    sandbox_course *c = sandbox_course_open(&cfg);
    assert_non_null(c);
    sandbox_course_wait_idle(c);
    sandbox_grant a, b;
    assert_int_equal(sandbox_course_request(c, "SEC-101", "alice", &a), ENSHU_OK);
    assert_int_equal(sandbox_course_request(c, "SEC-101", "bob", &b), ENSHU_OK);
    assert_false(a.queued || b.queued);
    assert_int_equal(a.sandbox, 1);
    assert_int_equal(b.sandbox, 2);
    sandbox_course_wait_idle(c);

    /* Each slot's values are its sandbox's team 1's: two ranges on one
     * host, so two address blocks. */
    for (unsigned id = 1; id <= 2; id++) {
        char *range = sandbox_range_name("sact", id);
        team_vars *theirs = NULL;
        assert_int_equal(team_vars_from_range(s, range, &theirs), ENSHU_OK);
        assert_non_null(team_vars_get(theirs, 1, "addr ws"));
        assert_string_equal(team_vars_get(vars, (int)id, "addr ws"),
                            team_vars_get(theirs, 1, "addr ws"));
        team_vars_free(theirs);
        free(range);
    }
    assert_string_not_equal(team_vars_get(vars, 1, "addr ws"), team_vars_get(vars, 2, "addr ws"));
    /* The ledger records them, for scoring from the ledger alone. */
    exercise_record rec = {0};
    assert_int_equal(exercise_record_read(ledger, "test", &rec), ENSHU_OK);
    assert_non_null(rec.vars);
    assert_string_equal(team_vars_get(rec.vars, 2, "addr ws"), team_vars_get(vars, 2, "addr ws"));
    exercise_record_fini(&rec);

    /* A message names the slot's own address. */
    inject_outcome out = INJECT_OUTCOME_INIT;
    inject_outcome fresh = INJECT_OUTCOME_INIT;
    assert_int_equal(h.run_inject(h.ctx, 2, inject_named(s, "hello"), &out), ENSHU_OK);
    assert_non_null(strstr(out.output, team_vars_get(vars, 2, "addr ws")));
    inject_outcome_fini(&out);

    /* Alice's inject stops her guest, not Bob's; her check passes, his not. */
    /* The test driver keeps its guests per connection: the one every
     * conn_cache shares. */
    conn_cache *conns = conn_cache_new();
    virConnectPtr conn = conn_cache_get(conns, SIM(1), 0);
    assert_non_null(conn);
    assert_int_equal(guest_running(conn, 1), 1);
    assert_int_equal(guest_running(conn, 2), 1);
    out = fresh;
    assert_int_equal(h.run_inject(h.ctx, 1, inject_named(s, "off"), &out), ENSHU_OK);
    inject_outcome_fini(&out);
    assert_int_equal(guest_running(conn, 1), 0);
    assert_int_equal(guest_running(conn, 2), 1);
    bool passing = false;
    char *output = NULL;
    assert_int_equal(h.run_check(h.ctx, 1, &s->checks[0], &passing, &output), ENSHU_OK);
    assert_true(passing);
    free(output);
    assert_int_equal(h.run_check(h.ctx, 2, &s->checks[0], &passing, &output), ENSHU_OK);
    assert_false(passing);
    free(output);

    /* Alice's sandbox is revoked: her slot fails at once, saying so (its
     * teardown may have begun already), and after the teardown its guests
     * are gone. */
    assert_int_equal(sandbox_course_revoke(c, 1), ENSHU_OK);
    assert_int_equal(h.run_check(h.ctx, 1, &s->checks[0], &passing, &output), ENSHU_OK);
    assert_false(passing);
    assert_true(strstr(output, "sandbox 1 (range sact-s1) was revoked") ||
                strstr(output, "sandbox 1 (range sact-s1) was torn down"));
    free(output);
    sandbox_course_wait_idle(c);
    assert_int_equal(guest_running(conn, 1), -1);
    out = fresh;
    assert_true(h.run_inject(h.ctx, 1, inject_named(s, "off"), &out) < 0);
    assert_non_null(strstr(out.output, "torn down"));
    inject_outcome_fini(&out);
    assert_int_equal(h.run_check(h.ctx, 1, &s->checks[0], &passing, &output), ENSHU_OK);
    assert_false(passing);
    assert_non_null(strstr(output, "sandbox 1 (range sact-s1) was torn down"));
    free(output);
    /* Bob's goes on. */
    assert_int_equal(guest_running(conn, 2), 1);
    out = fresh;
    assert_int_equal(h.run_inject(h.ctx, 2, inject_named(s, "off"), &out), ENSHU_OK);
    inject_outcome_fini(&out);
    assert_int_equal(guest_running(conn, 2), 0);
    /* A slot whose sandbox was never built has no guests to act on. */
    assert_int_equal(h.run_check(h.ctx, 8, &s->checks[0], &passing, &output), ENSHU_OK);
    assert_false(passing);
    assert_non_null(strstr(output, "not built yet"));
    free(output);

    sandbox_course_close(c);
    assert_int_equal(guest_running(conn, 2), -1);
    assert_int_equal(h.run_check(h.ctx, 2, &s->checks[0], &passing, &output), ENSHU_OK);
    assert_false(passing);
    free(output);
    conn_cache_free(conns);
    sandbox_actions_free(sa);
    event_store_free(ledger);
    scenario_free(s);
    free(ledger_path);
    free(hosts);
    free(scenario_path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_slot_acts_on_its_own_sandbox_and_a_gone_one_fails),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
