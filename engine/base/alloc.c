/*
 * Allocation wrappers: one place decides what happens when memory runs out
 * (abort with a message), so no caller needs a NULL check.
 */
#include "alloc.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(size_t size)
{
    log_printf(ENSHU_LOG_ERROR, "enshu: out of memory (allocating %zu bytes)", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p)
        out_of_memory(count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p)
        out_of_memory(size);
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    int n = vasprintf(&out, fmt, ap);
    va_end(ap);
    if (n < 0)
        out_of_memory(0);
    return out;
}

char *xjoin(const char *const *items, size_t n, const char *sep)
{
    size_t seplen = strlen(sep), len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(items[i]) + (i ? seplen : 0);
    char *out = xmalloc(len + 1), *o = out;
    for (size_t i = 0; i < n; i++) {
        if (i) {
            memcpy(o, sep, seplen);
            o += seplen;
        }
        size_t k = strlen(items[i]);
        memcpy(o, items[i], k);
        o += k;
    }
    *o = '\0';
    return out;
}

void xgrow(void **items, size_t *cap, size_t need, size_t elem_size)
{
    if (need <= *cap)
        return;
    size_t n = *cap ? *cap : 4;
    while (n < need)
        n *= 2;
    *items = xrealloc(*items, n * elem_size);
    *cap = n;
}
