/*
 * The frames a websocket server sends, read from a byte buffer (RFC 6455
 * 5.2), for the tests' and benchmarks' own clients. The reader owns no
 * socket: whoever reads the connection (a blocking client, an epoll thread)
 * puts the bytes in with ws_reader_space + ws_reader_filled and takes whole
 * frames, or whole messages, from the front.
 *
 * Lifetimes: a frame or message handed out points into the reader and stays
 * valid until the next call on that reader; its payload is NUL-terminated
 * (payload[len] == '\0') without being copied, as the buffer keeps a spare
 * byte. One thread at a time per reader.
 */
#ifndef ENSHU_TEST_WS_FRAME_READER_H
#define ENSHU_TEST_WS_FRAME_READER_H

#include <stdbool.h>
#include <stddef.h>

enum {
    WS_OP_CONTINUATION = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

/* A frame, or a message joined from its frames (then fin is true and
 * opcode is that of its first frame). */
typedef struct ws_frame {
    int opcode;
    bool fin;
    bool masked; /* a server must not mask; the payload is unmasked all the same */
    char *payload;
    size_t len;
} ws_frame;

typedef struct ws_reader {
    unsigned char *buf;
    size_t start, len, cap; /* bytes [start, len) are not taken yet; cap > len always */
    size_t handed;          /* the size of the frame handed out last, taken on the next call */
    size_t nul_at;          /* where the payload handed out was terminated, and the byte there */
    unsigned char nul_saved;
    bool nul_set;
    char *msg; /* a message arriving in several frames */
    size_t msg_len, msg_cap;
    int msg_opcode;  /* its first frame's opcode; -1: none under way */
    bool msg_handed; /* msg was handed out: started afresh on the next call */
} ws_reader;

/* An empty reader; ws_reader_clear frees what it holds (the reader itself
 * is the caller's). */
void ws_reader_init(ws_reader *r);
void ws_reader_clear(ws_reader *r);

/* Room for at least want more bytes at the end; *room is how many may be
 * written there. Takes the frame handed out last. */
unsigned char *ws_reader_space(ws_reader *r, size_t want, size_t *room);

/* n bytes were written at what ws_reader_space returned. */
void ws_reader_filled(ws_reader *r, size_t n);

/* The bytes not taken yet, and taking n of them (an HTTP response ahead
 * of the frames). Both take the frame handed out last. */
const unsigned char *ws_reader_bytes(ws_reader *r, size_t *len);
void ws_reader_take(ws_reader *r, size_t n);

/* Whether a whole frame is waiting (one handed out already does not count). */
bool ws_reader_has_frame(const ws_reader *r);

/* The next whole frame into *f: 1, or 0 when more bytes are needed, or
 * ENSHU_EINVAL when the length is absurd (over 1 GiB). */
int ws_reader_frame(ws_reader *r, ws_frame *f);

/* The next whole message (text or binary, its continuation frames joined)
 * or control frame (close, ping, pong: these may come between the frames
 * of a message): 1, 0 when more bytes are needed, ENSHU_EINVAL when a
 * continuation comes with no message under way, a new message before the
 * last one ended, or an absurd length. */
int ws_reader_message(ws_reader *r, ws_frame *m);

/* A close frame's status code (1005 when it has none) and its reason
 * (not NUL-terminated: *reason_len bytes; both may be NULL). */
int ws_frame_close_code(const ws_frame *f, const char **reason, size_t *reason_len);

#endif
