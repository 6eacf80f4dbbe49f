/*
 * The image every node of a scenario boots, found before a range is
 * created: built-in and imported images in the image store (image_store.h),
 * and base disks a scenario names by path (`qcow2: PATH`, an image without
 * metadata: image_info_for_disk). Any thread may call these.
 */
#ifndef ENSHU_RANGE_IMAGES_H
#define ENSHU_RANGE_IMAGES_H

#include "image_store.h"
#include "scenario.h"

/* One image_info per node of s (in s->nodes order), images of the store
 * read from dir. Reports every node whose image is missing, broken or used in a
 * way it cannot serve (range_image_misuse), naming the node, the image and what to run,
 * and returns NULL if there was any. Free with range_images_free. */
image_info **range_images_resolve(const scenario *s, const char *dir)
    __attribute__((warn_unused_result));
void range_images_free(image_info **images, size_t count);

/* Whether each node's image runs Linux, in s->nodes order (malloc'd, at
 * least one element): as the image store says for its images; disks named
 * by path, and images not found, are taken for Linux. Quiet: for those
 * that only need to know which nodes have the scenario's accounts
 * (scenario_user_on_node) of a range already up. */
bool *range_images_linux(const scenario *s, const char *dir);

/* Whether each node's image runs its commands with PowerShell (exec
 * "powershell"), in the same way; disks named by path and images not found
 * run sh. */
bool *range_images_powershell(const scenario *s, const char *dir);

/* Whether each node's image offers a graphical console (a screen), in the
 * same way; disks named by path and images not found have none. */
bool *range_images_graphical(const scenario *s, const char *dir);

/* Why node n of s cannot run on img as s uses it: on an image whose
 * commands run with PowerShell (exec "powershell"), an inject or check
 * that runs as a user, a file with an owner or group, or mail sent via the
 * node (each needs sh and accounts). A sentence naming the inject or
 * check and the node (malloc'd), with *pos the key at fault; NULL when it
 * can. */
char *range_image_misuse(const scenario *s, const node *n, const image_info *img, src_pos *pos)
    __attribute__((warn_unused_result));

#endif
