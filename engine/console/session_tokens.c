/*
 * Session tokens (see session_tokens.h): an array of hashed tokens with
 * their owner and expiry, in the order they were issued. A few thousand at
 * most, looked at once per login, so a linear scan is cheap and keeps every
 * lookup the same cost.
 */
#include "session_tokens.h"
#include "alloc.h"
#include "errors.h"

#include <sodium.h>

#include <stdlib.h>
#include <string.h>

#define TOKEN_BYTES 32
#define KEY_BYTES crypto_generichash_BYTES

typedef struct stored_token {
    unsigned char key[KEY_BYTES]; /* BLAKE2b of the token's text */
    token_owner owner;
    int64_t expires_ms;
} stored_token;

struct session_tokens {
    int64_t lifetime_ms;
    stored_token *tokens; /* oldest first */
    size_t n, max;
};

void token_owner_clear(token_owner *o)
{
    if (!o)
        return;
    free(o->name);
    memset(o, 0, sizeof *o);
}

static void owner_copy(token_owner *to, const token_owner *from)
{
    *to = *from;
    to->name = from->name ? xstrdup(from->name) : NULL;
}

session_tokens *session_tokens_new(int64_t lifetime_ms, size_t max_tokens)
{
    session_tokens *st = xcalloc(1, sizeof(session_tokens));
    st->lifetime_ms = lifetime_ms;
    st->max = max_tokens ? max_tokens : 1;
    st->tokens = xcalloc(st->max, sizeof(stored_token));
    return st;
}

void session_tokens_free(session_tokens *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++)
        token_owner_clear(&st->tokens[i].owner);
    sodium_memzero(st->tokens, st->max * sizeof(stored_token));
    free(st->tokens);
    free(st);
}

static void hash_token(const char *token, unsigned char key[KEY_BYTES])
{
    crypto_generichash(key, KEY_BYTES, (const unsigned char *)token, strlen(token), NULL, 0);
}

static void drop(session_tokens *st, size_t i)
{
    token_owner_clear(&st->tokens[i].owner);
    memmove(&st->tokens[i], &st->tokens[i + 1], (st->n - i - 1) * sizeof(stored_token));
    st->n--;
    memset(&st->tokens[st->n], 0, sizeof(stored_token));
}

static void drop_expired(session_tokens *st, int64_t now_ms)
{
    for (size_t i = st->n; i-- > 0;)
        if (st->tokens[i].expires_ms <= now_ms)
            drop(st, i);
}

int64_t session_tokens_issue(session_tokens *st, const token_owner *owner, int64_t now_ms,
                             char out[SESSION_TOKEN_SIZE])
{
    unsigned char raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(out, SESSION_TOKEN_SIZE, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    if (st->n == st->max)
        drop_expired(st, now_ms);
    if (st->n == st->max)
        drop(st, 0); /* all live: the oldest (same lifetime: the first to expire) */
    stored_token *t = &st->tokens[st->n++];
    hash_token(out, t->key);
    owner_copy(&t->owner, owner);
    t->expires_ms = now_ms + st->lifetime_ms;
    return t->expires_ms;
}

/* The index of the token with this key, or st->n. Looks at every stored
 * token whatever it finds, so the time taken says nothing of where. */
static size_t find(const session_tokens *st, const unsigned char key[KEY_BYTES])
{
    size_t found = st->n;
    for (size_t i = 0; i < st->n; i++)
        if (sodium_memcmp(st->tokens[i].key, key, KEY_BYTES) == 0)
            found = i;
    return found;
}

int session_tokens_check(session_tokens *st, const char *token, int64_t now_ms, token_owner *owner)
{
    memset(owner, 0, sizeof *owner);
    if (!token || strlen(token) != SESSION_TOKEN_SIZE - 1)
        return ENSHU_ENOTFOUND;
    unsigned char key[KEY_BYTES];
    hash_token(token, key);
    size_t i = find(st, key);
    if (i == st->n)
        return ENSHU_ENOTFOUND;
    if (st->tokens[i].expires_ms <= now_ms) {
        drop(st, i);
        return ENSHU_ENOTFOUND;
    }
    owner_copy(owner, &st->tokens[i].owner);
    return ENSHU_OK;
}

void session_tokens_revoke(session_tokens *st, const char *token)
{
    if (!token)
        return;
    unsigned char key[KEY_BYTES];
    hash_token(token, key);
    size_t i = find(st, key);
    if (i < st->n)
        drop(st, i);
}

size_t session_tokens_revoke_member(session_tokens *st, int team, const char *name)
{
    size_t revoked = 0;
    for (size_t i = st->n; i-- > 0;) {
        const token_owner *o = &st->tokens[i].owner;
        if (!o->instructor && o->team == team && o->name && name && strcmp(o->name, name) == 0) {
            drop(st, i);
            revoked++;
        }
    }
    return revoked;
}

void session_tokens_each(const session_tokens *st, int64_t now_ms,
                         void (*fn)(const token_owner *owner, void *arg), void *arg)
{
    for (size_t i = 0; i < st->n; i++)
        if (st->tokens[i].expires_ms > now_ms)
            fn(&st->tokens[i].owner, arg);
}
