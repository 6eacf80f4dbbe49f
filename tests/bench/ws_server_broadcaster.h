/*
 * The fan-out benchmarks' view of ws_server alone: every session that
 * opens is remembered, and a message is sent to each as one shared
 * ws_message, as the console hub does (no ledger, no JSON encoding). Same interface as
 * lws_broadcaster.h, so the two run under the same clients and load.
 */
#ifndef ENSHU_BENCH_WS_SERVER_BROADCASTER_H
#define ENSHU_BENCH_WS_SERVER_BROADCASTER_H

#include <stddef.h>

typedef struct ws_server_broadcaster ws_server_broadcaster;

/* Room for max_sessions sessions. NULL on failure. */
ws_server_broadcaster *ws_server_broadcaster_new(int max_sessions)
    __attribute__((warn_unused_result));
int ws_server_broadcaster_port(ws_server_broadcaster *b);
int ws_server_broadcaster_connections(ws_server_broadcaster *b);
/* Sends msg to every session open so far. */
void ws_server_broadcaster_publish(ws_server_broadcaster *b, const char *msg, size_t len);
/* Sends that ws_server refused. */
long ws_server_broadcaster_failures(ws_server_broadcaster *b);
void ws_server_broadcaster_free(ws_server_broadcaster *b);

/* A fan-out message of about `bytes` bytes: {"t":NOW_US,"seq":SEQ,"type":TYPE,"pad":"xx.."}
 * into buf (bytes + 64 of room); its length. */
int fanout_message(char *buf, size_t bytes, int seq, const char *type);

#endif
