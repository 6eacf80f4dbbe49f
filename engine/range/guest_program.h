/*
 * The programs the engine runs in a guest through its agent (guest-exec),
 * built per dialect of the image (image_store.h: exec "sh" or
 * "powershell"): the argument vector and the bytes on the program's
 * standard input, and how it is bounded in time. Pure: no I/O, no guest;
 * guest_agent.c carries a program out.
 *
 * What shows. The agent writes the program and arguments of every
 * guest-exec to the guest's log, and the guest's `ps` shows them while it
 * runs; it never logs the input. So argv holds only fixed text and the
 * bound in seconds; the account, the command or script, a file's path and
 * bytes, and addresses all go on the input.
 *
 * sh (Linux images). argv is `/bin/sh -c PROGRAM sh INNER [SECONDS]`. The
 * fixed PROGRAM reads the account from the first line of the input ("" for
 * root), switches to it (setpriv, else su: guest_agent.h) and runs INNER
 * there, which reads the rest of the input:
 * - a command or script is written to a private temporary file (mktemp, as
 *   that account, mode 0600), opened on descriptor 9, removed, and run as
 *   `/bin/sh /proc/self/fd/9` with its standard input /dev/null. So no
 *   process shows any of its text, and `pgrep -f`/`pkill -f` on text of a
 *   script never match the script itself. The script's processes inherit
 *   descriptor 9 (the removed file), readable only by its account and root.
 *   (/proc/self/fd rather than /dev/fd: the BusyBox images have no /dev/fd.)
 * - a file's mode, owner, group and path come a line each, then its bytes.
 * Every program runs under umask 022, as after a login: files an inject
 * creates are 0644 and directories 0755 unless it says otherwise.
 * Bounded (SECONDS given): the work runs in a session of its own (setsid),
 * and when SECONDS pass a watchdog kills that whole process group with
 * SIGKILL: the script and every process it started that stayed in it. The
 * program then ends with status 137. The host waits 5 s more than the bound.
 *
 * powershell (Windows images). argv is `powershell.exe -NoProfile
 * -NonInteractive -ExecutionPolicy Bypass -Command WRAPPER`; the fixed
 * WRAPPER reads the whole input as UTF-8 and runs it as one script block
 * (not line by line, as `-Command -` would), with UTF-8 output; the exit
 * status is the script's `exit N`, else 0 when its last statement
 * succeeded, else the last native program's status, else 1. Commands
 * always run as the agent's account (LocalSystem): there is no way to run
 * one as another user, so a user is refused (ENSHU_EINVAL; the scenario
 * checks refuse it earlier, range_images.h). A file is written by a
 * generated script (its path and base64 bytes in the input); its mode,
 * owner and group do not apply (owner or group: ENSHU_EINVAL). Bounded: the
 * host kills the program's process tree when the bound passes
 * (guest_program_kill: taskkill /F /T), then waits 5 s more.
 */
#ifndef ENSHU_GUEST_PROGRAM_H
#define ENSHU_GUEST_PROGRAM_H

#include "image_store.h"

#include <stddef.h>
#include <stdint.h>

#define GUEST_PROGRAM_ARGV_MAX 12
/* How much longer than a bound the host waits for a program to end. */
#define GUEST_PROGRAM_GRACE_MS 5000
/* The bound of a file write or of setting addresses. */
#define GUEST_PROGRAM_SHORT_BOUND_MS 30000
/* What an sh program says, before it runs anything, when the guest has no
 * such account: this line on stderr, and this status. */
#define GUEST_PROGRAM_NO_USER "no such user"
#define GUEST_PROGRAM_NO_USER_STATUS 125

/* One program to run. argv points into fixed texts and into the struct
 * itself: do not copy it. */
typedef struct guest_program {
    const char *argv[GUEST_PROGRAM_ARGV_MAX]; /* NULL-terminated; argv[0] the program */
    char *input;                              /* malloc'd; len bytes */
    size_t len;
    int64_t wait_ms; /* how long the host waits for the program to end */
    int64_t kill_ms; /* > 0: the host kills it after this long (powershell); 0: it ends by itself */
    char seconds[24]; /* the bound, as argv holds it */
} guest_program;

/* A file to write into a guest. */
typedef struct guest_file {
    const char *path; /* absolute */
    const char *content;
    size_t len;
    unsigned mode;
    const char *owner, *group; /* set after writing (chown, chgrp); NULL: as written */
} guest_file;

/* One interface whose address the engine sets (addressing "agent"). */
typedef struct guest_nic_address {
    const char *mac;    /* aa:bb:cc:dd:ee:ff */
    const char *ifname; /* sh: the guest's name of the NIC with that MAC; powershell: unused */
    uint32_t addr;      /* host order */
    unsigned prefix;
} guest_nic_address;

/* command (a script: any text) as user (NULL: root; powershell: must be
 * NULL), bounded to bound_ms rounded up to whole seconds. bound_ms 0 (sh
 * only): unbounded, wait_ms 0 (the caller says how long to wait).
 * ENSHU_EINVAL for a user with a newline, a user on powershell, or
 * bound_ms 0 on powershell; then p holds nothing to free. */
int guest_program_command(guest_program *p, image_exec dialect, const char *user,
                          const char *command, int64_t bound_ms)
    __attribute__((warn_unused_result));

/* Writes f as user (as guest_program_command) in GUEST_PROGRAM_SHORT_BOUND_MS:
 * created or truncated, missing directories above it created; on sh then
 * owner, group, and mode (after chown, which clears set-id bits).
 * ENSHU_EINVAL for a path, user, owner or group with a newline, or a
 * user, owner or group on powershell. */
int guest_program_write(guest_program *p, image_exec dialect, const char *user, const guest_file *f)
    __attribute__((warn_unused_result));

/* Sets each of the n interfaces' address and prefix (replacing the IPv4
 * addresses it had), brings it up, and, when gateway is not 0, the default
 * route through it and the gateway as the only name server: on sh with
 * `ip` and /etc/resolv.conf, each NIC by its ifname; on powershell with
 * New-NetIPAddress and Set-DnsClientServerAddress, each NIC found by its
 * MAC in the guest (DHCP turned off on it). As root, bounded by
 * GUEST_PROGRAM_SHORT_BOUND_MS. ENSHU_EINVAL for a MAC that is not six
 * hex pairs, a missing or multi-line ifname (sh), or a prefix over 32. */
int guest_program_address(guest_program *p, image_exec dialect, const guest_nic_address *nics,
                          size_t n, uint32_t gateway) __attribute__((warn_unused_result));

/* The program that kills a powershell program the agent started as pid,
 * with its process tree (taskkill /F /T /PID): argv (at least 6 elements,
 * NULL-terminated) points into digits (at least 24 bytes). */
void guest_program_kill(long long pid, const char **argv, char *digits);

/* Frees the input; p may be NULL. */
void guest_program_fini(guest_program *p);

#endif
