/*
 * A running exercise: the exercise clock, one timeline per team, the live
 * grader and the event ledger, driven by exercise_step(). Every decision is
 * recorded in the ledger before it is acted on, so exercise_resume() can
 * rebuild everything after a crash: the clock at the right position, the
 * timelines, the scores, and no inject run twice (one that was interrupted
 * is recorded as failed, not run again).
 *
 * How injects and checks touch the guests is given as hooks, so the same
 * engine runs against real guests (guest agent) and in tests.
 *
 * Threads. With hooks.check_workers > 0 every team has threads of its own,
 * made by exercise_new and ended by exercise_free: one fires the team's
 * injects, one after another in the order they fall due, and check_workers
 * probe its checks. exercise_step() only hands work to them and never waits
 * for an action, so a hanging inject or check of one team holds back
 * nothing of any other team (nor a team's injects its checks, or the
 * reverse). A team's injects are handed over once at a time: while one of
 * its actions runs, its later injects wait for it, as they would in order.
 * The hooks are then called from those threads, several at once (on_event
 * with the exercise's lock held). exercise_free() waits for the actions and
 * probes under way, which their own timeouts bound.
 * With check_workers 0 (or when no thread could be made), exercise_step()
 * itself runs every due action, team after team, and returns when they are
 * done: deterministic, for tests.
 */
#ifndef ENSHU_EXERCISE_H
#define ENSHU_EXERCISE_H

#include "event_store.h"
#include "grader.h"
#include "inject_failure.h"
#include "scenario.h"
#include "timeline.h"
#include "report_book.h"
#include "team_names.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct exercise_hooks {
    /* Runs inj's action for team; 0 on success, negative on failure. It
     * fills *out (given as INJECT_OUTCOME_INIT): on success its output is
     * recorded with the result; on failure how its command ended and its
     * stderr are (inject_failure_text). A power start or reboot returns
     * ENSHU_ETIMEOUT only when the guest was powered on but its agent did
     * not answer in time. */
    int (*run_inject)(void *ctx, int team, const inject *inj, inject_outcome *out);
    /* Runs check c on team's guest; sets *passing. Negative: it could not run. */
    int (*run_check)(void *ctx, int team, const check *c, bool *passing, char **output);
    /* Wall clock in milliseconds. */
    int64_t (*wall_ms)(void *ctx);
    /* Told about every event the exercise records (for a live log); may be NULL. */
    void (*on_event)(void *ctx, const event *ev);
    void *ctx;
    /* Threads per team (at most 8) that probe its checks, apart from the
     * team's thread that fires its injects (see "Threads" above). 0: no
     * threads; exercise_step runs everything inline (for tests). */
    unsigned check_workers;
} exercise_hooks;

typedef enum exercise_phase {
    PHASE_READY, /* before STARTEX */
    PHASE_RUNNING,
    PHASE_PAUSED,
    PHASE_ENDED,
    PHASE_COUNT
} exercise_phase;

const char *exercise_phase_name(exercise_phase phase);

typedef struct exercise exercise;

/* s, ledger and hooks must outlive the exercise. */
exercise *exercise_new(const scenario *s, unsigned nteams, event_store *ledger,
                       const exercise_hooks *hooks);
void exercise_free(exercise *ex);

/* Rebuilds state from the ledger, writing nothing (to look at an exercise). */
int exercise_replay(exercise *ex) __attribute__((warn_unused_result));

/* Rebuilds state from the ledger to carry on after a restart: also records
 * as failed every inject a crash cut off. */
int exercise_resume(exercise *ex) __attribute__((warn_unused_result));

int exercise_start(exercise *ex) __attribute__((warn_unused_result));
int exercise_pause(exercise *ex) __attribute__((warn_unused_result));
int exercise_continue(exercise *ex) __attribute__((warn_unused_result));
int exercise_set_speed(exercise *ex, double speed) __attribute__((warn_unused_result));
int exercise_end(exercise *ex) __attribute__((warn_unused_result));

/* Fires every inject due now and runs every check due now, each recorded
 * in the ledger before and after its action. Returns the wall time at which
 * something may next be due (INT64_MAX: nothing scheduled).
 * With team threads, it hands the due work to them and returns at once; a
 * team whose action is still under way counts as having nothing due: when
 * it is done, exercise_wait() returns, and the next step sees what comes
 * next for that team. Call exercise_step and exercise_wait from one thread
 * (the engine's loop). */
int64_t exercise_step(exercise *ex);

/* Waits max_ms (on the monotonic clock) at most, or until something changed
 * since the last exercise_step began: a team's thread finished its work, or
 * an instructor released, held or skipped an inject or changed the phase or
 * speed. Then step again. */
void exercise_wait(exercise *ex, int64_t max_ms);

/* ---- steering from consoles and other threads ----
 * Every call below may come from any thread while exercise_step() runs;
 * each records its event (with actor: who did it) before it takes effect.
 * Errors: ENSHU_ENOTFOUND (no such team, inject, objective, item),
 * ENSHU_EINVAL (not allowed in this phase or for this kind),
 * ENSHU_EEXIST (already done: an inject that began, an answered question). */

typedef enum exercise_command {
    EXERCISE_START,
    EXERCISE_PAUSE,
    EXERCISE_RESUME,
    EXERCISE_END,
    EXERCISE_SPEED
} exercise_command;
int exercise_control(exercise *ex, exercise_command cmd, double speed, const char *actor)
    __attribute__((warn_unused_result));

/* ---- self-paced courses: a clock per team slot (team_clocks.h) ----
 * In a course each team slot is one trainee, whose timeline runs on a
 * clock of its own from the moment they start: exercise_step steps each
 * team at its own time and skips those whose clock stands; a team's
 * events are stamped with its own time; answers, reports, hints and
 * requests are taken while its own clock runs. The class's phase
 * (exercise_control) only opens and closes the course: its ENDED ends
 * every team. */

/* Makes ex a course. Call before exercise_replay/exercise_resume and the
 * first exercise_step. */
void exercise_set_self_paced(exercise *ex);
bool exercise_self_paced(const exercise *ex);

/* Starts (from ready), pauses, resumes (from paused) or ends team's own
 * clock, recording the change (an EV_EXERCISE_STATE of that team). team 0:
 * exercise_control. ENSHU_EINVAL: a class, a speed, the course closed, or
 * a move the team's phase does not allow; ENSHU_ENOTFOUND: no such team. */
int exercise_team_control(exercise *ex, int team, exercise_command cmd, const char *actor)
    __attribute__((warn_unused_result));

/* The trainee of team leaves (away) or comes back: when the scenario says
 * self_paced: {while_away: pause}, their clock is paused or resumed and the
 * change recorded. ENSHU_EEXIST: nothing to change (a class, a scenario
 * whose clocks run on, a clock that was not running when they left or not
 * paused when they come back). */
int exercise_team_away(exercise *ex, int team, bool away, const char *actor)
    __attribute__((warn_unused_result));

/* Team's phase: the class's, or in a course its own clock's (the class's
 * ENDED wins). Team 0: the class's. */
exercise_phase exercise_team_phase(const exercise *ex, int team);
/* Team's time, ms: its own clock's in a course, else (and for team 0)
 * exercise_now. */
int64_t exercise_team_now(const exercise *ex, int team);

typedef enum inject_action_kind {
    INJECT_RELEASE, /* due at once (fires when the clock runs) */
    INJECT_SKIP,    /* never runs (shares the idempotence key of firing) */
    INJECT_HOLD,    /* not fired while held */
    INJECT_UNHOLD,
    INJECT_RETRY, /* one that failed: pending again and due at once, its next
                   * attempt (EV_INJECT_RETRIED); ENSHU_EINVAL unless it
                   * failed, ENSHU_EPHASE after ENDEX */
} inject_action_kind;
/* team 0: every team for which the inject is still pending (for a retry:
 * every team for which it failed). */
int exercise_inject_action(exercise *ex, int team, const char *inject_id, inject_action_kind what,
                           const char *actor) __attribute__((warn_unused_result));

/* A team's answer (EV_ANSWER, text), report (EV_REPORT, text), hint taken
 * (EV_HINT, value: index) or an instructor's grade (EV_GRADE, text: rubric
 * item index, value: points). Answers, reports and hints are taken only
 * while the exercise runs: before STARTEX, while paused and after ENDEX
 * they fail with ENSHU_EPHASE (exercise_phase_refusal() says why). Grades
 * are taken in every phase: grading goes on while paused and after ENDEX. */
typedef struct exercise_submission {
    int team;
    event_kind kind;
    const char *objective;
    const char *text;
    int64_t value;
    const char *actor;
} exercise_submission;
int exercise_submit(exercise *ex, const exercise_submission *sub, int64_t *seq)
    __attribute__((warn_unused_result));
/* Why a submission is not taken in this phase, as a sentence ("the exercise
 * is paused"); static. */
const char *exercise_phase_refusal(exercise_phase phase);

/* A team asks for a team request of the scenario (EV_REQUEST, text: the
 * team's note, may be NULL). Taken only while the exercise runs
 * (ENSHU_EPHASE otherwise); ENSHU_EEXIST while an ask of it waits for an
 * instructor or when the team has asked it `limit` times (refused asks do
 * not count); members asking at once: one ask is taken, the others get
 * ENSHU_EEXIST. An auto request is approved at once: it fires its injects
 * and costs its points. *seq (may be NULL): the ask's ledger seq. */
int exercise_request_ask(exercise *ex, int team, const char *request_id, const char *note,
                         const char *actor, int64_t *seq) __attribute__((warn_unused_result));

/* An instructor approves or refuses the team's waiting ask of a request
 * (EV_REQUEST_DECIDED, text: a note for the team, may be NULL), in any
 * phase; ENSHU_EEXIST when no ask waits (or another instructor decided it
 * at the same moment: one decision per ask). Approval releases the injects the
 * request fires (they fire when the clock runs) and costs its points. */
int exercise_request_decide(exercise *ex, int team, const char *request_id, bool approve,
                            const char *note, const char *actor)
    __attribute__((warn_unused_result));

/* A message from the instructors to one team (or 0: everyone). */
int exercise_broadcast(exercise *ex, int team, const char *text, const char *actor)
    __attribute__((warn_unused_result));

/* Written feedback from an instructor on one of the team's reports
 * (EV_FEEDBACK: value the report's seq), in any phase. ENSHU_ENOTFOUND
 * when the team, the objective or that report of the team on it is not
 * known; ENSHU_EINVAL for an empty text. *seq (may be NULL): its seq. */
int exercise_feedback(exercise *ex, int team, const char *objective_id, int64_t report,
                      const char *text, const char *actor, int64_t *seq)
    __attribute__((warn_unused_result));

/* An instructor names a team (EV_TEAM_NAMED), in any phase; it replaces
 * the roster's name (team_names.h) and survives a restart, as the ledger
 * is replayed. ENSHU_EINVAL when team_name_problem finds one,
 * ENSHU_EEXIST when another team has that name. */
int exercise_name_team(exercise *ex, int team, const char *name, const char *organisation,
                       const char *actor, int64_t *seq) __attribute__((warn_unused_result));

/* The roster's names (copied). Call before exercise_resume(): the names
 * instructors gave, replayed from the ledger, then replace them. */
void exercise_set_team_names(exercise *ex, const team_names *roster);

/* For an exercise carried on after its range was taken down and brought up
 * again (enshu run --resume): its guests are new, and nothing the story did
 * to the old ones is there. Runs again, for each team, every inject that
 * fired and acted on guests (all but messages and notes), in the order they
 * fired, each recorded as its next attempt (inject.retried with actor, then
 * inject.fired or inject.failed). Messages and notes are not sent again:
 * the teams have them. Call after exercise_resume, before exercise_step;
 * returns once they have run. */
int exercise_rerun_on_new_guests(exercise *ex, const char *actor)
    __attribute__((warn_unused_result));

/* Applies events that other processes appended to the ledger since the
 * last call (enshu answer, enshu grade...), telling on_event about each. */
int exercise_poll_ledger(exercise *ex) __attribute__((warn_unused_result));

/* Readers of timelines and the grader from another thread hold the lock
 * while they look (on_event is called with it held: never call the
 * functions above from on_event). */
void exercise_lock(exercise *ex);
void exercise_unlock(exercise *ex);

exercise_phase exercise_get_phase(const exercise *ex);
double exercise_speed(const exercise *ex);
unsigned exercise_teams(const exercise *ex);
const scenario *exercise_scenario(const exercise *ex);
int64_t exercise_now(const exercise *ex); /* exercise time, ms */
const timeline *exercise_timeline(const exercise *ex, int team);
const grader *exercise_grader(const exercise *ex);
/* Under the lock, as the grader. */
const team_names *exercise_team_names(const exercise *ex);
const report_book *exercise_reports(const exercise *ex);

/* Each team's template values: for the grader (templated answers), and
 * for targets a per-team variable chooses (node_ref.h: the node whose
 * power state is recorded, the node an inject waits on). v must outlive
 * the exercise. Call before exercise_resume(). */
void exercise_set_team_vars(exercise *ex, const team_vars *v);

#endif
