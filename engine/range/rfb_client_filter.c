/*
 * A viewer's RFB stream read message by message (see rfb_client_filter.h):
 * each message's first bytes say how long it is; those are held until its
 * length and fate are known, then the message passes or is dropped as it
 * streams by.
 */
#include "rfb_client_filter.h"
#include "errors.h"

#include <string.h>

/* Client-to-server message types (RFC 6143 7.5, and the extensions QEMU
 * or noVNC speak). */
enum {
    MSG_SET_PIXEL_FORMAT = 0,
    MSG_SET_ENCODINGS = 2,
    MSG_UPDATE_REQUEST = 3,
    MSG_KEY = 4,
    MSG_POINTER = 5,
    MSG_CUT_TEXT = 6,
    MSG_CONTINUOUS_UPDATES = 150,
    MSG_FENCE = 248,
    MSG_XVP = 250,
    MSG_SET_DESKTOP_SIZE = 251,
    MSG_QEMU = 255,
    QEMU_EXT_KEY = 0,
    QEMU_AUDIO = 1,
    FENCE_PAYLOAD_MAX = 64, /* RFB: a fence carries at most 64 bytes */
    SECURITY_NONE = 1,
};

void rfb_client_filter_init(rfb_client_filter *f, bool view_only)
{
    memset(f, 0, sizeof *f);
    f->view_only = view_only;
}

const char *rfb_client_filter_error(const rfb_client_filter *f)
{
    return f->stage == RFB_FILTER_FAILED ? f->error : NULL;
}

static int fail(rfb_client_filter *f, const char *why)
{
    f->stage = RFB_FILTER_FAILED;
    f->error = why;
    return ENSHU_EINVAL;
}

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* What the held first bytes of a message say: 1 when its whole length
 * (*total) and whether it is input (*input) are known, 0 when *need bytes
 * must be held first, ENSHU_EINVAL when the message cannot be read. */
static int read_head(rfb_client_filter *f, size_t *need, uint64_t *total, bool *input)
{
    const uint8_t *h = f->head;
    size_t n = f->head_len;
    *input = false;
    switch (h[0]) {
    case MSG_SET_PIXEL_FORMAT:
        *total = 20;
        return 1;
    case MSG_SET_ENCODINGS:
        if (n < 4)
            return *need = 4, 0;
        *total = 4 + 4 * (uint64_t)be16(h + 2);
        return 1;
    case MSG_UPDATE_REQUEST:
    case MSG_CONTINUOUS_UPDATES:
        *total = 10;
        return 1;
    case MSG_KEY:
        *input = true;
        *total = 8;
        return 1;
    case MSG_POINTER:
        *input = true;
        *total = 6;
        return 1;
    case MSG_CUT_TEXT: {
        if (n < 8)
            return *need = 8, 0;
        /* A negative length is the extended clipboard's (its size is the
         * absolute value). */
        uint32_t v = be32(h + 4);
        uint64_t len = v & 0x80000000u ? (uint64_t)(~v) + 1 : v;
        *input = true;
        *total = 8 + len;
        return 1;
    }
    case MSG_FENCE:
        if (n < 9)
            return *need = 9, 0;
        if (h[8] > FENCE_PAYLOAD_MAX)
            return fail(f, "the viewer sent a fence longer than RFB allows");
        *total = 9 + (uint64_t)h[8];
        return 1;
    case MSG_XVP:
        *input = true;
        *total = 4;
        return 1;
    case MSG_SET_DESKTOP_SIZE:
        if (n < 8)
            return *need = 8, 0;
        *input = true;
        *total = 8 + 16 * (uint64_t)h[6];
        return 1;
    case MSG_QEMU:
        if (n < 2)
            return *need = 2, 0;
        if (h[1] == QEMU_EXT_KEY) {
            *input = true;
            *total = 12;
            return 1;
        }
        if (h[1] != QEMU_AUDIO)
            return fail(f, "the viewer sent a QEMU message of a kind the relay does not know");
        if (n < 4)
            return *need = 4, 0;
        switch (be16(h + 2)) {
        case 0: /* enable */
        case 1: /* disable */
            *total = 4;
            return 1;
        case 2: /* set format */
            *total = 10;
            return 1;
        default:
            return fail(f,
                        "the viewer sent a QEMU audio message of a kind the relay does not know");
        }
    default:
        return fail(f, "the viewer sent a message of a type the relay does not know");
    }
}

/* Holds bytes into head up to want; returns how many of in it took. */
static size_t hold(rfb_client_filter *f, const uint8_t *in, size_t len, size_t want)
{
    size_t n = want - f->head_len;
    if (n > len)
        n = len;
    memcpy(f->head + f->head_len, in, n);
    f->head_len += n;
    return n;
}

static void emit(uint8_t *out, size_t *out_len, const void *p, size_t n)
{
    memcpy(out + *out_len, p, n);
    *out_len += n;
}

/* The handshake's bytes (the client's side). Returns bytes taken, or -1. */
static long handshake(rfb_client_filter *f, const uint8_t *in, size_t len, uint8_t *out,
                      size_t *out_len)
{
    switch (f->stage) {
    case RFB_FILTER_VERSION: {
        size_t took = hold(f, in, len, 12);
        if (f->head_len < 12)
            return (long)took;
        const uint8_t *h = f->head;
        if (memcmp(h, "RFB 003.00", 10) != 0 || h[11] != '\n' ||
            (h[10] != '3' && h[10] != '7' && h[10] != '8')) {
            fail(f, "the viewer does not speak RFB 3.3, 3.7 or 3.8");
            return -1;
        }
        emit(out, out_len, h, 12);
        /* 3.3: the server alone names the security type. */
        f->stage = h[10] == '3' ? RFB_FILTER_INIT : RFB_FILTER_SECURITY;
        f->head_len = 0;
        return (long)took;
    }
    case RFB_FILTER_SECURITY:
        if (in[0] != SECURITY_NONE) {
            fail(f, "the viewer chose a security type other than None");
            return -1;
        }
        emit(out, out_len, in, 1);
        f->stage = RFB_FILTER_INIT;
        return 1;
    default:                                  /* RFB_FILTER_INIT */
        emit(out, out_len, &(uint8_t){1}, 1); /* shared, whatever it asked */
        f->stage = RFB_FILTER_MESSAGES;
        return 1;
    }
}

int rfb_client_filter_feed(rfb_client_filter *f, const uint8_t *in, size_t len, uint8_t *out,
                           size_t *out_len)
{
    *out_len = 0;
    if (f->stage == RFB_FILTER_FAILED)
        return ENSHU_EINVAL;
    size_t i = 0;
    while (i < len) {
        if (f->stage != RFB_FILTER_MESSAGES) {
            long took = handshake(f, in + i, len - i, out, out_len);
            if (took < 0) {
                *out_len = 0;
                return ENSHU_EINVAL;
            }
            i += (size_t)took;
            continue;
        }
        if (f->body_left > 0) {
            size_t n = len - i < f->body_left ? len - i : (size_t)f->body_left;
            if (f->body_passes)
                emit(out, out_len, in + i, n);
            f->body_left -= n;
            i += n;
            continue;
        }
        /* A message's first bytes: held until its length is known. */
        if (f->head_len == 0)
            f->head[f->head_len++] = in[i++];
        size_t need = 0;
        uint64_t total = 0;
        bool input = false;
        int known;
        while ((known = read_head(f, &need, &total, &input)) == 0 && i < len)
            i += hold(f, in + i, len - i, need);
        if (known < 0) {
            *out_len = 0;
            return ENSHU_EINVAL;
        }
        if (known == 0)
            break; /* the rest of its head comes with the next bytes */
        bool passes = !(input && f->view_only);
        if (!passes)
            f->dropped++;
        /* Each type's head is held only up to what its length needs, so
         * never past its end: total >= head_len. */
        if (passes)
            emit(out, out_len, f->head, f->head_len);
        f->body_left = total - f->head_len;
        f->body_passes = passes;
        f->head_len = 0;
    }
    return ENSHU_OK;
}
