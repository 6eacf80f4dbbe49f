/*
 * The tests' and benchmarks' websocket client (see ws_test_client.h).
 * Reads go through the transport into c->in in chunks; the frames are
 * taken from there, so the upgrade's response and the first frames may
 * arrive in one read without anything being lost.
 */
#include "ws_test_client.h"
#include "alloc.h"
#include "errors.h"
#include "monotonic_clock.h"
#include "ws_client_frame.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { READ_CHUNK = 64 * 1024, DEFAULT_TIMEOUT_MS = 15000, DEFAULT_WRITE_WAIT_MS = 5000 };

/* The example key of RFC 6455 1.3 and the answer it must get. */
static const char KEY[] = "dGhlIHNhbXBsZSBub25jZQ==";
static const char ACCEPT[] = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

int ws_test_connect(int port, const ws_test_source *source)
{
    ws_test_source none = {0};
    const ws_test_source *s = source ? source : &none;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    /* the receive buffer before connect, so the window stays small */
    if ((s->rcvbuf && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &s->rcvbuf, sizeof s->rcvbuf) < 0) ||
        (s->nodelay && setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0))
        goto fail;
    if (s->address) {
        struct sockaddr_in from = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, s->address, &from.sin_addr) != 1) {
            errno = EINVAL;
            goto fail;
        }
        if (bind(fd, (struct sockaddr *)&from, sizeof from) < 0)
            goto fail;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&to, sizeof to) < 0)
        goto fail;
    return fd;
fail:;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

void ws_test_client_init(ws_test_client *c, int fd)
{
    memset(c, 0, sizeof *c);
    c->fd = fd;
    ws_reader_init(&c->in);
    c->auto_pong = true;
    c->write_wait_ms = DEFAULT_WRITE_WAIT_MS;
    c->mask_state = 0x3a915ce7u ^ (uint32_t)fd;
}

static int remaining_ms(int64_t deadline)
{
    int64_t left = deadline - monotonic_ms();
    return left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
}

/* The plain transport: recv without blocking, then poll for what is left
 * of the timeout. */
static ssize_t socket_read(ws_test_client *c, void *buf, size_t len, int timeout_ms)
{
    int64_t deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return ENSHU_EIO;
        int left = remaining_ms(deadline);
        if (left == 0)
            return ENSHU_ETIMEOUT;
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        (void)poll(&p, 1, left);
    }
}

static int socket_write(ws_test_client *c, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && c->write_wait_ms > 0) {
            struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
            if (poll(&pfd, 1, c->write_wait_ms) > 0)
                continue;
            errno = EAGAIN;
        }
        return ENSHU_EIO;
    }
    return 0;
}

int ws_test_client_write(ws_test_client *c, const void *data, size_t len)
{
    if (c->fd < 0)
        return ENSHU_EIO;
    return c->io.write ? c->io.write(c->io.ctx, data, len) : socket_write(c, data, len);
}

ssize_t ws_test_client_fill(ws_test_client *c, int timeout_ms)
{
    if (c->fd < 0)
        return ENSHU_EIO;
    size_t room;
    unsigned char *p = ws_reader_space(&c->in, READ_CHUNK, &room);
    ssize_t n = c->io.read ? c->io.read(c->io.ctx, p, room, timeout_ms)
                           : socket_read(c, p, room, timeout_ms);
    if (n > 0)
        ws_reader_filled(&c->in, (size_t)n);
    return n;
}

int ws_test_client_upgrade(ws_test_client *c, const ws_test_upgrade *u)
{
    char *req =
        xasprintf("GET %s HTTP/1.1\r\n%sUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s%s%s\r\n",
                  u->path ? u->path : "/ws", u->headers ? u->headers : "Host: 127.0.0.1\r\n", KEY,
                  u->subprotocol ? "Sec-WebSocket-Protocol: " : "",
                  u->subprotocol ? u->subprotocol : "", u->subprotocol ? "\r\n" : "");
    int rc = ws_test_client_write(c, req, strlen(req));
    free(req);
    if (rc < 0)
        return rc;
    int64_t deadline = monotonic_ms() + (u->timeout_ms ? u->timeout_ms : DEFAULT_TIMEOUT_MS);
    for (;;) {
        size_t len;
        const unsigned char *b = ws_reader_bytes(&c->in, &len);
        const unsigned char *end = memmem(b, len, "\r\n\r\n", 4);
        if (end) {
            size_t head_len = (size_t)(end + 4 - b);
            char *head = xstrndup((const char *)b, head_len);
            ws_reader_take(&c->in, head_len);
            int status = 0;
            if (sscanf(head, "HTTP/1.%*d %d", &status) != 1)
                status = ENSHU_EINVAL;
            char *accept = strcasestr(head, "\r\nSec-WebSocket-Accept:");
            if (status == 101) {
                accept = accept ? accept + strlen("\r\nSec-WebSocket-Accept:") : NULL;
                while (accept && *accept == ' ')
                    accept++;
                if (!accept || strncmp(accept, ACCEPT, strlen(ACCEPT)) != 0 ||
                    accept[strlen(ACCEPT)] != '\r')
                    status = ENSHU_EINVAL;
            }
            free(head);
            return status;
        }
        ssize_t n = ws_test_client_fill(c, remaining_ms(deadline));
        if (n == 0)
            return ENSHU_EIO;
        if (n < 0)
            return (int)n;
    }
}

int ws_test_client_open(ws_test_client *c, int port, const ws_test_source *source,
                        const ws_test_upgrade *u)
{
    int fd = ws_test_connect(port, source);
    ws_test_client_init(c, fd);
    if (fd < 0)
        return ENSHU_EIO;
    return ws_test_client_upgrade(c, u);
}

void ws_test_client_close(ws_test_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    ws_reader_clear(&c->in);
}

int ws_test_client_send(ws_test_client *c, int opcode, bool fin, const void *data, size_t len)
{
    /* xorshift32: a mask that changes from frame to frame */
    uint32_t x = c->mask_state ? c->mask_state : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c->mask_state = x;
    const unsigned char mask[4] = {(unsigned char)x, (unsigned char)(x >> 8),
                                   (unsigned char)(x >> 16), (unsigned char)(x >> 24)};
    unsigned char *frame = xmalloc(len + WS_CLIENT_FRAME_HEAD_MAX);
    size_t n = ws_client_frame(frame, opcode, fin, data, len, mask);
    int rc = ws_test_client_write(c, frame, n);
    free(frame);
    return rc;
}

int ws_test_client_send_text(ws_test_client *c, const char *text)
{
    return ws_test_client_send(c, WS_OP_TEXT, true, text, strlen(text));
}

static int receive(ws_test_client *c, bool whole, ws_frame *f, int timeout_ms)
{
    int64_t deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        int rc = whole ? ws_reader_message(&c->in, f) : ws_reader_frame(&c->in, f);
        if (rc < 0)
            return rc;
        if (rc > 0 && f->opcode == WS_OP_PING && c->auto_pong)
            (void)ws_test_client_send(c, WS_OP_PONG, true, f->payload, f->len);
        if (rc > 0 && f->opcode != WS_OP_PING && f->opcode != WS_OP_PONG)
            return f->opcode;
        if (rc > 0)
            continue;
        ssize_t n = ws_test_client_fill(c, remaining_ms(deadline));
        if (n == 0)
            return ENSHU_EIO;
        if (n < 0)
            return (int)n;
    }
}

int ws_test_client_recv_frame(ws_test_client *c, ws_frame *f, int timeout_ms)
{
    return receive(c, false, f, timeout_ms);
}

int ws_test_client_recv_message(ws_test_client *c, ws_frame *m, int timeout_ms)
{
    return receive(c, true, m, timeout_ms);
}

int ws_test_client_expect_close(ws_test_client *c, char *reason, size_t reason_size, int timeout_ms)
{
    int64_t deadline = monotonic_ms() + timeout_ms;
    for (;;) {
        ws_frame f;
        int op = ws_test_client_recv_frame(c, &f, remaining_ms(deadline));
        if (op < 0)
            return op;
        if (op == WS_OP_CLOSE) {
            const char *why;
            size_t why_len;
            int code = ws_frame_close_code(&f, &why, &why_len);
            snprintf(reason, reason_size, "%.*s", (int)why_len, why);
            return code;
        }
    }
}

size_t ws_test_client_read_to_end(ws_test_client *c, char *out, size_t size, int timeout_ms)
{
    int64_t deadline = monotonic_ms() + timeout_ms;
    size_t got = 0;
    for (;;) {
        size_t len;
        const unsigned char *b = ws_reader_bytes(&c->in, &len);
        size_t n = len < size - 1 - got ? len : size - 1 - got;
        memcpy(out + got, b, n);
        got += n;
        ws_reader_take(&c->in, n);
        if (got == size - 1 || ws_test_client_fill(c, remaining_ms(deadline)) <= 0)
            break;
    }
    out[got] = '\0';
    return got;
}
