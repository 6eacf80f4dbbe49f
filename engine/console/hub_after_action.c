/*
 * The after-action report downloaded from the instructor console
 * (`after_action` request, web/PROTOCOL.md): the same document as `enshu
 * report` (after_action_format.h), made from the ledger on a thread of its
 * own, since requests never read the ledger on the hub thread (console_hub.h);
 * the reply, base64 in JSON, goes straight to the transport (any thread).
 * At most AFTER_ACTION_JOBS are made at once; console_hub_free waits for
 * them (they use the scenario, the ledger and the transport).
 */
#include "after_action.h"
#include "after_action_format.h"
#include "alloc.h"
#include "base64.h"
#include "errors.h"
#include "hub_internal.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AFTER_ACTION_JOBS 2
/* The reply must fit a session's queue (4 MiB) with room for other messages. */
#define AFTER_ACTION_REPLY_MAX ((size_t)3 * 1024 * 1024)

typedef struct after_action_job {
    console_hub *hub;
    uint64_t session;
    json_t *id; /* the request's, copied */
    char *format;
    int team;           /* 0: every team */
    team_names *roster; /* the teams' names as the exercise has them now */
} after_action_job;

static const struct {
    const char *name, *mime, *extension;
} FORMATS[] = {
    {"html", "text/html;charset=utf-8", "html"},
    {"csv", "text/csv;charset=utf-8", "csv"},
    {"json", "application/json", "json"},
};

static int format_index(const char *name)
{
    for (int f = 0; f < (int)(sizeof FORMATS / sizeof FORMATS[0]); f++)
        if (strcmp(name, FORMATS[f].name) == 0)
            return f;
    return -1;
}

/* The document in FORMATS[f] into a new buffer. */
static int render(const after_action *aa, int f, int team, char **buf, size_t *len)
{
    FILE *mem = open_memstream(buf, len);
    if (!mem)
        return ENSHU_EIO;
    int rc;
    if (f == 1) {
        rc = after_action_write_csv(aa, team, mem);
    } else if (f == 2) {
        json_t *j = after_action_to_json(aa, team);
        rc = json_dumpf(j, mem, AFTER_ACTION_JSON_FLAGS) == 0 ? ENSHU_OK : ENSHU_EIO;
        json_decref(j);
    } else {
        rc = after_action_write_html(aa, team, mem);
    }
    return fclose(mem) == 0 ? rc : ENSHU_EIO;
}

static void *job_main(void *arg)
{
    after_action_job *job = arg;
    console_hub *hub = job->hub;
    int f = format_index(job->format);
    after_action *aa = NULL;
    char *doc = NULL, *reply = NULL;
    size_t len = 0;
    if (after_action_from_ledger(hub->cfg.ledger, hub->s, hub->nteams, hub->cfg.vars, job->roster,
                                 &aa) != ENSHU_OK ||
        render(aa, f, job->team, &doc, &len) != ENSHU_OK) {
        reply = console_reply_error_code(job->id, "unavailable",
                                         "the after-action report could not be made from the "
                                         "ledger");
    } else if (len / 3 * 4 + 1024 > AFTER_ACTION_REPLY_MAX) {
        char message[200];
        snprintf(message, sizeof message,
                 "the report has %zu bytes, too many for the console: use 'enshu report --db' "
                 "on the ledger, or ask for one team",
                 len);
        reply = console_reply_error_code(job->id, "unavailable", message);
    } else {
        char *data = base64_encode(doc, len);
        char *name = job->team ? xasprintf("%s-team%d-after-action.%s", hub->s->id, job->team,
                                           FORMATS[f].extension)
                               : xasprintf("%s-after-action.%s", hub->s->id, FORMATS[f].extension);
        json_t *fields = json_pack("{s:s, s:s, s:s, s:i, s:s}", "format", FORMATS[f].name, "name",
                                   name, "mime", FORMATS[f].mime, "team", job->team, "data", data);
        reply = console_reply(job->id, "after_action", fields);
        free(name);
        free(data);
    }
    hub_send_text(hub, job->session, reply);
    free(doc);
    after_action_free(aa);
    json_decref(job->id);
    free(job->format);
    team_names_free(job->roster);
    free(job);
    /* Counted off last: console_hub_free then may free what this used. */
    pthread_mutex_lock(&hub->lock);
    hub->after_actions--;
    pthread_cond_broadcast(&hub->opens_ended);
    pthread_mutex_unlock(&hub->lock);
    return NULL;
}

void hub_handle_after_action(console_hub *hub, session *ss, const console_request *rq)
{
    if (format_index(rq->format) < 0) {
        hub_reply_error(hub, ss, rq->id, "bad_request", "'format' must be html, csv or json");
        return;
    }
    int team = rq->team < 0 ? 0 : rq->team;
    if ((unsigned)team > hub->nteams) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such team");
        return;
    }
    pthread_mutex_lock(&hub->lock);
    bool busy = hub->after_actions >= AFTER_ACTION_JOBS;
    if (!busy)
        hub->after_actions++;
    pthread_mutex_unlock(&hub->lock);
    if (busy) {
        hub_reply_error(hub, ss, rq->id, "unavailable",
                        "after-action reports are being made; try again in a moment");
        return;
    }
    after_action_job *job = xcalloc(1, sizeof *job);
    job->hub = hub;
    job->session = ss->id;
    job->id = rq->id ? json_deep_copy(rq->id) : NULL;
    job->format = xstrdup(rq->format);
    job->team = team;
    /* Copied here, under the exercise's lock: the roster file's names are
     * in no ledger. */
    job->roster = team_names_new(hub->nteams);
    exercise_lock(hub->cfg.ex);
    team_names_copy(job->roster, exercise_team_names(hub->cfg.ex));
    exercise_unlock(hub->cfg.ex);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_t thread;
    int failed = pthread_create(&thread, &attr, job_main, job);
    pthread_attr_destroy(&attr);
    if (failed) {
        log_printf(ENSHU_LOG_ERROR, "enshu: consoles: no thread for an after-action report\n");
        hub_reply_error(hub, ss, rq->id, "unavailable", "the server cannot make the report now");
        json_decref(job->id);
        free(job->format);
        team_names_free(job->roster);
        free(job);
        pthread_mutex_lock(&hub->lock);
        hub->after_actions--;
        pthread_cond_broadcast(&hub->opens_ended);
        pthread_mutex_unlock(&hub->lock);
    }
}
