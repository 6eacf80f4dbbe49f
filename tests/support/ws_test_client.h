/*
 * The websocket client of the tests and benchmarks, which talk to the
 * server byte by byte (tests/unit/test_ws_server.c, the console hub's
 * integration test, the load and attack benchmarks): a TCP connection to
 * 127.0.0.1 from a loopback source address of the caller's choice, the
 * HTTP upgrade, masked frames out (ws_client_frame.h) and the server's
 * frames in through a ws_reader (ws_frame_reader.h).
 *
 * Transport: the socket itself unless io is set (a TLS stream). Reads take
 * a timeout and never block past it; on a non-blocking socket a timeout
 * of 0 reads only what is there, so an epoll thread can feed the reader
 * with ws_test_client_fill and take frames from c->in itself.
 *
 * Threads: one reader at a time per client. Sends may come from another
 * thread than the reader's only under the caller's lock (the client keeps
 * no lock; the mask state is its only state a send changes).
 *
 * Lifetimes: frames handed out point into c->in, valid until the next
 * receive or fill on that client.
 */
#ifndef ENSHU_TEST_WS_CLIENT_H
#define ENSHU_TEST_WS_CLIENT_H

#include "ws_frame_reader.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A stream under the websocket (e.g. TLS over c->fd). */
typedef struct ws_test_transport {
    /* Up to len bytes, waiting at most timeout_ms: how many (> 0), 0 at the
     * end of the stream, ENSHU_ETIMEOUT when none came in time, ENSHU_EIO. */
    ssize_t (*read)(void *ctx, void *buf, size_t len, int timeout_ms);
    /* All len bytes: 0, or ENSHU_EIO. */
    int (*write)(void *ctx, const void *buf, size_t len);
    void *ctx;
} ws_test_transport;

typedef struct ws_test_client {
    int fd;               /* -1 when closed */
    ws_test_transport io; /* io.read NULL: the socket itself */
    ws_reader in;         /* what came and was not taken yet */
    bool auto_pong;       /* receiving answers pings (true after init) */
    /* How long a write on a full non-blocking socket waits for room (5000
     * after init); 0: it fails at once with errno EAGAIN. */
    int write_wait_ms;
    uint32_t mask_state;
} ws_test_client;

/* Where a connection comes from. */
typedef struct ws_test_source {
    const char *address; /* a loopback address; NULL: the kernel's choice (127.0.0.1) */
    int rcvbuf;          /* SO_RCVBUF before connecting (a small window); 0: the default */
    bool nodelay;        /* TCP_NODELAY */
} ws_test_source;

/* The upgrade request: GET path (NULL: /ws), these header lines (each
 * ending in \r\n, e.g. Host and Origin; NULL: "Host: 127.0.0.1\r\n"), and
 * Sec-WebSocket-Protocol when subprotocol is not NULL. */
typedef struct ws_test_upgrade {
    const char *path;
    const char *headers;
    const char *subprotocol;
    int timeout_ms; /* for the whole response; 0: 15000 */
} ws_test_upgrade;

/* A blocking TCP connection to 127.0.0.1:port from source (NULL: the
 * defaults): the socket, or -1 with errno set. */
int ws_test_connect(int port, const ws_test_source *source);

/* A client over the connected socket fd (taken: closed by
 * ws_test_client_close), plain transport, auto_pong on. */
void ws_test_client_init(ws_test_client *c, int fd);

/* Sends the upgrade and reads the response head; bytes past it stay in
 * c->in. Returns the HTTP status (101: upgraded, and the server's
 * Sec-WebSocket-Accept was the right one for our key; a 101 with a wrong
 * or missing one is ENSHU_EINVAL), or ENSHU_EIO / ENSHU_ETIMEOUT when no
 * whole response came. */
int ws_test_client_upgrade(ws_test_client *c, const ws_test_upgrade *u)
    __attribute__((warn_unused_result));

/* ws_test_connect + init + upgrade: the HTTP status, or a negative code
 * (then c->fd is -1 if the connection itself failed). */
int ws_test_client_open(ws_test_client *c, int port, const ws_test_source *source,
                        const ws_test_upgrade *u) __attribute__((warn_unused_result));

/* Closes the socket and frees the buffers (not io.ctx, the caller's). */
void ws_test_client_close(ws_test_client *c);

/* Writes bytes as they are (an HTTP request); 0 or negative. */
int ws_test_client_write(ws_test_client *c, const void *data, size_t len);

/* A masked frame: 0, or negative when the connection is gone (or full,
 * with write_wait_ms 0: errno EAGAIN). */
int ws_test_client_send(ws_test_client *c, int opcode, bool fin, const void *data, size_t len);
int ws_test_client_send_text(ws_test_client *c, const char *text);

/* Reads once into c->in, waiting at most timeout_ms: bytes read (> 0), 0
 * at the end of the stream, ENSHU_ETIMEOUT, ENSHU_EIO. */
ssize_t ws_test_client_fill(ws_test_client *c, int timeout_ms);

/* The next data or close frame, fragments as they come (pings answered
 * when auto_pong; pongs skipped): its opcode, or ENSHU_ETIMEOUT, ENSHU_EIO
 * (end of stream or error) or ENSHU_EINVAL (a broken frame). */
int ws_test_client_recv_frame(ws_test_client *c, ws_frame *f, int timeout_ms);

/* The same with fragments joined into whole messages. */
int ws_test_client_recv_message(ws_test_client *c, ws_frame *m, int timeout_ms);

/* Receives until the close frame: its code (1005: none) with its reason
 * copied into reason, or a negative code when none came in time. */
int ws_test_client_expect_close(ws_test_client *c, char *reason, size_t reason_size,
                                int timeout_ms);

/* Reads until the end of the stream, size - 1 bytes or the timeout (what
 * c->in holds first): the length, with out NUL-terminated. */
size_t ws_test_client_read_to_end(ws_test_client *c, char *out, size_t size, int timeout_ms);

#endif
