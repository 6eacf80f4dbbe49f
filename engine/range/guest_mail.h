/*
 * Sending an e-mail message from inside a guest by SMTP, so that the
 * server sees a real client on the network: its address in Received
 * headers and mail logs, the SMTP dialogue in its own log.
 *
 * Two agent calls, both quiet (guest_agent.h): the fixed file program
 * writes the envelope and message to a file of root's in /tmp (mode 0600),
 * then a fixed shell program speaks SMTP from there (EHLO, or HELO when the
 * server refuses it; MAIL FROM, RCPT TO for each recipient, DATA with the
 * message dot-stuffed, QUIT), checking every reply, and removes the file.
 * It needs only what both kinds of image have: its connection is bash's
 * /dev/tcp where there is bash (every Debian image), else nc (BusyBox), each
 * bounded by `timeout -s KILL` like the program itself. A server that does
 * not greet yet (refused, closed) is tried again every 2 s for the first
 * half of the bound, as a real MTA would keep the message queued.
 */
#ifndef ENSHU_GUEST_MAIL_H
#define ENSHU_GUEST_MAIL_H

#include <libvirt/libvirt.h>
#include <stddef.h>
#include <stdint.h>

typedef struct guest_mail {
    const char *host; /* the SMTP server: an address or a host name */
    unsigned port;
    const char *from;         /* envelope sender (an address, no brackets) */
    const char *const *rcpts; /* envelope recipients */
    size_t nrcpts;
    const char *message; /* RFC 5322 text with CRLF line ends (mail_message.h) */
    size_t len;
} guest_mail;

/* Sends m from dom within timeout_ms. 0 with *result the server's last
 * reply to the message ("250 2.0.0 Ok: queued as 4F2B1"), or a negative
 * code with *result saying what failed (the server's refusal, a connection
 * that failed, the agent); *result is malloc'd either way. ENSHU_EINVAL for
 * a host or address with white space, or no recipient. */
int guest_mail_send(virDomainPtr dom, const guest_mail *m, int64_t timeout_ms, char **result)
    __attribute__((warn_unused_result));

/* The shell program guest_mail_send runs on the sender for the message
 * file at path (the four envelope lines, then the message), bounded by
 * timeout_ms; any POSIX sh with mkfifo, timeout, sed and bash or nc runs it.
 * Malloc'd; exposed so that it can be tried against a local server. */
char *guest_mail_client_program(const char *path, int64_t timeout_ms);

#endif
