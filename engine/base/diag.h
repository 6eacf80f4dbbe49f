/*
 * Diagnostics: problems found in an input file, each with its location.
 * Loaders and checkers collect all of them rather than stop at the first;
 * they print as "FILE:LINE:COL: error: message" (1-based), sorted by place.
 */
#ifndef ENSHU_DIAG_H
#define ENSHU_DIAG_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>

typedef struct diag {
    char *file;
    int line; /* 1-based; 0 when the problem concerns the whole file */
    int col;  /* 1-based */
    char *message;
    size_t seq; /* order of discovery, to keep sorting stable */
} diag;

typedef struct diag_list {
    diag *items;
    size_t count;
    size_t cap;
} diag_list;

diag_list *diag_list_new(void);
void diag_list_free(diag_list *list);

void diag_add(diag_list *list, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* diag_add with the message's arguments as a va_list, for the loaders' own
 * variadic reporters that fill in file and place. */
void diag_addv(diag_list *list, const char *file, int line, int col, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* Sorts by line then column and writes every diagnostic to out. */
void diag_list_print(diag_list *list, FILE *out);

/* Returns the diagnostics as one string, sorted, one per line (caller frees). */
char *diag_list_format(diag_list *list);

#endif
