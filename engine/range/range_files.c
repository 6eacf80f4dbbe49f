/*
 * Range file locations and locking (see range_files.h).
 */
#include "range_files.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

const char *range_state_dir(void)
{
    const char *d = getenv("ENSHU_STATE_DIR");
    return d && *d ? d : "/var/lib/enshu";
}

const char *range_image_dir(void)
{
    const char *d = getenv("ENSHU_IMAGE_DIR");
    return d && *d ? d : "/var/lib/enshu/images";
}

char *range_db_path(const char *name)
{
    return xasprintf("%s/ranges/%s.db", range_state_dir(), name);
}

char *range_ledger_path(const char *name)
{
    return xasprintf("%s/ranges/%s.events.db", range_state_dir(), name);
}

char *range_pool_dir(void)
{
    /* Host-wide like the pool itself, not per state directory: the pool is
     * shared by every range on the host and outlives any one of them. */
    const char *d = getenv("ENSHU_POOL_DIR");
    return xstrdup(d && *d ? d : "/var/lib/enshu/pool");
}

static int mkdir_one(const char *path)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST)
        return ENSHU_OK;
    log_printf(ENSHU_LOG_ERROR, "enshu: cannot create %s: %s", path, strerror(errno));
    return ENSHU_EIO;
}

int range_dirs_ensure(void)
{
    char *ranges = xasprintf("%s/ranges", range_state_dir());
    int rc = mkdir_one(range_state_dir());
    if (rc == ENSHU_OK)
        rc = mkdir_one(ranges);
    free(ranges);
    return rc;
}

int range_lock(const char *name)
{
    char *path = xasprintf("%s/ranges/%s.lock", range_state_dir(), name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot open lock %s: %s", path, strerror(errno));
        free(path);
        return ENSHU_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: range '%s' is busy: another enshu command works on it (%s)", name, path);
        close(fd);
        free(path);
        return ENSHU_EBUSY;
    }
    free(path);
    return fd;
}

void range_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **range_list(size_t *count)
{
    *count = 0;
    char *dir_path = xasprintf("%s/ranges", range_state_dir());
    DIR *dir = opendir(dir_path);
    free(dir_path);
    char **names = NULL;
    size_t cap = 0;
    if (!dir)
        return NULL;
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        bool ledger = len > 10 && strcmp(e->d_name + len - 10, ".events.db") == 0;
        if (len > 3 && strcmp(e->d_name + len - 3, ".db") == 0 && !ledger) {
            XGROW(names, cap, *count + 1);
            names[(*count)++] = xstrndup(e->d_name, len - 3);
        }
    }
    closedir(dir);
    if (*count)
        qsort(names, *count, sizeof(char *), compare_names);
    return names;
}

void range_files_remove(const char *name)
{
    static const char *const suffixes[] = {".db", ".db-wal", ".db-shm", ".lock"};
    for (size_t i = 0; i < 4; i++) {
        char *path = xasprintf("%s/ranges/%s%s", range_state_dir(), name, suffixes[i]);
        unlink(path);
        free(path);
    }
}

char *range_pick(const char *given, const char *command)
{
    if (given)
        return xstrdup(given);
    size_t n;
    char **names = range_list(&n);
    char *pick = NULL;
    if (n == 1) {
        pick = names[0];
        names[0] = NULL;
    } else if (n == 0) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu %s: there is no range; bring one up with 'enshu up FILE --teams N'",
                   command);
    } else {
        size_t len = 0;
        for (size_t i = 0; i < n; i++)
            len += 1 + strlen(names[i]);
        char *list = xmalloc(len + 1), *end = list;
        for (size_t i = 0; i < n; i++)
            end += sprintf(end, " %s", names[i]);
        *end = '\0';
        log_printf(ENSHU_LOG_ERROR, "enshu %s: there are %zu ranges; choose one with --name:%s",
                   command, n, list);
        free(list);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return pick;
}
