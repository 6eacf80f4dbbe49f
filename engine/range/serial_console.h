/*
 * The serial console bridge: a guest's ttyS0, reached through libvirt's
 * console stream, for the trainees' in-browser terminals. It knows nothing
 * of websockets: output arrives through callbacks, input goes in with
 * serial_console_write, and the caller pauses output while its own queue
 * towards the browser is full.
 *
 * Threads. A hub (serial_consoles) drives every console through libvirt's
 * default event loop, run by one thread shared by all hubs of the process
 * (libvirt_events.h).
 * Callbacks run on that thread and must not block. Every other function may
 * be called from any thread, also from inside a callback, except
 * serial_consoles_free (never from a callback).
 *
 * Sharing. Opening a domain that this hub has open already attaches one more
 * viewer to the same libvirt stream: every viewer sees the same output, at
 * its own pace (see flow control), and may type; the stream closes when the
 * last viewer leaves. (libvirt lets one
 * client hold a console at a time: opening it elsewhere with force, e.g.
 * from another hub or `virsh console --force`, ends this one with
 * SERIAL_CONSOLE_TAKEN_OVER.)
 *
 * Flow control: one viewer's pause never stops the guest for the others.
 * A paused viewer's output is held in a buffer of its own, and the guest
 * is held back only when nobody reads:
 * - While at least one viewer of the console is not paused, the guest is
 *   never stopped: the fastest viewer drives it. A paused viewer whose held
 *   output would pass SERIAL_CONSOLE_HOLD_MAX falls behind: what it held is
 *   discarded and it ends with SERIAL_CONSOLE_FELL_BEHIND (its user opens
 *   it again to go on, from the output of that moment).
 * - When every viewer is paused and one of them holds
 *   SERIAL_CONSOLE_HOLD_SOFT bytes, the guest's terminal is sent XOFF
 *   (Ctrl-S), which blocks the writing program inside the guest as a slow
 *   terminal would: nobody is reading, so nobody loses anything by it. XON
 *   (Ctrl-Q) follows as soon as a viewer reads again (or the stopped
 *   console loses its last viewer). Nothing is lost while the guest honours
 *   XOFF (its tty has IXON, as a shell's does). A program that turned IXON
 *   off is not stopped (and reads the two bytes as input): its paused
 *   viewers then fall behind as above.
 * So a viewer never holds more than SERIAL_CONSOLE_HOLD_MAX bytes, a console
 * at most that per viewer, and the guest is stopped exactly while no viewer
 * reads and some viewer holds SERIAL_CONSOLE_HOLD_SOFT bytes (serial_flow.h
 * has the rule as code). Not reading the libvirt stream instead would not
 * bound anything: libvirt's client keeps reading the connection and queues
 * stream data without limit.
 *
 * Start-up constraint: libvirt's client watches a connection's socket in the
 * event loop only if an event implementation was registered before the
 * connection was opened. serial_consoles_new registers it and opens its own
 * connections afterwards, but programs should call libvirt_events_init_once
 * (libvirt_events.h) at the start of main, before any libvirt connection
 * exists, so that every connection is opened the same way.
 */
#ifndef ENSHU_SERIAL_CONSOLE_H
#define ENSHU_SERIAL_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Input not yet sent to the guest, per console (shared by its viewers). */
#define SERIAL_CONSOLE_INPUT_MAX ((size_t)64 * 1024)
/* Output held for a paused viewer: XOFF to the guest at SOFT when no viewer
 * reads; a viewer whose held output would pass MAX is closed (FELL_BEHIND). */
#define SERIAL_CONSOLE_HOLD_SOFT ((size_t)64 * 1024)
#define SERIAL_CONSOLE_HOLD_MAX ((size_t)1024 * 1024)

typedef struct serial_consoles serial_consoles;
typedef struct serial_console serial_console;

typedef enum serial_console_end {
    SERIAL_CONSOLE_GUEST_STOPPED, /* the guest shut down, was destroyed, crashed or restarted */
    SERIAL_CONSOLE_TAKEN_OVER,    /* another client opened the console with force */
    SERIAL_CONSOLE_FAILED,        /* the stream or the connection to the host broke */
    SERIAL_CONSOLE_HUB_CLOSED,    /* serial_consoles_free ran while it was open */
    SERIAL_CONSOLE_FELL_BEHIND,   /* this viewer, paused, fell SERIAL_CONSOLE_HOLD_MAX behind */
} serial_console_end;

typedef struct serial_console_callbacks {
    /* Output of the guest, in order. data is valid during the call only. */
    void (*on_output)(void *ctx, const void *data, size_t len);
    /* The console ended; message is a whole sentence naming the guest.
     * Called once, after every output byte held for this viewer was
     * delivered (SERIAL_CONSOLE_FELL_BEHIND: discarded). The handle stays
     * valid until serial_console_close. */
    void (*on_closed)(void *ctx, serial_console_end why, const char *message);
} serial_console_callbacks;

typedef struct serial_console_stats {
    size_t held;         /* output held for this viewer now (paused) */
    size_t held_peak;    /* the most it ever held */
    uint64_t delivered;  /* bytes passed to on_output */
    size_t input_queued; /* input of the console not yet sent to the guest */
    bool guest_stopped;  /* XOFF was sent and not yet followed by XON */
    unsigned viewers;    /* viewers of the same console, 0 once it ended */
    bool ended;
} serial_console_stats;

/* A hub; NULL (reported) when its event thread cannot start. */
serial_consoles *serial_consoles_new(void);
/* Ends every console still open (their on_closed runs with
 * SERIAL_CONSOLE_HUB_CLOSED) and frees them: their handles are invalid
 * afterwards. No other call on the hub may be in progress. */
void serial_consoles_free(serial_consoles *h);

/* Opens the serial console of domain_name on host_uri for one viewer, or
 * attaches a viewer to it when the hub has it open already. Blocks while
 * connecting. On failure (reported) no callback ever runs. cb is copied;
 * ctx is passed to the callbacks. *out is set before any callback runs
 * (they may run before this returns). */
int serial_console_open(serial_consoles *h, const char *host_uri, const char *domain_name,
                        const serial_console_callbacks *cb, void *ctx, serial_console **out)
    __attribute__((warn_unused_result));

/* The same, but the viewer starts paused (serial_console_pause): its
 * output is held from the first byte and nothing is delivered to it until
 * serial_console_resume, so its user can announce the console first, from
 * another thread, before any output goes out. (on_closed may still come
 * before the resume when the console ends holding nothing for it.) */
int serial_console_open_paused(serial_consoles *h, const char *host_uri, const char *domain_name,
                               const serial_console_callbacks *cb, void *ctx, serial_console **out)
    __attribute__((warn_unused_result));

/* Queues input for the guest; written when the stream can take it.
 * ENSHU_ECAPACITY when SERIAL_CONSOLE_INPUT_MAX would be passed (nothing is
 * queued then), ENSHU_EIO once the console ended. */
int serial_console_write(serial_console *c, const void *data, size_t len)
    __attribute__((warn_unused_result));

/* Stop and restart delivering output to this viewer (see flow control):
 * pausing holds its output, and stops the guest only if no other viewer
 * reads. */
void serial_console_pause(serial_console *c);
void serial_console_resume(serial_console *c);

void serial_console_get_stats(serial_console *c, serial_console_stats *out);

/* Detaches the viewer and frees it; the stream closes with its last viewer.
 * When it returns, no callback runs for c any more (called from inside one
 * of c's own callbacks, none runs after that callback returns). NULL is a
 * no-op. */
void serial_console_close(serial_console *c);

#endif
