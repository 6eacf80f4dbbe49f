/*
 * Event kind names as they are stored and shown.
 */
#include "event.h"

#include <string.h>

static const char *const NAMES[EV_KIND_COUNT] = {
    [EV_EXERCISE_STATE] = "exercise.state",
    [EV_INJECT_BEGIN] = "inject.begin",
    [EV_INJECT_FIRED] = "inject.fired",
    [EV_INJECT_FAILED] = "inject.failed",
    [EV_INJECT_SKIPPED] = "inject.skipped",
    [EV_INJECT_HELD] = "inject.held",
    [EV_INJECT_RELEASED] = "inject.released",
    [EV_CHECK_RESULT] = "check.result",
    [EV_ANSWER] = "answer",
    [EV_REPORT] = "report",
    [EV_GRADE] = "grade",
    [EV_HINT] = "hint",
    [EV_PENALTY] = "penalty",
    [EV_INSTRUCTOR] = "instructor",
    [EV_NODE_STATE] = "node.state",
    [EV_REQUEST] = "request",
    [EV_REQUEST_DECIDED] = "request.decided",
    [EV_INJECT_RETRIED] = "inject.retried",
    [EV_FEEDBACK] = "feedback",
    [EV_TEAM_NAMED] = "team.named",
};

const char *event_kind_name(event_kind kind)
{
    return kind < EV_KIND_COUNT ? NAMES[kind] : "unknown";
}

event_kind event_kind_parse(const char *name)
{
    for (int k = 0; k < EV_KIND_COUNT; k++)
        if (name && strcmp(NAMES[k], name) == 0)
            return (event_kind)k;
    return EV_KIND_COUNT;
}
