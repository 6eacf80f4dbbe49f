/*
 * Base64 decoding (RFC 4648), for output the guest agent returns.
 */
#ifndef ENSHU_BASE64_H
#define ENSHU_BASE64_H

#include <stddef.h>

/* Decodes text; returns a NUL-terminated buffer (caller frees) or NULL on
 * malformed input. *len gets the decoded length. */
char *base64_decode(const char *text, size_t *len);

#endif
