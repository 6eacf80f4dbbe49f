/*
 * A light websocket load for the fan-out benchmarks: many client
 * connections to 127.0.0.1, each opened with a blocking handshake, then read
 * by a few threads over epoll, each feeding its connections' frame readers
 * (tests/support/ws_test_client.h, the tests' own). A client library with a poll() loop
 * per thread spends more than the server it measures once there are
 * thousands of connections; this one keeps the figures the server's.
 */
#ifndef ENSHU_BENCH_WS_LOAD_H
#define ENSHU_BENCH_WS_LOAD_H

#include <stddef.h>
#include <stdint.h>

typedef struct ws_load ws_load;

/* A whole text message (continuation frames joined), NUL-terminated at
 * text[len]; at = when it was read, in bench_now_us() microseconds. Called
 * on the thread that reads client, always the same one for a client. */
typedef void (*ws_load_on_message)(void *ctx, int client, const char *text, size_t len, int64_t at);

/* The first message client sends (a login), or NULL for none; the text
 * is used before the next call. */
typedef const char *(*ws_load_first_message)(void *ctx, int client);

/* Connects nclients to ws://127.0.0.1:port/ws (subprotocol enshu.v1), 32
 * from each loopback address from 127.0.0.1 on (the server's cap per
 * address is 64), and reads them on nthreads threads. With first, each
 * client sends first's message and waits for the first answer before the
 * next connects (the server's cap on sessions not logged in). Raises the
 * open-file limit as needed. Prints why and returns NULL when a connection
 * or the handshake fails. */
ws_load *ws_load_new(int port, int nclients, int nthreads, ws_load_on_message on_message,
                     ws_load_first_message first, void *ctx) __attribute__((warn_unused_result));

/* Sends a text message from client (masked, as a client must); any thread.
 * 0, or -1 when the connection is gone. */
int ws_load_send(ws_load *l, int client, const char *text, size_t len);

/* Connections the server closed (or that broke) so far. */
int ws_load_closed(ws_load *l);

/* Stops the threads and closes every connection. */
void ws_load_free(ws_load *l);

#endif
