/*
 * "Did you mean ...?": the closest of a set of known words to a misspelt one.
 */
#ifndef ENSHU_SUGGEST_H
#define ENSHU_SUGGEST_H

#include <stddef.h>

/* Returns the candidate nearest to word (edit distance), or NULL if none is
 * close enough to be a plausible typo. candidates ends with NULL. */
const char *suggest_closest(const char *word, const char *const *candidates);

/* Same over an array of n strings. */
const char *suggest_closest_n(const char *word, const char *const *candidates, size_t n);

#endif
