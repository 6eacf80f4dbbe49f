/*
 * Bringing ranges up and down on simulated hosts (libvirt's test driver):
 * placement over several hosts, isolation of addresses, idempotent and
 * resumable `up`, and a `down` that leaves nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "log.h"
#include "range.h"
#include "range_files.h"
#include "state_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIM(n) "test://" HOSTS_DIR "/sim" #n ".xml"

static char *workdir;

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* An image in the store: its files (a 32M qcow2 disk; for boot "kernel" an
 * empty kernel and initrd) and image.json with the given fields besides
 * name, os, memory_mib, vcpus, disk and sha256. */
static void make_image(const char *name, const char *fields)
{
    char *folder = xasprintf("%s/%s", getenv("ENSHU_IMAGE_DIR"), name);
    char *cmd = xasprintf("mkdir -p %s && touch %s/vmlinuz %s/initrd.img && "
                          "qemu-img create -q -f qcow2 %s/disk.qcow2 32M",
                          folder, folder, folder, folder);
    assert_int_equal(system(cmd), 0);
    char *path = xasprintf("%s/image.json", folder);
    char *json = xasprintf("{\"name\": \"%s\", \"os\": \"linux\", \"memory_mib\": 160, "
                           "\"vcpus\": 1, \"disk\": \"disk.qcow2\", \"sha256\": "
                           "\"%064d\", %s}\n",
                           name, 0, fields);
    write_file(path, json);
    free(json);
    free(path);
    free(cmd);
    free(folder);
}

static int setup(void **state)
{
    char tmpl[] = "/tmp/enshu-sim-XXXXXX";
    workdir = xstrdup(mkdtemp(tmpl));
    char *images = xasprintf("%s/images", workdir);
    setenv("ENSHU_STATE_DIR", workdir, 1);
    setenv("ENSHU_IMAGE_DIR", images, 1);
    char *pool = xasprintf("%s/pool", workdir);
    setenv("ENSHU_POOL_DIR", pool, 1);
    free(pool);
    static const char *const imgs[] = {"workstation", "server", "attacker", "router"};
    for (size_t i = 0; i < 4; i++)
        make_image(imgs[i], "\"origin\": \"built\", \"boot\": \"kernel\", \"exec\": \"sh\", "
                            "\"addressing\": \"cmdline\", \"consoles\": [\"serial\"]");
    free(images);
    char *hosts = xasprintf("%s/hosts.yaml", workdir);
    write_file(hosts, "hosts:\n"
                      "  - {uri: '" SIM(1) "'}\n"
                                           "  - {uri: '" SIM(2) "'}\n"
                                                                "  - {uri: '" SIM(
                                                                    3) "', teams: 2}\n"
                                                                       "  - {uri: '" SIM(
                                                                           4) "', memory: 4G}\n");
    free(hosts);
    libvirt_setup();
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

static int count_volumes(virConnectPtr conn)
{
    virStoragePoolPtr pool = virStoragePoolLookupByName(conn, "enshu");
    if (!pool)
        return 0;
    int n = virStoragePoolNumOfVolumes(pool);
    virStoragePoolFree(pool);
    return n;
}

static range_up_request request(conn_cache *conns, const char *name, unsigned teams)
{
    static char hosts[512];
    snprintf(hosts, sizeof hosts, "%s/hosts.yaml", workdir);
    range_up_request r = {.scenario_path = SCENARIO,
                          .name = name,
                          .teams = teams,
                          .hosts_path = hosts,
                          .workers = 4,
                          .ready_timeout_ms = 5000,
                          .conns = conns};
    return r;
}

static void teams_spread_over_hosts_and_down_removes_all(void **state)
{
    conn_cache *conns = conn_cache_new();
    range_up_request req = request(conns, "spread", 8);
    assert_int_equal(range_bring_up(&req), ENSHU_OK);
    const char *uris[] = {SIM(1), SIM(2), SIM(3), SIM(4)};
    int total = 0, per_host[4];
    for (int h = 0; h < 4; h++) {
        virConnectPtr c = conn_cache_get(conns, uris[h], 0);
        per_host[h] = count_domains(c, "enshu-spread-");
        assert_int_equal(per_host[h] % 4, 0); /* whole teams only */
        assert_int_equal(count_networks(c, "enshu-spread-"), per_host[h] / 4 * 3);
        assert_int_equal(count_volumes(c), per_host[h]);
        total += per_host[h];
    }
    assert_int_equal(total, 8 * 4);
    assert_true(per_host[2] <= 2 * 4);              /* teams: 2 */
    assert_true(per_host[3] <= 4 * 1024 / 640 * 4); /* memory: 4G */
    /* Least loaded first: the 32 GiB host gets more than the 8 GiB one. */
    assert_true(per_host[1] > 0 && per_host[0] > 0);

    /* Running up again changes nothing. */
    assert_int_equal(range_bring_up(&req), ENSHU_OK);
    int again = 0;
    for (int h = 0; h < 4; h++)
        again += count_domains(conn_cache_get(conns, uris[h], 0), "enshu-spread-");
    assert_int_equal(again, total);

    assert_int_equal(range_take_down("spread", 4, NULL, conns), ENSHU_OK);
    for (int h = 0; h < 4; h++) {
        virConnectPtr c = conn_cache_get(conns, uris[h], 0);
        assert_int_equal(count_domains(c, "enshu-spread-"), 0);
        assert_int_equal(count_networks(c, "enshu-spread-"), 0);
        assert_int_equal(count_volumes(c), 0);
    }
    char *db = range_db_path("spread");
    assert_int_not_equal(access(db, F_OK), 0);
    free(db);
    conn_cache_free(conns);
}

static void two_ranges_share_hosts_without_sharing_subnets(void **state)
{
    conn_cache *conns = conn_cache_new();
    range_up_request a = request(conns, "morning", 3), b = request(conns, "afternoon", 3);
    assert_int_equal(range_bring_up(&a), ENSHU_OK);
    assert_int_equal(range_bring_up(&b), ENSHU_OK);
    /* Every network of both ranges has its own subnet (libvirt would also refuse a clash). */
    const char *uris[] = {SIM(1), SIM(2), SIM(3), SIM(4)};
    char seen[64][32];
    int nseen = 0;
    for (int h = 0; h < 4; h++) {
        virConnectPtr c = conn_cache_get(conns, uris[h], 0);
        virNetworkPtr *nets;
        int n = virConnectListAllNetworks(c, &nets, 0);
        for (int i = 0; i < n; i++) {
            char *xml = virNetworkGetXMLDesc(nets[i], 0);
            char *ip = strstr(xml, "<ip address='");
            if (ip && strstr(virNetworkGetName(nets[i]), "enshu-")) {
                assert_true(nseen < 64);
                snprintf(seen[nseen], 32, "%.20s", ip + 13);
                for (int k = 0; k < nseen; k++)
                    assert_string_not_equal(seen[k], seen[nseen]);
                nseen++;
            }
            free(xml);
            virNetworkFree(nets[i]);
        }
        free(nets);
    }
    assert_int_equal(nseen, 2 * 3 * 3);
    /* A range keeps its plan: up with another team count is refused. */
    range_up_request changed = request(conns, "morning", 4);
    assert_int_equal(range_bring_up(&changed), ENSHU_EINVAL);
    assert_int_equal(range_take_down("morning", 4, NULL, conns), ENSHU_OK);
    assert_int_equal(range_take_down("afternoon", 4, NULL, conns), ENSHU_OK);
    conn_cache_free(conns);
}

static void failed_up_resumes_and_down_cleans_half_made_ranges(void **state)
{
    conn_cache *conns = conn_cache_new();
    /* Four teams land one per host (least loaded first). Sabotage host 4:
     * another pool already claims the overlay directory, so the team placed
     * there cannot get disks while the others come up. */
    range_up_request req = request(conns, "resume", 4);
    const char *uris[] = {SIM(1), SIM(2), SIM(3), SIM(4)};
    char *xml = xasprintf("<pool type='dir'><name>blocker</name><target><path>%s/pool</path>"
                          "</target></pool>",
                          workdir);
    virStoragePoolPtr blocker = virStoragePoolDefineXML(conn_cache_get(conns, SIM(4), 0), xml, 0);
    free(xml);
    assert_non_null(blocker);
    assert_int_not_equal(range_bring_up(&req), ENSHU_OK);
    int partial = 0;
    for (int h = 0; h < 4; h++)
        partial += count_domains(conn_cache_get(conns, uris[h], 0), "enshu-resume-");
    assert_int_equal(partial, 3 * 4); /* teams 1 to 3 are up, team 4 is not */
    assert_int_equal(count_networks(conn_cache_get(conns, SIM(4), 0), "enshu-resume-"), 3);

    /* The obstacle goes away: the same up resumes and completes. */
    assert_int_equal(virStoragePoolUndefine(blocker), 0);
    virStoragePoolFree(blocker);
    assert_int_equal(range_bring_up(&req), ENSHU_OK);
    int full = 0;
    for (int h = 0; h < 4; h++)
        full += count_domains(conn_cache_get(conns, uris[h], 0), "enshu-resume-");
    assert_int_equal(full, 4 * 4);

    /* A crash between a libvirt call and its confirmation leaves a row
     * marked "creating"; down removes that object too. */
    char *db = range_db_path("resume");
    state_store *st;
    assert_int_equal(state_store_open(db, false, &st), ENSHU_OK);
    virConnectPtr c1 = conn_cache_get(conns, SIM(1), 0);
    virNetworkPtr orphan =
        virNetworkDefineXML(c1, "<network><name>enshu-resume-t09-x</name></network>");
    assert_non_null(orphan);
    virNetworkFree(orphan);
    assert_int_equal(state_store_resource_begin(st, 9, RES_NETWORK, "enshu-resume-t09-x", SIM(1)),
                     0);
    state_store_free(st);
    free(db);
    assert_int_equal(range_take_down("resume", 4, NULL, conns), ENSHU_OK);
    for (int h = 0; h < 4; h++) {
        assert_int_equal(count_domains(conn_cache_get(conns, uris[h], 0), "enshu-resume-"), 0);
        assert_int_equal(count_networks(conn_cache_get(conns, uris[h], 0), "enshu-resume-"), 0);
    }
    conn_cache_free(conns);
}

/* A range whose state is elsewhere (another run's state directory) left its
 * objects on the host: a new range of the same name takes none of them over
 * (its guests would carry that run's state), and its down leaves them. */
static void objects_of_another_run_are_not_taken_over(void **state)
{
    conn_cache *conns = conn_cache_new();
    range_up_request req = request(conns, "elsewhere", 1);
    char *one = xasprintf("%s/one-host.yaml", workdir);
    write_file(one, "hosts:\n  - {uri: '" SIM(2) "'}\n");
    req.hosts_path = one;
    assert_int_equal(range_bring_up(&req), ENSHU_OK);
    int before = 0;
    const char *uris[] = {SIM(1), SIM(2), SIM(3), SIM(4)};
    for (int h = 0; h < 4; h++)
        before += count_domains(conn_cache_get(conns, uris[h], 0), "enshu-elsewhere-");
    assert_int_equal(before, 4);
    char *db = range_db_path("elsewhere");
    char *kept = xasprintf("%s.other-run", db);
    assert_int_equal(rename(db, kept), 0);

    assert_int_equal(range_bring_up(&req), ENSHU_EEXIST);
    assert_int_equal(range_take_down("elsewhere", 4, NULL, conns), ENSHU_OK);
    int after = 0;
    for (int h = 0; h < 4; h++)
        after += count_domains(conn_cache_get(conns, uris[h], 0), "enshu-elsewhere-");
    assert_int_equal(after, 4);

    /* With its own state, the other run takes them down. */
    assert_int_equal(rename(kept, db), 0);
    assert_int_equal(range_take_down("elsewhere", 4, NULL, conns), ENSHU_OK);
    for (int h = 0; h < 4; h++)
        assert_int_equal(count_domains(conn_cache_get(conns, uris[h], 0), "enshu-elsewhere-"), 0);
    free(kept);
    free(db);
    free(one);
    conn_cache_free(conns);
}

static void bad_requests_are_refused_before_anything_is_created(void **state)
{
    conn_cache *conns = conn_cache_new();
    range_up_request req = request(conns, "Bad Name", 2);
    assert_int_equal(range_bring_up(&req), ENSHU_EINVAL);
    req = request(conns, "toomany", 41); /* the scenario allows at most 40 */
    assert_int_equal(range_bring_up(&req), ENSHU_EINVAL);
    char *small = xasprintf("%s/small-hosts.yaml", workdir);
    write_file(small, "hosts:\n  - {uri: '" SIM(1) "', memory: 2G}\n");
    req = request(conns, "noroom", 4); /* 4 x 640 MiB do not fit in 2 GiB */
    req.hosts_path = small;
    assert_int_equal(range_bring_up(&req), ENSHU_ECAPACITY);
    free(small);
    char *db = range_db_path("noroom");
    assert_int_not_equal(access(db, F_OK), 0); /* nothing half-planned stays behind */
    free(db);
    assert_int_equal(range_take_down("never-was", 1, NULL, conns), ENSHU_ENOTFOUND);
    conn_cache_free(conns);
}

static void custom_base_images_get_linked_clone_overlays(void **state)
{
    conn_cache *conns = conn_cache_new();
    char *base = xasprintf("%s/ubuntu-base.qcow2", workdir);
    char *cmd = xasprintf("qemu-img create -q -f qcow2 %s 2G", base);
    assert_int_equal(system(cmd), 0);
    char *scenario_path = xasprintf("%s/custom.yaml", workdir);
    char *text = xasprintf("enshu: 1\nid: custom\ntitle: Custom image\n"
                           "network: {segments: [{name: lan}]}\n"
                           "images: {ubuntu: {qcow2: '%s'}}\n"
                           "nodes:\n  - {name: desk, image: ubuntu, memory: 2G, vcpus: 2,"
                           " interfaces: [{segment: lan}]}\n",
                           base);
    write_file(scenario_path, text);
    range_up_request req = request(conns, "custom", 2);
    req.scenario_path = scenario_path;
    assert_int_equal(range_bring_up(&req), ENSHU_OK);
    virConnectPtr c = NULL;
    virDomainPtr dom = NULL;
    for (int h = 1; h <= 4 && !dom; h++) {
        char *uri = xasprintf("test://%s/sim%d.xml", HOSTS_DIR, h);
        c = conn_cache_get(conns, uri, 0);
        dom = virDomainLookupByName(c, "enshu-custom-t01-desk");
        free(uri);
    }
    assert_non_null(dom);
    char *xml = virDomainGetXMLDesc(dom, 0);
    assert_null(strstr(xml, "<kernel>"));                        /* boots its own disk */
    assert_non_null(strstr(xml, "enshu-custom-t01-desk.qcow2")); /* from its overlay */
    assert_non_null(strstr(xml, "<vcpu placement='static'>2</vcpu>"));
    free(xml);
    virDomainFree(dom);
    virStoragePoolPtr pool = virStoragePoolLookupByName(c, "enshu");
    virStorageVolPtr vol = virStorageVolLookupByName(pool, "enshu-custom-t01-desk.qcow2");
    assert_non_null(vol);
    char *vxml = virStorageVolGetXMLDesc(vol, 0);
    assert_non_null(strstr(vxml, base)); /* backed by the base image */
    assert_non_null(strstr(vxml, "<capacity unit='bytes'>2147483648</capacity>"));
    free(vxml);
    virStorageVolFree(vol);
    virStoragePoolFree(pool);
    assert_int_equal(range_take_down("custom", 4, NULL, conns), ENSHU_OK);
    free(text);
    free(scenario_path);
    free(cmd);
    free(base);
    conn_cache_free(conns);
}

/* Reads and empties the log file the tests' messages go to. */
static char *take_log(const char *path)
{
    log_close();
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    return text;
}

/* An image of the store named by a scenario's `imported: true` boots from
 * its disk with its default memory and vCPUs; a missing or
 * broken one stops `up` before anything exists, naming the node, the
 * image and what to run; so does a check that runs as a user on a node
 * whose image runs PowerShell. */
static void imported_images_are_used_or_refused_before_anything_is_created(void **state)
{
    conn_cache *conns = conn_cache_new();
    make_image("deb12", "\"origin\": \"imported\", \"boot\": \"disk\", \"exec\": \"sh\", "
                        "\"addressing\": \"dhcp\", \"consoles\": [\"serial\", \"graphical\"]");
    make_image("win11", "\"origin\": \"imported\", \"boot\": \"disk\", \"exec\": "
                        "\"powershell\", \"addressing\": \"dhcp\", \"consoles\": [\"graphical\"]");
    char *scenario_path = xasprintf("%s/imported.yaml", workdir);
    char *log = xasprintf("%s/imported.log", workdir);
    const char *const cases[][3] = {
        {"nothere", "enshu: node 'desk' uses the imported image 'nothere', which cannot be used: ",
         "image.json does not exist: there is no such image; run 'enshu images import nothere "
         "FILE'"},
        {"win11",
         "enshu: check 'seen' runs as user 'alice' on node 'desk', whose image runs "
         "PowerShell: Windows guests run everything as the agent's account (there is no "
         "setpriv); remove 'user' (line 9)",
         NULL},
        {"deb12", NULL, NULL},
    };
    for (size_t i = 0; i < 3; i++) {
        char *text = xasprintf("enshu: 1\nid: imported\ntitle: Imported image\n"
                               "network: {segments: [{name: lan}]}\n"
                               "images: {%s: {imported: true}}\n"
                               "nodes:\n  - {name: desk, image: %s, vcpus: 2,"
                               " interfaces: [{segment: lan}]}\n"
                               "users: [{name: alice, password: pw}]\n"
                               "checks: [{id: seen, node: desk, user: alice, command: 'true',"
                               " interval: 1m}]\n",
                               cases[i][0], cases[i][0]);
        write_file(scenario_path, text);
        free(text);
        range_up_request req = request(conns, "imported", 1);
        req.scenario_path = scenario_path;
        assert_int_equal(log_open(log), 0);
        int rc = range_bring_up(&req);
        char *logged = take_log(log);
        char *db = range_db_path("imported");
        if (!cases[i][1]) {
            assert_int_equal(rc, ENSHU_OK);
            assert_int_equal(access(db, F_OK), 0);
        } else {
            assert_int_equal(rc, ENSHU_ENOTFOUND);
            for (size_t k = 1; k < 3; k++)
                if (cases[i][k] && !strstr(logged, cases[i][k]))
                    fail_msg("expected '%s' in '%s'", cases[i][k], logged);
            assert_int_not_equal(access(db, F_OK), 0); /* nothing planned, nothing made */
        }
        free(db);
    }
    virDomainPtr dom = NULL;
    for (int h = 1; h <= 4 && !dom; h++) {
        char *uri = xasprintf("test://%s/sim%d.xml", HOSTS_DIR, h);
        dom = virDomainLookupByName(conn_cache_get(conns, uri, 0), "enshu-imported-t01-desk");
        free(uri);
    }
    assert_non_null(dom);
    char *xml = virDomainGetXMLDesc(dom, 0);
    assert_null(strstr(xml, "<kernel>"));                              /* boots its own disk */
    assert_non_null(strstr(xml, "<memory unit='KiB'>163840"));         /* the image's 160 MiB */
    assert_non_null(strstr(xml, "<vcpu placement='static'>2</vcpu>")); /* the node's */
    free(xml);
    virDomainFree(dom);
    assert_int_equal(range_take_down("imported", 4, NULL, conns), ENSHU_OK);
    free(scenario_path);
    free(log);
    conn_cache_free(conns);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(teams_spread_over_hosts_and_down_removes_all),
        cmocka_unit_test(two_ranges_share_hosts_without_sharing_subnets),
        cmocka_unit_test(failed_up_resumes_and_down_cleans_half_made_ranges),
        cmocka_unit_test(objects_of_another_run_are_not_taken_over),
        cmocka_unit_test(bad_requests_are_refused_before_anything_is_created),
        cmocka_unit_test(custom_base_images_get_linked_clone_overlays),
        cmocka_unit_test(imported_images_are_used_or_refused_before_anything_is_created),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
