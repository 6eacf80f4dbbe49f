/* Shared by the range's unit tests: image metadata as a BusyBox image's
 * image.json gives it (images/build.sh), for plans that need images without
 * an image store. */
#ifndef ENSHU_TEST_IMAGES_H
#define ENSHU_TEST_IMAGES_H

#include "image_store.h"
#include "range_plan.h"

static const image_info TEST_BUSYBOX_IMAGE = {.name = "workstation",
                                              .dir = "/img/workstation",
                                              .os = IMAGE_OS_LINUX,
                                              .exec = IMAGE_EXEC_SH,
                                              .boot = IMAGE_BOOT_KERNEL,
                                              .addressing = IMAGE_ADDR_CMDLINE,
                                              .cmdline = "",
                                              .serial = true,
                                              .memory_mib = 160,
                                              .vcpus = 1,
                                              .disk = "/img/workstation/disk.qcow2",
                                              .kernel = "/img/workstation/vmlinuz",
                                              .initrd = "/img/workstation/initrd.img"};

/* Gives every domain of plan the image img. */
static inline void test_plan_use_image(range_plan *plan, const image_info *img)
{
    const image_info *images[SCENARIO_MAX_NODES];
    for (size_t i = 0; i < SCENARIO_MAX_NODES; i++)
        images[i] = img;
    range_plan_use_images(plan, images);
}

#endif
