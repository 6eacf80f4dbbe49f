/*
 * Memory allocation that never returns NULL: running out of memory aborts
 * with a message, and a request for zero bytes returns a valid pointer.
 */
#ifndef ENSHU_ALLOC_H
#define ENSHU_ALLOC_H

#include <stddef.h>

void *xmalloc(size_t size) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t count, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *ptr, size_t size) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));
/* The n strings joined with sep between them (n 0: ""). */
char *xjoin(const char *const *items, size_t n, const char *sep)
    __attribute__((malloc, returns_nonnull));
char *xasprintf(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), malloc, returns_nonnull));

/* Grows *items (of *cap elements of elem_size) so that it holds at least need. */
void xgrow(void **items, size_t *cap, size_t need, size_t elem_size);

#define XGROW(arr, cap, need) xgrow((void **)&(arr), &(cap), (need), sizeof(*(arr)))

#endif
