/*
 * A self-paced course at the consoles (web/PROTOCOL.md, "Self-paced
 * courses"). A trainee gives the course code and a name (course.join) and
 * gets a sandbox from the course's pool (sandbox_course.h), or a place in
 * its queue with an estimate, which they poll (course.poll). Sandbox n is
 * team slot n of the exercise: when a trainee gets it, that team's clock
 * starts (exercise_team_control), the team takes their name, and the
 * session joins as that team with a resume token, shown once, that joins
 * again (course.resume) until the sandbox's TTL. Instructors list the
 * sandboxes with each trainee's progress, time and score (course.list),
 * extend them and revoke them (which also ends the trainee's clock).
 * The slot's nodes, serial and graphical consoles are its sandbox's guests
 * (range_guests_add_range), from when it is granted.
 *
 * Hub thread only. The course's calls take its lock for a moment and
 * never wait for libvirt (sandbox_course.h), so they are made here.
 */
#include "alloc.h"
#include "display_name.h"
#include "errors.h"
#include "hub_internal.h"
#include "log.h"
#include "sandbox_course.h"

#include <sodium.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The actor of what the course itself records (a clock started, a name). */
#define COURSE_ACTOR "course"

/* A sandbox granted to name: its team slot starts its clock and takes the
 * name, and the session joins as that team. g: NULL on a resume (no new
 * token to show). */
static void join_sandbox(console_hub *hub, session *ss, const console_request *rq, unsigned sandbox,
                         const char *name, const sandbox_grant *g)
{
    if (sandbox > hub->nteams) {
        /* More sandboxes than team slots this run has: the slot cannot be
         * scored, so the sandbox goes back. */
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: course: sandbox %u has no team slot (there are %u): it is revoked",
                   sandbox, hub->nteams);
        if (sandbox_course_revoke(hub->cfg.course, sandbox) != ENSHU_OK)
            log_printf(ENSHU_LOG_WARNING, "enshu: course: sandbox %u could not be revoked",
                       sandbox);
        hub_reply_error(hub, ss, rq->id, "unavailable",
                        "the course has no room for another trainee now; try again later");
        return;
    }
    int team = (int)sandbox;
    /* The slot's nodes and consoles are the sandbox's guests (a tabletop
     * course has none). */
    char *range = sandbox_course_range(hub->cfg.course, sandbox);
    int added = hub->s->nnodes ? range_guests_add_range(hub->guests, team, range) : ENSHU_OK;
    if (added != ENSHU_OK && added != ENSHU_EEXIST)
        log_printf(ENSHU_LOG_WARNING,
                   "enshu: course: the guests of sandbox %u (range %s) cannot be found: "
                   "its consoles do not open",
                   sandbox, range);
    free(range);
    if (g) {
        int rc = exercise_name_team(hub->cfg.ex, team, name, NULL, COURSE_ACTOR, NULL);
        if (rc != ENSHU_OK && rc != ENSHU_EEXIST)
            log_printf(ENSHU_LOG_WARNING, "enshu: course: team %d could not take the name %s", team,
                       name);
        /* EINVAL: it started already (a trainee who collects a grant twice). */
        rc = exercise_team_control(hub->cfg.ex, team, EXERCISE_START, COURSE_ACTOR);
        if (rc != ENSHU_OK && rc != ENSHU_EINVAL)
            log_printf(ENSHU_LOG_ERROR, "enshu: course: team %d's clock could not start", team);
    } else {
        /* Back: a clock paused while they were away runs again. */
        int rc = exercise_team_away(hub->cfg.ex, team, false, COURSE_ACTOR);
        if (rc != ENSHU_OK && rc != ENSHU_EEXIST)
            log_printf(ENSHU_LOG_ERROR, "enshu: course: team %d's clock could not resume", team);
    }
    sandbox_course_info si;
    int64_t expires =
        sandbox_course_info_of(hub->cfg.course, sandbox, &si) == ENSHU_OK ? si.info.expires_ms : 0;
    json_t *course = json_pack("{s:i, s:I, s:I}", "sandbox", (int)sandbox, "expires_in_ms",
                               (json_int_t)(expires - sandbox_course_now(hub->cfg.course)),
                               "time_ms", (json_int_t)exercise_team_now(hub->cfg.ex, team));
    if (g)
        json_object_set_new(course, "resume_token", json_string(g->token));
    token_owner owner = {false, team, (char *)name};
    hub_join(hub, ss, &owner, rq->id, rq->lang, 0, json_pack("{s:o}", "course", course));
}

/* A grant or a place in the queue, as course.join and course.poll answer. */
static void answer_grant(console_hub *hub, session *ss, const console_request *rq, const char *name,
                         const sandbox_grant *g)
{
    if (!g->queued) {
        ss->course_ticket = 0;
        join_sandbox(hub, ss, rq, g->sandbox, name, g);
        return;
    }
    /* Kept so that the place is given up when the session closes: a
     * sandbox granted to nobody would wait for its TTL. */
    ss->course_ticket = g->ticket;
    hub_send_text(
        hub, ss->id,
        console_reply(rq->id, "course.queued",
                      json_pack("{s:i, s:i, s:I}", "ticket", (int)g->ticket, "position",
                                (int)g->position, "estimate_ms", (json_int_t)g->estimate_ms)));
}

static void course_join(console_hub *hub, session *ss, const console_request *rq)
{
    char *name = NULL;
    const char *why = NULL;
    if (display_name_normalize(rq->name, &name, &why) != ENSHU_OK) {
        hub_send_text(hub, ss->id,
                      console_reply(rq->id, "error",
                                    json_pack("{s:s, s:s, s:s}", "code", "bad_request", "field",
                                              "name", "message", why)));
        return;
    }
    int64_t retry = 0;
    if (!login_limits_begin(hub->logins, ss->peer, LOGIN_CODE, monotonic_ms(), &retry)) {
        free(name);
        hub_send_text(hub, ss->id,
                      console_reply(rq->id, "error",
                                    json_pack("{s:s, s:s, s:I}", "code", "rate_limited", "message",
                                              "too many wrong course codes from this address",
                                              "retry_ms", (json_int_t)retry)));
        return;
    }
    sandbox_grant g;
    int rc = sandbox_course_request(hub->cfg.course, rq->code, name, &g);
    login_limits_end(hub->logins, ss->peer, LOGIN_CODE, rc != ENSHU_EINVAL, monotonic_ms());
    if (rc == ENSHU_EINVAL) {
        hub_log_refusal(ss, "wrong course code");
        hub_reply_error(hub, ss, rq->id, "bad_login", "wrong course code");
    } else if (rc == ENSHU_EEXIST) {
        hub_reply_error(hub, ss, rq->id, "conflict",
                        "a trainee of this name has a sandbox or waits for one: come back with "
                        "your resume token, or choose another name");
    } else if (rc == ENSHU_EPHASE) {
        hub_reply_error(hub, ss, rq->id, "unavailable", "the course is closed");
    } else if (rc != ENSHU_OK) {
        hub_reply_rc(hub, ss, rq->id, rc, "course.join");
    } else {
        answer_grant(hub, ss, rq, name, &g);
    }
    sodium_memzero(&g, sizeof g);
    free(name);
}

static void course_poll(console_hub *hub, session *ss, const console_request *rq)
{
    sandbox_grant g;
    int rc = sandbox_course_poll(hub->cfg.course, (unsigned)rq->ticket, &g);
    if (rc != ENSHU_OK) {
        hub_reply_error(hub, ss, rq->id, "not_found",
                        "this place in the queue is gone: join again");
        return;
    }
    sandbox_course_info si;
    if (!g.queued && sandbox_course_info_of(hub->cfg.course, g.sandbox, &si) != ENSHU_OK) {
        hub_reply_error(hub, ss, rq->id, "not_found", "this sandbox is gone: join again");
        return;
    }
    answer_grant(hub, ss, rq, g.queued ? NULL : si.trainee, &g);
    sodium_memzero(&g, sizeof g);
}

static void course_resume(console_hub *hub, session *ss, const console_request *rq)
{
    unsigned sandbox = 0;
    sandbox_course_info si;
    if (sandbox_course_resume(hub->cfg.course, rq->token, &sandbox) != ENSHU_OK ||
        sandbox_course_info_of(hub->cfg.course, sandbox, &si) != ENSHU_OK) {
        hub_log_refusal(ss, "an unknown or expired resume token");
        hub_reply_error(hub, ss, rq->id, "bad_login",
                        "this resume token has expired or was revoked: join the course again");
        return;
    }
    join_sandbox(hub, ss, rq, sandbox, si.trainee, NULL);
}

/* The share of the scenario's objectives the team achieved, in percent. */
static int progress_of(const console_hub *hub, const team_score *ts)
{
    size_t done = 0;
    for (size_t o = 0; o < hub->s->nobjectives; o++)
        done += ts->objectives[o].achieved;
    return hub->s->nobjectives ? (int)(done * 100 / hub->s->nobjectives) : 0;
}

static void course_list(console_hub *hub, session *ss, const console_request *rq)
{
    json_t *list = json_array();
    int64_t now = sandbox_course_now(hub->cfg.course);
    for (unsigned id = 1; id <= hub->nteams; id++) {
        sandbox_course_info si;
        if (sandbox_course_info_of(hub->cfg.course, id, &si) != ENSHU_OK)
            continue;
        json_t *o = json_pack("{s:i, s:s, s:i}", "sandbox", (int)id, "state",
                              sandbox_state_name(si.info.state), "host", (int)si.info.host);
        if (si.info.state == SANDBOX_ALLOCATED) {
            const team_score *ts = grader_team(hub->grader, (int)id);
            json_object_set_new(o, "trainee", json_string(si.trainee));
            json_object_set_new(o, "team", json_integer((int)id));
            json_object_set_new(
                o, "phase",
                json_string(exercise_phase_name(exercise_team_phase(hub->cfg.ex, (int)id))));
            json_object_set_new(o, "time_ms",
                                json_integer(exercise_team_now(hub->cfg.ex, (int)id)));
            json_object_set_new(o, "expires_in_ms", json_integer(si.info.expires_ms - now));
            json_object_set_new(o, "score", json_integer(ts ? ts->total : 0));
            json_object_set_new(o, "progress", json_integer(ts ? progress_of(hub, ts) : 0));
        }
        json_array_append_new(list, o);
    }
    hub_send_text(
        hub, ss->id,
        console_reply(rq->id, "course",
                      json_pack("{s:o, s:i, s:i}", "sandboxes", list, "queued",
                                (int)sandbox_course_queue_length(hub->cfg.course), "warm",
                                (int)sandbox_course_count(hub->cfg.course, SANDBOX_WARM))));
}

static void course_extend(console_hub *hub, session *ss, const console_request *rq)
{
    int rc =
        sandbox_course_extend(hub->cfg.course, (unsigned)rq->sandbox, (int64_t)rq->minutes * 60000);
    if (rc == ENSHU_OK)
        hub_reply_ok(hub, ss, rq->id, NULL);
    else
        hub_reply_rc(hub, ss, rq->id, rc, "course.extend");
}

static void course_revoke(console_hub *hub, session *ss, const console_request *rq)
{
    int rc = sandbox_course_revoke(hub->cfg.course, (unsigned)rq->sandbox);
    if (rc == ENSHU_OK && (unsigned)rq->sandbox <= hub->nteams) {
        /* The trainee's time is over: what they did stays scored. */
        int ended = exercise_team_control(hub->cfg.ex, rq->sandbox, EXERCISE_END, ss->name);
        if (ended != ENSHU_OK && ended != ENSHU_EINVAL)
            log_printf(ENSHU_LOG_WARNING, "enshu: course: team %d's clock could not be ended",
                       rq->sandbox);
    }
    if (rc == ENSHU_OK)
        hub_reply_ok(hub, ss, rq->id, NULL);
    else
        hub_reply_rc(hub, ss, rq->id, rc, "course.revoke");
}

void hub_handle_course(console_hub *hub, session *ss, const console_request *rq)
{
    if (!hub->cfg.course) {
        hub_reply_error(hub, ss, rq->id, "unavailable", "this exercise is not a self-paced course");
        return;
    }
    bool trainee_step =
        rq->type == REQ_COURSE_JOIN || rq->type == REQ_COURSE_POLL || rq->type == REQ_COURSE_RESUME;
    if (trainee_step && (ss->role != ROLE_NONE || ss->checking)) {
        hub_reply_error(hub, ss, rq->id, "conflict", "this session has joined already");
        return;
    }
    switch (rq->type) {
    case REQ_COURSE_JOIN:
        course_join(hub, ss, rq);
        break;
    case REQ_COURSE_POLL:
        course_poll(hub, ss, rq);
        break;
    case REQ_COURSE_RESUME:
        course_resume(hub, ss, rq);
        break;
    case REQ_COURSE_LIST:
        course_list(hub, ss, rq);
        break;
    case REQ_COURSE_EXTEND:
        course_extend(hub, ss, rq);
        break;
    case REQ_COURSE_REVOKE:
        course_revoke(hub, ss, rq);
        break;
    default:
        hub_reply_error(hub, ss, rq->id, "bad_request", "not a course request");
    }
}
