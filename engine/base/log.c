/*
 * The logging facility (log.h): one lock, one sink, one write(2) per
 * message. Formatting needs no allocation for ordinary messages (a stack
 * buffer), so even "out of memory" can be logged; a longer message is
 * formatted on the heap, and cut to the stack buffer if that fails too.
 */
#include "log.h"

#include "errors.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

enum sink { SINK_PLAIN, SINK_STDERR, SINK_FILE, SINK_SYSLOG };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
/* Under lock. */
static enum sink sink = SINK_PLAIN;
static int file_fd = -1;
static char *file_path;

static atomic_int min_level = ENSHU_LOG_INFO;
/* Lock-free on every platform we build for, so a signal handler may set it. */
static atomic_int reopen_wanted;

static const char *const level_names[] = {"error", "warning", "notice", "info", "debug"};
static const int syslog_priorities[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};
#define NLEVELS (sizeof level_names / sizeof level_names[0])

/* What the ident of syslog says already. */
static const char PROGRAM_PREFIX[] = "enshu: ";

const char *log_level_name(log_level level)
{
    return (unsigned)level < NLEVELS ? level_names[level] : "error";
}

int log_level_parse(const char *name, log_level *out)
{
    for (unsigned i = 0; i < NLEVELS; i++)
        if (strcmp(name, level_names[i]) == 0) {
            *out = (log_level)i;
            return ENSHU_OK;
        }
    return ENSHU_EINVAL;
}

void log_set_level(log_level level)
{
    atomic_store(&min_level, (int)level);
}

void log_reopen(void)
{
    atomic_store(&reopen_wanted, 1);
}

static int open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
}

/* Caller holds lock. */
static void close_sink(void)
{
    if (sink == SINK_FILE && file_fd >= 0)
        close(file_fd);
    if (sink == SINK_SYSLOG)
        closelog();
    file_fd = -1;
    free(file_path);
    file_path = NULL;
    sink = SINK_PLAIN;
}

int log_open(const char *target)
{
    int fd = -1;
    enum sink chosen = strcmp(target, "stderr") == 0   ? SINK_STDERR
                       : strcmp(target, "syslog") == 0 ? SINK_SYSLOG
                                                       : SINK_FILE;
    if (chosen == SINK_FILE && (fd = open_file(target)) < 0) {
        fprintf(stderr, "enshu: cannot open the log file %s: %s\n", target, strerror(errno));
        return ENSHU_EIO;
    }
    pthread_mutex_lock(&lock);
    close_sink();
    sink = chosen;
    if (chosen == SINK_FILE) {
        file_fd = fd;
        file_path = strdup(target);
        if (!file_path) { /* no reopening then: the file stays as it is */
            fprintf(stderr, "enshu: out of memory: the log file %s will not be reopened\n", target);
        }
        atomic_store(&reopen_wanted, 0);
    } else if (chosen == SINK_SYSLOG) {
        openlog("enshu", LOG_PID, LOG_DAEMON);
    }
    pthread_mutex_unlock(&lock);
    return ENSHU_OK;
}

void log_close(void)
{
    pthread_mutex_lock(&lock);
    close_sink();
    pthread_mutex_unlock(&lock);
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere else to say it */
        p += w;
        n -= (size_t)w;
    }
}

/* "2025-06-01T12:34:56.789+02:00": local time, so it reads like the
 * host's other logs, with the offset, so it is unambiguous. */
static size_t format_time(char *out, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0)
        off = -off;
    int m = snprintf(out + n, size - n, ".%03ld%c%02ld:%02ld", ts.tv_nsec / 1000000, sign, off / 60,
                     off % 60);
    return m > 0 && (size_t)m < size - n ? n + (size_t)m : n;
}

/* Caller holds lock; the sink is a file or decorated stderr. Each line of
 * msg gets "TIME LEVEL: " before it; all of it goes in one write. */
static void write_decorated(int fd, log_level level, const char *msg, size_t len)
{
    char prefix[64];
    size_t plen = format_time(prefix, sizeof prefix);
    snprintf(prefix + plen, sizeof prefix - plen, " %s: ", log_level_name(level));
    plen = strnlen(prefix, sizeof prefix - 1);
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += msg[i] == '\n';
    size_t total = len + lines * (plen + 1);
    char stack[2048];
    char *out = total <= sizeof stack ? stack : malloc(total);
    if (!out) { /* line by line then: still whole lines, under the lock */
        for (const char *p = msg, *end = msg + len; p <= end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            write_all(fd, prefix, plen);
            write_all(fd, p, n);
            write_all(fd, "\n", 1);
            p += n + 1;
        }
        return;
    }
    char *o = out;
    memcpy(o, prefix, plen);
    o += plen;
    for (size_t i = 0; i < len; i++) {
        *o++ = msg[i];
        if (msg[i] == '\n') {
            memcpy(o, prefix, plen);
            o += plen;
        }
    }
    *o++ = '\n';
    write_all(fd, out, (size_t)(o - out));
    if (out != stack)
        free(out);
}

/* Caller holds lock: the file was renamed away (logrotate); a failure
 * keeps writing to the old one, and says so once per request. */
static void reopen_if_asked(void)
{
    if (sink != SINK_FILE || !file_path || !atomic_exchange(&reopen_wanted, 0))
        return;
    int fd = open_file(file_path);
    if (fd < 0) {
        fprintf(stderr, "enshu: cannot reopen the log file %s: %s\n", file_path, strerror(errno));
        return;
    }
    close(file_fd);
    file_fd = fd;
}

void log_vprintf(log_level level, const char *fmt, va_list ap)
{
    if ((unsigned)level >= NLEVELS)
        level = ENSHU_LOG_ERROR;
    if ((int)level > atomic_load(&min_level))
        return;
    int saved_errno = errno;
    char stack[1024];
    char *msg = stack;
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(stack, sizeof stack, fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n;
    if (len >= sizeof stack) {
        char *big = malloc(len + 1);
        errno = saved_errno; /* for %m */
        if (big && vsnprintf(big, len + 1, fmt, again) >= 0)
            msg = big;
        else {
            free(big);
            len = sizeof stack - 1;
        }
    }
    va_end(again);
    while (len > 0 && msg[len - 1] == '\n')
        len--;
    msg[len] = '\0';

    pthread_mutex_lock(&lock);
    switch (sink) {
    case SINK_PLAIN:
        msg[len] = '\n'; /* the terminating NUL is not written */
        write_all(STDERR_FILENO, msg, len + 1);
        msg[len] = '\0';
        break;
    case SINK_STDERR:
        write_decorated(STDERR_FILENO, level, msg, len);
        break;
    case SINK_FILE:
        reopen_if_asked();
        write_decorated(file_fd, level, msg, len);
        break;
    case SINK_SYSLOG: {
        const char *text = msg;
        if (strncmp(text, PROGRAM_PREFIX, sizeof PROGRAM_PREFIX - 1) == 0)
            text += sizeof PROGRAM_PREFIX - 1;
        syslog(syslog_priorities[level], "%s", text);
        break;
    }
    }
    pthread_mutex_unlock(&lock);
    if (msg != stack)
        free(msg);
    errno = saved_errno;
}

void log_printf(log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vprintf(level, fmt, ap);
    va_end(ap);
}
