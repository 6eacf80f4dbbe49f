/*
 * The names of the guest images Enshu builds itself from Debian packages
 * (images/): known to the scenario checker without reading any file. Whether
 * one is built on this machine is for the range's image store to say.
 */
#ifndef ENSHU_BUILTIN_IMAGES_H
#define ENSHU_BUILTIN_IMAGES_H

#include <stdbool.h>

/* NULL-terminated list: the BusyBox images workstation, server, attacker,
 * router, then the Debian ones firewall, mailserver, fileserver, webserver,
 * logserver, desktop. */
extern const char *const BUILTIN_IMAGES[];

bool builtin_image_exists(const char *name);

/* True for the BusyBox images (workstation, server, attacker, router): a
 * root filesystem in RAM with BusyBox alone (no sudo, no tz database). */
bool builtin_image_is_busybox(const char *name);

#endif
