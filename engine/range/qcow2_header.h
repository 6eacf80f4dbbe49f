/*
 * What a qcow2 file's header says, read from the file itself (no
 * qemu-img): whether it is a qcow2 file, and the backing file it names.
 * Used on files the engine made (templates, overlays); imported files are
 * checked by qemu-img (image_import.h).
 */
#ifndef ENSHU_QCOW2_HEADER_H
#define ENSHU_QCOW2_HEADER_H

#include <stdbool.h>

/* Whether path starts with the qcow2 magic. */
bool qcow2_header_is(const char *path);

/* The backing file named in path's header, as written there (caller
 * frees); NULL when it names none, is not a qcow2 file or cannot be read. */
char *qcow2_header_backing(const char *path);

#endif
