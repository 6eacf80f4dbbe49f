/*
 * The fan-out benchmarks' baseline: the simplest correct libwebsockets
 * broadcaster. One shared list of messages; each connection writes, in its
 * WRITEABLE callback, the next one it has not sent; a new message wakes them
 * all (lws_cancel_service, then lws_callback_on_writable_all_protocol on the
 * service thread). On 127.0.0.1, a port of the system's choosing.
 */
#ifndef ENSHU_BENCH_LWS_BROADCASTER_H
#define ENSHU_BENCH_LWS_BROADCASTER_H

#include <stddef.h>

typedef struct lws_broadcaster lws_broadcaster;

/* Room for max_messages of at most max_bytes each. NULL on failure. */
lws_broadcaster *lws_broadcaster_new(int max_messages, size_t max_bytes)
    __attribute__((warn_unused_result));
int lws_broadcaster_port(lws_broadcaster *b);
/* Connections established so far. */
int lws_broadcaster_connections(lws_broadcaster *b);
/* Appends a message for every connection (past the room: ignored). */
void lws_broadcaster_publish(lws_broadcaster *b, const char *msg, size_t len);
void lws_broadcaster_free(lws_broadcaster *b);

#endif
