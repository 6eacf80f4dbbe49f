/*
 * Password checks off the consoles' hub thread: a small fixed pool of
 * threads of their own runs them (an Argon2id check costs about 280 ms of
 * CPU and 64 MiB), so the hub thread never hashes and answers every other
 * request meanwhile.
 *
 * Bounded: at most max_checks checks are queued or under way at once;
 * past that, login_checks_submit refuses at once (ENSHU_EBUSY) and the
 * caller answers `rate_limited`. Checks run in the order submitted.
 *
 * Threads: submit from one thread (the hub's). check and done run on a
 * pool thread; done is called exactly once for every check submitted with
 * success, with the check's result, or with ENSHU_ETIMEOUT for a check
 * that login_checks_free dropped before it began (then on the thread
 * calling free). The secret is copied, and wiped once checked.
 */
#ifndef ENSHU_LOGIN_CHECKS_H
#define ENSHU_LOGIN_CHECKS_H

#include <stddef.h>

/* Checks secret: 0 when it is right (e.g. instructor_password_check). */
typedef int (*login_check_fn)(void *ctx, const char *secret);
/* The result of the check submitted with arg. */
typedef void (*login_done_fn)(void *ctx, void *arg, int rc);

typedef struct login_checks login_checks;

/* NULL when the threads cannot be started (reported). */
login_checks *login_checks_new(unsigned threads, size_t max_checks, login_check_fn check,
                               login_done_fn done, void *ctx);

/* Queues a check of secret; ENSHU_EBUSY (done will not be called) when
 * max_checks are queued or under way. */
int login_checks_submit(login_checks *lc, const char *secret, void *arg)
    __attribute__((warn_unused_result));

/* Checks queued or under way now. */
size_t login_checks_pending(login_checks *lc);

/* Waits for the checks under way, drops the queued ones (done with
 * ENSHU_ETIMEOUT) and stops the threads. NULL ok. */
void login_checks_free(login_checks *lc);

#endif
