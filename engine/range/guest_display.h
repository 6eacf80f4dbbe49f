/*
 * The graphical console bridge: a guest's screen, keyboard and mouse (its
 * VNC display, which listens on no port: libvirt_xml.h) for the in-browser
 * viewers. It knows nothing of websockets: the guest's RFB bytes arrive
 * through callbacks, the viewer's go in with guest_display_write, and the
 * caller pauses output while its own queue towards the browser is full.
 *
 * Each viewer is a connection of its own to the display: opening one asks
 * libvirt for a socket connected to QEMU's VNC server
 * (virDomainOpenGraphicsFD: libvirt makes a socket pair and hands one end
 * to QEMU), and QEMU serves every such client with its own RFB handshake,
 * framebuffer updates and pace. So viewers never share a stream, and one
 * viewer's slowness costs no other viewer anything.
 *
 * View-only viewers. What a viewer sends is read message by message
 * (rfb_client_filter.h): a view-only viewer's input (keys, pointer,
 * clipboard, resize) never reaches the guest, and no viewer may ask for
 * the display alone (the shared flag is always set).
 *
 * Threads. A hub (guest_displays) relays every viewer on one thread of its
 * own, which polls the viewers' sockets; it is not libvirt's event loop,
 * which the serial consoles, domain events and connection keepalives share
 * (libvirt_events.h): a display moves megabytes per full-screen update and
 * would hold those back. After the open nothing on the relay thread calls
 * libvirt: the socket is ours. Callbacks run on the relay thread and must
 * not block. guest_display_open blocks while it connects to the host (call
 * it off any thread that must not wait); every other function may be called
 * from any thread, also from inside a callback, except guest_displays_free
 * (never from a callback).
 *
 * Bounds and flow control.
 * - At most GUEST_DISPLAYS_MAX viewers are open per hub; another open gets
 *   ENSHU_ECAPACITY.
 * - Output: the relay reads at most GUEST_DISPLAY_CHUNK bytes of a viewer's
 *   socket at a time, and none while the viewer is paused: the viewer's
 *   buffer in the relay is that one chunk, and QEMU holds back the
 *   viewer's framebuffer updates meanwhile (it sends one only when the
 *   viewer asked for it and its socket takes it, merging what changed in
 *   between). A viewer paused longer than GUEST_DISPLAY_STALL_MS is dropped
 *   (GUEST_DISPLAY_FELL_BEHIND), so a viewer that stopped reading holds no
 *   display open for ever; others, and the guest, never wait for it.
 * - Input: at most GUEST_DISPLAY_INPUT_MAX bytes not yet taken by QEMU, per
 *   viewer; a write past that is refused (ENSHU_ECAPACITY, nothing queued).
 */
#ifndef ENSHU_GUEST_DISPLAY_H
#define ENSHU_GUEST_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_DISPLAYS_MAX 64
#define GUEST_DISPLAY_CHUNK ((size_t)64 * 1024)
#define GUEST_DISPLAY_INPUT_MAX ((size_t)64 * 1024)
#define GUEST_DISPLAY_STALL_MS 60000

typedef struct guest_displays guest_displays;
typedef struct guest_display guest_display;

typedef enum guest_display_end {
    GUEST_DISPLAY_GUEST_CLOSED, /* the display closed: the guest stopped, restarted or crashed */
    GUEST_DISPLAY_FAILED,       /* the socket broke */
    GUEST_DISPLAY_UNREADABLE, /* the viewer sent what the relay cannot read (rfb_client_filter.h) */
    GUEST_DISPLAY_FELL_BEHIND, /* paused longer than GUEST_DISPLAY_STALL_MS */
    GUEST_DISPLAY_HUB_CLOSED,  /* guest_displays_free ran while it was open */
} guest_display_end;

typedef struct guest_display_callbacks {
    /* The guest's RFB bytes, in order. data is valid during the call only. */
    void (*on_output)(void *ctx, const void *data, size_t len);
    /* The viewer ended; message is a whole sentence naming the guest.
     * Called once; the handle stays valid until guest_display_close. */
    void (*on_closed)(void *ctx, guest_display_end why, const char *message);
} guest_display_callbacks;

typedef struct guest_display_stats {
    uint64_t delivered;  /* bytes passed to on_output */
    uint64_t forwarded;  /* bytes of the viewer's that went to the guest */
    uint64_t dropped;    /* the viewer's messages not forwarded (view-only input) */
    size_t input_queued; /* the viewer's bytes not yet taken by the guest */
    unsigned open;       /* viewers open in the hub */
    bool paused, ended;
} guest_display_stats;

/* A hub; NULL (reported) when its relay thread cannot start. */
guest_displays *guest_displays_new(void);
/* Ends every viewer still open (on_closed runs with
 * GUEST_DISPLAY_HUB_CLOSED) and frees them; their handles are invalid
 * afterwards. No other call on the hub may be in progress. NULL ok. */
void guest_displays_free(guest_displays *h);

/* Connects one viewer to the display of domain_name on host_uri. It starts
 * paused (nothing is delivered before guest_display_resume), so that its
 * user can announce it first. Blocks while connecting. On failure
 * (reported) no callback ever runs: ENSHU_ECAPACITY (GUEST_DISPLAYS_MAX
 * open), ENSHU_ENOTFOUND (no such guest), ENSHU_ELIBVIRT (the guest has no
 * display, is not running, or the host failed). cb is copied; *out is set
 * before any callback runs. */
int guest_display_open(guest_displays *h, const char *host_uri, const char *domain_name,
                       bool view_only, const guest_display_callbacks *cb, void *ctx,
                       guest_display **out) __attribute__((warn_unused_result));

/* Queues the viewer's RFB bytes for the guest (those of a view-only
 * viewer's input are dropped). ENSHU_ECAPACITY past
 * GUEST_DISPLAY_INPUT_MAX (nothing queued), ENSHU_EINVAL when the stream
 * cannot be read (the viewer then ends with GUEST_DISPLAY_UNREADABLE),
 * ENSHU_EIO once it ended. */
int guest_display_write(guest_display *d, const void *data, size_t len)
    __attribute__((warn_unused_result));

void guest_display_pause(guest_display *d);
void guest_display_resume(guest_display *d);

void guest_display_get_stats(guest_display *d, guest_display_stats *out);

/* Disconnects the viewer and frees it. When it returns no callback runs for
 * d any more (called from inside one of d's callbacks: none after that
 * callback returns). NULL is a no-op. */
void guest_display_close(guest_display *d);

#endif
