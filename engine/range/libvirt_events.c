/*
 * The process's libvirt event loop (see libvirt_events.h): registered once,
 * its thread started by the first user and stopped after the last.
 */
#include "libvirt_events.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "log.h"

#include <libvirt/libvirt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

static pthread_once_t register_once = PTHREAD_ONCE_INIT;
static int register_rc;
static __thread bool on_loop_thread;

static struct {
    pthread_mutex_t lock;
    unsigned users;
    atomic_bool quit;
    pthread_t thread;
} loop = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void register_impl(void)
{
    register_rc = virEventRegisterDefaultImpl();
}

void libvirt_events_init_once(void)
{
    pthread_once(&register_once, register_impl);
}

bool libvirt_events_on_loop_thread(void)
{
    return on_loop_thread;
}

static void *loop_main(void *unused)
{
    on_loop_thread = true;
    while (!atomic_load(&loop.quit)) {
        if (virEventRunDefaultImpl() < 0) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: the libvirt event loop of the serial consoles stopped: %s",
                       libvirt_error());
            break;
        }
    }
    return NULL;
}

static void loop_wake(int timer, void *unused)
{
    virEventRemoveTimeout(timer);
}

int libvirt_events_acquire(void)
{
    libvirt_events_init_once();
    if (register_rc < 0) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: cannot set up libvirt's event loop for the serial consoles: %s",
                   libvirt_error());
        return ENSHU_EIO;
    }
    int rc = ENSHU_OK;
    pthread_mutex_lock(&loop.lock);
    if (loop.users == 0) {
        atomic_store(&loop.quit, false);
        if (pthread_create(&loop.thread, NULL, loop_main, NULL) != 0) {
            log_printf(ENSHU_LOG_ERROR, "enshu: cannot start the thread of the serial consoles");
            rc = ENSHU_EIO;
        }
    }
    if (rc == ENSHU_OK)
        loop.users++;
    pthread_mutex_unlock(&loop.lock);
    return rc;
}

void libvirt_events_release(void)
{
    pthread_mutex_lock(&loop.lock);
    if (--loop.users == 0) {
        atomic_store(&loop.quit, true);
        /* A timer due now makes the loop return from its poll. */
        virEventAddTimeout(0, loop_wake, NULL, NULL);
        pthread_join(loop.thread, NULL);
    }
    pthread_mutex_unlock(&loop.lock);
}
