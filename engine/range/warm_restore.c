/*
 * Warm restore: templates of saved guests, and domains restored from them
 * with their own identity (see warm_restore.h).
 */
#include "warm_restore.h"
#include "alloc.h"
#include "errors.h"
#include "guest_agent.h"
#include "libvirt_conn.h"
#include "libvirt_xml.h"
#include "log.h"
#include "monotonic_clock.h"
#include "qcow2_header.h"
#include "save_image.h"
#include "units.h"
#include "warm_xml.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* How long a template's guest may take to boot and settle. */
#define TEMPLATE_BOOT_MS (10 * 60 * 1000)
/* A restored guest runs at once: its agent answers within seconds, later
 * only on a host so busy that booting would be no faster. */
#define RESTORE_AGENT_MS (60 * 1000)
#define GUEST_SETUP "/usr/lib/enshu/guest-setup"

/* The file of a template naming its image: "NAME SHA256". */
#define TEMPLATE_IMAGE_FILE "image"

struct warm_template {
    char *dir, *disk, *state;
    char *saved_xml; /* the XML in state.sav's header */
    char **macs;     /* the template's MACs, in interface order */
};

bool warm_wanted(virConnectPtr conn, const plan_domain *d)
{
    const image_info *img = d->image;
    if (!img || !img->sha256 || img->os != IMAGE_OS_LINUX || img->boot != IMAGE_BOOT_KERNEL ||
        img->exec != IMAGE_EXEC_SH || !d->volume)
        return false;
    const char *type = libvirt_host_type(conn);
    if (!type || strcmp(type, "QEMU") != 0)
        return false;
    /* The templates are files of this host's image store: a URI naming
     * no host (qemu:///system) is this one. */
    char *uri = virConnectGetURI(conn);
    bool local = uri && strncmp(uri, "qemu:///", 8) == 0;
    free(uri);
    return local;
}

const char *warm_template_disk(const warm_template *t)
{
    return t->disk;
}

void warm_template_free(warm_template *t)
{
    if (!t)
        return;
    free(t->dir);
    free(t->disk);
    free(t->state);
    free(t->saved_xml);
    libvirt_xml_strings_free(t->macs);
    free(t);
}

/* ---- the shape of a domain ---- */

/* d's domain XML as a template of key (NULL: the shape, with every
 * per-domain part fixed) would have: the template's own name, MACs, disk
 * and network, no filter. */
static char *template_xml(const plan_team *team, const plan_domain *d, const char *key,
                          const char *disk)
{
    char name[64], net[64];
    snprintf(name, sizeof name, "enshu-tpl-%.12s", key ? key : "shape");
    snprintf(net, sizeof net, "enshu-tpl-%.12s", key ? key : "shape");
    plan_domain sd = *d;
    sd.name = name;
    sd.cmdline = key ? d->cmdline : (char *)"";
    sd.nics = xcalloc(d->nnics ? d->nnics : 1, sizeof(plan_nic));
    int nseg = 1;
    for (size_t i = 0; i < d->nnics; i++) {
        sd.nics[i] = d->nics[i];
        snprintf(sd.nics[i].mac, sizeof sd.nics[i].mac, "52:54:00:ee:ee:%02x", (unsigned)i);
        if (d->nics[i].segment + 1 > nseg)
            nseg = d->nics[i].segment + 1;
    }
    plan_network *nets = xcalloc((size_t)nseg, sizeof(plan_network));
    for (int i = 0; i < nseg; i++)
        nets[i].name = net;
    plan_team st = {.number = team->number,
                    .host_uri = team->host_uri,
                    .networks = nets,
                    .nnetworks = (size_t)nseg,
                    .hosts =
                        team->hosts && *team->hosts ? (key ? team->hosts : (char *)"shape") : NULL};
    domain_boot boot = {.kernel = d->image->kernel,
                        .initrd = d->image->initrd,
                        .disk_path = disk,
                        .graphical = d->image->graphical};
    char *xml = libvirt_domain_xml(&sd, &st, &boot);
    free(sd.nics);
    free(nets);
    return xml;
}

/* ---- files ---- */

static void remove_tree(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return;
    struct dirent *e;
    while ((e = readdir(dh))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = xasprintf("%s/%s", dir, e->d_name);
        unlink(p);
        free(p);
    }
    closedir(dh);
    rmdir(dir);
}

/* Runs argv (argv[0] on PATH) and waits; 0 when it exits 0. */
static int run_program(char *const argv[])
{
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
    if (err) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot run %s: %s", argv[0], strerror(err));
        return ENSHU_EIO;
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: %s %s failed (status %d)", argv[0], argv[1], status);
        return ENSHU_EIO;
    }
    return ENSHU_OK;
}

/* The template at dir, if whole: its save file reads and its disk is there. */
static warm_template *template_load(const char *dir, bool quiet)
{
    warm_template *t = xcalloc(1, sizeof *t);
    t->dir = xstrdup(dir);
    t->disk = xasprintf("%s/disk.qcow2", dir);
    t->state = xasprintf("%s/state.sav", dir);
    save_image *img = NULL;
    if (access(t->state, F_OK) != 0 || !qcow2_header_is(t->disk)) {
        if (!quiet && access(dir, F_OK) == 0)
            log_printf(ENSHU_LOG_WARNING, "enshu: warm template %s is incomplete: made again", dir);
        warm_template_free(t);
        return NULL;
    }
    if (save_image_read(t->state, &img) != ENSHU_OK || warm_xml_macs(img->xml, &t->macs) < 0) {
        log_printf(ENSHU_LOG_WARNING, "enshu: warm template %s is damaged: made again", dir);
        save_image_free(img);
        warm_template_free(t);
        return NULL;
    }
    t->saved_xml = xstrdup(img->xml);
    save_image_free(img);
    return t;
}

/* ---- making a template ---- */

/* Waits until the agent of dom (what: the guest as messages name it)
 * answers. libvirt connects to a guest's agent once the guest opens its
 * channel: until then, and on a restored guest until libvirt has seen the
 * channel again, a ping fails at once, so it is asked again. */
static int wait_agent(virDomainPtr dom, const char *what, int64_t timeout_ms)
{
    int64_t deadline = monotonic_ms() + timeout_ms;
    while (guest_agent_ping(dom, 1) != ENSHU_OK) {
        if (virDomainIsActive(dom) != 1) {
            log_printf(ENSHU_LOG_ERROR, "enshu: %s stopped; see /var/log/libvirt/qemu/%s.log", what,
                       virDomainGetName(dom));
            return ENSHU_ELIBVIRT;
        }
        if (monotonic_ms() > deadline) {
            log_printf(ENSHU_LOG_ERROR, "enshu: the agent of %s did not answer within %lld s", what,
                       (long long)(timeout_ms / 1000));
            return ENSHU_ETIMEOUT;
        }
        usleep(300 * 1000);
    }
    return ENSHU_OK;
}

/* Whether the guest's clock runs at the host's pace over a few seconds. A
 * kernel that calibrated its TSC while the host was busy (TCG) may run its
 * clock several times too fast; booted, that lasts one guest's life, but a
 * template would hand it to every copy. */
static int clock_pace_ok(virDomainPtr dom, const char *name, bool *ok)
{
    long long g0, g1;
    unsigned int n0, n1;
    struct timespec h0, h1;
    clock_gettime(CLOCK_REALTIME, &h0);
    if (virDomainGetTime(dom, &g0, &n0, 0) < 0)
        goto failed;
    sleep(5);
    clock_gettime(CLOCK_REALTIME, &h1);
    if (virDomainGetTime(dom, &g1, &n1, 0) < 0)
        goto failed;
    double host = (double)(h1.tv_sec - h0.tv_sec) + (double)(h1.tv_nsec - h0.tv_nsec) / 1e9;
    double guest = (double)(g1 - g0) + ((double)n1 - (double)n0) / 1e9;
    *ok = guest > host * 0.9 && guest < host * 1.1;
    if (!*ok)
        log_printf(ENSHU_LOG_WARNING,
                   "enshu: the clock of warm template guest %s ran %.1f s in %.1f s: booted again",
                   name, guest, host);
    return ENSHU_OK;
failed:
    log_printf(ENSHU_LOG_ERROR, "enshu: cannot read the clock of warm template guest %s: %s", name,
               libvirt_error());
    return ENSHU_EAGENT;
}

/* Boots the template's guest on disk in its own isolated network, waits
 * until it settled, and saves it to state. */
static int template_make(virConnectPtr conn, const plan_team *team, const plan_domain *d,
                         const char *key, const char *disk, const char *state)
{
    char *argv[] = {"qemu-img", "create", "-q",         "-f", "qcow2", "-b", (char *)d->image->disk,
                    "-F",       "qcow2",  (char *)disk, NULL};
    if (run_program(argv) != ENSHU_OK)
        return ENSHU_EIO;
    char *netxml = xasprintf("<network><name>enshu-tpl-%.12s</name>"
                             "<bridge name='etpl%.10s'/></network>",
                             key, key);
    char netname[64];
    snprintf(netname, sizeof netname, "enshu-tpl-%.12s", key);
    virNetworkPtr net = virNetworkLookupByName(conn, netname);
    if (!net)
        net = virNetworkCreateXML(conn, netxml);
    free(netxml);
    if (!net) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot create the warm template network %s: %s",
                   netname, libvirt_error());
        return ENSHU_ELIBVIRT;
    }
    char *xml = template_xml(team, d, key, disk);
    char name[64], what[96];
    snprintf(name, sizeof name, "enshu-tpl-%.12s", key);
    snprintf(what, sizeof what, "warm template guest %s", name);
    int rc = ENSHU_OK;
    virDomainPtr dom = NULL;
    bool pace_ok = true;
    for (int attempt = 0; attempt < 3; attempt++) {
        dom = virDomainCreateXML(conn, xml, 0);
        pace_ok = true;
        if (dom && wait_agent(dom, what, TEMPLATE_BOOT_MS) == ENSHU_OK &&
            clock_pace_ok(dom, name, &pace_ok) == ENSHU_OK && !pace_ok) {
            (void)virDomainDestroy(dom);
            virDomainFree(dom);
            dom = NULL;
            /* a fresh disk for the next boot */
            unlink(disk);
            if (run_program(argv) != ENSHU_OK)
                break;
            continue;
        }
        break;
    }
    free(xml);
    if (!dom && !pace_ok) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: the warm template guest of image %s kept a wrong clock in 3 boots",
                   d->image->name);
        rc = ENSHU_EAGENT;
    } else if (!dom) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot start the warm template guest of image %s: %s",
                   d->image->name, libvirt_error());
        rc = ENSHU_ELIBVIRT;
    }
    if (rc == ENSHU_OK)
        rc = wait_agent(dom, what, TEMPLATE_BOOT_MS);
    if (rc == ENSHU_OK) {
        guest_exec_result r = {0};
        /* Saved once the boot settled, so that no copy redoes its end. */
        rc = guest_agent_exec(dom,
                              "test -x " GUEST_SETUP " || exit 3\n"
                              "systemctl is-system-running --wait >/dev/null 2>&1 || true\n"
                              "sync\n",
                              TEMPLATE_BOOT_MS, &r);
        if (rc == ENSHU_OK && r.exit_code == 3) {
            log_printf(ENSHU_LOG_WARNING,
                       "enshu: image %s has no %s: its guests cannot take a new identity after "
                       "a restore, so they boot",
                       d->image->name, GUEST_SETUP);
            rc = ENSHU_EINVAL;
        } else if (rc == ENSHU_OK && r.exit_code != 0) {
            log_printf(ENSHU_LOG_ERROR, "enshu: warm template guest %s did not settle: %s", name,
                       r.err ? r.err : "");
            rc = ENSHU_EAGENT;
        }
        guest_exec_result_fini(&r);
    }
    if (rc == ENSHU_OK && virDomainSave(dom, state) < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot save warm template guest %s to %s: %s", name,
                   state, libvirt_error());
        rc = ENSHU_ELIBVIRT;
    }
    if (dom) {
        if (rc != ENSHU_OK && virDomainIsActive(dom) == 1)
            (void)virDomainDestroy(dom);
        virDomainFree(dom);
    }
    (void)virNetworkDestroy(net);
    virNetworkFree(net);
    return rc;
}

/* ---- the image of a template ---- */

/* Records in dir which image (name, sha256) the template is made from. */
static int template_note_image(const char *dir, const image_info *img)
{
    char *path = xasprintf("%s/" TEMPLATE_IMAGE_FILE, dir);
    FILE *f = fopen(path, "we");
    int rc = f && fprintf(f, "%s %s\n", img->name, img->sha256) > 0 ? ENSHU_OK : ENSHU_EIO;
    if (f && fclose(f) != 0)
        rc = ENSHU_EIO;
    if (rc != ENSHU_OK)
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot write %s: %s", path, strerror(errno));
    free(path);
    return rc;
}

/* Why the template at dir, made before its image was recorded in it, is
 * stale: the image file its disk backs onto is gone or was written after
 * the template (rebuilt); NULL otherwise. *image_name: that image's. */
static char *template_stale_by_backing(const char *dir, char **image_name)
{
    char *disk = xasprintf("%s/disk.qcow2", dir);
    char *backing = qcow2_header_backing(disk);
    struct stat own, base;
    char *why = NULL;
    if (backing && stat(disk, &own) == 0) {
        char *copy = xstrdup(backing);
        *image_name = xstrdup(basename(dirname(copy)));
        free(copy);
        if (stat(backing, &base) != 0)
            why = xstrdup("its image is gone");
        else if (base.st_mtime > own.st_mtime)
            why = xstrdup("its image was rebuilt since");
    }
    free(backing);
    free(disk);
    return why;
}

/* Why the template at dir is stale: its image was removed or rebuilt since
 * (caller frees); NULL when it is current or cannot be told. *image_name:
 * its image's, when known (caller frees). */
static char *template_stale(const char *image_dir, const char *dir, char **image_name)
{
    char *path = xasprintf("%s/" TEMPLATE_IMAGE_FILE, dir);
    FILE *f = fopen(path, "re");
    free(path);
    *image_name = NULL;
    if (!f)
        return template_stale_by_backing(dir, image_name);
    char name[256], sha[65];
    bool read = fscanf(f, "%255s %64s", name, sha) == 2;
    fclose(f);
    if (!read)
        return NULL;
    *image_name = xstrdup(name);
    char *error = NULL;
    image_info *img = image_store_lookup(image_dir, name, &error);
    free(error);
    char *why = NULL;
    if (!img)
        why = xstrdup("its image is gone");
    else if (!img->sha256 || strcmp(img->sha256, sha) != 0)
        why = xstrdup("its image was rebuilt since");
    image_info_free(img);
    return why;
}

/* Whether a disk in pool_dir backs onto disk (or the folder cannot be read:
 * then it may). */
static bool template_disk_in_use(const char *pool_dir, const char *disk)
{
    DIR *dh = opendir(pool_dir);
    if (!dh)
        return errno != ENOENT;
    char disk_real[PATH_MAX];
    bool resolved = realpath(disk, disk_real) != NULL;
    bool used = false;
    struct dirent *e;
    while (!used && (e = readdir(dh))) {
        if (e->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", pool_dir, e->d_name);
        char *backing = qcow2_header_backing(path);
        char real[PATH_MAX];
        used = backing && (!strcmp(backing, disk) ||
                           (resolved && realpath(backing, real) && !strcmp(real, disk_real)));
        free(backing);
        free(path);
    }
    closedir(dh);
    return used;
}

int warm_templates_prune(const char *image_dir, const char *pool_dir, FILE *out)
{
    char *root = xasprintf("%s/templates", image_dir);
    DIR *dh = opendir(root);
    if (!dh) {
        free(root);
        return 0;
    }
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(dh))) {
        if (strlen(e->d_name) != 64 || strspn(e->d_name, "0123456789abcdef") != 64)
            continue;
        char *dir = xasprintf("%s/%s", root, e->d_name);
        char *image = NULL;
        char *why = template_stale(image_dir, dir, &image);
        if (why) {
            char *disk = xasprintf("%s/disk.qcow2", dir);
            char *lock_path = xasprintf("%s.lock", dir);
            int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0) {
                if (out)
                    fprintf(out, "  template %.12s of image %s: %s; kept, in use elsewhere\n",
                            e->d_name, image, why);
            } else if (template_disk_in_use(pool_dir, disk)) {
                if (out)
                    fprintf(out,
                            "  template %.12s of image %s: %s; kept while a guest's disk backs "
                            "onto it\n",
                            e->d_name, image, why);
            } else {
                remove_tree(dir);
                unlink(lock_path);
                removed++;
                if (out)
                    fprintf(out, "  template %.12s of image %s removed: %s\n", e->d_name, image,
                            why);
            }
            if (lock >= 0)
                close(lock);
            free(lock_path);
            free(disk);
        }
        free(why);
        free(image);
        free(dir);
    }
    closedir(dh);
    free(root);
    return removed;
}

/* ---- getting a template ---- */

int warm_template_get(virConnectPtr conn, const plan_team *team, const plan_domain *d,
                      warm_template **out)
{
    *out = NULL;
    char *shape = template_xml(team, d, NULL, "/template/disk.qcow2");
    char *key = warm_template_key(d->image->sha256, shape);
    free(shape);
    char *image_dir = xstrdup(d->image->dir);
    char *root = xasprintf("%s/templates", dirname(image_dir));
    free(image_dir);
    char *dir = xasprintf("%s/%s", root, key);
    char *lock_path = xasprintf("%s/%s.lock", root, key);
    int rc = ENSHU_OK;
    int lock = -1;
    if (mkdir(root, 0755) < 0 && errno != EEXIST) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot make the warm template folder %s: %s", root,
                   strerror(errno));
        rc = ENSHU_EIO;
    }
    if (rc == ENSHU_OK) {
        /* One maker per key, among threads (each has its own open file) and
         * processes alike. */
        lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock < 0 || flock(lock, LOCK_EX) < 0) {
            log_printf(ENSHU_LOG_ERROR, "enshu: cannot lock %s: %s", lock_path, strerror(errno));
            rc = ENSHU_EIO;
        }
    }
    char *unfit = xasprintf("%s.unfit", dir);
    if (rc == ENSHU_OK && access(unfit, F_OK) == 0) {
        /* Tried before: the image's guests cannot take a new identity. */
        log_printf(ENSHU_LOG_INFO, "enshu: image %s has no warm template (%s): its guests boot",
                   d->image->name, unfit);
        rc = ENSHU_EINVAL;
    }
    warm_template *t = rc == ENSHU_OK ? template_load(dir, false) : NULL;
    if (rc == ENSHU_OK && !t) {
        remove_tree(dir);
        char *tmp = xasprintf("%s.new", dir);
        remove_tree(tmp);
        if (mkdir(tmp, 0755) < 0) {
            log_printf(ENSHU_LOG_ERROR, "enshu: cannot make %s: %s", tmp, strerror(errno));
            rc = ENSHU_EIO;
        }
        char *disk = xasprintf("%s/disk.qcow2", tmp), *state = xasprintf("%s/state.sav", tmp);
        double started = (double)monotonic_ms();
        if (rc == ENSHU_OK) {
            log_printf(ENSHU_LOG_INFO,
                       "enshu: making the warm template of image %s (%.12s): one boot",
                       d->image->name, key);
            rc = template_make(conn, team, d, key, disk, state);
        }
        if (rc == ENSHU_OK)
            rc = template_note_image(tmp, d->image);
        if (rc == ENSHU_OK && rename(tmp, dir) < 0) {
            log_printf(ENSHU_LOG_ERROR, "enshu: cannot rename %s to %s: %s", tmp, dir,
                       strerror(errno));
            rc = ENSHU_EIO;
        }
        if (rc != ENSHU_OK)
            remove_tree(tmp);
        if (rc == ENSHU_EINVAL) {
            int fd = open(unfit, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            if (fd >= 0)
                close(fd);
        } else
            log_printf(ENSHU_LOG_INFO, "enshu: warm template of image %s made in %.1f s",
                       d->image->name, ((double)monotonic_ms() - started) / 1000);
        free(disk);
        free(state);
        free(tmp);
        if (rc == ENSHU_OK) {
            t = template_load(dir, false);
            if (!t)
                rc = ENSHU_EIO;
        }
    }
    if (lock >= 0)
        close(lock);
    free(lock_path);
    free(unfit);
    free(dir);
    free(root);
    free(key);
    *out = t;
    return rc;
}

/* ---- restoring a domain ---- */

/* The planned XML with uuid after its <name>. */
static char *with_uuid(const char *xml, const char *uuid)
{
    const char *end = strstr(xml, "</name>");
    if (!end)
        return xstrdup(xml);
    end += strlen("</name>");
    return xasprintf("%.*s\n  <uuid>%s</uuid>%s", (int)(end - xml), xml, uuid, end);
}

static void random_uuid(char out[37])
{
    unsigned char b[16];
    randombytes_buf(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

/* The identity script: MACs, guest-setup with the planned command line,
 * the network and syslog again, then every planned address awaited. */
static char *identity_script(const warm_template *t, const plan_domain *d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    fputs("set -e\n", f);
    for (size_t i = 0; i < d->nnics && t->macs[i]; i++)
        fprintf(f,
                "for d in /sys/class/net/*; do\n"
                "  if [ \"$(cat $d/address)\" = '%s' ]; then ip link set dev \"${d##*/}\" "
                "address '%s'; fi\n"
                "done\n",
                t->macs[i], d->nics[i].mac);
    fprintf(
        f,
        "rm -f /run/systemd/network/*-enshu-*.network\n"
        "cat >/run/enshu-cmdline <<'ENSHU_CMDLINE_END'\n%s\nENSHU_CMDLINE_END\n"
        "mount --bind /run/enshu-cmdline /proc/cmdline\n"
        "%s >/dev/null 2>&1 || true\n"
        "umount /proc/cmdline\n"
        "rm -f /run/enshu-cmdline\n"
        "networkctl reload\n"
        /* rsyslog keeps the hostname it started with; dnsmasq answers
         * names from /etc/hosts as it read it */
        "if systemctl -q is-active rsyslog.service; then systemctl restart rsyslog.service; fi\n"
        "if systemctl -q is-active dnsmasq.service; then\n"
        "  systemctl reload-or-restart dnsmasq.service\n"
        "fi\n",
        d->cmdline ? d->cmdline : "", GUEST_SETUP);
    for (size_t i = 0; i < d->nnics; i++) {
        char a[16];
        format_ipv4(d->nics[i].addr, a);
        fprintf(f,
                "n=0\n"
                "until ip -4 -o addr show | grep -q ' %s/'; do\n"
                "  n=$((n + 1)); [ $n -lt 300 ] || { echo 'address %s not set' >&2; exit 1; }\n"
                "  sleep 0.1\n"
                "done\n",
                a, a);
    }
    /* The template waited for a network its isolated bridge never gave
     * it: that wait is made again, now that the addresses are set. */
    fputs("if systemctl is-failed -q systemd-networkd-wait-online.service; then\n"
          "  timeout 30 systemctl restart systemd-networkd-wait-online.service || true\n"
          "fi\n",
          f);
    fclose(f);
    return buf;
}

static int take_identity(virDomainPtr dom, const warm_template *t, const plan_team *team,
                         const plan_domain *d)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    /* The clock stood still while the state was saved. */
    if (virDomainSetTime(dom, (long long)now.tv_sec, (unsigned)now.tv_nsec, 0) < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: team %d: cannot set the clock of restored guest %s: %s",
                   team->number, d->name, libvirt_error());
        return ENSHU_EAGENT;
    }
    char *script = identity_script(t, d);
    guest_exec_result r = {0};
    int rc = guest_agent_exec(dom, script, 3 * 60 * 1000, &r);
    free(script);
    if (rc == ENSHU_OK && r.exit_code != 0) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: team %d: restored guest %s did not take its identity (status %d): %s",
                   team->number, d->name, r.exit_code, r.err ? r.err : "");
        rc = ENSHU_EAGENT;
    }
    guest_exec_result_fini(&r);
    return rc;
}

int warm_restore_domain(virConnectPtr conn, const plan_team *team, const plan_domain *d,
                        const warm_template *t, const char *disk_path, const char *filter)
{
    if (sodium_init() < 0)
        return ENSHU_EIO;
    int64_t t0 = monotonic_ms(), t1 = t0;
    char uuid[37];
    random_uuid(uuid);
    domain_boot boot = {.kernel = d->image->kernel,
                        .initrd = d->image->initrd,
                        .disk_path = disk_path,
                        .filter = filter,
                        .graphical = d->image->graphical};
    char *planned = libvirt_domain_xml(d, team, &boot);
    char *xml = with_uuid(planned, uuid);
    free(planned);
    char *copy_xml = NULL;
    int rc = warm_copy_xml(t->saved_xml, xml, &copy_xml);
    if (rc != ENSHU_OK)
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: team %d: guest %s does not have the shape of its warm template %s",
                   team->number, d->name, t->dir);
    char *copy = xasprintf("%s/restore-%s.sav", t->dir, d->name);
    if (rc == ENSHU_OK)
        rc = save_image_copy_with_xml(t->state, copy, copy_xml);
    free(copy_xml);
    if (rc == ENSHU_OK && virDomainRestore(conn, copy) < 0) {
        log_printf(ENSHU_LOG_WARNING, "enshu: team %d: cannot restore guest %s from %s: %s",
                   team->number, d->name, t->dir, libvirt_error());
        rc = ENSHU_ELIBVIRT;
    }
    /* QEMU has read the memory: the copy is of no more use. */
    unlink(copy);
    free(copy);
    virDomainPtr dom = NULL;
    if (rc == ENSHU_OK) {
        dom = virDomainDefineXML(conn, xml);
        if (!dom) {
            log_printf(ENSHU_LOG_ERROR, "enshu: team %d: cannot define restored guest %s: %s",
                       team->number, d->name, libvirt_error());
            rc = ENSHU_ELIBVIRT;
            dom = virDomainLookupByName(conn, d->name);
        }
    }
    if (rc == ENSHU_OK) {
        char *what = xasprintf("team %d's restored guest %s", team->number, d->name);
        if (wait_agent(dom, what, RESTORE_AGENT_MS) != ENSHU_OK)
            rc = ENSHU_EAGENT;
        free(what);
    }
    if (rc == ENSHU_OK) {
        t1 = monotonic_ms();
        rc = take_identity(dom, t, team, d);
    }
    if (rc == ENSHU_OK)
        log_printf(ENSHU_LOG_INFO,
                   "enshu: team %d: guest %s restored in %.1f s, identity in %.1f s", team->number,
                   d->name, (double)(t1 - t0) / 1000, (double)(monotonic_ms() - t1) / 1000);
    if (rc != ENSHU_OK && dom) {
        if (virDomainIsActive(dom) == 1)
            (void)virDomainDestroy(dom);
        (void)virDomainUndefine(dom);
    }
    if (dom)
        virDomainFree(dom);
    free(xml);
    return rc;
}
