/*
 * A fixed pool of threads running numbered jobs: each worker takes the next
 * job index until none is left. Used to bring teams up and down in parallel.
 */
#ifndef ENSHU_WORK_POOL_H
#define ENSHU_WORK_POOL_H

#include <stddef.h>

/* Runs fn(job, worker, arg) for job in [0, njobs) on nworkers threads and
 * waits for all. Returns the first negative result, or 0. */
int work_pool_run(size_t njobs, unsigned nworkers,
                  int (*fn)(size_t job, unsigned worker, void *arg), void *arg);

#endif
