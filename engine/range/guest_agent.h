/*
 * Talking to the QEMU guest agent inside a guest through libvirt: ping
 * (readiness), running a shell command with its exit code and output, and
 * writing a file.
 *
 * Nothing a caller runs or writes shows in the guest's logs: qemu-ga writes
 * the program and arguments of every guest-exec, and the path of every
 * guest-file-open, to the guest's syslog whatever its own log options. So
 * every call here runs one of a few fixed shell programs with uninformative
 * arguments, and hands it the command, or the file's path and bytes, on its
 * standard input (guest-exec's input-data), which the agent does not log.
 */
#ifndef ENSHU_GUEST_AGENT_H
#define ENSHU_GUEST_AGENT_H

#include <libvirt/libvirt.h>
#include <stdint.h>

/* 0 when the agent answers within timeout_s seconds. Quiet on failure. */
int guest_agent_ping(virDomainPtr dom, int timeout_s);

typedef struct guest_exec_result {
    int exit_code; /* -1 when killed by a signal */
    int signal;
    char *out; /* standard output, NUL-terminated */
    char *err;
} guest_exec_result;

/* Runs `/bin/sh -c command` in the guest and waits for it, at most
 * timeout_ms; the command's standard input is /dev/null. The shell gets the
 * command as its argument once it runs (ps shows it then, as for any
 * sh -c), but the agent's call carries it only as input. Logs failures
 * (log.h). */
int guest_agent_exec(virDomainPtr dom, const char *command, int64_t timeout_ms,
                     guest_exec_result *out) __attribute__((warn_unused_result));

/* As guest_agent_exec, under `timeout -s KILL` in the guest so that it also
 * stops by itself there, at timeout_ms rounded up to whole seconds (status
 * 137, or signal 9 when the shell ran the command in its own place); the
 * host waits 5 s more for that. */
int guest_agent_exec_bounded(virDomainPtr dom, const char *command, int64_t timeout_ms,
                             guest_exec_result *out) __attribute__((warn_unused_result));
void guest_exec_result_fini(guest_exec_result *r);

/* Runs the fixed program argv (argv[0] an absolute path; NULL-terminated)
 * with the len bytes of input on its standard input, and waits for it, at
 * most timeout_ms. The agent writes argv to the guest's log, never input:
 * whatever is secret or telling goes in input. Logs failures (log.h). */
int guest_agent_run_with_input(virDomainPtr dom, const char *const *argv, const char *input,
                               size_t len, int64_t timeout_ms, guest_exec_result *out)
    __attribute__((warn_unused_result));

/* Writes len bytes of content to path in the guest as root (created, or
 * truncated keeping its owner), creating missing directories above it, and
 * sets its permissions to mode. ENSHU_EINVAL for a path with a newline;
 * ENSHU_EAGENT when the agent or the write fails. */
int guest_agent_write_file(virDomainPtr dom, const char *path, const char *content, size_t len,
                           unsigned mode) __attribute__((warn_unused_result));

#endif
