/*
 * Who may use the consoles: the instructor password (kept only as an
 * Argon2id hash, libsodium's crypto_pwhash_str), the join code of each team
 * of an exercise, and rate limits on logins and answers.
 */
#ifndef ENSHU_CONSOLE_AUTH_H
#define ENSHU_CONSOLE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Initialises libsodium; call once before anything below. */
int console_auth_init(void) __attribute__((warn_unused_result));

/* $ENSHU_STATE_DIR/instructor.pwhash (caller frees). */
char *instructor_password_path(void);

bool instructor_password_is_set(void);

/* Hashes password and stores the hash (mode 0600, replaced atomically). */
int instructor_password_set(const char *password) __attribute__((warn_unused_result));

/* 0 when password matches the stored hash; ENSHU_ENOTFOUND when no
 * password is set; ENSHU_EINVAL when it does not match. */
int instructor_password_check(const char *password) __attribute__((warn_unused_result));

/* A new join code, "XXXX-XXXX" from an alphabet without look-alikes
 * (no 0/O, 1/I/L). out must hold JOIN_CODE_SIZE bytes. */
#define JOIN_CODE_SIZE 10
void join_code_new(char out[JOIN_CODE_SIZE]);

/* Whether typed matches code, ignoring case, spaces and dashes; in
 * constant time for codes of the same length. */
bool join_code_matches(const char *code, const char *typed);

/*
 * Token buckets by key (a peer address, a team): each key may spend `burst`
 * tokens at once and gets `per_minute` back each minute. Bounded memory:
 * at most max_keys keys, the least recently used forgotten first.
 */
typedef struct rate_limiter rate_limiter;
rate_limiter *rate_limiter_new(unsigned per_minute, unsigned burst, size_t max_keys);
void rate_limiter_free(rate_limiter *rl);
/* Takes a token for key at now_ms; false (and *retry_ms, when not NULL,
 * the wait for the next token) when none is left. */
bool rate_limiter_take(rate_limiter *rl, const char *key, int64_t now_ms, int64_t *retry_ms);
/* Gives back the token just taken for key (e.g. a login that succeeded:
 * only failures are limited). */
void rate_limiter_refund(rate_limiter *rl, const char *key);

#endif
