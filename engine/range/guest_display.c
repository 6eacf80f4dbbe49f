/*
 * The graphical console bridge (see guest_display.h).
 *
 * Objects. A hub has viewers, each one socket to QEMU's VNC server. One
 * mutex per hub guards the list and every viewer's flags, input queue and
 * filter; it is never held across a callback or a blocking call. Only the
 * relay thread reads the sockets, closes them and frees viewers; other
 * threads record what they want (input, resume, close) under the lock and
 * wake it through an eventfd.
 *
 * Lifetimes. guest_display_close marks the viewer closed, so that no
 * callback starts for it any more, and waits (off the relay thread) until
 * a running callback of that viewer returned; the relay thread then closes
 * its socket and frees it. A viewer's end (the socket's end or error, an
 * unreadable stream, a stall) closes its socket at once and is told once,
 * by on_closed, on the relay thread.
 */
#include "guest_display.h"
#include "alloc.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "log.h"
#include "monotonic_clock.h"
#include "rfb_client_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <libvirt/libvirt.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

enum {
    STALL_CHECK_MS = 1000, /* the longest the relay sleeps while a viewer is paused */
};

struct guest_display {
    guest_displays *hub;
    char *domain_name;
    int fd; /* -1 once ended; the relay thread closes it */
    guest_display_callbacks cb;
    void *ctx;
    bool view_only;
    bool closed; /* by its user: no callback may start; the relay frees it */
    bool paused;
    int64_t paused_since;
    bool ended;    /* its end is decided (why, message) */
    bool end_told; /* on_closed ran or will not */
    guest_display_end why;
    char *why_message;
    rfb_client_filter filter;
    char *input; /* filtered bytes for the guest: input[input_off, input_off + input_len) */
    size_t input_off, input_len;
    uint64_t delivered, forwarded;
    guest_display *next;
};

struct guest_displays {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int wake_fd;
    pthread_t thread;
    bool stopping;
    guest_display *viewers;
    unsigned count;         /* open, and those being opened */
    guest_display *calling; /* whose callback runs now */
    pthread_t relay_id;     /* to tell callbacks from other callers */
};

static void wake(guest_displays *h)
{
    uint64_t one = 1;
    ssize_t n = write(h->wake_fd, &one, sizeof one);
    (void)n; /* a full counter wakes the thread as well */
}

static bool on_relay_thread(const guest_displays *h)
{
    return pthread_equal(pthread_self(), h->relay_id);
}

/* Decides v's end (the first one counts); the relay closes its socket and
 * tells it. Takes message. */
static void end_locked(guest_display *v, guest_display_end why, char *message)
{
    if (v->ended) {
        free(message);
        return;
    }
    v->ended = true;
    v->why = why;
    v->why_message = message;
}

static void viewer_free(guest_display *v)
{
    if (v->fd >= 0)
        close(v->fd);
    free(v->input);
    free(v->why_message);
    free(v->domain_name);
    free(v);
}

/* ---- the relay thread ---- */

static void call_output(guest_displays *h, guest_display *v, const char *data, size_t len)
{
    v->delivered += len;
    h->calling = v;
    pthread_mutex_unlock(&h->lock);
    v->cb.on_output(v->ctx, data, len);
    pthread_mutex_lock(&h->lock);
    h->calling = NULL;
    pthread_cond_broadcast(&h->cond);
}

static void call_closed(guest_displays *h, guest_display *v)
{
    v->end_told = true;
    h->calling = v;
    pthread_mutex_unlock(&h->lock);
    v->cb.on_closed(v->ctx, v->why, v->why_message);
    pthread_mutex_lock(&h->lock);
    h->calling = NULL;
    pthread_cond_broadcast(&h->cond);
}

/* Frees the viewers their users closed, closes the sockets of those that
 * ended and tells them. The list may change while a callback runs (opens
 * add at its head; only this thread removes). */
static void settle_locked(guest_displays *h)
{
    for (guest_display **p = &h->viewers; *p;) {
        guest_display *v = *p;
        if (v->closed) {
            *p = v->next;
            h->count--;
            pthread_cond_broadcast(&h->cond);
            viewer_free(v);
            continue;
        }
        p = &v->next;
    }
    bool again = true;
    while (again) {
        again = false;
        for (guest_display *v = h->viewers; v; v = v->next) {
            if (!v->ended)
                continue;
            if (v->fd >= 0) {
                close(v->fd);
                v->fd = -1;
            }
            if (!v->end_told && !v->closed) {
                call_closed(h, v);
                again = true; /* the list may have changed meanwhile */
                break;
            }
        }
    }
}

/* Sends queued input until the socket would block. */
static void send_input_locked(guest_display *v)
{
    while (v->input_len > 0 && v->fd >= 0) {
        ssize_t n = send(v->fd, v->input + v->input_off, v->input_len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n <= 0) {
            end_locked(v, GUEST_DISPLAY_FAILED,
                       xasprintf("the screen of guest %s closed: %s", v->domain_name,
                                 n < 0 ? strerror(errno) : "the display went away"));
            return;
        }
        v->forwarded += (uint64_t)n;
        v->input_off += (size_t)n;
        v->input_len -= (size_t)n;
        if (v->input_len == 0)
            v->input_off = 0;
    }
}

/* Reads one chunk of v's socket and delivers it. */
static void receive_locked(guest_displays *h, guest_display *v, char *buf)
{
    int fd = v->fd;
    pthread_mutex_unlock(&h->lock);
    ssize_t n = recv(fd, buf, GUEST_DISPLAY_CHUNK, MSG_DONTWAIT);
    int err = errno;
    pthread_mutex_lock(&h->lock);
    if (n > 0) {
        if (!v->closed && !v->ended)
            call_output(h, v, buf, (size_t)n);
    } else if (n == 0) {
        end_locked(v, GUEST_DISPLAY_GUEST_CLOSED,
                   xasprintf("the screen of guest %s closed (the guest stopped or restarted)",
                             v->domain_name));
    } else if (err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
        end_locked(v, GUEST_DISPLAY_FAILED,
                   xasprintf("the screen of guest %s failed: %s", v->domain_name, strerror(err)));
    }
}

/* Ends viewers paused too long; returns the ms until the next may be. */
static int check_stalls_locked(guest_displays *h)
{
    int64_t now = monotonic_ms();
    int timeout = -1;
    for (guest_display *v = h->viewers; v; v = v->next) {
        if (!v->paused || v->ended || v->closed)
            continue;
        int64_t left = v->paused_since + GUEST_DISPLAY_STALL_MS - now;
        if (left <= 0) {
            end_locked(v, GUEST_DISPLAY_FELL_BEHIND,
                       xasprintf("this screen of guest %s stopped reading for %d s, so it "
                                 "closed here; open it again",
                                 v->domain_name, GUEST_DISPLAY_STALL_MS / 1000));
            continue;
        }
        int wait = left < STALL_CHECK_MS ? (int)left : STALL_CHECK_MS;
        if (timeout < 0 || wait < timeout)
            timeout = wait;
    }
    return timeout;
}

static void *relay_main(void *arg)
{
    guest_displays *h = arg;
    char *buf = xmalloc(GUEST_DISPLAY_CHUNK);
    struct pollfd pfd[GUEST_DISPLAYS_MAX + 1];
    guest_display *who[GUEST_DISPLAYS_MAX + 1];
    pthread_mutex_lock(&h->lock);
    for (;;) {
        settle_locked(h);
        if (h->stopping) {
            for (guest_display *v = h->viewers; v; v = v->next)
                end_locked(v, GUEST_DISPLAY_HUB_CLOSED,
                           xasprintf("the screen of guest %s closed because the console "
                                     "service stopped",
                                     v->domain_name));
            settle_locked(h);
            break;
        }
        int timeout = check_stalls_locked(h);
        settle_locked(h);
        size_t n = 0;
        pfd[n] = (struct pollfd){.fd = h->wake_fd, .events = POLLIN};
        who[n++] = NULL;
        for (guest_display *v = h->viewers; v && n < GUEST_DISPLAYS_MAX + 1; v = v->next) {
            if (v->fd < 0 || v->closed)
                continue;
            short events = (short)((v->paused ? 0 : POLLIN) | (v->input_len ? POLLOUT : 0));
            if (!events)
                continue; /* a paused socket would report its hang-up for ever */
            pfd[n] = (struct pollfd){.fd = v->fd, .events = events};
            who[n++] = v;
        }
        pthread_mutex_unlock(&h->lock);
        int ready = poll(pfd, n, timeout);
        if (ready > 0 && (pfd[0].revents & POLLIN)) {
            uint64_t count;
            ssize_t r = read(h->wake_fd, &count, sizeof count);
            (void)r;
        }
        pthread_mutex_lock(&h->lock);
        for (size_t i = 1; ready > 0 && i < n; i++) {
            guest_display *v = who[i]; /* only this thread frees viewers */
            short re = pfd[i].revents;
            if (!re || v->closed || v->ended || v->fd < 0)
                continue;
            if (re & POLLOUT)
                send_input_locked(v);
            if ((re & (POLLIN | POLLHUP | POLLERR)) && !v->paused && !v->ended)
                receive_locked(h, v, buf);
            else if ((re & (POLLHUP | POLLERR)) && !(re & POLLOUT) && !v->ended)
                send_input_locked(v); /* finds the error, or the end */
        }
    }
    pthread_mutex_unlock(&h->lock);
    free(buf);
    return NULL;
}

/* ---- the hub ---- */

guest_displays *guest_displays_new(void)
{
    guest_displays *h = xcalloc(1, sizeof *h);
    h->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (h->wake_fd < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: displays: cannot make an eventfd: %s", strerror(errno));
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->cond, NULL);
    pthread_mutex_lock(&h->lock); /* relay_id is set before the thread looks */
    if (pthread_create(&h->thread, NULL, relay_main, h) != 0) {
        pthread_mutex_unlock(&h->lock);
        log_printf(ENSHU_LOG_ERROR, "enshu: displays: cannot start the relay thread");
        close(h->wake_fd);
        pthread_cond_destroy(&h->cond);
        pthread_mutex_destroy(&h->lock);
        free(h);
        return NULL;
    }
    h->relay_id = h->thread;
    pthread_mutex_unlock(&h->lock);
    return h;
}

void guest_displays_free(guest_displays *h)
{
    if (!h)
        return;
    if (on_relay_thread(h)) {
        log_printf(ENSHU_LOG_ERROR, "enshu: guest_displays_free called from a display callback");
        abort();
    }
    pthread_mutex_lock(&h->lock);
    h->stopping = true;
    pthread_mutex_unlock(&h->lock);
    wake(h);
    pthread_join(h->thread, NULL);
    while (h->viewers) {
        guest_display *v = h->viewers;
        h->viewers = v->next;
        viewer_free(v);
    }
    close(h->wake_fd);
    pthread_cond_destroy(&h->cond);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/* Whether uri names a server (qemu+tls://host/system): libvirt reaches it
 * over the network, where it cannot hand over a socket. */
static bool names_a_server(const char *uri)
{
    const char *p = strstr(uri, "://");
    return p && p[3] != '\0' && p[3] != '/';
}

/* A socket connected to the display of domain_name (blocking). */
static int connect_display(const char *host_uri, const char *domain_name, int *fd)
{
    if (names_a_server(host_uri)) {
        /* virDomainOpenGraphicsFD passes the socket as a file descriptor,
         * which only a local (unix socket) connection carries. */
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: cannot open the screen of guest %s: it runs on %s, and libvirt hands "
                   "over a guest's screen only on a local connection; guests with a screen "
                   "must run on the engine's own host (see README, Hosts)",
                   domain_name, host_uri);
        return ENSHU_ELIBVIRT;
    }
    virConnectPtr conn = libvirt_open(host_uri);
    if (!conn)
        return ENSHU_ELIBVIRT;
    int rc = ENSHU_OK;
    virDomainPtr dom = virDomainLookupByName(conn, domain_name);
    if (!dom) {
        bool missing = libvirt_error_is_missing();
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot open a screen: %s%s on %s%s%s",
                   missing ? "there is no guest " : "cannot find guest ", domain_name, host_uri,
                   missing ? "" : ": ", missing ? "" : libvirt_error());
        rc = missing ? ENSHU_ENOTFOUND : ENSHU_ELIBVIRT;
    } else {
        /* Skip auth: the display has no password, and only this socket
         * reaches it. */
        *fd = virDomainOpenGraphicsFD(dom, 0, VIR_DOMAIN_OPEN_GRAPHICS_SKIPAUTH);
        if (*fd < 0) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: cannot open the screen of guest %s on %s (it has none, or it "
                       "does not run): %s",
                       domain_name, host_uri, libvirt_error());
            rc = ENSHU_ELIBVIRT;
        }
        virDomainFree(dom);
    }
    virConnectClose(conn);
    if (rc == ENSHU_OK) {
        int fl = fcntl(*fd, F_GETFL);
        if (fl < 0 || fcntl(*fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
            fcntl(*fd, F_SETFD, FD_CLOEXEC) < 0) {
            log_printf(ENSHU_LOG_ERROR, "enshu: the screen socket of guest %s: %s", domain_name,
                       strerror(errno));
            close(*fd);
            rc = ENSHU_EIO;
        }
    }
    return rc;
}

int guest_display_open(guest_displays *h, const char *host_uri, const char *domain_name,
                       bool view_only, const guest_display_callbacks *cb, void *ctx,
                       guest_display **out)
{
    *out = NULL;
    if (!cb || !cb->on_output || !cb->on_closed) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: a screen of guest %s needs both output and end callbacks", domain_name);
        return ENSHU_EINVAL;
    }
    pthread_mutex_lock(&h->lock);
    if (h->stopping || h->count >= GUEST_DISPLAYS_MAX) {
        bool stopping = h->stopping;
        pthread_mutex_unlock(&h->lock);
        log_printf(ENSHU_LOG_NOTICE, "enshu: cannot open the screen of guest %s: %s", domain_name,
                   stopping ? "the console service is stopping"
                            : "the most screens the server keeps open are open");
        return ENSHU_ECAPACITY;
    }
    h->count++; /* taken while it connects */
    pthread_mutex_unlock(&h->lock);

    int fd = -1;
    int rc = connect_display(host_uri, domain_name, &fd);

    pthread_mutex_lock(&h->lock);
    if (rc != ENSHU_OK) {
        h->count--;
        pthread_mutex_unlock(&h->lock);
        return rc;
    }
    guest_display *v = xcalloc(1, sizeof *v);
    v->hub = h;
    v->domain_name = xstrdup(domain_name);
    v->fd = fd;
    v->cb = *cb;
    v->ctx = ctx;
    v->view_only = view_only;
    v->paused = true;
    v->paused_since = monotonic_ms();
    rfb_client_filter_init(&v->filter, view_only);
    v->next = h->viewers;
    h->viewers = v;
    *out = v;
    pthread_mutex_unlock(&h->lock);
    wake(h);
    return ENSHU_OK;
}

int guest_display_write(guest_display *d, const void *data, size_t len)
{
    guest_displays *h = d->hub;
    int rc = ENSHU_OK;
    pthread_mutex_lock(&h->lock);
    if (d->ended || d->closed) {
        rc = ENSHU_EIO;
    } else if (len + RFB_FILTER_HEADER_MAX > GUEST_DISPLAY_INPUT_MAX - d->input_len) {
        rc = ENSHU_ECAPACITY;
    } else {
        if (d->input_off + d->input_len + len + RFB_FILTER_HEADER_MAX > GUEST_DISPLAY_INPUT_MAX) {
            memmove(d->input, d->input + d->input_off, d->input_len);
            d->input_off = 0;
        }
        if (!d->input)
            d->input = xmalloc(GUEST_DISPLAY_INPUT_MAX);
        size_t got = 0;
        if (rfb_client_filter_feed(&d->filter, data, len,
                                   (uint8_t *)d->input + d->input_off + d->input_len,
                                   &got) != ENSHU_OK) {
            end_locked(d, GUEST_DISPLAY_UNREADABLE,
                       xasprintf("the screen of guest %s closed: %s", d->domain_name,
                                 rfb_client_filter_error(&d->filter)));
            rc = ENSHU_EINVAL;
        } else {
            d->input_len += got;
        }
    }
    pthread_mutex_unlock(&h->lock);
    if (rc == ENSHU_OK || rc == ENSHU_EINVAL)
        wake(h);
    return rc;
}

void guest_display_pause(guest_display *d)
{
    guest_displays *h = d->hub;
    pthread_mutex_lock(&h->lock);
    if (!d->paused) {
        d->paused = true;
        d->paused_since = monotonic_ms();
    }
    pthread_mutex_unlock(&h->lock);
    /* The relay stops reading at its next turn: at most one more chunk. */
}

void guest_display_resume(guest_display *d)
{
    guest_displays *h = d->hub;
    pthread_mutex_lock(&h->lock);
    bool was = d->paused;
    d->paused = false;
    pthread_mutex_unlock(&h->lock);
    if (was)
        wake(h);
}

void guest_display_get_stats(guest_display *d, guest_display_stats *out)
{
    guest_displays *h = d->hub;
    pthread_mutex_lock(&h->lock);
    *out = (guest_display_stats){
        .delivered = d->delivered,
        .forwarded = d->forwarded,
        .dropped = d->filter.dropped,
        .input_queued = d->input_len,
        .open = h->count,
        .paused = d->paused,
        .ended = d->ended,
    };
    pthread_mutex_unlock(&h->lock);
}

void guest_display_close(guest_display *d)
{
    if (!d)
        return;
    guest_displays *h = d->hub;
    pthread_mutex_lock(&h->lock);
    d->closed = true;
    if (!on_relay_thread(h))
        while (h->calling == d)
            pthread_cond_wait(&h->cond, &h->lock);
    pthread_mutex_unlock(&h->lock);
    wake(h); /* the relay frees it */
}
