/*
 * Benchmark: 40 teams x 5 nodes planned and defined over 4 simulated hosts
 * (libvirt's test driver), then removed. Prints the wall time of each phase
 * and the peak resident memory. Target: up (plan + define + start) <= 2 s.
 */
#include "alloc.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "range.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    char tmpl[] = "/tmp/enshu-bench-XXXXXX";
    const char *dir = mkdtemp(tmpl);
    if (!dir)
        return 1;
    char *cmd =
        xasprintf("set -e; for i in workstation server attacker router; do mkdir -p %s/images/$i; "
                  "touch %s/images/$i/vmlinuz %s/images/$i/initrd.img; "
                  "qemu-img create -q -f qcow2 %s/images/$i/disk.qcow2 32M; "
                  "printf '{\"name\": \"%%s\", \"origin\": \"built\", \"os\": \"linux\", "
                  "\"exec\": \"sh\", \"boot\": \"kernel\", \"addressing\": \"cmdline\", "
                  "\"consoles\": [\"serial\"], \"memory_mib\": 160, \"vcpus\": 1, \"disk\": "
                  "\"disk.qcow2\", \"sha256\": \"%%064d\"}' $i 0 > %s/images/$i/image.json; done; "
                  "printf 'hosts:\\n' > %s/hosts.yaml; for n in 1 2 3 4; do "
                  "printf '  - {uri: \"test://%s/sim%%s.xml\"}\\n' $n >> %s/hosts.yaml; done",
                  dir, dir, dir, dir, dir, dir, BENCH_HOSTS_DIR, dir);
    if (system(cmd) != 0)
        return 1;
    free(cmd);
    char *images = xasprintf("%s/images", dir), *hosts = xasprintf("%s/hosts.yaml", dir);
    setenv("ENSHU_STATE_DIR", dir, 1);
    setenv("ENSHU_IMAGE_DIR", images, 1);
    libvirt_setup();
    conn_cache *conns = conn_cache_new();
    range_up_request req = {.scenario_path = BENCH_SCENARIO,
                            .name = "bench",
                            .teams = 40,
                            .hosts_path = hosts,
                            .workers = 4,
                            .ready_timeout_ms = 60000,
                            .conns = conns};
    double t0 = seconds();
    int rc = range_bring_up(&req);
    double t1 = seconds();
    int rc2 = range_take_down("bench", 4, NULL, conns);
    double t2 = seconds();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("simulated: 40 teams x 5 nodes over 4 test:/// hosts\n");
    printf("  up (plan + define + start 200 guests, 120 networks, 200 overlays): %.3f s (target <= "
           "2 s)\n",
           t1 - t0);
    printf("  down: %.3f s\n", t2 - t1);
    printf("  peak RSS: %.1f MiB\n", (double)ru.ru_maxrss / 1024.0);
    conn_cache_free(conns);
    cmd = xasprintf("rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
    free(cmd);
    free(images);
    free(hosts);
    return rc == ENSHU_OK && rc2 == ENSHU_OK ? 0 : 1;
}
