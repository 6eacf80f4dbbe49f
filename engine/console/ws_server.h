/*
 * The websocket transport of the browser consoles: a libwebsockets server in
 * its own service thread that carries text messages between the engine and
 * browsers, and serves the consoles' static files. It knows nothing of JSON
 * or exercises; the protocol layer above it does.
 *
 * What it guarantees:
 * - Sessions: a numbered websocket connection on path /ws, subprotocol
 *   "enshu.v1" (clients sending no subprotocol are accepted too). Session ids
 *   start at 1 and are never reused by a server. on_open, on_message, on_close
 *   and on_drain run on the service thread, one at a time; on_close runs once
 *   for every session that had on_open, and nothing of the session is used
 *   after it: sends to it then return ENSHU_ENOTFOUND.
 * - Outbound: ws_server_send() may be called from any thread (the callbacks
 *   included). Messages to one session arrive complete and in the order of
 *   the calls. Each session's queue holds at most queue_limit bytes: a send
 *   that would pass it discards the queue and closes the session with 1008
 *   "too slow: reconnect to resume" (nothing is dropped silently; the client
 *   reconnects and resumes). on_drain tells when a queue that went above half
 *   the bound falls below a quarter of it, for flow control of producers.
 * - Inbound: messages reassembled from fragments and delivered whole,
 *   including empty ones (len 0, text then points to ""). Text is valid
 *   UTF-8 and NUL-terminated at text[len]. Binary messages go to on_binary
 *   (the graphical consoles' input); without on_binary a binary frame closes
 *   the session with 1003. Closes the session with 1009 on a message above
 *   max_message bytes, 1008 "too many messages" above max_messages_per_sec
 *   text or max_binary_per_sec binary messages (each its own budget; bursts
 *   of twice that are allowed), 1007 on invalid UTF-8.
 * - Liveness: an idle connection is pinged after ping_secs and dropped when
 *   nothing valid (a pong or a message) came for hangup_secs; on_close
 *   follows once libwebsockets has shut the socket (about 3 s later).
 * - Who may connect: the upgrade is refused with HTTP 403 unless the Host
 *   header names this server (an IP literal, "localhost", the listen host, or
 *   the host of an allowed origin: a page on a DNS name rebound to us cannot
 *   connect) and the Origin header is absent (non-browser clients: the CLI,
 *   tests) or is the origin the page was served from (http or https per TLS,
 *   with the Host header's host and port) or one of allow_origins (a reverse
 *   proxy's). "Origin: null" is refused. Upgrades other than websocket (h2c)
 *   are refused with 403.
 * - Caps: the upgrade is refused with HTTP 503 when max_sessions are open,
 *   when max_sessions_per_address are open from the peer's address (IPv6:
 *   its /64), or when max_unadmitted sessions have not been admitted
 *   (ws_server_admit, once the client logged in). A session not admitted
 *   within login_secs is closed with 1008 "log in within N s". Bytes
 *   queued over all sessions stay within max_queued_total: a send that
 *   would pass it closes its session as a too slow one. Memory held by
 *   queues is thus at most min(max_sessions x queue_limit, max_queued_total)
 *   (a message shared by n queues counts n times, so the bound is loose).
 * - HTTP: GET and HEAD of the consoles' own files only: "/" (index.html),
 *   top-level *.html, and files under js/, css/, vendor/, fonts/, img/ and i18n/
 *   whose names have the usual web extensions (html, js, mjs, css, svg,
 *   woff2, woff, png, ico); no segment may start with a dot. Anything else
 *   (node_modules/, package.json, *.md, directories) is 404. Symbolic links
 *   inside the directory are followed. Every HTTP response carries
 *   WS_SERVER_CSP, X-Content-Type-Options: nosniff, Referrer-Policy:
 *   no-referrer and X-Frame-Options: DENY.
 * - TLS: with cert_path and key_path the port speaks https/wss only.
 * - Not checked: libwebsockets 4.1 (Debian 12) accepts unmasked client frames
 *   (RFC 6455 5.1 says close with 1002) and shows no callback or option the
 *   mask bit; newer libwebsockets close such connections themselves.
 * - Threads: libwebsockets is only called from the service thread, except
 *   lws_cancel_service() which wakes it when other threads queue work.
 */
#ifndef ENSHU_WS_SERVER_H
#define ENSHU_WS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_server ws_server;

/* Every resource from the server itself, no inline or evaluated script, no
 * plugins, no framing, no <base>. Inline styles are allowed: xterm.js (the
 * serial consoles) sizes and colours the terminal through <style> elements
 * and style attributes it writes itself (a 24-bit colour is a style
 * attribute), and the instructor console colours team swatches with a style
 * attribute. 'self' covers the page's own ws:/wss: origin (CSP level 3). */
#define WS_SERVER_CSP                                                                              \
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "                    \
    "connect-src 'self'; img-src 'self' data:; font-src 'self'; object-src 'none'; "               \
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

typedef struct ws_server_config {
    const char *listen;     /* "host:port"; NULL = 127.0.0.1:8080; port 0 = any free one */
    const char *static_dir; /* NULL: no HTTP files */
    const char *cert_path, *key_path; /* both or neither */
    size_t max_message;               /* inbound bound; 0 = 64 KiB */
    size_t queue_limit;               /* outbound bound per session; 0 = 4 MiB */
    unsigned max_messages_per_sec;    /* 0 = 50 */
    unsigned max_binary_per_sec;      /* 0 = 200 (a display's keys, pointer and update requests) */
    unsigned ping_secs, hangup_secs;  /* 0 = 20, 40 */
    /* Origins besides the serving one whose pages may connect, e.g.
     * "https://range.example" behind a reverse proxy; NULL-terminated, may be
     * NULL. Compared without case; a trailing "/" is ignored. */
    const char *const *allow_origins;
    unsigned max_sessions;             /* 0 = 4096 */
    unsigned max_sessions_per_address; /* 0 = 64 */
    unsigned max_unadmitted;           /* sessions not logged in yet; 0 = 256 */
    unsigned login_secs;               /* to be admitted; 0 = 10 */
    size_t max_queued_total;           /* outbound bytes over all sessions; 0 = 256 MiB */
    /* Called on the service thread; must not block (hand work to another thread). */
    void (*on_open)(void *ctx, uint64_t session, const char *peer_address);
    void (*on_message)(void *ctx, uint64_t session, const char *text, size_t len);
    /* A binary message (NULL: binary frames close the session with 1003). */
    void (*on_binary)(void *ctx, uint64_t session, const void *data, size_t len);
    void (*on_close)(void *ctx, uint64_t session);
    /* The session's queue fell below a quarter of queue_limit after having
     * been above half (for flow control of serial consoles); may be NULL. */
    void (*on_drain)(void *ctx, uint64_t session);
    void *ctx;
} ws_server_config;

/* Listens and starts the service thread. cfg's strings are copied. */
int ws_server_start(const ws_server_config *cfg, ws_server **out)
    __attribute__((warn_unused_result));

/* The TCP port listened on (useful with port 0). */
int ws_server_port(const ws_server *srv);

/* Any thread. Queues one message for the session; binary sends a binary frame
 * (serial console and display output). ENSHU_ENOTFOUND: no such open session, or it is
 * closing (also when this message passed the queue bound and closed it);
 * ENSHU_EINVAL: the message alone is larger than the bound. */
int ws_server_send(ws_server *srv, uint64_t session, const void *data, size_t len, bool binary)
    __attribute__((warn_unused_result));

/* A message to send to many sessions: its bytes are kept once, shared by
 * every session's queue (a fan-out to 2,000 sessions holds one copy, not
 * 2,000). Any thread; refcounted, the new message holds one reference. */
typedef struct ws_message ws_message;
ws_message *ws_message_new(const void *data, size_t len, bool binary)
    __attribute__((warn_unused_result));
void ws_message_unref(ws_message *m); /* NULL ok */

/* ws_server_send of a shared message (the queue takes a reference of its
 * own; the caller keeps its). */
int ws_server_send_message(ws_server *srv, uint64_t session, ws_message *m)
    __attribute__((warn_unused_result));

/* Any thread. Bytes queued for the session and not yet written (0 if none). */
size_t ws_server_queued(ws_server *srv, uint64_t session);

/* Any thread. The session logged in: it no longer counts against
 * max_unadmitted and has no login deadline. No effect on a closed session. */
void ws_server_admit(ws_server *srv, uint64_t session);

/* Any thread. Closes the session with code (1000-1003, 1007-1014 or
 * 3000-4999; others send 1000) and reason (at most 123 bytes kept) after the messages already
 * queued are written; the client then has 10 s to read them. No effect on a closed or closing
 * session. */
void ws_server_close(ws_server *srv, uint64_t session, int code, const char *reason);

/* Closes every session (1001), stops the thread and frees everything; every
 * open session gets on_close, on the service thread, before this returns.
 * NULL ok. Not from a callback. */
void ws_server_free(ws_server *srv);

#endif
