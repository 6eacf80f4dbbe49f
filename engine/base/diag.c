/*
 * Collects and prints located diagnostics (see diag.h).
 */
#include "diag.h"
#include "alloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

diag_list *diag_list_new(void)
{
    return xcalloc(1, sizeof(diag_list));
}

void diag_list_free(diag_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        free(list->items[i].file);
        free(list->items[i].message);
    }
    free(list->items);
    free(list);
}

void diag_add(diag_list *list, const char *file, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_addv(list, file, line, col, fmt, ap);
    va_end(ap);
}

void diag_addv(diag_list *list, const char *file, int line, int col, const char *fmt, va_list ap)
{
    XGROW(list->items, list->cap, list->count + 1);
    diag *d = &list->items[list->count];
    d->file = xstrdup(file ? file : "<input>");
    d->line = line;
    d->col = col;
    d->seq = list->count;
    if (vasprintf(&d->message, fmt, ap) < 0)
        d->message = xstrdup("(unprintable message)");
    list->count++;
}

static int diag_compare(const void *a, const void *b)
{
    const diag *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    if (c)
        return c;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    return x->seq < y->seq ? -1 : (x->seq > y->seq);
}

static void diag_list_sort(diag_list *list)
{
    if (list->count < 2)
        return;
    qsort(list->items, list->count, sizeof(diag), diag_compare);
}

static void diag_write(const diag *d, FILE *out)
{
    if (d->line > 0)
        fprintf(out, "%s:%d:%d: error: %s\n", d->file, d->line, d->col, d->message);
    else
        fprintf(out, "%s: error: %s\n", d->file, d->message);
}

void diag_list_print(diag_list *list, FILE *out)
{
    diag_list_sort(list);
    for (size_t i = 0; i < list->count; i++)
        diag_write(&list->items[i], out);
}

char *diag_list_format(diag_list *list)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return xstrdup("");
    diag_list_print(list, mem);
    fclose(mem);
    return buf ? buf : xstrdup("");
}
