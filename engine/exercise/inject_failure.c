/*
 * How a failed inject reads in the ledger (see inject_failure.h).
 */
#include "inject_failure.h"
#include "alloc.h"
#include "errors.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *inject_signal_name(int sig)
{
    static char names[65][12];
    if (sig < 1 || sig > 64)
        return NULL;
    const char *abbrev = sigabbrev_np(sig);
    if (!abbrev)
        return NULL;
    /* Filled once per number, with the same text each time. */
    if (!names[sig][0])
        snprintf(names[sig], sizeof names[sig], "SIG%s", abbrev);
    return names[sig];
}

int64_t inject_failure_value(const inject_outcome *o, int rc)
{
    if (o->exit_status >= 0)
        return o->exit_status;
    if (o->signal > 0)
        return INJECT_FAILURE_SIGNAL_BASE + o->signal;
    return rc;
}

/* The start of the last INJECT_FAILURE_TAIL_LINES lines of text (without
 * its trailing newlines, whose length goes to *len), and at most
 * INJECT_FAILURE_TAIL_BYTES bytes, cut at the start of a UTF-8 character. */
static const char *tail_of(const char *text, size_t *len, unsigned *lines)
{
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r'))
        n--;
    size_t start = n;
    unsigned count = n ? 1 : 0;
    while (start > 0) {
        if (text[start - 1] == '\n') {
            if (count == INJECT_FAILURE_TAIL_LINES)
                break;
            count++;
        }
        start--;
    }
    if (n - start > INJECT_FAILURE_TAIL_BYTES) {
        start = n - INJECT_FAILURE_TAIL_BYTES;
        while (start < n && ((unsigned char)text[start] & 0xC0) == 0x80)
            start++;
        count = 1;
        for (size_t i = start; i < n; i++)
            count += text[i] == '\n';
    }
    *len = n - start;
    *lines = count;
    return text + start;
}

/* Why an action failed, when it said nothing itself: words, not a code. */
static const char *error_words(int rc)
{
    switch (rc) {
    case ENSHU_ETIMEOUT:
        return "it did not finish in time";
    case ENSHU_ELIBVIRT:
        return "a libvirt call failed";
    case ENSHU_EAGENT:
        return "the guest agent failed";
    case ENSHU_ENOTFOUND:
        return "something it needs is missing";
    case ENSHU_EIO:
        return "a file could not be read or written";
    default:
        return "it went wrong";
    }
}

char *inject_failure_text(const inject_outcome *o, int rc)
{
    char *head;
    const char *name = inject_signal_name(o->signal);
    if (o->exit_status > 128 && inject_signal_name(o->exit_status - 128))
        /* What a shell reports when a command it ran was killed: the
         * timeout of a bounded command, for one. */
        head = xasprintf("exit status %d (a command it ran was killed by %s)", o->exit_status,
                         inject_signal_name(o->exit_status - 128));
    else if (o->exit_status >= 0)
        head = xasprintf("exit status %d", o->exit_status);
    else if (o->signal > 0 && name)
        head = xasprintf("killed by signal %d (%s)", o->signal, name);
    else if (o->signal > 0)
        head = xasprintf("killed by signal %d", o->signal);
    else if (o->output && *o->output)
        head = xstrdup(o->output);
    else
        head = xasprintf("its action failed: %s", error_words(rc));
    bool ran = o->exit_status >= 0 || o->signal > 0;
    if (!ran)
        return head;
    size_t len;
    unsigned lines;
    const char *tail = tail_of(o->err ? o->err : "", &len, &lines);
    const char *stream = "stderr";
    if (!len && o->output) {
        /* Nothing on stderr: what it printed may say why. */
        tail = tail_of(o->output, &len, &lines);
        stream = "nothing on stderr; stdout";
    }
    char *text = len ? xasprintf("%s; %s (last %u line%s):\n%.*s", head, stream, lines,
                                 lines == 1 ? "" : "s", (int)len, tail)
                     : xasprintf("%s; nothing on stderr", head);
    free(head);
    return text;
}

void inject_outcome_fini(inject_outcome *o)
{
    free(o->output);
    free(o->err);
    o->output = o->err = NULL;
}
