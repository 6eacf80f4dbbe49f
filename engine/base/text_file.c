/*
 * Whole-file reads (see text_file.h).
 */
#include "text_file.h"
#include "alloc.h"

#include <stdio.h>
#include <stdlib.h>

char *text_file_read(const char *path, size_t max_bytes)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = xmalloc(max_bytes + 1);
    size_t n = fread(buf, 1, max_bytes + 1, f);
    int failed = ferror(f);
    fclose(f);
    if (failed || n > max_bytes) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}
