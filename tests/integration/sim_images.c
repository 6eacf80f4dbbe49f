/* Fake built images for ranges on test:/// hosts (see sim_images.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "sim_images.h"

#include <stdio.h>
#include <stdlib.h>

void sim_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

void sim_make_image(const char *name)
{
    char *folder = xasprintf("%s/%s", getenv("ENSHU_IMAGE_DIR"), name);
    char *cmd = xasprintf("mkdir -p %s && touch %s/vmlinuz %s/initrd.img && "
                          "qemu-img create -q -f qcow2 %s/disk.qcow2 32M",
                          folder, folder, folder, folder);
    assert_int_equal(system(cmd), 0);
    char *path = xasprintf("%s/image.json", folder);
    char *json = xasprintf("{\"name\": \"%s\", \"os\": \"linux\", \"memory_mib\": 160, "
                           "\"vcpus\": 1, \"disk\": \"disk.qcow2\", \"sha256\": \"%064d\", "
                           "\"origin\": \"built\", \"boot\": \"kernel\", \"exec\": \"sh\", "
                           "\"addressing\": \"cmdline\", \"consoles\": [\"serial\"]}\n",
                           name, 0);
    sim_write_file(path, json);
    free(json);
    free(path);
    free(cmd);
    free(folder);
}
