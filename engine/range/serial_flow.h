/*
 * Flow control of one serial console shared by several viewers: which
 * viewer gets a piece of the guest's output at once, which holds it for
 * later, which fell too far behind, and when the guest is asked to stop
 * (XOFF) and to go on (XON). Pure: no I/O, no locks, no libvirt.
 * serial_console.c keeps one serial_flow per console stream and one
 * serial_flow_viewer per viewer, under its hub's lock, passes the output on
 * and sends the flow bytes itself.
 *
 * The rule (bounds in serial_console.h):
 * - A viewer reads unless it is paused. Output goes at once to a viewer
 *   that reads and holds nothing; otherwise it is held for that viewer, in
 *   order, until it reads again.
 * - While at least one viewer reads, the guest is never stopped: the
 *   fastest viewer drives it. A paused viewer's held output grows; output
 *   that would take it past SERIAL_CONSOLE_HOLD_MAX makes it fall behind:
 *   what it held is discarded, it gets nothing more, and its user closes it
 *   with a reason. One viewer's pause costs only that viewer.
 * - When no viewer reads and one of them holds SERIAL_CONSOLE_HOLD_SOFT
 *   bytes, the guest is stopped (XOFF): nobody is reading, so nobody loses
 *   anything by it. It goes on (XON) as soon as a viewer reads again or the
 *   viewers holding that much leave. A guest that ignores XOFF keeps
 *   writing: its paused viewers then fall behind as above.
 * So the guest is stopped exactly while
 *   no viewer reads and some viewer holds >= SERIAL_CONSOLE_HOLD_SOFT,
 * and a viewer never holds more than SERIAL_CONSOLE_HOLD_MAX bytes.
 *
 * The flow byte. serial_flow_pending is the byte that brings the guest to
 * the state the rule wants (XOFF, XON, or 0 when it is there already). Its
 * sender takes it with serial_flow_take_byte, which counts it as sent at
 * once, so a change of the rule while it goes out (pause and resume come
 * from any thread) asks for the opposite byte afterwards instead of being
 * lost; a byte that could not go out after all is given back.
 */
#ifndef ENSHU_SERIAL_FLOW_H
#define ENSHU_SERIAL_FLOW_H

#include <stdbool.h>
#include <stddef.h>

#define SERIAL_FLOW_XOFF ((char)0x13) /* Ctrl-S */
#define SERIAL_FLOW_XON ((char)0x11)  /* Ctrl-Q */

typedef struct serial_flow serial_flow;

/* One viewer. Zero it, then serial_flow_join. Fields are read-only
 * outside serial_flow.c. */
typedef struct serial_flow_viewer {
    serial_flow *flow; /* NULL before joining and once it left */
    struct serial_flow_viewer *next;
    bool paused;
    bool behind; /* fell behind: it gets no more output */
    char *held;  /* held output: held[held_off, held_off + held_len) */
    size_t held_off, held_len, held_cap;
    size_t held_peak; /* the most it ever held */
} serial_flow_viewer;

/* One console's viewers. Zero it to start; no viewer may be left in it
 * when it is dropped. Fields are read-only outside serial_flow.c. */
struct serial_flow {
    serial_flow_viewer *viewers;
    unsigned nviewers;
    bool stopped;       /* the rule wants the guest stopped */
    bool guest_stopped; /* the last flow byte taken to be sent was XOFF */
};

typedef enum serial_flow_take {
    SERIAL_FLOW_DELIVER, /* hand the bytes to the viewer now */
    SERIAL_FLOW_HELD,    /* kept for the viewer; serial_flow_held hands them out later */
    SERIAL_FLOW_BEHIND,  /* the viewer fell behind (see the rule); its user closes it */
} serial_flow_take;

/* Adds v (reading, holding nothing) to f. */
void serial_flow_join(serial_flow *f, serial_flow_viewer *v);
/* Takes v out of its flow (a no-op once it left). What v holds stays with
 * it and can still be handed out. */
void serial_flow_leave(serial_flow_viewer *v);
/* Frees what v holds; v must have left its flow. */
void serial_flow_viewer_fini(serial_flow_viewer *v);

/* v stops and starts reading. Also for a viewer that left its flow. */
void serial_flow_pause(serial_flow_viewer *v);
void serial_flow_resume(serial_flow_viewer *v);

/* len bytes of the guest's output, offered to one viewer of the flow; call
 * it for each viewer, in the order output arrives. A viewer that fell
 * behind stays SERIAL_FLOW_BEHIND and holds nothing. */
serial_flow_take serial_flow_offer(serial_flow_viewer *v, const void *data, size_t len);

/* The oldest held bytes of v, up to max, while v reads (0 while paused).
 * *data stays valid until the next call on v other than serial_flow_held. */
size_t serial_flow_held(const serial_flow_viewer *v, size_t max, const char **data);
/* n bytes (at most what serial_flow_held returned) were handed out. */
void serial_flow_consume(serial_flow_viewer *v, size_t n);

/* The flow byte to send now (SERIAL_FLOW_XOFF, SERIAL_FLOW_XON), or 0. */
char serial_flow_pending(const serial_flow *f);
/* serial_flow_pending, counted as sent. */
char serial_flow_take_byte(serial_flow *f);
/* The byte taken could not be sent: pending again (if still wanted). */
void serial_flow_untake_byte(serial_flow *f, char byte);

#endif
