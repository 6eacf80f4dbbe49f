/*
 * Talking to the QEMU guest agent inside a guest through libvirt: ping
 * (readiness), running a command or script with its exit code and output,
 * writing a file, and setting a guest's addresses.
 *
 * Nothing a caller runs or writes shows in the guest's logs or on any
 * command line: qemu-ga writes the program and arguments of every
 * guest-exec, and the path of every guest-file-open, to the guest's syslog
 * whatever its own log options, and `ps` shows a command line to anyone.
 * So every call here runs one of a few fixed programs with uninformative
 * arguments, and hands it the account to run as, the script, or the file's
 * path, owner and bytes, on its standard input (guest-exec's input-data),
 * which the agent does not log. guest_program.h builds those programs per
 * dialect (sh on Linux images, PowerShell on Windows ones) and says how
 * each runs: on sh, a script is run from a removed private file as
 * `/bin/sh /proc/self/fd/9`, under umask 022, so `pgrep -f` on its text
 * never finds the script itself.
 *
 * Running as a user (sh). The fixed program looks the account up (getent,
 * or /etc/passwd where there is none), goes to its home directory and runs
 * the work there as a login shell (/bin/sh -l: /etc/profile and the user's
 * ~/.profile) with the environment of a login (HOME, USER, LOGNAME,
 * SHELL=/bin/sh, PATH, and LANG from /etc/default/locale):
 * - through util-linux's `setpriv --reuid --regid --init-groups` where it
 *   is (every Debian image): no PAM, nothing logged;
 * - else through `su -l -s /bin/sh USER -c ...` (the BusyBox images):
 *   BusyBox's su logs the switch itself to syslog ("+ none root:alice"),
 *   never the command.
 * Either way the work runs in a session of its own, whose process group a
 * bound's SIGKILL reaches whole, as for root. On PowerShell everything runs
 * as the agent's account: a user is refused (ENSHU_EINVAL).
 */
#ifndef ENSHU_GUEST_AGENT_H
#define ENSHU_GUEST_AGENT_H

#include "guest_program.h"

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

/* Runs command (a script) in the guest as root through sh and waits for
 * it, at most timeout_ms, without a bound in the guest; its standard input
 * is /dev/null. Logs failures (log.h). */
int guest_agent_exec(virDomainPtr dom, const char *command, int64_t timeout_ms,
                     guest_exec_result *out) __attribute__((warn_unused_result));

/* Runs command (a script) in the dialect of the guest's image, as user
 * (NULL: root, or the agent's account, in the agent's environment), bounded
 * to timeout_ms rounded up to whole seconds (guest_program.h: on sh the
 * guest kills the script's process group, status 137; on PowerShell the
 * host kills its process tree); the host waits GUEST_PROGRAM_GRACE_MS more.
 * ENSHU_ENOTFOUND, quietly and with nothing run, when the guest has no such
 * user; ENSHU_EINVAL for a user name with a newline, or any user on
 * PowerShell. */
int guest_agent_run(virDomainPtr dom, image_exec dialect, const char *user, const char *command,
                    int64_t timeout_ms, guest_exec_result *out) __attribute__((warn_unused_result));

/* guest_agent_run through sh. */
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

/* Writes f in the dialect of the guest's image as user (NULL: root):
 * created, or truncated keeping its owner, missing directories above it
 * created; on sh then owner and group set if given, then its permissions
 * (after the owner: chown clears set-id bits). Bounded to 30 s.
 * ENSHU_EINVAL for a path, user, owner or group with a newline (or, on
 * PowerShell, any user, owner or group); ENSHU_ENOTFOUND when the guest has
 * no such user; ENSHU_EAGENT when the agent or the write fails, with *why
 * (malloc'd; may be NULL) what the guest said. */
int guest_agent_write(virDomainPtr dom, image_exec dialect, const char *user, const guest_file *f,
                      char **why) __attribute__((warn_unused_result));

/* guest_agent_write through sh. */
int guest_agent_write_file(virDomainPtr dom, const char *user, const guest_file *f, char **why)
    __attribute__((warn_unused_result));

/* Sets the n interfaces' addresses, the default route and name server
 * through the agent (guest_program_address), as root, bounded to 30 s. On
 * sh each NIC's name is first found by its MAC in the agent's list of the
 * guest's interfaces (guest-network-get-interfaces), waiting up to 30 s for
 * a NIC to show; nics[i].ifname is used only during the call. ENSHU_EAGENT
 * with *why (malloc'd; may be NULL) when a NIC is missing or the guest's
 * commands fail; ENSHU_EINVAL for a bad MAC. */
int guest_agent_set_addresses(virDomainPtr dom, image_exec dialect, guest_nic_address *nics,
                              size_t n, uint32_t gateway, char **why)
    __attribute__((warn_unused_result));

#endif
