/*
 * Session tokens of the consoles: after a login with a join code or the
 * instructor password, the browser gets a random token (256 bits from
 * libsodium's randombytes, base64url) and reconnects with it, so it keeps
 * neither the code nor the password. Tokens expire a fixed time after they
 * were issued, and are revoked one by one (logout) or for a member of a
 * team (the instructor removed them).
 *
 * Only a BLAKE2b hash of each token is kept, in memory: nothing written
 * anywhere can be replayed, and tokens live no longer than the process
 * (after a restart, browsers log in again).
 *
 * Time is passed in (Unix or monotonic milliseconds, the caller's choice,
 * as long as it is always the same), so the store is pure and tests need
 * no clock. Bounded: at most max_tokens live tokens; issuing one more first
 * forgets expired ones, then the one that expires first. Not thread-safe:
 * one owner thread (the hub's).
 */
#ifndef ENSHU_SESSION_TOKENS_H
#define ENSHU_SESSION_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A token's text: 43 base64url characters and a NUL. */
#define SESSION_TOKEN_SIZE 44

typedef struct token_owner {
    bool instructor; /* else a member of team */
    int team;
    char *name; /* the member's display name (normalized); owned */
} token_owner;

void token_owner_clear(token_owner *o);

typedef struct session_tokens session_tokens;

session_tokens *session_tokens_new(int64_t lifetime_ms, size_t max_tokens);
void session_tokens_free(session_tokens *st); /* NULL ok */

/* A new token for owner (copied), valid until now_ms + lifetime_ms; its
 * text in out. Returns that expiry time. */
int64_t session_tokens_issue(session_tokens *st, const token_owner *owner, int64_t now_ms,
                             char out[SESSION_TOKEN_SIZE]);

/* 0 and *owner (a copy: token_owner_clear it) when token is live at
 * now_ms; ENSHU_ENOTFOUND when it is unknown, expired or revoked. The
 * comparison is of hashes, in constant time per stored token. */
int session_tokens_check(session_tokens *st, const char *token, int64_t now_ms, token_owner *owner)
    __attribute__((warn_unused_result));

/* Revokes one token (unknown: no effect). */
void session_tokens_revoke(session_tokens *st, const char *token);

/* Revokes every token of team's member called name; returns how many. */
size_t session_tokens_revoke_member(session_tokens *st, int team, const char *name);

/* Calls fn for the owner of every token live at now_ms, oldest first. */
void session_tokens_each(const session_tokens *st, int64_t now_ms,
                         void (*fn)(const token_owner *owner, void *arg), void *arg);

#endif
