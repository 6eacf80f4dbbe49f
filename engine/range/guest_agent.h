/*
 * Talking to the QEMU guest agent inside a guest through libvirt: ping
 * (readiness) and running a shell command with its exit code and output.
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

/* Runs /bin/sh -c command in the guest and waits for it, at most
 * timeout_ms. Logs failures (log.h). */
int guest_agent_exec(virDomainPtr dom, const char *command, int64_t timeout_ms,
                     guest_exec_result *out) __attribute__((warn_unused_result));

/* Runs argv[0] with arguments argv[1..] (NULL-terminated); no shell quoting
 * is involved, so arguments pass through as they are. */
int guest_agent_exec_argv(virDomainPtr dom, const char *const *argv, int64_t timeout_ms,
                          guest_exec_result *out) __attribute__((warn_unused_result));
void guest_exec_result_fini(guest_exec_result *r);

/* Writes content to path in the guest (created or truncated). */
int guest_agent_write_file(virDomainPtr dom, const char *path, const char *content, size_t len)
    __attribute__((warn_unused_result));

#endif
