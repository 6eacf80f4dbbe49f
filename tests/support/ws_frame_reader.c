/*
 * A server's websocket frames read from a byte buffer (see
 * ws_frame_reader.h). A frame handed out stays in the buffer, its payload
 * terminated in place (the byte after it saved and put back), until the
 * next call takes it: a message that came in one frame is never copied,
 * which the load benchmarks' thousands of clients rely on.
 */
#include "ws_frame_reader.h"
#include "alloc.h"
#include "errors.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Frames longer than this are taken as a broken stream, not awaited. */
#define FRAME_MAX ((uint64_t)1 << 30)

void ws_reader_init(ws_reader *r)
{
    memset(r, 0, sizeof *r);
    r->msg_opcode = -1;
}

void ws_reader_clear(ws_reader *r)
{
    free(r->buf);
    free(r->msg);
    ws_reader_init(r);
}

/* Takes the frame handed out last and restores the byte after its payload. */
static void take_handed(ws_reader *r)
{
    if (r->nul_set) {
        r->buf[r->nul_at] = r->nul_saved;
        r->nul_set = false;
    }
    r->start += r->handed;
    r->handed = 0;
    if (r->msg_handed) {
        r->msg_len = 0;
        r->msg_opcode = -1;
        r->msg_handed = false;
    }
}

unsigned char *ws_reader_space(ws_reader *r, size_t want, size_t *room)
{
    take_handed(r);
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->len - r->start);
        r->len -= r->start;
        r->start = 0;
    }
    /* one spare byte past the data, for terminating a payload in place */
    if (r->cap - r->len < want + 1) {
        r->cap = r->len + want + 1 + r->cap;
        r->buf = xrealloc(r->buf, r->cap);
    }
    *room = r->cap - r->len - 1;
    return r->buf + r->len;
}

void ws_reader_filled(ws_reader *r, size_t n)
{
    r->len += n;
}

const unsigned char *ws_reader_bytes(ws_reader *r, size_t *len)
{
    take_handed(r);
    *len = r->len - r->start;
    return r->buf ? r->buf + r->start : (const unsigned char *)"";
}

void ws_reader_take(ws_reader *r, size_t n)
{
    take_handed(r);
    r->start += n < r->len - r->start ? n : r->len - r->start;
}

/* The header of the frame at p (avail bytes): its size with the payload,
 * 0 while incomplete, or ENSHU_EINVAL. */
static int64_t frame_size(const unsigned char *p, size_t avail, size_t *head, uint64_t *len)
{
    if (avail < 2)
        return 0;
    size_t h = 2;
    uint64_t n = p[1] & 0x7f;
    if (n == 126) {
        if (avail < 4)
            return 0;
        n = ((uint64_t)p[2] << 8) | p[3];
        h = 4;
    } else if (n == 127) {
        if (avail < 10)
            return 0;
        n = 0;
        for (int i = 0; i < 8; i++)
            n = (n << 8) | p[2 + i];
        h = 10;
    }
    if (n > FRAME_MAX)
        return ENSHU_EINVAL;
    if (p[1] & 0x80)
        h += 4;
    if (avail < h || avail - h < n)
        return 0;
    *head = h;
    *len = n;
    return (int64_t)(h + n);
}

bool ws_reader_has_frame(const ws_reader *r)
{
    size_t head;
    uint64_t len;
    size_t from = r->start + r->handed;
    return r->len > from && frame_size(r->buf + from, r->len - from, &head, &len) > 0;
}

int ws_reader_frame(ws_reader *r, ws_frame *f)
{
    take_handed(r);
    if (r->len == r->start)
        return 0;
    unsigned char *p = r->buf + r->start;
    size_t head;
    uint64_t len;
    int64_t size = frame_size(p, r->len - r->start, &head, &len);
    if (size <= 0)
        return (int)size;
    *f = (ws_frame){.opcode = p[0] & 0x0f,
                    .fin = (p[0] & 0x80) != 0,
                    .masked = (p[1] & 0x80) != 0,
                    .payload = (char *)p + head,
                    .len = (size_t)len};
    if (f->masked) {
        const unsigned char *mask = p + head - 4;
        for (size_t i = 0; i < f->len; i++)
            f->payload[i] = (char)((unsigned char)f->payload[i] ^ mask[i & 3]);
    }
    r->handed = (size_t)size;
    r->nul_at = r->start + (size_t)size; /* < cap: the spare byte at worst */
    r->nul_saved = r->buf[r->nul_at];
    r->buf[r->nul_at] = '\0';
    r->nul_set = true;
    return 1;
}

int ws_reader_message(ws_reader *r, ws_frame *m)
{
    for (;;) {
        ws_frame f;
        int rc = ws_reader_frame(r, &f);
        if (rc <= 0)
            return rc;
        if (f.opcode >= WS_OP_CLOSE) {
            *m = f;
            return 1;
        }
        bool continuation = f.opcode == WS_OP_CONTINUATION;
        if (continuation != (r->msg_opcode >= 0))
            return ENSHU_EINVAL;
        if (!continuation && f.fin) {
            *m = f; /* whole in one frame: handed out in place */
            return 1;
        }
        if (!continuation)
            r->msg_opcode = f.opcode;
        if (r->msg_len + f.len + 1 > r->msg_cap) {
            r->msg_cap = (r->msg_len + f.len + 1) * 2;
            r->msg = xrealloc(r->msg, r->msg_cap);
        }
        memcpy(r->msg + r->msg_len, f.payload, f.len);
        r->msg_len += f.len;
        r->msg[r->msg_len] = '\0';
        if (f.fin) {
            *m = (ws_frame){
                .opcode = r->msg_opcode, .fin = true, .payload = r->msg, .len = r->msg_len};
            r->msg_handed = true;
            return 1;
        }
    }
}

int ws_frame_close_code(const ws_frame *f, const char **reason, size_t *reason_len)
{
    bool coded = f->len >= 2;
    if (reason)
        *reason = coded ? f->payload + 2 : f->payload;
    if (reason_len)
        *reason_len = coded ? f->len - 2 : 0;
    return coded ? ((unsigned char)f->payload[0] << 8 | (unsigned char)f->payload[1]) : 1005;
}
