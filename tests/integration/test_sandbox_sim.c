/*
 * A self-paced course's sandbox pool on simulated hosts (libvirt's test
 * driver) and a fake clock: the pool's decisions (sandbox_pool.h) carried
 * out as one-team ranges (sandbox_hosts.h), with the hosts' slots read
 * from their capacity. Trainees get warm sandboxes, reach their TTL and
 * are torn down while the pool refills; a trainee beyond capacity waits in
 * the queue with an estimate; resume tokens, revoke and extend; a build
 * that fails half-way; and a course run by sandbox_course's threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "sim_images.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "range_files.h"
#include "sandbox_course.h"
#include "sandbox_hosts.h"
#include "sandbox_pool.h"

#include <sodium.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIM(n) "test://" HOSTS_DIR "/sim" #n ".xml"
#define MINUTE 60000
#define BUILD_MS (30 * 1000)   /* what each simulated build takes on the fake clock */
#define TEARDOWN_MS (4 * 1000) /* and each teardown */

static char *workdir;

static int setup(void **state)
{
    char tmpl[] = "/tmp/enshu-sandbox-XXXXXX";
    workdir = xstrdup(mkdtemp(tmpl));
    char *images = xasprintf("%s/images", workdir);
    char *pool = xasprintf("%s/pool", workdir);
    setenv("ENSHU_STATE_DIR", workdir, 1);
    setenv("ENSHU_IMAGE_DIR", images, 1);
    setenv("ENSHU_POOL_DIR", pool, 1);
    free(pool);
    free(images);
    static const char *const imgs[] = {"workstation", "server", "attacker", "router"};
    for (size_t i = 0; i < 4; i++)
        sim_make_image(imgs[i]);
    /* A team of intro-office is 4 x 160 MiB: 2 GiB holds 3; the other
     * host is limited to 1 team. Four slots in all. */
    char *hosts = xasprintf("%s/hosts.yaml", workdir);
    sim_write_file(hosts, "hosts:\n"
                          "  - {uri: '" SIM(1) "', memory: 2G}\n"
                                               "  - {uri: '" SIM(2) "', teams: 1}\n");
    free(hosts);
    libvirt_setup();
    assert_true(sodium_init() >= 0);
    return 0;
}

static int teardown(void **state)
{
    char *cmd = xasprintf("rm -rf %s", workdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", workdir);
    free(cmd);
    free(workdir);
    return 0;
}

/* A course under test: its pool, its hosts and the fake clock. */
typedef struct course {
    sandbox_pool *pool;
    host_list *hosts;
    unsigned *slots;
    conn_cache *conns;
    const char *prefix;
    int64_t now;
    unsigned builds, teardowns; /* jobs carried out so far */
} course;

static course *course_open(const char *prefix, unsigned warm, unsigned max_jobs, int64_t ttl_ms)
{
    course *c = xcalloc(1, sizeof *c);
    c->conns = conn_cache_new();
    c->prefix = prefix;
    c->now = 1700000000000;
    char *hosts = xasprintf("%s/hosts.yaml", workdir);
    assert_int_equal(sandbox_hosts_slots(SCENARIO, hosts, c->conns, &c->hosts, &c->slots),
                     ENSHU_OK);
    free(hosts);
    sandbox_pool_config cfg = {.course_code = "SEC-101",
                               .warm = warm,
                               .max_jobs = max_jobs,
                               .ttl_ms = ttl_ms,
                               .build_guess_ms = BUILD_MS,
                               .teardown_guess_ms = TEARDOWN_MS};
    c->pool = sandbox_pool_new(&cfg, c->slots, c->hosts->count);
    assert_non_null(c->pool);
    return c;
}

static int count_domains(virConnectPtr conn, const char *prefix)
{
    virDomainPtr *doms;
    int n = virConnectListAllDomains(conn, &doms, 0), found = 0;
    for (int i = 0; i < n; i++) {
        if (strncmp(virDomainGetName(doms[i]), prefix, strlen(prefix)) == 0)
            found++;
        virDomainFree(doms[i]);
    }
    free(doms);
    return found;
}

/* The guests of sandbox id on all hosts. */
static int sandbox_guests(course *c, unsigned id)
{
    char *range = sandbox_range_name(c->prefix, id);
    char *prefix = xasprintf("enshu-%s-", range);
    int n = 0;
    for (size_t h = 0; h < c->hosts->count; h++)
        n += count_domains(conn_cache_get(c->conns, c->hosts->items[h].uri, 0), prefix);
    free(prefix);
    free(range);
    return n;
}

static int guests_on(course *c, size_t host)
{
    char *prefix = xasprintf("enshu-%s-s", c->prefix);
    int n = count_domains(conn_cache_get(c->conns, c->hosts->items[host].uri, 0), prefix);
    free(prefix);
    return n;
}

/* Carries out every job the pool wants, round after round: each round's
 * jobs run on the simulated hosts and are reported done BUILD_MS or
 * TEARDOWN_MS later on the fake clock (the longer when both). Until the
 * pool wants nothing more. */
static void settle(course *c)
{
    for (;;) {
        sandbox_action acts[16];
        size_t n = 0;
        while (n < 16 && sandbox_pool_next_action(c->pool, c->now, &acts[n]))
            n++;
        if (n == 0)
            return;
        /* Never more at once than max_jobs (2 in these tests). */
        assert_true(n <= 2);
        bool built = false;
        for (size_t i = 0; i < n; i++) {
            const char *uri = c->hosts->items[acts[i].host].uri;
            if (acts[i].kind == SANDBOX_BUILD) {
                assert_int_equal(sandbox_range_build(SCENARIO, c->prefix, acts[i].sandbox, uri, 0,
                                                     false, c->conns),
                                 ENSHU_OK);
                assert_int_equal(sandbox_guests(c, acts[i].sandbox), 4);
                built = true;
                c->builds++;
            } else {
                assert_int_equal(sandbox_range_teardown(c->prefix, acts[i].sandbox, c->conns),
                                 ENSHU_OK);
                assert_int_equal(sandbox_guests(c, acts[i].sandbox), 0);
                c->teardowns++;
            }
        }
        c->now += built ? BUILD_MS : TEARDOWN_MS;
        for (size_t i = 0; i < n; i++) {
            if (acts[i].kind == SANDBOX_BUILD)
                assert_int_equal(sandbox_pool_built(c->pool, acts[i].sandbox, c->now, true), 0);
            else
                assert_int_equal(sandbox_pool_torn_down(c->pool, acts[i].sandbox, c->now, true), 0);
        }
    }
}

/* Takes every sandbox down and checks that nothing is left on the hosts. */
static void course_close(course *c)
{
    sandbox_pool_drain(c->pool);
    sandbox_grant g;
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "latecomer", c->now, &g),
                     ENSHU_EPHASE);
    settle(c);
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_STATE_COUNT), 0);
    for (size_t h = 0; h < c->hosts->count; h++)
        assert_int_equal(guests_on(c, h), 0);
    sandbox_pool_free(c->pool);
    host_list_free(c->hosts);
    free(c->slots);
    conn_cache_free(c->conns);
    free(c);
}

static void slots_come_from_the_hosts_capacity(void **state)
{
    course *c = course_open("cap", 4, 2, 60 * MINUTE);
    assert_int_equal(c->hosts->count, 2);
    assert_int_equal(c->slots[0], 3); /* 2048 MiB / 640 MiB */
    assert_int_equal(c->slots[1], 1); /* teams: 1 */
    assert_int_equal(sandbox_pool_capacity(c->pool), 4);
    settle(c);
    /* Four warm, spread by the share of each host's slots in use. */
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_WARM), 4);
    assert_int_equal(guests_on(c, 0), 3 * 4);
    assert_int_equal(guests_on(c, 1), 1 * 4);
    /* Two jobs at a time: two rounds of builds. */
    assert_int_equal(c->builds, 4);
    assert_int_equal(c->now, 1700000000000 + 2 * BUILD_MS);
    course_close(c);
}

static void trainees_get_sandboxes_one_expires_and_the_pool_refills(void **state)
{
    course *c = course_open("exp", 1, 2, 30 * MINUTE);
    settle(c);
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_WARM), 1);

    sandbox_grant alice, bob;
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "alice", c->now, &alice), 0);
    assert_false(alice.queued);
    assert_int_equal(sandbox_guests(c, alice.sandbox), 4);
    assert_int_equal(alice.expires_ms, c->now + 30 * MINUTE);
    settle(c); /* refills the warm one alice took */
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "bob", c->now, &bob), 0);
    assert_false(bob.queued);
    assert_int_not_equal(bob.sandbox, alice.sandbox);
    settle(c);
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_ALLOCATED), 2);
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_WARM), 1);

    /* Bob gets 20 more minutes; alice's TTL arrives. */
    assert_int_equal(sandbox_pool_extend(c->pool, bob.sandbox, 20 * MINUTE), 0);
    assert_int_equal(sandbox_pool_next_wake(c->pool, c->now), alice.expires_ms);
    c->now = alice.expires_ms;
    unsigned builds = c->builds;
    settle(c);
    assert_int_equal(c->teardowns, 1);
    assert_int_equal(sandbox_guests(c, alice.sandbox), 0);
    sandbox_info info;
    assert_int_equal(sandbox_pool_info(c->pool, alice.sandbox, &info), ENSHU_ENOTFOUND);
    assert_int_equal(sandbox_pool_info(c->pool, bob.sandbox, &info), 0);
    assert_int_equal(info.state, SANDBOX_ALLOCATED);
    assert_string_equal(info.trainee, "bob");
    assert_int_equal(sandbox_guests(c, bob.sandbox), 4);
    /* The pool already had its warm one: the freed slot is not refilled
     * beyond it. Alice comes back as a new trainee and the pool refills. */
    assert_int_equal(c->builds, builds);
    sandbox_grant again;
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "alice", c->now, &again), 0);
    assert_false(again.queued);
    settle(c);
    assert_int_equal(c->builds, builds + 1);
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_WARM), 1);
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_ALLOCATED), 2);
    /* Refills went to the host with the lowest share of slots in use. */
    assert_true(guests_on(c, 0) <= 3 * 4 && guests_on(c, 1) <= 1 * 4);
    course_close(c);
}

static void beyond_capacity_a_trainee_waits_with_an_estimate(void **state)
{
    course *c = course_open("queue", 2, 2, 60 * MINUTE);
    settle(c);
    const char *names[] = {"t1", "t2", "t3", "t4"};
    sandbox_grant g[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", names[i], c->now, &g[i]), 0);
        assert_false(g[i].queued);
        settle(c);
    }
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_ALLOCATED), 4);
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_STATE_COUNT), 4); /* the hosts are full */
    /* t1 got the first sandbox; every build so far took BUILD_MS. */
    int64_t first_free = g[0].expires_ms;
    assert_true(first_free < g[1].expires_ms);

    sandbox_grant late, later;
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "t5", c->now, &late), 0);
    assert_true(late.queued);
    assert_int_equal(late.position, 1);
    /* t1's TTL, a teardown, a build. */
    assert_int_equal(late.estimate_ms, first_free - c->now + TEARDOWN_MS + BUILD_MS);
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "t6", c->now, &later), 0);
    assert_true(later.queued);
    assert_int_equal(later.position, 2);
    assert_int_equal(later.estimate_ms, g[1].expires_ms - c->now + TEARDOWN_MS + BUILD_MS);
    /* The same name cannot queue twice; a wrong code is refused. */
    sandbox_grant dup;
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "t5", c->now, &dup), ENSHU_EEXIST);
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-102", "t7", c->now, &dup), ENSHU_EINVAL);
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "", c->now, &dup), ENSHU_EINVAL);
    settle(c); /* nothing to do: the hosts are full */
    assert_int_equal(sandbox_pool_queue_length(c->pool), 2);

    /* t2 finishes early: its sandbox is torn down and rebuilt for t5. */
    assert_int_equal(sandbox_pool_revoke(c->pool, g[1].sandbox, c->now), 0);
    int64_t before = c->now;
    settle(c);
    assert_int_equal(c->now, before + TEARDOWN_MS + BUILD_MS);
    sandbox_grant got;
    assert_int_equal(sandbox_pool_poll(c->pool, late.ticket, c->now, &got), 0);
    assert_false(got.queued);
    assert_int_equal(sandbox_guests(c, got.sandbox), 4);
    assert_int_equal(got.expires_ms, c->now + 60 * MINUTE);
    unsigned id;
    assert_int_equal(sandbox_pool_resume(c->pool, got.token, c->now, &id), 0);
    assert_int_equal(id, got.sandbox);
    /* The grant is collected once. */
    assert_int_equal(sandbox_pool_poll(c->pool, late.ticket, c->now, &dup), ENSHU_ENOTFOUND);
    /* t6 moved up; t6 leaves the queue. */
    assert_int_equal(sandbox_pool_poll(c->pool, later.ticket, c->now, &dup), 0);
    assert_true(dup.queued);
    assert_int_equal(dup.position, 1);
    assert_int_equal(sandbox_pool_leave(c->pool, later.ticket), 0);
    assert_int_equal(sandbox_pool_queue_length(c->pool), 0);
    course_close(c);
}

static void resume_tokens_work_until_the_ttl_and_not_after(void **state)
{
    course *c = course_open("token", 2, 2, 10 * MINUTE);
    settle(c);
    sandbox_grant a, b;
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "alice", c->now, &a), 0);
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "bob", c->now, &b), 0);
    assert_int_equal(strlen(a.token), SANDBOX_TOKEN_LEN);
    assert_string_not_equal(a.token, b.token);
    unsigned id = 0;
    assert_int_equal(sandbox_pool_resume(c->pool, a.token, c->now, &id), 0);
    assert_int_equal(id, a.sandbox);
    assert_int_equal(sandbox_pool_resume(c->pool, a.token, a.expires_ms - 1, &id), 0);
    assert_int_equal(sandbox_pool_resume(c->pool, a.token, a.expires_ms, &id), ENSHU_ENOTFOUND);
    /* A token one character off opens nothing. */
    char wrong[SANDBOX_TOKEN_LEN + 1];
    memcpy(wrong, a.token, sizeof wrong);
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    assert_int_equal(sandbox_pool_resume(c->pool, wrong, c->now, &id), ENSHU_ENOTFOUND);
    assert_int_equal(sandbox_pool_resume(c->pool, "", c->now, &id), ENSHU_ENOTFOUND);
    /* A trainee holding a sandbox resumes, not requests again. */
    sandbox_grant dup;
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "alice", c->now, &dup), ENSHU_EEXIST);

    /* Extend: the token works past the old TTL, until the new one. */
    assert_int_equal(sandbox_pool_extend(c->pool, a.sandbox, 5 * MINUTE), 0);
    assert_int_equal(sandbox_pool_resume(c->pool, a.token, a.expires_ms, &id), 0);
    assert_int_equal(sandbox_pool_resume(c->pool, a.token, a.expires_ms + 5 * MINUTE, &id),
                     ENSHU_ENOTFOUND);
    /* Revoke: bob's token stops at once and his sandbox is torn down. */
    assert_int_equal(sandbox_pool_revoke(c->pool, b.sandbox, c->now), 0);
    assert_int_equal(sandbox_pool_resume(c->pool, b.token, c->now, &id), ENSHU_ENOTFOUND);
    assert_int_equal(sandbox_pool_revoke(c->pool, b.sandbox, c->now), ENSHU_ENOTFOUND);
    assert_int_equal(sandbox_pool_extend(c->pool, b.sandbox, MINUTE), ENSHU_ENOTFOUND);
    settle(c);
    assert_int_equal(sandbox_guests(c, b.sandbox), 0);
    /* Past alice's extended TTL her sandbox goes too; bob's name is free again. */
    c->now = a.expires_ms + 5 * MINUTE;
    settle(c);
    assert_int_equal(sandbox_guests(c, a.sandbox), 0);
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_ALLOCATED), 0);
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_WARM), 2);
    assert_int_equal(sandbox_pool_request(c->pool, "SEC-101", "bob", c->now, &dup), 0);
    assert_false(dup.queued);
    course_close(c);
}

static int count_networks(virConnectPtr conn, const char *prefix)
{
    virNetworkPtr *nets;
    int n = virConnectListAllNetworks(conn, &nets, 0), found = 0;
    for (int i = 0; i < n; i++) {
        if (strncmp(virNetworkGetName(nets[i]), prefix, strlen(prefix)) == 0)
            found++;
        virNetworkFree(nets[i]);
    }
    free(nets);
    return found;
}

/* A build that fails half-way (another storage pool claims the overlay
 * directory on the host, so the guests get no disks after their networks
 * were made): the pool tears the half-made range down, waits a mean build
 * time, and builds again once the obstacle is gone. */
static void a_failed_build_is_torn_down_and_retried_later(void **state)
{
    course *c = course_open("fail", 1, 2, 30 * MINUTE);
    virConnectPtr sim1 = conn_cache_get(c->conns, SIM(1), 0);
    char *xml = xasprintf("<pool type='dir'><name>blocker</name><target><path>%s/pool</path>"
                          "</target></pool>",
                          workdir);
    virStoragePoolPtr blocker = virStoragePoolDefineXML(sim1, xml, 0);
    free(xml);
    assert_non_null(blocker);
    sandbox_action a;
    assert_true(sandbox_pool_next_action(c->pool, c->now, &a));
    assert_int_equal(a.kind, SANDBOX_BUILD);
    assert_int_equal(a.host, 0); /* both hosts empty: the first */
    assert_int_not_equal(
        sandbox_range_build(SCENARIO, c->prefix, a.sandbox, SIM(1), 0, false, c->conns), ENSHU_OK);
    assert_int_equal(count_networks(sim1, "enshu-fail-s1-"), 3);
    c->now += 1000;
    assert_int_equal(sandbox_pool_built(c->pool, a.sandbox, c->now, false), ENSHU_OK);
    assert_true(sandbox_pool_next_action(c->pool, c->now, &a));
    assert_int_equal(a.kind, SANDBOX_TEARDOWN);
    assert_int_equal(sandbox_range_teardown(c->prefix, a.sandbox, c->conns), ENSHU_OK);
    assert_int_equal(sandbox_pool_torn_down(c->pool, a.sandbox, c->now, true), ENSHU_OK);
    assert_int_equal(count_networks(sim1, "enshu-fail-s1-"), 0);
    assert_int_equal(guests_on(c, 0), 0);
    /* No build before the pause is over. */
    assert_false(sandbox_pool_next_action(c->pool, c->now, &a));
    assert_int_equal(sandbox_pool_next_wake(c->pool, c->now), c->now + BUILD_MS);
    assert_int_equal(virStoragePoolUndefine(blocker), 0);
    virStoragePoolFree(blocker);
    c->now = sandbox_pool_next_wake(c->pool, c->now);
    settle(c);
    assert_int_equal(sandbox_pool_count(c->pool, SANDBOX_WARM), 1);
    assert_int_equal(c->builds, 1);
    assert_int_equal(guests_on(c, 0) + guests_on(c, 1), 4);
    course_close(c);
}

static _Atomic int64_t fake_now;

static int64_t fake_wall(void *ctx)
{
    return atomic_load(&fake_now);
}

/* Whether sandbox id's range exists: its state store is there. */
static bool range_exists(sandbox_course *c, unsigned id)
{
    char *name = sandbox_course_range(c, id);
    char *db = range_db_path(name);
    bool there = access(db, F_OK) == 0;
    free(db);
    free(name);
    return there;
}

/* The same course run by sandbox_course's threads: the pool fills, two
 * trainees take sandboxes while it refills, the hosts fill up and a fifth
 * trainee waits, the first TTL frees a slot, and the fifth gets it. */
static void a_course_runs_its_pool_on_threads(void **state)
{
    atomic_store(&fake_now, 1700000000000);
    char *hosts = xasprintf("%s/hosts.yaml", workdir);
    sandbox_course_config cfg = {.scenario_path = SCENARIO,
                                 .hosts_path = hosts,
                                 .prefix = "run",
                                 .pool = {.course_code = "SEC-101",
                                          .warm = 2,
                                          .max_jobs = 2,
                                          .host_builds = 1,
                                          .ttl_ms = 30 * MINUTE,
                                          .build_guess_ms = BUILD_MS,
                                          .teardown_guess_ms = TEARDOWN_MS},
                                 .wall_ms = fake_wall};
    sandbox_course *c = sandbox_course_open(&cfg);
    assert_non_null(c);
    sandbox_course_wait_idle(c);
    assert_int_equal(sandbox_course_count(c, SANDBOX_WARM), 2);
    assert_true(range_exists(c, 1) && range_exists(c, 2));

    const char *names[] = {"alice", "bob", "carol", "dave"};
    sandbox_grant g[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(sandbox_course_request(c, "SEC-101", names[i], &g[i]), ENSHU_OK);
        assert_false(g[i].queued);
        assert_true(range_exists(c, g[i].sandbox));
        sandbox_course_wait_idle(c);
        atomic_fetch_add(&fake_now, MINUTE); /* one trainee a minute */
    }
    assert_int_equal(sandbox_course_count(c, SANDBOX_ALLOCATED), 4);
    assert_int_equal(sandbox_course_count(c, SANDBOX_STATE_COUNT), 4); /* the hosts' 4 slots */
    sandbox_grant eve;
    assert_int_equal(sandbox_course_request(c, "SEC-101", "eve", &eve), ENSHU_OK);
    assert_true(eve.queued);
    /* Alice's TTL, a teardown (none seen yet: the guess), a build (each
     * took no time on the fake clock). */
    assert_int_equal(eve.estimate_ms, g[0].expires_ms - atomic_load(&fake_now) + TEARDOWN_MS);
    unsigned id;
    assert_int_equal(sandbox_course_resume(c, g[0].token, &id), ENSHU_OK);
    assert_int_equal(id, g[0].sandbox);
    assert_int_equal(sandbox_course_extend(c, g[1].sandbox, MINUTE), ENSHU_OK);

    /* Alice's TTL: her sandbox goes, and a new one is built for eve. */
    atomic_store(&fake_now, g[0].expires_ms);
    sandbox_course_tick(c);
    sandbox_course_wait_idle(c);
    assert_false(range_exists(c, g[0].sandbox));
    assert_int_equal(sandbox_course_resume(c, g[0].token, &id), ENSHU_ENOTFOUND);
    sandbox_grant got;
    assert_int_equal(sandbox_course_poll(c, eve.ticket, &got), ENSHU_OK);
    assert_false(got.queued);
    assert_true(range_exists(c, got.sandbox));
    assert_int_equal(sandbox_course_count(c, SANDBOX_ALLOCATED), 4);
    assert_int_equal(sandbox_course_revoke(c, g[2].sandbox), ENSHU_OK);
    assert_int_equal(sandbox_course_failures(c), 0);

    sandbox_course_close(c);
    for (unsigned s = 1; s <= got.sandbox + 2; s++) {
        char *name = sandbox_range_name("run", s);
        char *db = range_db_path(name);
        assert_int_not_equal(access(db, F_OK), 0);
        free(db);
        free(name);
    }
    free(hosts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slots_come_from_the_hosts_capacity),
        cmocka_unit_test(trainees_get_sandboxes_one_expires_and_the_pool_refills),
        cmocka_unit_test(beyond_capacity_a_trainee_waits_with_an_estimate),
        cmocka_unit_test(resume_tokens_work_until_the_ttl_and_not_after),
        cmocka_unit_test(a_failed_build_is_torn_down_and_retried_later),
        cmocka_unit_test(a_course_runs_its_pool_on_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
