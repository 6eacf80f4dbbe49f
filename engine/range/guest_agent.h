/*
 * Talking to the QEMU guest agent inside a guest through libvirt: ping
 * (readiness), running a shell command with its exit code and output, and
 * writing a file.
 *
 * Nothing a caller runs or writes shows in the guest's logs: qemu-ga writes
 * the program and arguments of every guest-exec, and the path of every
 * guest-file-open, to the guest's syslog whatever its own log options. So
 * every call here runs one of a few fixed shell programs with uninformative
 * arguments, and hands it the account to run as, the command, or the
 * file's path, owner and bytes, on its standard input (guest-exec's
 * input-data), which the agent does not log.
 *
 * Running as a user. The fixed program looks the account up (getent, or
 * /etc/passwd where there is none), goes to its home directory and runs
 * the command there as a login shell (/bin/sh -l: /etc/profile and the
 * user's ~/.profile) with the environment of a login (HOME, USER, LOGNAME,
 * SHELL=/bin/sh, PATH, and LANG from /etc/default/locale):
 * - through util-linux's `setpriv --reuid --regid --init-groups` where it
 *   is (every Debian image): no PAM, nothing logged;
 * - else through `su -l -s /bin/sh USER -c ...` (the BusyBox images):
 *   BusyBox's su logs the switch itself to syslog ("+ none root:alice"),
 *   never the command.
 * Either way the program execs the user's shell in its own place, so a
 * bound's SIGKILL reaches it as for root.
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

/* Runs `/bin/sh -c command` in the guest as root and waits for it, at most
 * timeout_ms; the command's standard input is /dev/null. The shell gets the
 * command as its argument once it runs (ps shows it then, as for any
 * sh -c), but the agent's call carries it only as input. Logs failures
 * (log.h). */
int guest_agent_exec(virDomainPtr dom, const char *command, int64_t timeout_ms,
                     guest_exec_result *out) __attribute__((warn_unused_result));

/* As guest_agent_exec, as user (NULL: root, in the agent's environment),
 * under `timeout -s KILL` in the guest so that it also stops by itself
 * there, at timeout_ms rounded up to whole seconds (status 137, or signal 9
 * when the shell ran the command in its own place); the host waits 5 s
 * more for that. ENSHU_ENOTFOUND, quietly and with nothing run, when the
 * guest has no such user; ENSHU_EINVAL for a user name with a newline. */
int guest_agent_exec_bounded(virDomainPtr dom, const char *user, const char *command,
                             int64_t timeout_ms, guest_exec_result *out)
    __attribute__((warn_unused_result));
void guest_exec_result_fini(guest_exec_result *r);

/* Runs the fixed program argv (argv[0] an absolute path; NULL-terminated)
 * with the len bytes of input on its standard input, and waits for it, at
 * most timeout_ms. The agent writes argv to the guest's log, never input:
 * whatever is secret or telling goes in input. Logs failures (log.h). */
int guest_agent_run_with_input(virDomainPtr dom, const char *const *argv, const char *input,
                               size_t len, int64_t timeout_ms, guest_exec_result *out)
    __attribute__((warn_unused_result));

/* A file to write into a guest. */
typedef struct guest_file {
    const char *path; /* absolute */
    const char *content;
    size_t len;
    unsigned mode;
    const char *owner, *group; /* set after writing (chown, chgrp); NULL: as written */
} guest_file;

/* Writes f as user (NULL: root): created, or truncated keeping its owner,
 * missing directories above it created, then owner and group set if given,
 * then its permissions (after the owner: chown clears set-id bits). Bounded
 * to 30 s in the guest. ENSHU_EINVAL for a path, user, owner or group with
 * a newline; ENSHU_ENOTFOUND when the guest has no such user; ENSHU_EAGENT
 * when the agent or the write fails, with *why (malloc'd; may be NULL) what
 * the guest said. */
int guest_agent_write_file(virDomainPtr dom, const char *user, const guest_file *f, char **why)
    __attribute__((warn_unused_result));

#endif
