/*
 * Reading a whole text file (scenario texts, inject scripts) into memory,
 * with a size bound.
 */
#ifndef ENSHU_TEXT_FILE_H
#define ENSHU_TEXT_FILE_H

#include <stddef.h>

/* The file's contents, NUL-terminated (caller frees); NULL when it cannot be
 * read or is larger than max_bytes. */
char *text_file_read(const char *path, size_t max_bytes) __attribute__((warn_unused_result));

#endif
