/*
 * Names of the images built by images/build.sh.
 */
#include "builtin_images.h"

#include <string.h>

const char *const BUILTIN_IMAGES[] = {"workstation", "server", "attacker", "router", NULL};

bool builtin_image_exists(const char *name)
{
    for (const char *const *p = BUILTIN_IMAGES; *p; p++)
        if (strcmp(*p, name) == 0)
            return true;
    return false;
}

bool builtin_image_graphical(const char *name)
{
    return strcmp(name, "workstation") == 0;
}
