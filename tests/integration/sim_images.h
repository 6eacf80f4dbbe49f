/* Fake built images for ranges on libvirt's test:/// hosts: what the
 * self-paced tests (sandbox_sim, course_hub) place sandboxes with. */
#ifndef ENSHU_TEST_SIM_IMAGES_H
#define ENSHU_TEST_SIM_IMAGES_H

/* Writes text to path (the test fails if it cannot). */
void sim_write_file(const char *path, const char *text);
/* An image NAME in $ENSHU_IMAGE_DIR: an empty kernel and initrd, a 32 MiB
 * qcow2 disk, and an image.json of 160 MiB and one vCPU. */
void sim_make_image(const char *name);

#endif
