/*
 * Composing an e-mail message (RFC 5322, MIME: RFC 2045-2047, 2231), as a
 * pure function of what it says, when and under which Message-ID: the same
 * input gives the same bytes, so tests need no clock.
 *
 * The message is UTF-8 text with CRLF line ends, ready for SMTP's DATA
 * (dot-stuffing aside): Date, From, To, Subject, Message-ID, MIME-Version,
 * then either one text/plain part, or multipart/mixed with the text first
 * and each attachment in base64. Texts that are not plain ASCII (Japanese
 * subjects and names) go into headers as RFC 2047 encoded words (UTF-8, B),
 * folded to lines of at most 76 characters; a body that is not ASCII, or
 * has a line longer than 998 bytes, is sent in base64.
 */
#ifndef ENSHU_MAIL_MESSAGE_H
#define ENSHU_MAIL_MESSAGE_H

#include "mail_address.h"

#include <stddef.h>
#include <stdint.h>

typedef struct mail_file {
    const char *name; /* file name shown to the reader (its last path part is taken) */
    const char *data;
    size_t size;
} mail_file;

typedef struct mail_message {
    const mail_address *from;
    const mail_address *to; /* at least one */
    size_t nto;
    const char *subject;    /* UTF-8; line breaks become spaces */
    const char *body;       /* UTF-8; LF or CRLF line ends */
    const mail_file *files; /* attachments */
    size_t nfiles;
    int64_t date_ms;        /* wall clock (UTC) of the Date header */
    const char *message_id; /* left@right, without the angle brackets */
} mail_message;

/* The whole message, malloc'd and NUL-terminated; *len gets its length. */
char *mail_message_compose(const mail_message *m, size_t *len) __attribute__((warn_unused_result));

/* The MIME type a file name's extension suggests (application/octet-stream
 * when none is known). */
const char *mail_content_type(const char *name);

#endif
