/*
 * A self-paced course's side of sessions coming and going (hub_internal.h):
 * a trainee is away once no session of their team is left, and a waiting
 * trainee whose session closes leaves the queue. Called by the login and
 * session code; it calls only the exercise and the course below the hub,
 * so the course's request handlers (hub_course.c), which call the logins,
 * are not called back.
 *
 * Hub thread only.
 */
#include "errors.h"
#include "hub_internal.h"
#include "log.h"
#include "sandbox_course.h"

/* The actor of what the course itself records (a clock paused or resumed). */
#define COURSE_ACTOR "course"

void hub_course_presence(console_hub *hub, int team, bool away)
{
    if (!hub->cfg.course)
        return;
    for (size_t i = 0; away && i < hub->nsessions; i++)
        if (hub->sessions[i]->role == ROLE_TEAM && hub->sessions[i]->team == team)
            return; /* another of the trainee's sessions is still there */
    /* EEXIST: nothing to change (clocks run on while away, or it stands already). */
    int rc = exercise_team_away(hub->cfg.ex, team, away, COURSE_ACTOR);
    if (rc != ENSHU_OK && rc != ENSHU_EEXIST)
        log_printf(ENSHU_LOG_ERROR, "enshu: course: team %d's clock could not be %s", team,
                   away ? "paused while they are away" : "resumed on their return");
}

void hub_course_session_closed(console_hub *hub, session *ss)
{
    if (!hub->cfg.course || !ss->course_ticket)
        return;
    /* ENOTFOUND: granted meanwhile, uncollected; it goes at its TTL. */
    if (sandbox_course_leave(hub->cfg.course, ss->course_ticket) == ENSHU_OK)
        log_printf(ENSHU_LOG_INFO, "enshu: course: a waiting trainee left the queue");
    ss->course_ticket = 0;
}
