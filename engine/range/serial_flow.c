/*
 * Flow control of one shared serial console (see serial_flow.h): the
 * viewers' held output and the rule that decides when the guest is
 * stopped.
 */
#include "serial_flow.h"
#include "alloc.h"
#include "serial_console.h"

#include <stdlib.h>
#include <string.h>

enum {
    KEEP_HELD = 64 * 1024, /* an emptied buffer larger than this is released */
};

static void held_drop(serial_flow_viewer *v)
{
    free(v->held);
    v->held = NULL;
    v->held_off = v->held_len = v->held_cap = 0;
}

static void held_append(serial_flow_viewer *v, const void *data, size_t len)
{
    if (v->held_off + v->held_len + len > v->held_cap) {
        if (v->held_off)
            memmove(v->held, v->held + v->held_off, v->held_len);
        v->held_off = 0;
        XGROW(v->held, v->held_cap, v->held_len + len);
    }
    memcpy(v->held + v->held_off + v->held_len, data, len);
    v->held_len += len;
    if (v->held_len > v->held_peak)
        v->held_peak = v->held_len;
}

/* Sets f->stopped to what the rule wants now. */
static void apply_rule(serial_flow *f)
{
    bool someone_reads = false, someone_full = false;
    for (serial_flow_viewer *v = f->viewers; v; v = v->next) {
        if (v->behind)
            continue;
        if (!v->paused)
            someone_reads = true;
        else if (v->held_len >= SERIAL_CONSOLE_HOLD_SOFT)
            someone_full = true;
    }
    f->stopped = !someone_reads && someone_full;
}

void serial_flow_join(serial_flow *f, serial_flow_viewer *v)
{
    v->flow = f;
    v->next = f->viewers;
    f->viewers = v;
    f->nviewers++;
    apply_rule(f);
}

void serial_flow_leave(serial_flow_viewer *v)
{
    serial_flow *f = v->flow;
    if (!f)
        return;
    for (serial_flow_viewer **p = &f->viewers; *p; p = &(*p)->next) {
        if (*p == v) {
            *p = v->next;
            f->nviewers--;
            break;
        }
    }
    v->next = NULL;
    v->flow = NULL;
    apply_rule(f);
}

void serial_flow_viewer_fini(serial_flow_viewer *v)
{
    held_drop(v);
}

void serial_flow_pause(serial_flow_viewer *v)
{
    v->paused = true;
    if (v->flow)
        apply_rule(v->flow);
}

void serial_flow_resume(serial_flow_viewer *v)
{
    v->paused = false;
    if (v->flow)
        apply_rule(v->flow);
}

serial_flow_take serial_flow_offer(serial_flow_viewer *v, const void *data, size_t len)
{
    if (v->behind)
        return SERIAL_FLOW_BEHIND;
    if (!v->paused && v->held_len == 0)
        return SERIAL_FLOW_DELIVER;
    if (len > SERIAL_CONSOLE_HOLD_MAX - v->held_len) {
        v->behind = true;
        held_drop(v);
        if (v->flow)
            apply_rule(v->flow);
        return SERIAL_FLOW_BEHIND;
    }
    held_append(v, data, len);
    if (v->flow && v->held_len >= SERIAL_CONSOLE_HOLD_SOFT)
        apply_rule(v->flow);
    return SERIAL_FLOW_HELD;
}

size_t serial_flow_held(const serial_flow_viewer *v, size_t max, const char **data)
{
    *data = v->held ? v->held + v->held_off : NULL;
    if (v->paused)
        return 0;
    return v->held_len < max ? v->held_len : max;
}

void serial_flow_consume(serial_flow_viewer *v, size_t n)
{
    if (n > v->held_len)
        n = v->held_len;
    v->held_off += n;
    v->held_len -= n;
    if (v->held_len == 0) {
        v->held_off = 0;
        if (v->held_cap > KEEP_HELD)
            held_drop(v);
    }
}

char serial_flow_pending(const serial_flow *f)
{
    if (f->stopped == f->guest_stopped)
        return 0;
    return f->stopped ? SERIAL_FLOW_XOFF : SERIAL_FLOW_XON;
}

char serial_flow_take_byte(serial_flow *f)
{
    char byte = serial_flow_pending(f);
    f->guest_stopped = f->stopped;
    return byte;
}

void serial_flow_untake_byte(serial_flow *f, char byte)
{
    if (byte)
        f->guest_stopped = byte == SERIAL_FLOW_XON;
}
