/*
 * Base64 (RFC 4648), the guest agent's encoding of file contents and output.
 */
#ifndef ENSHU_BASE64_H
#define ENSHU_BASE64_H

#include <stddef.h>

/* Decodes text; returns a NUL-terminated buffer (caller frees) or NULL on
 * malformed input. *len gets the decoded length. */
char *base64_decode(const char *text, size_t *len);

/* Encodes len bytes of data (caller frees). */
char *base64_encode(const char *data, size_t len);

#endif
