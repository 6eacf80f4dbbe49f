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
 * timeout_ms. Reports failures to stderr. */
int guest_agent_exec(virDomainPtr dom, const char *command, int64_t timeout_ms,
                     guest_exec_result *out) __attribute__((warn_unused_result));
void guest_exec_result_fini(guest_exec_result *r);

#endif
