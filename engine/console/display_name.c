/*
 * Display names (see display_name.h), with GNU libunistring's Unicode
 * tables: normalization (uninorm.h), case folding (unicase.h) and general
 * categories and properties (unictype.h).
 */
#include "display_name.h"
#include "alloc.h"
#include "errors.h"

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* More bytes than this cannot make 40 characters however they normalize
 * (NFC only composes; a character is at most 4 bytes, and a run of
 * spaces becomes one): refused before any work is done. */
#define TYPED_MAX_BYTES 1024

static const char *const RESERVED[] = {"instructor", "admin", "administrator",
                                       "system",     "enshu", NULL};

/* Variation selectors are default-ignorable but only choose a glyph (an
 * emoji's colour form): harmless, and part of many emoji. */
static bool is_variation_selector(ucs4_t uc)
{
    return (uc >= 0xFE00 && uc <= 0xFE0F) || (uc >= 0xE0100 && uc <= 0xE01EF);
}

/* Why a character may not appear in a name, or NULL. */
static const char *refused(ucs4_t uc)
{
    if (uc_is_general_category(uc, UC_CATEGORY_Cc))
        return "a name may not contain control characters";
    if (uc_is_general_category(uc, UC_CATEGORY_Cf))
        return "a name may not contain invisible formatting characters (bidi or zero-width)";
    if (uc_is_general_category(uc, uc_general_category_or(UC_CATEGORY_Zl, UC_CATEGORY_Zp)))
        return "a name may not contain line breaks";
    if (uc_is_general_category(uc, UC_CATEGORY_C)) /* Co, Cs, Cn */
        return "a name may not contain private-use or unassigned characters";
    if (uc == 0x2800 || /* the braille blank: a symbol that shows nothing */
        (uc_is_property_default_ignorable_code_point(uc) && !is_variation_selector(uc)))
        return "a name may not contain invisible characters";
    return NULL;
}

static bool is_space(ucs4_t uc)
{
    return uc_is_general_category(uc, UC_CATEGORY_Zs);
}

/* Whether name, folded (NFKC, case folded) to its letters and digits, is
 * one of the reserved names. */
static bool is_reserved(const uint8_t *name, size_t len)
{
    size_t flen = 0;
    uint8_t *folded = u8_casefold(name, len, NULL, UNINORM_NFKC, NULL, &flen);
    if (!folded)
        return true; /* cannot tell: refuse rather than show it */
    char bare[64];
    size_t n = 0;
    bool fits = true;
    for (size_t i = 0; i < flen;) {
        ucs4_t uc;
        int k = u8_mbtouc(&uc, folded + i, flen - i);
        if (uc_is_general_category(uc, uc_general_category_or(UC_CATEGORY_L, UC_CATEGORY_N))) {
            if (n + (size_t)k >= sizeof bare)
                fits = false;
            else
                memcpy(bare + n, folded + i, (size_t)k);
            n += (size_t)k;
        }
        i += (size_t)k;
    }
    free(folded);
    if (!fits)
        return false; /* longer than any reserved name */
    bare[n] = '\0';
    for (const char *const *r = RESERVED; *r; r++)
        if (strcmp(bare, *r) == 0)
            return true;
    return false;
}

int display_name_normalize(const char *typed, char **out, const char **why)
{
    *out = NULL;
    *why = NULL;
    size_t len = typed ? strlen(typed) : 0;
    if (len == 0) {
        *why = "the name is empty";
        return ENSHU_EINVAL;
    }
    if (len > TYPED_MAX_BYTES) {
        *why = "the name is too long";
        return ENSHU_EINVAL;
    }
    if (u8_check((const uint8_t *)typed, len)) {
        *why = "the name is not valid UTF-8";
        return ENSHU_EINVAL;
    }
    size_t nlen = 0;
    uint8_t *nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)typed, len, NULL, &nlen);
    if (!nfc) {
        *why = "the name cannot be normalized";
        return ENSHU_EINVAL;
    }
    char *name = xmalloc(nlen + 1);
    size_t n = 0, chars = 0;
    bool space = false, shows = false;
    for (size_t i = 0; i < nlen && !*why;) {
        ucs4_t uc;
        int k = u8_mbtouc(&uc, nfc + i, nlen - i);
        if ((*why = refused(uc)))
            break;
        if (is_space(uc)) {
            space = chars > 0; /* leading spaces go; a run becomes one */
        } else {
            if (chars == 0 && uc_is_general_category(uc, UC_CATEGORY_M)) {
                *why = "a name may not start with a combining mark";
                break;
            }
            if (space) {
                name[n++] = ' ';
                chars++;
                space = false;
            }
            memcpy(name + n, nfc + i, (size_t)k);
            n += (size_t)k;
            chars++;
            shows |= uc_is_general_category(
                uc, uc_general_category_or(UC_CATEGORY_L,
                                           uc_general_category_or(UC_CATEGORY_N, UC_CATEGORY_S)));
        }
        i += (size_t)k;
    }
    name[n] = '\0';
    free(nfc);
    if (!*why && !shows)
        *why = "a name needs at least one letter, digit or symbol";
    if (!*why && chars > DISPLAY_NAME_MAX_CHARS)
        *why = "a name may be at most 40 characters";
    if (!*why && is_reserved((const uint8_t *)name, n))
        *why = "this name is reserved";
    if (*why) {
        free(name);
        return ENSHU_EINVAL;
    }
    *out = name;
    return ENSHU_OK;
}
