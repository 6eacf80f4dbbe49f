/*
 * The one logging facility: every module reports through log_printf with a
 * level, and the program chooses once where the lines go.
 *
 *   plain     stderr, the message as written and nothing else: the
 *             command line's default, so its messages read as sentences
 *   stderr    stderr, each line "TIME LEVEL: message" (TIME ISO 8601 with
 *             milliseconds and the UTC offset): a long-running server
 *   FILE      the same lines appended to a file, reopened by log_reopen
 *             (after logrotate has moved it: SIGHUP in 'enshu run/serve')
 *   syslog    syslog(3) with the matching priority, ident "enshu", facility
 *             daemon (journald takes syslog too)
 *
 * Messages are one sentence, without a trailing newline (one is dropped if
 * given); a message of several lines gets the decoration on each line.
 * Where the text names the program ("enshu: ..."), the syslog sink drops
 * that prefix: the ident says it already.
 *
 * Threads: log_printf may be called from any thread at any time; each
 * message is written with one write(2) under a lock, so lines of different
 * threads never interleave. log_open, log_close and log_set_level swap
 * the sink under the same lock. log_reopen is async-signal-safe.
 * errno is preserved across log_printf (and "%m" prints it).
 */
#ifndef ENSHU_LOG_H
#define ENSHU_LOG_H

#include <stdarg.h>

/* From the most to the least severe; syslog's priorities of the same name. */
typedef enum log_level {
    ENSHU_LOG_ERROR,   /* something failed: a request, a guest, a file */
    ENSHU_LOG_WARNING, /* it goes on, worse than asked (a retry, a fallback) */
    ENSHU_LOG_NOTICE,  /* normal but worth seeing: a session closed for a reason */
    ENSHU_LOG_INFO,    /* what happens: progress, decisions */
    ENSHU_LOG_DEBUG,   /* detail for whoever debugs */
} log_level;

/* Writes one message of level (dropped below the minimum level). */
void log_printf(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vprintf(log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Chooses the sink: "stderr" (decorated), "syslog", or else a file path
 * (opened for appending, created 0640). Returns ENSHU_EIO (reported on
 * stderr) if the file cannot be opened; the sink is then unchanged. A path
 * named like a keyword is written "./stderr". */
int log_open(const char *target) __attribute__((warn_unused_result));

/* Back to the plain stderr sink (closing a file, closelog for syslog). */
void log_close(void);

/* Messages less severe than level are dropped; the default is INFO. */
void log_set_level(log_level level);

/* "error", "warning", "notice", "info" or "debug" into *out: 0, or
 * ENSHU_EINVAL for another name (nothing reported). */
int log_level_parse(const char *name, log_level *out) __attribute__((warn_unused_result));

/* The name of level, as log_level_parse reads it. */
const char *log_level_name(log_level level);

/* Asks for the file sink to be reopened by its path before the next line
 * (the old file was renamed away). Async-signal-safe: a SIGHUP handler
 * calls it. No effect on other sinks. */
void log_reopen(void);

#endif
