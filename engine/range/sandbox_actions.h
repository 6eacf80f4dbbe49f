/*
 * The exercise hooks of a self-paced course on real guests: team slot t
 * is the trainee of sandbox t (sandbox_course.h), and its injects and
 * checks act on that sandbox's range, PREFIX-st, as its team 1
 * (range_actions.h). Messages and notes touch no guest and are sent
 * whatever became of the sandbox.
 *
 * A slot's range is opened at its first inject or check (the sandbox is
 * built before anyone has it) and dropped when the sandbox is revoked or
 * its teardown begins; from then on its injects fail and its checks fail,
 * saying that the sandbox is gone. As sandbox ids are never reused, a
 * slot never reaches another trainee's range.
 *
 * Template values: slot t's are those of its sandbox's team 1 (its
 * addresses, and its values of the scenario's variables from the range's
 * own seed), taken when the sandbox is built, before it is handed out,
 * and written to the ledger's record then (exercise_record.h), so texts,
 * answers and `enshu score --db` use the trainee's own. {{team}} stays the
 * slot's number in what the trainee reads; commands run on the guests with
 * the sandbox's own (1).
 *
 * Threads. The hooks are called from every team's threads at once (the
 * exercise's check_workers), and sandbox_actions_on_range from the
 * course's workers and a consoles' thread. One lock guards the slots and
 * is never held across libvirt: a hook holds its slot's range open while
 * it runs, and a range dropped meanwhile is freed when its last hook
 * returns. sandbox_actions_free only after the exercise (its team
 * threads) and the course are freed.
 */
#ifndef ENSHU_SANDBOX_ACTIONS_H
#define ENSHU_SANDBOX_ACTIONS_H

#include "event_store.h"
#include "exercise.h"
#include "sandbox_course.h"
#include "scenario.h"
#include "team_vars.h"

typedef struct sandbox_actions sandbox_actions;

/* For team slots 1..nslots of s, whose sandboxes are the ranges
 * PREFIX-sN; ledger (may be NULL) gets each slot's values as its sandbox
 * is built. s and ledger are borrowed: they must outlive the actions. */
sandbox_actions *sandbox_actions_new(const scenario *s, const char *prefix, unsigned nslots,
                                     event_store *ledger);
void sandbox_actions_free(sandbox_actions *sa);

/* Each slot's template values: "team" only until its sandbox is built.
 * Live as long as sa; read from any thread (team_vars_adopt). */
const team_vars *sandbox_actions_team_vars(const sandbox_actions *sa);

/* Fills hooks (all but on_event) to act through sa. */
void sandbox_actions_hooks(sandbox_actions *sa, exercise_hooks *hooks);

/* sandbox_course_config.on_range, with the sandbox_actions as its ctx: READY takes the
 * sandbox's values (ENSHU_ENOTFOUND, reported, when its range cannot be
 * read: the build then fails); REVOKED and GONE drop its range. */
int sandbox_actions_on_range(void *ctx, unsigned sandbox, sandbox_range_event what);

#endif
