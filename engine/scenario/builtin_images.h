/*
 * The guest images Enshu builds itself from Debian packages (images/).
 */
#ifndef ENSHU_BUILTIN_IMAGES_H
#define ENSHU_BUILTIN_IMAGES_H

#include <stdbool.h>

/* NULL-terminated list: workstation, server, attacker, router. */
extern const char *const BUILTIN_IMAGES[];

bool builtin_image_exists(const char *name);

#endif
