/*
 * The guest images Enshu builds itself from Debian packages (images/).
 */
#ifndef ENSHU_BUILTIN_IMAGES_H
#define ENSHU_BUILTIN_IMAGES_H

#include <stdbool.h>

/* NULL-terminated list: workstation, server, attacker, router. */
extern const char *const BUILTIN_IMAGES[];

bool builtin_image_exists(const char *name);

/* Whether the image offers a graphical console (a screen, besides its
 * serial console): of the built-in images, the workstation. To be read from
 * image_store.h's image_info.graphical (image.json's "consoles") once every
 * image carries one. */
bool builtin_image_graphical(const char *name);

#endif
