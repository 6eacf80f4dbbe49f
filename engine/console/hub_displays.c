/*
 * A session's graphical consoles (displays): each open display is a
 * channel (1..255) of its session, numbered with its serial consoles, and
 * carries the RFB protocol both ways in binary messages whose first byte is
 * the channel. Each viewer has its own connection to the guest's display
 * (guest_display.h); a view-only viewer's input is not forwarded.
 *
 * Opening runs on a console-open thread as a serial console's does
 * (hub_channels.c: the number taken meanwhile, `conflict` for a second
 * open of the same display, the reply before any output). Output comes on
 * the displays' relay thread and waits while the session's queue is above
 * DISPLAY_QUEUE_HIGH; hub_resume_consoles lets it go on once the queue has
 * drained.
 *
 * Input: the transport hands binary messages to the hub thread
 * (IN_BINARY). One for an open display channel of the session goes to that
 * display; one for a display channel the session closed (display.close) is
 * dropped, as the browser may have sent it before it closed; anything else
 * (no channel byte, a channel that is not an open display) closes the
 * websocket with 1003, as any binary frame did before displays.
 */
#include "alloc.h"
#include "errors.h"
#include "hub_internal.h"

#include <stdlib.h>
#include <string.h>

/* A display's output waits while the session's queue holds more than this
 * (it goes on below hub_channels.c's low mark). Above the serial consoles'
 * mark: one framebuffer update is often larger than a terminal's screen. */
#define DISPLAY_QUEUE_HIGH (1024u * 1024)

static void display_output(void *ctx, const void *data, size_t len)
{
    channel *ch = ctx;
    /* Relay thread: output comes only once the hub announced the channel
     * and resumed it (it opened paused), so ch->display is set. */
    char *frame = xmalloc(len + 1);
    frame[0] = (char)ch->number;
    memcpy(frame + 1, data, len);
    int rc = ws_server_send(ch->hub->ws, ch->session, frame, len + 1, true);
    free(frame);
    if (rc == ENSHU_OK)
        hub_channel_queue_check(ch, DISPLAY_QUEUE_HIGH);
}

static void display_ended(void *ctx, guest_display_end why, const char *message)
{
    hub_channel_end(ctx, message ? message : "the screen closed");
}

/* A console-open thread's main for a screen (arg: the channel). */
static void *display_open_main(void *arg)
{
    channel *ch = arg;
    console_hub *hub = ch->hub;
    guest_display_callbacks cb = {display_output, display_ended};
    int rc = guest_display_open(hub->displays, ch->guest->host_uri, ch->guest->domain,
                                ch->view_only, &cb, ch, &ch->display);
    hub_console_opened(hub, ch, rc);
    return NULL;
}

/* A screen's open is over: its reply, then its output. */
static void display_open_ended(console_hub *hub, session *ss, channel *ch, int rc)
{
    if (rc != ENSHU_OK) {
        ss->channels[ch->number] = NULL;
        hub_reply_error(hub, ss, ch->id, "unavailable",
                        rc == ENSHU_ECAPACITY
                            ? "the server has as many screens open as it keeps; try again later"
                            : "the guest's screen could not be opened (the guest has none, or "
                              "it is down)");
        hub_channel_free(ch);
        return;
    }
    ss->nchannels++;
    hub_send_text(hub, ss->id,
                  console_reply(ch->id, "display",
                                json_pack("{s:i, s:s, s:i, s:b}", "channel", ch->number, "node",
                                          ch->node, "team", ch->team, "view_only", ch->view_only)));
    hub_channel_shown(hub, ss, ch);
}

static void display_pause(channel *ch)
{
    guest_display_pause(ch->display);
}

static void display_resume(channel *ch)
{
    guest_display_resume(ch->display);
}

static const channel_kind DISPLAY = {
    true, "display.closed", display_open_main, display_open_ended, display_pause, display_resume};

void hub_handle_display_open(console_hub *hub, session *ss, const console_request *rq)
{
    hub_channel_request_open(hub, ss, rq, &DISPLAY);
}

static void close_channel(session *ss, channel *ch)
{
    ss->channels[ch->number] = NULL;
    ss->display_closed[ch->number] = true;
    ss->nchannels--;
    hub_channel_free(ch);
}

void hub_handle_display_close(console_hub *hub, session *ss, const console_request *rq)
{
    channel *ch = ss->channels[rq->channel];
    if (!ch || ch->opening || !ch->is_display) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such screen channel in this session");
        return;
    }
    close_channel(ss, ch);
    hub_reply_ok(hub, ss, rq->id, NULL);
}

void hub_handle_display_input(console_hub *hub, session *ss, const char *data, size_t len)
{
    int number = len > 0 ? (unsigned char)data[0] : 0;
    channel *ch = number > 0 ? ss->channels[number] : NULL;
    if (ch && ch->is_display && !ch->opening) {
        int rc = guest_display_write(ch->display, data + 1, len - 1);
        if (rc == ENSHU_ECAPACITY) {
            char *text = hub_channel_closed_message(
                ch, "the guest does not take this screen's input as fast as it comes");
            hub_send_text(hub, ss->id, text);
            close_channel(ss, ch);
        }
        /* ENSHU_EINVAL or ENSHU_EIO: the display ended, and says so
         * (display.closed); what is still in flight is dropped. */
        return;
    }
    if (ss->role != ROLE_NONE && number > 0 && ss->display_closed[number])
        return;
    hub_log_refusal(ss, "a binary frame for no open screen");
    ws_server_close(hub->ws, ss->id, 1003, "binary frames go only to open screen channels");
}
