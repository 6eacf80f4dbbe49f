/*
 * How many wrong credentials an address may try, and when it may try again
 * (the rule and its numbers are in web/PROTOCOL.md, "Login limits").
 *
 * A credential cannot be told from a guess without checking it, so what
 * bounds guessing is refusing to check: an address that has used up its
 * budget of failures waits before its next credential of that kind is
 * looked at, and the wait doubles with every further failure. So that a
 * stranger cannot lock others out:
 *   - failures are counted per address AND per kind of credential: guessing
 *     the instructor password from a room's address never holds back a
 *     trainee's join code from it, nor the other way round;
 *   - only failures count: successes spend nothing;
 *   - session tokens (the reconnects of everyone who has joined) are no
 *     kind here: they are 256 random bits, checked at no cost, and never
 *     limited.
 * Checks under way count as failures until they end, so that many checks
 * started at once cannot overrun the budget; and an address may have at
 * most `in_flight` checks of a kind under way.
 *
 * Time is passed in (monotonic milliseconds). Bounded memory: at most
 * max_addresses addresses, the one idle longest forgotten first (never one
 * with checks under way while another can go). Not thread-safe: one owner
 * thread (the hub's).
 */
#ifndef ENSHU_LOGIN_LIMITS_H
#define ENSHU_LOGIN_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum login_kind { LOGIN_PASSWORD, LOGIN_CODE, LOGIN_KINDS } login_kind;

typedef struct login_rule {
    unsigned free_failures; /* failures before any wait */
    int64_t first_wait_ms;  /* the wait after the first failure past them */
    int64_t max_wait_ms;    /* the doubling stops here */
    int64_t forget_ms;      /* an address this long without a failure starts afresh */
    unsigned in_flight;     /* checks under way at once per address */
} login_rule;

/* The numbers the consoles use (web/PROTOCOL.md). */
extern const login_rule LOGIN_RULES[LOGIN_KINDS];

typedef struct login_limits login_limits;

/* rules: one per kind (NULL: LOGIN_RULES). */
login_limits *login_limits_new(const login_rule *rules, size_t max_addresses);
void login_limits_free(login_limits *ll); /* NULL ok */

/* Whether a credential of kind from address may be checked at now_ms: if
 * so, the check is counted as under way (end it with login_limits_end)
 * and true is returned; else false and *retry_ms (when not NULL) is how
 * long to wait. */
bool login_limits_begin(login_limits *ll, const char *address, login_kind kind, int64_t now_ms,
                        int64_t *retry_ms);

/* A check begun for address and kind has ended: a failure when !ok. */
void login_limits_end(login_limits *ll, const char *address, login_kind kind, bool ok,
                      int64_t now_ms);

#endif
