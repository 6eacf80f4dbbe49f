/*
 * Time templates (template.h): {{now}}, {{now OFFSET}}, {{now FORMAT}} and
 * {{now OFFSET FORMAT}}, the time an inject fires (or a check runs), moved by
 * OFFSET (+ or - a duration: -3d, +1h30m, -90s) and written by FORMAT
 * (strftime conversions; default "%a, %d %b %Y %H:%M:%S %z", a mail
 * header's Date) in the scenario's time_zone (UTC without one). The
 * template's words are joined by single spaces, so a FORMAT has no runs of
 * spaces.
 *
 * Pure but for the time zone: formatting sets TZ for the process while it
 * runs, under a lock, and restores it (the C library knows no other way to
 * read a zone). A log line written meanwhile by another thread may carry
 * the scenario's zone (with its offset, so it stays unambiguous). Loading
 * this module makes TZ exist from the start (":/etc/localtime" when unset,
 * the same meaning), so that it is only ever replaced, never added or
 * removed, while threads run.
 */
#ifndef ENSHU_TIME_TEMPLATE_H
#define ENSHU_TIME_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest text one time template gives. */
#define TIME_TEMPLATE_MAX 256

/* True if key (a template's words joined by spaces) is a time template. */
bool time_template_is(const char *key);

/* NULL if key is a well-formed time template, else why not (caller frees). */
char *time_template_check(const char *key) __attribute__((warn_unused_result));

/* Writes key's text at wall_ms (ms since the epoch) in time_zone (Area/City,
 * or NULL for UTC) into out. ENSHU_EINVAL if key is not well-formed. */
int time_template_format(const char *key, int64_t wall_ms, const char *time_zone, char *out,
                         size_t size) __attribute__((warn_unused_result));

#endif
