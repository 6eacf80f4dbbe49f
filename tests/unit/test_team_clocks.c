/* A clock per team slot: independent in a course, the exercise's in a
 * class, rebuilt from its events as after a crash. No sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "errors.h"
#include "team_clocks.h"

#include <string.h>

/* The events a run records, replayed later into fresh clocks. */
static event recorded[16];
static size_t nrecorded;

static void change(team_clocks *tc, int team, team_phase to, int64_t wall)
{
    event ev;
    assert_int_equal(team_clocks_change(tc, team, to, wall, "trainee", &ev), ENSHU_OK);
    assert_int_equal(ev.team, team);
    assert_int_equal(ev.kind, EV_EXERCISE_STATE);
    assert_string_equal(ev.text, team_phase_name(to));
    assert_true(nrecorded < 16);
    recorded[nrecorded++] = ev;
    team_clocks_apply(tc, &ev);
}

static void each_trainee_has_a_clock_of_their_own(void **state)
{
    nrecorded = 0;
    team_clocks *tc = team_clocks_new(3, true);
    assert_true(team_clocks_per_team(tc));
    /* Team 1 begins at 10 s, team 2 at 100 s; team 3 has not begun. */
    change(tc, 1, TEAM_RUNNING, 10000);
    change(tc, 2, TEAM_RUNNING, 100000);
    assert_int_equal(team_clocks_now(tc, 1, 160000), 150000);
    assert_int_equal(team_clocks_now(tc, 2, 160000), 60000);
    assert_int_equal(team_clocks_now(tc, 3, 160000), 0);
    assert_int_equal(team_clocks_phase(tc, 3), TEAM_READY);
    assert_true(team_clocks_wall_at(tc, 3, 1000) == INT64_MAX);
    /* Team 1 leaves for 5 minutes and its scenario pauses it meanwhile;
     * team 2 goes on. */
    event ev;
    assert_int_equal(team_clocks_away(tc, 1, true, true, 160000, "alice", &ev), ENSHU_OK);
    recorded[nrecorded++] = ev;
    team_clocks_apply(tc, &ev);
    assert_int_equal(team_clocks_phase(tc, 1), TEAM_PAUSED);
    assert_int_equal(team_clocks_now(tc, 1, 460000), 150000);
    assert_int_equal(team_clocks_now(tc, 2, 460000), 360000);
    assert_int_equal(team_clocks_away(tc, 1, true, true, 460000, "alice", &ev), ENSHU_EEXIST);
    assert_int_equal(team_clocks_away(tc, 1, false, true, 460000, "alice", &ev), ENSHU_OK);
    recorded[nrecorded++] = ev;
    team_clocks_apply(tc, &ev);
    assert_int_equal(team_clocks_now(tc, 1, 470000), 160000);
    /* Team 1's inject at T+3m comes 20 s after it is back. */
    assert_int_equal(team_clocks_wall_at(tc, 1, 180000), 490000);
    /* A scenario that keeps clocks running while trainees are away. */
    assert_int_equal(team_clocks_away(tc, 2, true, false, 470000, "bob", &ev), ENSHU_EEXIST);
    assert_int_equal(team_clocks_phase(tc, 2), TEAM_RUNNING);
    change(tc, 2, TEAM_ENDED, 500000);
    assert_int_equal(team_clocks_now(tc, 2, 900000), 400000);

    /* After a crash, the recorded events rebuild every clock. */
    team_clocks *again = team_clocks_new(3, true);
    for (size_t i = 0; i < nrecorded; i++)
        team_clocks_apply(again, &recorded[i]);
    for (int t = 1; t <= 3; t++) {
        assert_int_equal(team_clocks_now(again, t, 950000), team_clocks_now(tc, t, 950000));
        assert_int_equal(team_clocks_phase(again, t), team_clocks_phase(tc, t));
    }
    assert_int_equal(team_clocks_now(again, 1, 950000), 640000);
    team_clocks_free(again);
    team_clocks_free(tc);
}

static void moves_a_phase_does_not_allow_are_refused(void **state)
{
    team_clocks *tc = team_clocks_new(2, true);
    event ev;
    assert_int_equal(team_clocks_change(tc, 1, TEAM_PAUSED, 0, NULL, &ev), ENSHU_EINVAL);
    assert_int_equal(team_clocks_change(tc, 0, TEAM_RUNNING, 0, NULL, &ev), ENSHU_EINVAL);
    assert_int_equal(team_clocks_change(tc, 3, TEAM_RUNNING, 0, NULL, &ev), ENSHU_EINVAL);
    assert_int_equal(team_clocks_change(tc, 1, TEAM_READY, 0, NULL, &ev), ENSHU_EINVAL);
    nrecorded = 0;
    change(tc, 1, TEAM_ENDED, 1000);
    assert_int_equal(team_clocks_change(tc, 1, TEAM_ENDED, 2000, NULL, &ev), ENSHU_EINVAL);
    assert_int_equal(team_clocks_change(tc, 1, TEAM_RUNNING, 2000, NULL, &ev), ENSHU_EINVAL);
    assert_null(team_clocks_of(tc, -1));
    assert_null(team_clocks_of(tc, 3));
    assert_int_equal(team_clocks_now(tc, 7, 5000), 0);
    team_clocks_free(tc);
    team_clocks_free(NULL);
}

static void in_a_class_every_team_reads_the_exercise_clock(void **state)
{
    team_clocks *tc = team_clocks_new(2, false);
    event start = {
        .at_ms = 0, .wall_ms = 1000, .kind = EV_EXERCISE_STATE, .value = 1000, .text = "running"};
    team_clocks_apply(tc, &start);
    assert_ptr_equal(team_clocks_of(tc, 1), team_clocks_of(tc, 0));
    assert_ptr_equal(team_clocks_of(tc, 2), team_clocks_of(tc, 0));
    assert_int_equal(team_clocks_now(tc, 2, 61000), 60000);
    assert_int_equal(team_clocks_phase(tc, 1), TEAM_RUNNING);
    /* No team has a clock of its own: a team's event changes nothing. */
    event ev;
    assert_int_equal(team_clocks_change(tc, 1, TEAM_PAUSED, 2000, NULL, &ev), ENSHU_EINVAL);
    event pause_one = {.at_ms = 1000,
                       .wall_ms = 2000,
                       .team = 1,
                       .kind = EV_EXERCISE_STATE,
                       .value = 1000,
                       .text = "paused"};
    team_clocks_apply(tc, &pause_one);
    assert_int_equal(team_clocks_now(tc, 1, 61000), 60000);
    /* A pause of the class stops every team. */
    event pause = {.at_ms = 60000,
                   .wall_ms = 61000,
                   .kind = EV_EXERCISE_STATE,
                   .value = 1000,
                   .text = "paused"};
    team_clocks_apply(tc, &pause);
    assert_int_equal(team_clocks_now(tc, 1, 99000), 60000);
    assert_int_equal(team_clocks_now(tc, 2, 99000), 60000);
    /* Events of other kinds leave the clocks alone. */
    event answer = {.at_ms = 0, .wall_ms = 0, .team = 1, .kind = EV_ANSWER, .text = "running"};
    team_clocks_apply(tc, &answer);
    assert_int_equal(team_clocks_phase(tc, 1), TEAM_PAUSED);
    team_clocks_free(tc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_trainee_has_a_clock_of_their_own),
        cmocka_unit_test(moves_a_phase_does_not_allow_are_refused),
        cmocka_unit_test(in_a_class_every_team_reads_the_exercise_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
