/*
 * The RFB (VNC, RFC 6143) stream a viewer sends to a guest's display, read
 * as it passes through the relay (guest_display.c): every message is found
 * by its length, so that
 * - a view-only viewer's input never reaches the guest: KeyEvent,
 *   PointerEvent, ClientCutText, QEMU's extended KeyEvent, SetDesktopSize
 *   and xvp (power) messages are dropped whole, everything else passes;
 * - no viewer can take the display for itself: ClientInit's shared flag is
 *   always sent as 1 (QEMU's VNC server would otherwise disconnect every
 *   other viewer, "allow-exclusive" being its default share policy);
 * - a stream the relay cannot read (a security type other than None, a
 *   message type it does not know, a fence longer than the RFB limit) fails
 *   instead of passing unread: the caller ends that viewer.
 *
 * Pure: no I/O, no allocation, no locks. Bounded: a filter is a small
 * fixed-size struct; it buffers at most RFB_FILTER_HEADER_MAX bytes (a
 * message's fixed part, until its length is known) and streams the rest
 * (a ClientCutText of 2^31 bytes costs nothing). The handshake read is the
 * client's side only, as the server side needs no reading: ProtocolVersion
 * 3.3, 3.7 or 3.8; the security type (3.7 and 3.8); ClientInit.
 */
#ifndef ENSHU_RFB_CLIENT_FILTER_H
#define ENSHU_RFB_CLIENT_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest fixed part of a client message (QEMU's extended KeyEvent). */
#define RFB_FILTER_HEADER_MAX 12

typedef enum rfb_filter_stage {
    RFB_FILTER_VERSION,  /* 12 bytes "RFB 003.00x\n" */
    RFB_FILTER_SECURITY, /* 1 byte: the security type chosen (3.7, 3.8) */
    RFB_FILTER_INIT,     /* 1 byte: ClientInit's shared flag */
    RFB_FILTER_MESSAGES, /* client-to-server messages */
    RFB_FILTER_FAILED,
} rfb_filter_stage;

/* Zero it, or rfb_client_filter_init. Fields are private. */
typedef struct rfb_client_filter {
    bool view_only;
    rfb_filter_stage stage;
    uint8_t head[RFB_FILTER_HEADER_MAX]; /* the current message's fixed part so far */
    size_t head_len;
    uint64_t body_left; /* bytes of the current message's variable part still to come */
    bool body_passes;   /* that part is forwarded (else dropped) */
    uint64_t dropped;   /* messages dropped (view-only input) */
    const char *error;  /* why it failed (a static sentence) */
} rfb_client_filter;

void rfb_client_filter_init(rfb_client_filter *f, bool view_only);

/* Reads len bytes of the client's stream (in: any split of it) and writes
 * the bytes to forward to the guest to out, which has room for len +
 * RFB_FILTER_HEADER_MAX bytes; *out_len is how many. 0, or ENSHU_EINVAL
 * once the stream cannot be read (rfb_client_filter_error says why): the
 * bytes of this call are not to be forwarded then, nor any later. */
int rfb_client_filter_feed(rfb_client_filter *f, const uint8_t *in, size_t len, uint8_t *out,
                           size_t *out_len) __attribute__((warn_unused_result));

/* NULL while the stream is readable. */
const char *rfb_client_filter_error(const rfb_client_filter *f);

#endif
