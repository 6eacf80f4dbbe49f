/*
 * Names of the images Enshu builds: the BusyBox ones (images/build.sh) and
 * the Debian ones (images/debian/build.sh).
 */
#include "builtin_images.h"

#include <string.h>

const char *const BUILTIN_IMAGES[] = {"workstation", "server",     "attacker",   "router",
                                      "firewall",    "mailserver", "fileserver", "webserver",
                                      "logserver",   "desktop",    NULL};

bool builtin_image_exists(const char *name)
{
    for (const char *const *p = BUILTIN_IMAGES; *p; p++)
        if (strcmp(*p, name) == 0)
            return true;
    return false;
}

bool builtin_image_is_busybox(const char *name)
{
    /* The first four of BUILTIN_IMAGES. */
    for (size_t i = 0; i < 4; i++)
        if (strcmp(BUILTIN_IMAGES[i], name) == 0)
            return true;
    return false;
}
