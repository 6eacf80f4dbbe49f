/*
 * The nodes of the range as the consoles see them: each node's power
 * state, and an instructor's restart or revert of a team's guest, carried
 * out on a guest job's thread through range_guests.h (no libvirt here).
 */
#include "alloc.h"
#include "errors.h"
#include "hub_internal.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void hub_handle_nodes(console_hub *hub, session *ss, const console_request *rq)
{
    console_request every = *rq;
    if (ss->role == ROLE_INSTRUCTOR && every.team < 0)
        every.team = 0; /* no team named: every team's */
    int team = hub_team_for(hub, ss, &every, true);
    if (team == 0)
        return;
    json_t *list = json_array();
    console_audience a = hub_audience_of(ss);
    for (unsigned t = 1; t <= hub->nteams; t++) {
        if (team > 0 && (int)t != team)
            continue;
        json_t *nodes = console_view_nodes(&hub->view, &a, (int)t);
        size_t k;
        json_t *n;
        json_array_foreach(nodes, k, n)
        {
            const range_guest *guest = range_guests_find(
                hub->guests, (int)t, json_string_value(json_object_get(n, "name")));
            json_object_set_new(n, "state", json_string(range_guests_state(hub->guests, guest)));
        }
        json_array_extend(list, nodes);
        json_decref(nodes);
    }
    hub_send_text(hub, ss->id, console_reply(rq->id, "nodes", json_pack("{s:o}", "nodes", list)));
}

/* A restart or revert under way: what its end records and replies. */
typedef struct node_job {
    console_hub *hub;
    uint64_t session;
    json_t *id;
    int team;
    char *node, *actor;
    bool revert;
} node_job;

/* On the job's thread: the ledger and the transport take any thread. */
static void node_job_done(void *ctx, int rc)
{
    node_job *job = ctx;
    console_hub *hub = job->hub;
    range_guests_refresh_soon(hub->guests);
    if (rc != ENSHU_OK) {
        hub_send_text(hub, job->session,
                      console_reply_error_code(job->id, "unavailable",
                                               job->revert ? "the guest could not be reverted"
                                                           : "the guest could not be restarted"));
    } else {
        char text[200];
        snprintf(text, sizeof text, "node %s %s", job->node,
                 job->revert ? "reverted to its image" : "restarted");
        event ev = {.at_ms = exercise_now(hub->cfg.ex),
                    .team = job->team,
                    .kind = EV_INSTRUCTOR,
                    .subject = request_type_name(job->revert ? REQ_NODE_REVERT : REQ_NODE_RESTART),
                    .text = text,
                    .actor = job->actor};
        if (event_store_append(hub->cfg.ledger, &ev, NULL, NULL) != ENSHU_OK)
            log_printf(ENSHU_LOG_ERROR, "enshu: consoles: team %d: '%s' was not recorded\n",
                       job->team, text);
        console_hub_notify(hub); /* the hub looks for new events when told */
        hub_send_text(hub, job->session, console_reply(job->id, "ok", NULL));
    }
    json_decref(job->id);
    free(job->node);
    free(job->actor);
    free(job);
}

/* Restart (power cycle) or revert (fresh disk over the base image) a
 * team's guest, on a thread of its own (range_guests.h); recorded as an
 * instructor action, and answered, when it is done. */
void hub_handle_node_power(console_hub *hub, session *ss, const console_request *rq)
{
    const range_guest *n = range_guests_find(hub->guests, rq->team, rq->node);
    if (!n) {
        hub_reply_error(hub, ss, rq->id, "not_found", "no such node in that team");
        return;
    }
    node_job *job = xcalloc(1, sizeof(node_job));
    job->hub = hub;
    job->session = ss->id;
    job->id = rq->id ? json_deep_copy(rq->id) : NULL;
    job->team = rq->team;
    job->node = xstrdup(rq->node);
    job->actor = xstrdup(ss->name ? ss->name : "instructor");
    job->revert = rq->type == REQ_NODE_REVERT;
    int rc = range_guests_restart(hub->guests, n, job->revert, node_job_done, job);
    if (rc != ENSHU_OK) {
        hub_reply_error(hub, ss, rq->id, rc == ENSHU_EEXIST ? "conflict" : "unavailable",
                        rc == ENSHU_EEXIST ? "that guest is being restarted or reverted already"
                                           : "the guest could not be restarted");
        json_decref(job->id);
        free(job->node);
        free(job->actor);
        free(job);
    }
}
