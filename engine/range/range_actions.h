/*
 * Exercise hooks that act on a range's real guests through the guest
 * agent: an inject's command runs bounded by `timeout -s KILL` inside the
 * guest, files are written (owner, group, mode) by the agent's fixed file
 * program, checks run their command and compare its exit code and output;
 * each as root or as the user the scenario names ("no user 'alice' on ws1"
 * when the guest has none: a failed inject, a failing check). A mail is
 * composed here (mail_message.h) and sent by SMTP from its sending node
 * (guest_mail.h); the ledger records its Message-ID, sender, recipients,
 * subject and the server's answer. Power injects stop, start
 * or reset the guest through libvirt (after a start or reset: waiting for
 * its agent, then making the scenario's accounts on it again);
 * link injects set the link state of the guest's interface on a segment.
 * Messages and notes touch no guest; recording them is all they need.
 * Every text is filled in with the team's own template values first.
 */
#ifndef ENSHU_RANGE_ACTIONS_H
#define ENSHU_RANGE_ACTIONS_H

#include "exercise.h"
#include "scenario.h"
#include "team_vars.h"

typedef struct range_actions range_actions;

/* Finds every team's guests of range name (from its state store). Reports
 * and returns NULL when the range is not there. */
range_actions *range_actions_new(const scenario *s, const char *name, unsigned nteams);
void range_actions_free(range_actions *ra);

/* Each team's template values, read from the range (live as long as ra). */
const team_vars *range_actions_team_vars(const range_actions *ra);

/* Fills hooks (all but on_event) to act through ra. */
void range_actions_hooks(range_actions *ra, exercise_hooks *hooks);

#endif
