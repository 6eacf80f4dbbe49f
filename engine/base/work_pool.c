/*
 * Thread pool over a job counter (see work_pool.h).
 */
#include "work_pool.h"
#include "alloc.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct pool_state {
    size_t njobs;
    size_t next;
    int result;
    pthread_mutex_t lock;
    int (*fn)(size_t, unsigned, void *);
    void *arg;
} pool_state;

typedef struct worker_arg {
    pool_state *pool;
    unsigned index;
} worker_arg;

static void *worker_main(void *p)
{
    worker_arg *w = p;
    pool_state *s = w->pool;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        size_t job = s->next < s->njobs ? s->next++ : s->njobs;
        pthread_mutex_unlock(&s->lock);
        if (job >= s->njobs)
            break;
        int rc = s->fn(job, w->index, s->arg);
        if (rc < 0) {
            pthread_mutex_lock(&s->lock);
            if (s->result == 0)
                s->result = rc;
            pthread_mutex_unlock(&s->lock);
        }
    }
    return NULL;
}

int work_pool_run(size_t njobs, unsigned nworkers,
                  int (*fn)(size_t job, unsigned worker, void *arg), void *arg)
{
    if (nworkers == 0)
        nworkers = 1;
    if (nworkers > njobs)
        nworkers = njobs ? (unsigned)njobs : 1;
    pool_state s = {.njobs = njobs, .fn = fn, .arg = arg};
    pthread_mutex_init(&s.lock, NULL);
    pthread_t *threads = xcalloc(nworkers, sizeof(pthread_t));
    worker_arg *args = xcalloc(nworkers, sizeof(worker_arg));
    unsigned started = 0;
    for (unsigned i = 0; i < nworkers; i++) {
        args[i].pool = &s;
        args[i].index = i;
        if (pthread_create(&threads[i], NULL, worker_main, &args[i]) == 0)
            started++;
        else
            break;
    }
    if (started == 0) /* no thread could start: do the work here */
        worker_main(&args[0]);
    for (unsigned i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    free(args);
    pthread_mutex_destroy(&s.lock);
    return s.result;
}
