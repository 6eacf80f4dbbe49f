/*
 * Importing and removing images of the image store (see image_import.h).
 */
#include "image_import.h"
#include "alloc.h"
#include "builtin_images.h"
#include "errors.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* qemu-img's answers are small; its messages are cut to this. */
#define TOOL_OUTPUT_MAX (1024 * 1024)

/* ---- running qemu-img ---- */

/* Appends what fd has to *buf (bounded); false at end of file. */
static bool drain(int fd, char **buf, size_t *len)
{
    char chunk[4096];
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR)
        return true;
    if (n <= 0)
        return false;
    if (*len + (size_t)n < TOOL_OUTPUT_MAX) {
        *buf = xrealloc(*buf, *len + (size_t)n + 1);
        memcpy(*buf + *len, chunk, (size_t)n);
        *len += (size_t)n;
        (*buf)[*len] = '\0';
    }
    return true;
}

/* Runs argv (argv[0] looked up in PATH) with stdin /dev/null; returns its
 * exit status (-1 when it could not run or was killed) and its output and
 * error text (malloc'd, NUL-terminated, trailing newlines cut). */
static int run_tool(const char *const argv[], char **out, char **err)
{
    *out = xstrdup("");
    *err = xstrdup("");
    int po[2], pe[2];
    if (pipe2(po, O_CLOEXEC) != 0)
        return -1;
    if (pipe2(pe, O_CLOEXEC) != 0) {
        close(po[0]);
        close(po[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        execvp(argv[0], (char *const *)argv);
        dprintf(2, "cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    if (pid < 0) {
        close(po[0]);
        close(pe[0]);
        return -1;
    }
    size_t no = 0, ne = 0;
    struct pollfd fds[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
    int open_fds = 2;
    while (open_fds > 0) {
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                !drain(fds[i].fd, i ? err : out, i ? &ne : &no)) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0)
            close(fds[i].fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    for (char *s = *err + strlen(*err); s > *err && (s[-1] == '\n' || s[-1] == ' '); s--)
        s[-1] = '\0';
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- what the file is ---- */

typedef enum disk_format { FORMAT_QCOW2, FORMAT_RAW } disk_format;

static uint64_t be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A raw disk starts with a partition table or a file system we know. */
static bool raw_disk_signature(const unsigned char *h, size_t n)
{
    if (n >= 512 && h[510] == 0x55 && h[511] == 0xaa) /* MBR; also FAT and NTFS boot sectors */
        return true;
    if (n >= 520 && !memcmp(h + 512, "EFI PART", 8)) /* GPT, 512-byte sectors */
        return true;
    if (n >= 4104 && !memcmp(h + 4096, "EFI PART", 8)) /* GPT, 4 KiB sectors */
        return true;
    if (n >= 1082 && h[1080] == 0x53 && h[1081] == 0xef) /* ext2/3/4 superblock magic */
        return true;
    if (n >= 4 && !memcmp(h, "XFSB", 4))
        return true;
    if (n >= 0x10048 && !memcmp(h + 0x10040, "_BHRfS_M", 8)) /* Btrfs */
        return true;
    return false;
}

/* The qcow2 header's tables lie inside the file (a cut copy fails this
 * before qemu-img is asked). */
static bool qcow2_header_fits(const unsigned char *h, size_t n, uint64_t size)
{
    if (n < 72 || size < 72)
        return false;
    uint32_t version = be32(h + 4), cluster_bits = be32(h + 20), l1_size = be32(h + 36);
    uint64_t l1 = be64(h + 40), refcount = be64(h + 48);
    uint32_t refcount_clusters = be32(h + 56);
    if (version < 2 || version > 3 || cluster_bits < 9 || cluster_bits > 21)
        return false;
    if (version == 3 && (n < 104 || size < be32(h + 100)))
        return false;
    return l1 + (uint64_t)l1_size * 8 <= size &&
           refcount + ((uint64_t)refcount_clusters << cluster_bits) <= size;
}

/* Is path (resolved) inside dir (resolved)? */
static bool inside(const char *path, const char *dir_real)
{
    char real[PATH_MAX];
    if (strncmp(path, "json:", 5) == 0 || !realpath(path, real))
        return false;
    size_t n = strlen(dir_real);
    return strncmp(real, dir_real, n) == 0 && real[n] == '/';
}

/* Checks a qcow2 file: not damaged, no external data file, no backing file
 * outside the store. *flatten: it has a backing chain (inside the store). */
/* The backing file the qcow2 file names (resolved), or NULL for none;
 * ENSHU_EINVAL after a problem. Asked first: reading a chain opens it. */
static int qcow2_backing(const char *file, char **backing)
{
    char *out, *err;
    const char *const info[] = {"qemu-img", "info", "-f", "qcow2", "--output=json", file, NULL};
    int rc = run_tool(info, &out, &err);
    json_t *doc = rc == 0 ? json_loads(out, 0, NULL) : NULL;
    *backing = NULL;
    if (!doc) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: %s has a qcow2 header but cannot be read as a qcow2 image: %s", file,
                   *err ? err : "qemu-img info failed");
        rc = ENSHU_EINVAL;
    } else {
        json_t *b = json_object_get(doc, "full-backing-filename");
        if (!b)
            b = json_object_get(doc, "backing-filename");
        if (b)
            *backing = xstrdup(json_is_string(b) ? json_string_value(b) : "(unnamed)");
        rc = ENSHU_OK;
    }
    json_decref(doc);
    free(out);
    free(err);
    return rc;
}

static void refuse_backing(const char *file, const char *backing, const char *dir_real)
{
    log_printf(ENSHU_LOG_ERROR,
               "enshu: %s has the backing file %s, which is not a file inside the image store "
               "%s: a backing file outside the image store is refused; flatten the image with "
               "'qemu-img convert -O "
               "qcow2 %s NEW.qcow2' and import NEW.qcow2",
               file, backing, dir_real, file);
}

static int check_qcow2(const char *file, const char *dir_real, bool *flatten)
{
    char *backing = NULL;
    if (qcow2_backing(file, &backing) < 0)
        return ENSHU_EINVAL;
    if (backing && !inside(backing, dir_real)) {
        refuse_backing(file, backing, dir_real);
        free(backing);
        return ENSHU_EINVAL;
    }
    free(backing);
    char *out, *err;
    const char *const check[] = {"qemu-img", "check", "-f", "qcow2", "--output=json", file, NULL};
    int rc = run_tool(check, &out, &err);
    int result = ENSHU_OK;
    /* 0: clean; 3: only leaked clusters, which waste space and harm nothing. */
    if (rc == 2) {
        json_t *doc = json_loads(out, 0, NULL);
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: %s is a damaged or truncated qcow2 image ('qemu-img check' finds %lld "
                   "corruptions); it is not imported",
                   file, (long long)json_integer_value(json_object_get(doc, "corruptions")));
        json_decref(doc);
        result = ENSHU_EINVAL;
    } else if (rc != 0 && rc != 3) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: %s has a qcow2 header but cannot be read as a qcow2 image: %s", file,
                   *err ? err : "qemu-img check failed");
        result = ENSHU_EINVAL;
    }
    free(out);
    free(err);
    if (result != ENSHU_OK)
        return result;

    const char *const info[] = {"qemu-img",        "info",          "-f", "qcow2",
                                "--backing-chain", "--output=json", file, NULL};
    rc = run_tool(info, &out, &err);
    json_t *chain = rc == 0 ? json_loads(out, 0, NULL) : NULL;
    json_t *top = json_array_get(chain, 0);
    if (!top) {
        /* A missing backing file makes qemu-img fail here: name the cause. */
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: cannot read the qcow2 image %s and its backing files: %s; a backing "
                   "file outside the image store is refused: flatten the image with 'qemu-img "
                   "convert -O qcow2 %s NEW.qcow2' and import NEW.qcow2",
                   file, *err ? err : "qemu-img info failed", file);
        result = ENSHU_EINVAL;
    } else if (json_object_get(json_object_get(json_object_get(top, "format-specific"), "data"),
                               "data-file")) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: %s keeps its data in an external data file, which is refused; convert "
                   "it with 'qemu-img convert -O qcow2 %s NEW.qcow2' and import NEW.qcow2",
                   file, file);
        result = ENSHU_EINVAL;
    }
    *flatten = false;
    for (size_t i = 1; result == ENSHU_OK && i < json_array_size(chain); i++) {
        const char *link = json_string_value(json_object_get(json_array_get(chain, i), "filename"));
        if (!link || !inside(link, dir_real)) {
            refuse_backing(file, link ? link : "(unnamed)", dir_real);
            result = ENSHU_EINVAL;
        }
        *flatten = true;
    }
    json_decref(chain);
    free(out);
    free(err);
    return result;
}

/* Finds the format of file from its bytes and checks it. */
static int detect_format(const char *file, const char *dir_real, disk_format *format, bool *flatten)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot open %s: %s", file, strerror(errno));
        return ENSHU_EIO;
    }
    struct stat st;
    static const size_t HEAD = 0x10048; /* up to Btrfs's superblock magic */
    unsigned char *h = xmalloc(HEAD);
    ssize_t n = fstat(fd, &st) == 0 ? pread(fd, h, HEAD, 0) : -1;
    close(fd);
    int rc = ENSHU_OK;
    *flatten = false;
    if (n < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot read %s: %s", file, strerror(errno));
        rc = ENSHU_EIO;
    } else if (n >= 4 && !memcmp(h, "QFI\xfb", 4)) {
        *format = FORMAT_QCOW2;
        if (!qcow2_header_fits(h, (size_t)n, (uint64_t)st.st_size)) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: %s is a truncated or damaged qcow2 image (%lld bytes: its header "
                       "names tables beyond its end); it is not imported",
                       file, (long long)st.st_size);
            rc = ENSHU_EINVAL;
        } else {
            rc = check_qcow2(file, dir_real, flatten);
        }
    } else {
        /* Another format qemu knows (VMDK, VDI, VHDX...) is not taken as raw. */
        char *out, *err;
        const char *const info[] = {"qemu-img", "info", "--output=json", file, NULL};
        int status = run_tool(info, &out, &err);
        json_t *doc = status == 0 ? json_loads(out, 0, NULL) : NULL;
        const char *probed = json_string_value(json_object_get(doc, "format"));
        *format = FORMAT_RAW;
        if (status != 0 || !probed) {
            log_printf(ENSHU_LOG_ERROR, "enshu: cannot read %s as a disk image: %s", file,
                       *err ? err : "qemu-img info failed");
            rc = ENSHU_EINVAL;
        } else if (strcmp(probed, "raw") != 0) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: %s is a %s image; Enshu imports qcow2 or raw: convert it with "
                       "'qemu-img convert -O qcow2 %s NEW.qcow2' and import NEW.qcow2",
                       file, probed, file);
            rc = ENSHU_EINVAL;
        } else if (st.st_size % 512 != 0 || !raw_disk_signature(h, (size_t)n)) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: %s is not a disk image: it has no qcow2 header, and as a raw disk "
                       "it has no partition table or file system Enshu knows (MBR, GPT, ext2/3/4, "
                       "XFS, Btrfs, FAT, NTFS)%s",
                       file,
                       st.st_size % 512 ? " and its size is not a multiple of 512 bytes" : "");
            rc = ENSHU_EINVAL;
        }
        json_decref(doc);
        free(out);
        free(err);
    }
    free(h);
    return rc;
}

/* ---- files ---- */

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_tree(const char *path)
{
    if (nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && errno != ENOENT)
        log_printf(ENSHU_LOG_WARNING, "enshu: cannot remove %s: %s", path, strerror(errno));
}

static void hex(const unsigned char *bytes, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
}

/* Copies from to to (created 0644), its sha256 into sha (65 bytes), or
 * only hashes from when to is NULL. Synced to disk. */
static int copy_hashing(const char *from, const char *to, char *sha)
{
    int in = open(from, O_RDONLY | O_CLOEXEC), out = -1;
    if (in < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot open %s: %s", from, strerror(errno));
        return ENSHU_EIO;
    }
    if (to && (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot create %s: %s", to, strerror(errno));
        close(in);
        return ENSHU_EIO;
    }
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    size_t cap = 1 << 20;
    unsigned char *buf = xmalloc(cap);
    int rc = ENSHU_OK;
    for (;;) {
        ssize_t n = read(in, buf, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            log_printf(ENSHU_LOG_ERROR, "enshu: cannot read %s: %s", from, strerror(errno));
            rc = ENSHU_EIO;
            break;
        }
        if (n == 0)
            break;
        crypto_hash_sha256_update(&state, buf, (unsigned long long)n);
        for (ssize_t done = 0; out >= 0 && done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                log_printf(ENSHU_LOG_ERROR, "enshu: cannot write %s: %s", to, strerror(errno));
                rc = ENSHU_EIO;
                break;
            }
            done += w;
        }
        if (rc != ENSHU_OK)
            break;
    }
    if (rc == ENSHU_OK && out >= 0 && fsync(out) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot write %s: %s", to, strerror(errno));
        rc = ENSHU_EIO;
    }
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&state, digest);
    hex(digest, sizeof digest, sha);
    free(buf);
    close(in);
    if (out >= 0)
        close(out);
    return rc;
}

static int write_synced(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    size_t len = strlen(text);
    bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    if (fd >= 0)
        close(fd);
    if (!ok)
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot write %s: %s", path, strerror(errno));
    return ok ? ENSHU_OK : ENSHU_EIO;
}

/* Takes the lock images/build.sh takes on dir; an fd, or a negative code. */
static int lock_store(const char *dir)
{
    char *work = xasprintf("%s/.work", dir);
    if ((mkdir(dir, 0755) != 0 && errno != EEXIST) || (mkdir(work, 0755) != 0 && errno != EEXIST)) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot create the image store %s: %s", work,
                   strerror(errno));
        free(work);
        return ENSHU_EIO;
    }
    char *path = xasprintf("%s/lock", work);
    free(work);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    int rc = fd;
    if (fd < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot open %s: %s", path, strerror(errno));
        rc = ENSHU_EIO;
    } else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: an image build or import is running in %s (it holds %s); try again "
                   "when it has finished",
                   dir, path);
        close(fd);
        rc = ENSHU_EBUSY;
    }
    free(path);
    return rc;
}

/* ---- import ---- */

static int check_request(const char *name, const char *file, const image_import_opts *o)
{
    if (!image_name_valid(name)) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: '%s' cannot name an image: use letters, digits, '-' and '_', starting "
                   "with a letter or digit, at most %d characters",
                   name, IMAGE_NAME_MAX);
        return ENSHU_EINVAL;
    }
    if (builtin_image_exists(name)) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: '%s' is the name of a built-in image (made by 'enshu images build'); "
                   "import under another name",
                   name);
        return ENSHU_EINVAL;
    }
    if (o->addressing == IMAGE_ADDR_CMDLINE) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: addressing 'cmdline' needs a kernel the engine boots, and an imported "
                   "image boots from its own disk: use 'dhcp' or 'agent'");
        return ENSHU_EINVAL;
    }
    if (o->consoles_given && !o->serial && !o->graphical) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: an image needs at least one console (serial, graphical)");
        return ENSHU_EINVAL;
    }
    if (o->memory_mib &&
        (o->memory_mib < IMAGE_MEMORY_MIN_MIB || o->memory_mib > IMAGE_MEMORY_MAX_MIB)) {
        log_printf(ENSHU_LOG_ERROR, "enshu: memory %u MiB: an image takes %u MiB to %u GiB",
                   o->memory_mib, IMAGE_MEMORY_MIN_MIB, IMAGE_MEMORY_MAX_MIB / 1024);
        return ENSHU_EINVAL;
    }
    if (o->vcpus > IMAGE_VCPUS_MAX) {
        log_printf(ENSHU_LOG_ERROR, "enshu: %u vCPUs: an image takes 1 to %u", o->vcpus,
                   IMAGE_VCPUS_MAX);
        return ENSHU_EINVAL;
    }
    struct stat st;
    if (stat(file, &st) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot import %s: %s", file, strerror(errno));
        return ENSHU_EIO;
    }
    if (!S_ISREG(st.st_mode)) {
        log_printf(ENSHU_LOG_ERROR, "enshu: %s is not a regular file; import a disk image file",
                   file);
        return ENSHU_EINVAL;
    }
    return ENSHU_OK;
}

/* The metadata of the new image (disk path and sha256 filled in later). */
static image_info *new_info(const char *name, const char *folder, const image_import_opts *o)
{
    bool windows = o->os == IMAGE_OS_WINDOWS;
    image_info *img = xcalloc(1, sizeof(image_info));
    img->name = xstrdup(name);
    img->dir = xstrdup(folder);
    img->imported = true;
    img->os = o->os;
    img->exec = o->exec_given ? o->exec : windows ? IMAGE_EXEC_POWERSHELL : IMAGE_EXEC_SH;
    img->boot = IMAGE_BOOT_DISK;
    img->addressing = o->addressing;
    img->cmdline = xstrdup("");
    img->serial = o->consoles_given ? o->serial : !windows;
    img->graphical = o->consoles_given ? o->graphical : windows;
    img->memory_mib = o->memory_mib ? o->memory_mib : windows ? 2048 : 512;
    img->vcpus = o->vcpus ? o->vcpus : windows ? 2 : 1;
    img->disk = xasprintf("%s/disk.qcow2", folder);
    return img;
}

/* Fills tmp with disk.qcow2 and image.json. */
static int fill_folder(const char *tmp, const char *name, const char *file, disk_format format,
                       bool flatten, const image_import_opts *o)
{
    image_info *img = new_info(name, tmp, o);
    char sha[2 * crypto_hash_sha256_BYTES + 1];
    int rc;
    if (format == FORMAT_QCOW2 && !flatten) {
        rc = copy_hashing(file, img->disk, sha);
    } else {
        char *out, *err;
        const char *const convert[] = {
            "qemu-img", "convert", "-f", format == FORMAT_RAW ? "raw" : "qcow2", "-O", "qcow2",
            file,       img->disk, NULL};
        int status = run_tool(convert, &out, &err);
        rc = ENSHU_OK;
        if (status != 0) {
            log_printf(ENSHU_LOG_ERROR, "enshu: cannot convert %s to qcow2: %s", file,
                       *err ? err : "qemu-img convert failed");
            rc = ENSHU_EIO;
        }
        free(out);
        free(err);
        if (rc == ENSHU_OK)
            rc = copy_hashing(img->disk, NULL, sha);
    }
    if (rc == ENSHU_OK) {
        img->sha256 = xstrdup(sha);
        char *json = image_info_to_json(img, NULL);
        char *path = xasprintf("%s/image.json", tmp);
        rc = write_synced(path, json);
        free(path);
        free(json);
    }
    image_info_free(img);
    return rc;
}

/* Renames tmp to folder, replacing an image there (force: checked by the
 * caller) in one step. */
static int publish(const char *tmp, const char *folder, bool replace)
{
    int dirfd = -1;
    int rc = replace ? renameat2(AT_FDCWD, tmp, AT_FDCWD, folder, RENAME_EXCHANGE)
                     : renameat2(AT_FDCWD, tmp, AT_FDCWD, folder, RENAME_NOREPLACE);
    if (rc != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot move the new image to %s: %s", folder,
                   strerror(errno));
        return ENSHU_EIO;
    }
    /* The rename lasts once the store's directory is synced. */
    char *parent = xstrdup(folder);
    *strrchr(parent, '/') = '\0';
    dirfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd >= 0) {
        (void)fsync(dirfd);
        close(dirfd);
    }
    free(parent);
    return ENSHU_OK;
}

int image_import(const char *dir, const char *name, const char *file, const image_import_opts *o)
{
    int rc = check_request(name, file, o);
    if (rc < 0)
        return rc;
    int lock = lock_store(dir);
    if (lock < 0)
        return lock;
    char dir_real[PATH_MAX];
    char *folder = xasprintf("%s/%s", dir, name);
    char *tmp = xasprintf("%s/.tmp-import-%s.XXXXXX", dir, name);
    bool exists = access(folder, F_OK) == 0;
    bool made = false;
    if (!realpath(dir, dir_real)) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot resolve %s: %s", dir, strerror(errno));
        rc = ENSHU_EIO;
    } else if (exists && !o->force) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: there is already an image '%s' (%s); give --force to replace it, or "
                   "import under another name",
                   name, folder);
        rc = ENSHU_EEXIST;
    }
    disk_format format = FORMAT_RAW;
    bool flatten = false;
    if (rc == ENSHU_OK)
        rc = detect_format(file, dir_real, &format, &flatten);
    if (rc == ENSHU_OK) {
        if (!mkdtemp(tmp)) {
            log_printf(ENSHU_LOG_ERROR, "enshu: cannot create a folder in %s: %s", dir,
                       strerror(errno));
            rc = ENSHU_EIO;
        } else {
            made = true;
            (void)chmod(tmp, 0755);
            rc = fill_folder(tmp, name, file, format, flatten, o);
        }
    }
    if (rc == ENSHU_OK) {
        rc = publish(tmp, folder, exists);
        /* After an exchange, tmp holds the image that was replaced. */
        if (rc == ENSHU_OK && !exists)
            made = false;
    }
    if (made)
        remove_tree(tmp);
    free(tmp);
    free(folder);
    close(lock);
    return rc;
}

int image_remove(const char *dir, const char *name)
{
    if (!image_name_valid(name)) {
        log_printf(ENSHU_LOG_ERROR, "enshu: '%s' cannot name an image", name);
        return ENSHU_EINVAL;
    }
    if (builtin_image_exists(name)) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: '%s' is a built-in image; 'enshu images remove' removes imported "
                   "images only",
                   name);
        return ENSHU_EINVAL;
    }
    int lock = lock_store(dir);
    if (lock < 0)
        return lock;
    char *folder = xasprintf("%s/%s", dir, name);
    char *tmp = xasprintf("%s/.tmp-remove-%s.XXXXXX", dir, name);
    int rc = ENSHU_OK;
    char *error = NULL;
    image_info *img = image_store_lookup(dir, name, &error);
    if (access(folder, F_OK) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: there is no image '%s' in %s", name, dir);
        rc = ENSHU_ENOTFOUND;
    } else if (img && !img->imported) {
        log_printf(ENSHU_LOG_ERROR, "enshu: image '%s' was built, not imported; it is not removed",
                   name);
        rc = ENSHU_EINVAL;
    } else if (!mkdtemp(tmp) || rename(folder, tmp) != 0) {
        /* Renamed away first: the image vanishes at once, never half removed. */
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot remove %s: %s", folder, strerror(errno));
        rc = ENSHU_EIO;
    }
    if (access(tmp, F_OK) == 0)
        remove_tree(tmp);
    image_info_free(img);
    free(error);
    free(tmp);
    free(folder);
    close(lock);
    return rc;
}
