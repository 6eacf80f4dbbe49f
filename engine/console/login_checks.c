/*
 * The password-check pool (see login_checks.h): a locked FIFO of checks
 * and a few threads waiting on it.
 */
#include "login_checks.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"

#include <sodium.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct check_item {
    char *secret;
    void *arg;
    struct check_item *next;
} check_item;

struct login_checks {
    login_check_fn check;
    login_done_fn done;
    void *ctx;
    size_t max;
    pthread_mutex_t lock; /* everything below */
    pthread_cond_t wake;
    check_item *head, *tail;
    size_t pending; /* queued or under way */
    bool stopping;
    pthread_t *threads;
    unsigned nthreads;
};

static void item_free(check_item *it)
{
    sodium_memzero(it->secret, strlen(it->secret));
    free(it->secret);
    free(it);
}

static void *worker(void *arg)
{
    login_checks *lc = arg;
    pthread_mutex_lock(&lc->lock);
    for (;;) {
        while (!lc->head && !lc->stopping)
            pthread_cond_wait(&lc->wake, &lc->lock);
        if (lc->stopping)
            break;
        check_item *it = lc->head;
        lc->head = it->next;
        if (!lc->head)
            lc->tail = NULL;
        pthread_mutex_unlock(&lc->lock);
        int rc = lc->check(lc->ctx, it->secret);
        void *done_arg = it->arg;
        item_free(it);
        /* Counted until done has run: a caller that sees the count fall
         * knows its result has been handed over. */
        lc->done(lc->ctx, done_arg, rc);
        pthread_mutex_lock(&lc->lock);
        lc->pending--;
    }
    pthread_mutex_unlock(&lc->lock);
    return NULL;
}

login_checks *login_checks_new(unsigned threads, size_t max_checks, login_check_fn check,
                               login_done_fn done, void *ctx)
{
    login_checks *lc = xcalloc(1, sizeof(login_checks));
    lc->check = check;
    lc->done = done;
    lc->ctx = ctx;
    lc->max = max_checks ? max_checks : 1;
    pthread_mutex_init(&lc->lock, NULL);
    pthread_cond_init(&lc->wake, NULL);
    lc->threads = xcalloc(threads ? threads : 1, sizeof(pthread_t));
    for (unsigned i = 0; i < (threads ? threads : 1); i++) {
        if (pthread_create(&lc->threads[i], NULL, worker, lc) != 0) {
            log_printf(ENSHU_LOG_ERROR, "enshu: consoles: cannot start the password-check threads");
            login_checks_free(lc);
            return NULL;
        }
        lc->nthreads++;
    }
    return lc;
}

int login_checks_submit(login_checks *lc, const char *secret, void *arg)
{
    pthread_mutex_lock(&lc->lock);
    if (lc->pending >= lc->max || lc->stopping) {
        pthread_mutex_unlock(&lc->lock);
        return ENSHU_EBUSY;
    }
    check_item *it = xcalloc(1, sizeof(check_item));
    it->secret = xstrdup(secret ? secret : "");
    it->arg = arg;
    if (lc->tail)
        lc->tail->next = it;
    else
        lc->head = it;
    lc->tail = it;
    lc->pending++;
    pthread_cond_signal(&lc->wake);
    pthread_mutex_unlock(&lc->lock);
    return ENSHU_OK;
}

size_t login_checks_pending(login_checks *lc)
{
    pthread_mutex_lock(&lc->lock);
    size_t n = lc->pending;
    pthread_mutex_unlock(&lc->lock);
    return n;
}

void login_checks_free(login_checks *lc)
{
    if (!lc)
        return;
    pthread_mutex_lock(&lc->lock);
    lc->stopping = true;
    check_item *dropped = lc->head;
    lc->head = lc->tail = NULL;
    pthread_cond_broadcast(&lc->wake);
    pthread_mutex_unlock(&lc->lock);
    for (unsigned i = 0; i < lc->nthreads; i++)
        pthread_join(lc->threads[i], NULL);
    for (check_item *it = dropped, *next; it; it = next) {
        next = it->next;
        void *arg = it->arg;
        item_free(it);
        lc->done(lc->ctx, arg, ENSHU_ETIMEOUT);
    }
    pthread_cond_destroy(&lc->wake);
    pthread_mutex_destroy(&lc->lock);
    free(lc->threads);
    free(lc);
}
