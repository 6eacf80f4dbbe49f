/* Roster files: the teams' names from CSV, and every problem in one as a
 * located diagnostic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "roster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Parses text for nteams teams; *msgs gets the diagnostics (caller frees). */
static int parse(const char *text, unsigned nteams, team_names **out, char **msgs)
{
    diag_list *d = diag_list_new();
    int rc = roster_parse("teams.csv", text, nteams, d, out);
    *msgs = diag_list_format(d);
    diag_list_free(d);
    return rc;
}

static void a_roster_names_teams(void **state)
{
    team_names *tn;
    char *msgs;
    assert_int_equal(parse("\xEF\xBB\xBFteam,name,organisation\r\n"
                           "# the morning group\n"
                           "1, Blue Falcons ,Ministry of ICT\r\n"
                           "\n"
                           "3,\"Herons, Red\",\"The \"\"National\"\" CERT\"\n"
                           "2,東京チーム\n",
                           4, &tn, &msgs),
                     ENSHU_OK);
    assert_string_equal(msgs, "");
    assert_string_equal(team_names_name(tn, 1), "Blue Falcons");
    assert_string_equal(team_names_organisation(tn, 1), "Ministry of ICT");
    assert_string_equal(team_names_name(tn, 2), "東京チーム");
    assert_null(team_names_organisation(tn, 2));
    assert_string_equal(team_names_name(tn, 3), "Herons, Red");
    assert_string_equal(team_names_organisation(tn, 3), "The \"National\" CERT");
    assert_null(team_names_name(tn, 4)); /* not listed: "Team 4" */
    assert_null(team_names_name(tn, 5));
    free(msgs);
    team_names_free(tn);
}

/* Every problem is reported, each at its line and column, and nothing is
 * taken from a roster with problems. */
static void every_problem_is_located(void **state)
{
    team_names *tn = (team_names *)1;
    char *msgs;
    char long_name[80];
    memset(long_name, 'x', 61);
    long_name[61] = '\0';
    char *text = xasprintf("team,name,organisation\n"
                           "1,Blue\n"
                           "7,Green\n"
                           "x,Grey\n"
                           "1,Blue again\n"
                           "2,Blue\n"
                           "3,\n"
                           "3,%s\n"
                           "4,\"Open,Org\n"
                           "4,A,B,C\n"
                           "4,\"Quoted\" tail\n"
                           "4\n",
                           long_name);
    assert_int_equal(parse(text, 4, &tn, &msgs), ENSHU_EINVAL);
    assert_null(tn);
    assert_string_equal(
        msgs,
        "teams.csv:3:1: error: '7' is not a team: the first field is the team's number, 1 to 4\n"
        "teams.csv:4:1: error: 'x' is not a team: the first field is the team's number, 1 to 4\n"
        "teams.csv:5:1: error: team 1 was named already on line 2\n"
        "teams.csv:6:3: error: team 1 (line 2) is called 'Blue' already\n"
        "teams.csv:7:3: error: a team's name must not be empty\n"
        "teams.csv:8:3: error: a team's name must be at most 60 characters\n"
        "teams.csv:9:3: error: this quoted field has no closing quote\n"
        "teams.csv:10:7: error: a line has at most 3 fields: team, name, organisation\n"
        "teams.csv:11:12: error: a quoted field must end at a comma or at the end of the line\n"
        "teams.csv:12:2: error: team 4 has no name: give team,name[,organisation]\n");
    free(msgs);
    free(text);
}

static void control_characters_and_bad_utf8_are_refused(void **state)
{
    team_names *tn;
    char *msgs;
    assert_int_equal(parse("1,Bad\tname\n2,Ok,\xC3\x28rg\n", 2, &tn, &msgs), ENSHU_EINVAL);
    assert_string_equal(msgs, "teams.csv:1:3: error: a team's name must be UTF-8 text without "
                              "control characters\n"
                              "teams.csv:2:6: error: an organisation must be UTF-8 text without "
                              "control characters\n");
    free(msgs);
}

static void a_missing_file_is_one_diagnostic(void **state)
{
    diag_list *d = diag_list_new();
    team_names *tn;
    assert_int_equal(roster_load("/nonexistent/teams.csv", 2, d, &tn), ENSHU_EINVAL);
    assert_null(tn);
    char *msgs = diag_list_format(d);
    assert_non_null(strstr(msgs, "/nonexistent/teams.csv"));
    assert_non_null(strstr(msgs, "cannot be read"));
    free(msgs);
    diag_list_free(d);

    char path[] = "/tmp/enshu-roster-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "2,Cranes\n", 9), 9);
    close(fd);
    d = diag_list_new();
    assert_int_equal(roster_load(path, 2, d, &tn), ENSHU_OK);
    assert_string_equal(team_names_name(tn, 2), "Cranes");
    team_names_free(tn);
    diag_list_free(d);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_roster_names_teams),
        cmocka_unit_test(every_problem_is_located),
        cmocka_unit_test(control_characters_and_bad_utf8_are_refused),
        cmocka_unit_test(a_missing_file_is_one_diagnostic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
