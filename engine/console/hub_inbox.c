/*
 * The hub's inbox: what other threads hand to the hub thread (the
 * transport's callbacks, finished password checks and console opens, new
 * ledger events), each appended under the hub's lock with the thread woken.
 * Any thread may call these; the hub thread takes the inbox in
 * hub_thread.c.
 */
#include "alloc.h"
#include "hub_internal.h"

#include <string.h>

/* Appends it to the inbox and wakes the hub thread. Called with the lock
 * held. */
static void inbox_append_locked(console_hub *hub, inbox_item *it)
{
    if (hub->tail)
        hub->tail->next = it;
    else
        hub->head = it;
    hub->tail = it;
    pthread_cond_signal(&hub->wake);
}

void hub_push(console_hub *hub, inbox_kind kind, uint64_t sid, const char *text, size_t len)
{
    inbox_item *it = xcalloc(1, sizeof(inbox_item));
    it->kind = kind;
    it->session = sid;
    if (text) {
        it->text = xmalloc(len + 1);
        memcpy(it->text, text, len);
        it->text[len] = '\0';
        it->len = len;
    }
    pthread_mutex_lock(&hub->lock);
    inbox_append_locked(hub, it);
    pthread_mutex_unlock(&hub->lock);
}

void hub_password_checked(void *ctx, void *arg, int rc)
{
    console_hub *hub = ctx;
    pending_login *pl = arg;
    pl->rc = rc;
    inbox_item *it = xcalloc(1, sizeof(inbox_item));
    it->kind = IN_LOGIN;
    it->session = pl->session;
    it->login = pl;
    pthread_mutex_lock(&hub->lock);
    inbox_append_locked(hub, it);
    pthread_mutex_unlock(&hub->lock);
}

void hub_console_opened(console_hub *hub, channel *ch, int rc)
{
    inbox_item *it = xcalloc(1, sizeof(inbox_item));
    it->kind = IN_CONSOLE;
    it->session = ch->session;
    it->opened = ch;
    it->rc = rc;
    pthread_mutex_lock(&hub->lock);
    /* Queued and counted off together: console_hub_free, once opens is 0,
     * finds every opened channel in the inbox. */
    inbox_append_locked(hub, it);
    hub->opens--;
    pthread_cond_broadcast(&hub->opens_ended);
    pthread_mutex_unlock(&hub->lock);
}

void console_hub_notify(console_hub *hub)
{
    if (!hub)
        return;
    pthread_mutex_lock(&hub->lock);
    hub->notified = true;
    pthread_cond_signal(&hub->wake);
    pthread_mutex_unlock(&hub->lock);
}
