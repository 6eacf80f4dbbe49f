/*
 * A websocket frame as a client sends it (RFC 6455 5.2: masked), for the
 * tests' and benchmarks' own clients, which talk to the server byte by byte.
 */
#ifndef ENSHU_TEST_WS_CLIENT_FRAME_H
#define ENSHU_TEST_WS_CLIENT_FRAME_H

#include <stdbool.h>
#include <stddef.h>

enum { WS_CLIENT_FRAME_HEAD_MAX = 14 };

/* Writes the frame of data (opcode, final or not, masked with mask) into
 * out, which has len + WS_CLIENT_FRAME_HEAD_MAX bytes; returns its length. */
size_t ws_client_frame(unsigned char *out, int opcode, bool fin, const void *data, size_t len,
                       const unsigned char mask[4]);

#endif
