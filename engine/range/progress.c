/*
 * Terminal progress (see progress.h). A small thread redraws the status
 * line so workers never block on the terminal.
 */
#include "progress.h"
#include "alloc.h"
#include "monotonic_cond.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct progress {
    FILE *out;
    char *title;
    bool tty;
    size_t totals[PROGRESS_COUNTERS];
    size_t counts[PROGRESS_COUNTERS];
    struct timespec start;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    pthread_t thread;
    bool stop;
    bool has_thread;
};

double progress_elapsed(const progress *p)
{
    if (!p)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - p->start.tv_sec) + (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
}

/* Called with the lock held. */
static void draw_line(progress *p)
{
    static const char *const names[] = {"networks", "disks", "guests", "ready", "failed"};
    fprintf(p->out, "\r\033[K%s [%5.1fs]", p->title, progress_elapsed(p));
    for (int i = 0; i < PROGRESS_COUNTERS; i++) {
        if (i == PROGRESS_FAILED && p->counts[i] == 0)
            continue;
        if (p->totals[i] || p->counts[i])
            fprintf(p->out, "  %s %zu/%zu", names[i], p->counts[i], p->totals[i]);
    }
    fflush(p->out);
}

static void *draw_loop(void *arg)
{
    progress *p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        draw_line(p);
        struct timespec until = monotonic_deadline(250);
        pthread_cond_timedwait(&p->wake, &p->lock, &until);
    }
    draw_line(p);
    fputc('\n', p->out);
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

progress *progress_new(FILE *out, const char *title, const size_t totals[PROGRESS_COUNTERS])
{
    progress *p = xcalloc(1, sizeof(progress));
    p->out = out;
    p->title = xstrdup(title);
    p->tty = out && isatty(fileno(out));
    for (int i = 0; i < PROGRESS_COUNTERS; i++)
        p->totals[i] = totals[i];
    clock_gettime(CLOCK_MONOTONIC, &p->start);
    pthread_mutex_init(&p->lock, NULL);
    monotonic_cond_init(&p->wake);
    if (p->tty && pthread_create(&p->thread, NULL, draw_loop, p) == 0)
        p->has_thread = true;
    return p;
}

void progress_free(progress *p)
{
    if (!p)
        return;
    if (p->has_thread) {
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_signal(&p->wake);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
    }
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->lock);
    free(p->title);
    free(p);
}

void progress_add(progress *p, progress_counter counter)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->counts[counter]++;
    pthread_mutex_unlock(&p->lock);
}

void progress_note(progress *p, const char *fmt, ...)
{
    if (!p || !p->out)
        return;
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&p->lock);
    if (p->tty)
        fputs("\r\033[K", p->out);
    fprintf(p->out, "[%5.1fs] ", progress_elapsed(p));
    vfprintf(p->out, fmt, ap);
    fputc('\n', p->out);
    if (p->tty)
        draw_line(p);
    fflush(p->out);
    pthread_mutex_unlock(&p->lock);
    va_end(ap);
}
