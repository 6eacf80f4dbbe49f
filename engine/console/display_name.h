/*
 * The display names trainees pick when they join: what is shown to their
 * team and to the instructor, so it must read as what it is. A name is
 * made NFC, its runs of spaces made one space and its ends trimmed; it is
 * refused when it holds a control, format (bidi overrides and isolates,
 * zero-width characters), private-use, unassigned, line/paragraph
 * separator or other default-ignorable character, when it has no letter,
 * digit or symbol, when it starts with a combining mark, when it is longer
 * than DISPLAY_NAME_MAX_CHARS characters, and when it is a reserved name
 * (instructor, admin, administrator, system, enshu) in any case or width
 * and with any punctuation or spaces in between.
 *
 * Pure: no state, any thread (libunistring's tables).
 */
#ifndef ENSHU_DISPLAY_NAME_H
#define ENSHU_DISPLAY_NAME_H

#define DISPLAY_NAME_MAX_CHARS 40

/* Normalizes typed (UTF-8) into *out (caller frees) and returns 0; or
 * returns ENSHU_EINVAL with *why a sentence saying what is wrong (static)
 * and *out NULL. */
int display_name_normalize(const char *typed, char **out, const char **why)
    __attribute__((warn_unused_result));

#endif
