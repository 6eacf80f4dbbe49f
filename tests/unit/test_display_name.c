/* Display names (display_name.c): NFC, spaces, refused characters (bidi,
 * zero-width, controls, invisible fillers), the length bound and reserved
 * names in any case or width. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "display_name.h"
#include "errors.h"

#include <stdlib.h>
#include <string.h>

static void accepted(const char *typed, const char *want)
{
    char *out = NULL;
    const char *why = NULL;
    int rc = display_name_normalize(typed, &out, &why);
    if (rc != ENSHU_OK)
        fail_msg("'%s' was refused: %s", typed, why);
    assert_null(why);
    assert_string_equal(out, want);
    free(out);
}

static const char *refused(const char *typed)
{
    char *out = (char *)"untouched";
    const char *why = NULL;
    int rc = display_name_normalize(typed, &out, &why);
    if (rc == ENSHU_OK)
        fail_msg("'%s' was accepted as '%s'", typed, out);
    assert_int_equal(rc, ENSHU_EINVAL);
    assert_null(out);
    assert_non_null(why);
    return why;
}

static void spaces_and_nfc(void **state)
{
    accepted("  Aiko   Tanaka  ", "Aiko Tanaka");
    /* e + combining acute (NFD) becomes é (NFC). */
    accepted("Rene\xcc\x81", "Ren\xc3\xa9");
    /* Hangul jamo compose into a syllable. */
    accepted("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", "\xed\x95\x9c");
    /* The ideographic space is a space. */
    accepted("\xe7\x94\xb0\xe4\xb8\xad\xe3\x80\x80\xe5\xa4\xaa\xe9\x83\x8e",
             "\xe7\x94\xb0\xe4\xb8\xad \xe5\xa4\xaa\xe9\x83\x8e");
    /* Emoji with a variation selector stay. */
    accepted("Team \xe2\x9d\xa4\xef\xb8\x8f", "Team \xe2\x9d\xa4\xef\xb8\x8f");
}

static void bidi_zero_width_and_controls_are_refused(void **state)
{
    /* "\u202Erotcurtsni" shows as "instructor". */
    refused("\xe2\x80\xae"
            "rotcurtsni");
    refused("Aiko\xe2\x80\xad"); /* LRO */
    refused("Ai\xe2\x81\xa6ko"); /* LRI */
    refused("Ai\xe2\x81\xa9ko"); /* PDI */
    refused("Ai\xe2\x80\x8bko"); /* zero-width space */
    refused("Ai\xe2\x80\x8dko"); /* zero-width joiner */
    refused("\xef\xbb\xbf"
            "Aiko");         /* BOM */
    refused("Ai\xc2\xadko"); /* soft hyphen (Cf) */
    refused("Ai\nko");
    refused("Ai\tko");
    refused("Ai\x7fko");
    refused("Ai\xc2\x85ko");     /* NEL (C1) */
    refused("Ai\xe2\x80\xa8ko"); /* line separator */
    refused("Ai\xee\x80\x80ko"); /* private use */
    refused("\xe3\x85\xa4");     /* Hangul filler: shows nothing */
    refused("\xe2\xa0\x80");     /* braille blank */
    refused("Ai\xcd\x8fko");     /* combining grapheme joiner */
    assert_non_null(strstr(refused("Ai\xe2\x80\x8fko"), "invisible")); /* RLM */
}

static void empty_blank_long_and_odd_starts_are_refused(void **state)
{
    refused("");
    refused("    ");
    refused("\xe3\x80\x80"); /* only an ideographic space */
    refused("...");          /* nothing that shows as a name */
    refused("\xcc\x81"
            "Aiko"); /* starts with a combining mark */
    refused("Ai\xff"
            "ko"); /* not UTF-8 */
    char forty[64], many[64];
    memset(forty, 'a', 40);
    forty[40] = '\0';
    accepted(forty, forty);
    memset(many, 'a', 41);
    many[41] = '\0';
    assert_non_null(strstr(refused(many), "40"));
    /* Forty characters of three bytes each are fine. */
    char wide[200] = "";
    for (int i = 0; i < 40; i++)
        strcat(wide, "\xe3\x81\x82");
    accepted(wide, wide);
    /* Spaces collapsed first: 40 letters with long gaps are 40 + gaps. */
    accepted("a          b", "a b");
}

static void reserved_names_in_any_case_or_width(void **state)
{
    assert_string_equal(refused("instructor"), "this name is reserved");
    refused("Instructor");
    refused("INSTRUCTOR");
    refused(" in-struc tor. ");
    refused("\xef\xbc\xa9\xef\xbd\x8e\xef\xbd\x93\xef\xbd\x94\xef\xbd\x92\xef\xbd\x95\xef\xbd\x83"
            "\xef\xbd\x94\xef\xbd\x8f\xef\xbd\x92"); /* full width */
    refused("Admin");
    refused("ADMINISTRATOR");
    refused("System");
    refused("enshu");
    refused("E N S H U");
    /* Names that only contain a reserved word are fine. */
    accepted("Instructor Tanaka", "Instructor Tanaka");
    accepted("Adminah", "Adminah");
    accepted("systems team", "systems team");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spaces_and_nfc),
        cmocka_unit_test(bidi_zero_width_and_controls_are_refused),
        cmocka_unit_test(empty_blank_long_and_odd_starts_are_refused),
        cmocka_unit_test(reserved_names_in_any_case_or_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
