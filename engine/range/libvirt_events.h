/*
 * The process's libvirt event loop: libvirt's default event implementation,
 * registered once per process and run by one thread, shared by every user
 * (the serial consoles' hubs, serial_console.c), while any user holds it.
 * Callbacks added with virEventAddTimeout or a stream's event callback run
 * on that thread and must not block.
 *
 * Start-up constraint: libvirt's client watches a connection's socket in the
 * event loop only if an event implementation was registered before the
 * connection was opened. Programs call libvirt_events_init_once at the
 * start of main, before any libvirt connection exists, so that every
 * connection is opened the same way; users open their own connections after
 * libvirt_events_acquire.
 */
#ifndef ENSHU_LIBVIRT_EVENTS_H
#define ENSHU_LIBVIRT_EVENTS_H

#include <stdbool.h>

/* Registers libvirt's default event loop implementation, once per process.
 * Call it early in main, before opening any libvirt connection. */
void libvirt_events_init_once(void);

/* One more user of the loop: registers the implementation if that was not
 * done yet, and starts the loop's thread for the first user. Returns 0, or
 * a negative code (reported) when libvirt's loop cannot be set up or the
 * thread cannot start. */
int libvirt_events_acquire(void) __attribute__((warn_unused_result));

/* One user less: after the last one the thread stops (this waits for it).
 * Never from the loop's thread. */
void libvirt_events_release(void);

/* True on the loop's thread, that is inside one of its callbacks. */
bool libvirt_events_on_loop_thread(void);

#endif
