/*
 * The image store: the folder of guest images (range_image_dir(), that is
 * $ENSHU_IMAGE_DIR or /var/lib/enshu/images) where every image, built by
 * `enshu images build` or added by `enshu images import`, is a folder
 * DIR/NAME holding disk.qcow2, for boot "kernel" also vmlinuz and
 * initrd.img, and image.json, its metadata, written last: a folder without
 * image.json is not an image.
 *
 * image.json (one object; keys not listed are ignored, so that a later
 * version may add some):
 *   name        the folder's name
 *   origin      "built" (images/ recipes) or "imported" (enshu images import)
 *   os          "linux" or "windows"
 *   exec        how run, file and checks execute through the agent: "sh" or
 *               "powershell"
 *   boot        "kernel": the engine boots vmlinuz + initrd.img of the folder;
 *               "disk": disk.qcow2's own boot loader boots it
 *   cmdline     boot "kernel" only, optional (default ""): the flags the image
 *               needs; the engine appends its own (console, enshu.hostname,
 *               enshu.net, enshu.gw). Must be "" or absent for boot "disk".
 *   addressing  "cmdline" (reads enshu.net/enshu.gw from the kernel command
 *               line: boot "kernel" only), "dhcp" (libvirt pins the address
 *               per MAC) or "agent" (the engine sets it through the agent)
 *   consoles    a non-empty list of "serial" and "graphical"
 *   memory_mib  64 to 65536: the default when the scenario's node says none
 *   vcpus       1 to 16: likewise
 *   disk        file name of the base disk in the folder ("disk.qcow2")
 *   sha256      64 hex digits: of the disk (imports), of the recipe (builds)
 *   recipe      builds only, optional: the recipe's cache key
 * The files named must exist; a lookup does not read the disk itself.
 *
 * Pure file reading and formatting, no libvirt: any thread may call these.
 */
#ifndef ENSHU_IMAGE_STORE_H
#define ENSHU_IMAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#define IMAGE_NAME_MAX 32
#define IMAGE_MEMORY_MIN_MIB 64u
#define IMAGE_MEMORY_MAX_MIB (64u * 1024)
#define IMAGE_VCPUS_MAX 16u

typedef enum image_os { IMAGE_OS_LINUX, IMAGE_OS_WINDOWS } image_os;
typedef enum image_exec { IMAGE_EXEC_SH, IMAGE_EXEC_POWERSHELL } image_exec;
typedef enum image_boot { IMAGE_BOOT_KERNEL, IMAGE_BOOT_DISK } image_boot;
typedef enum image_addressing {
    IMAGE_ADDR_CMDLINE,
    IMAGE_ADDR_DHCP,
    IMAGE_ADDR_AGENT
} image_addressing;

typedef struct image_info {
    char *name, *dir; /* dir: DIR/NAME */
    bool imported;
    image_os os;
    image_exec exec;
    image_boot boot;
    image_addressing addressing;
    char *cmdline;          /* "" when none */
    bool serial, graphical; /* consoles offered */
    unsigned memory_mib, vcpus;
    char *disk, *kernel, *initrd; /* absolute paths; kernel/initrd NULL for boot "disk" */
    char *sha256;                 /* NULL for an image without metadata (image_info_for_disk) */
} image_info;

/* Reads DIR/NAME/image.json; NULL and a message on *error (malloc'd) when
 * absent or bad. The message is a sentence naming the file, without the
 * image's use or a remedy (the caller knows those). */
image_info *image_store_lookup(const char *dir, const char *name, char **error)
    __attribute__((warn_unused_result));
void image_info_free(image_info *img);

/* True when name can name an image: letters, digits, '-' and '_', starting
 * with a letter or digit, at most IMAGE_NAME_MAX characters (the same rule
 * as a scenario's image names). */
bool image_name_valid(const char *name);

/* The metadata of a base disk given by path alone (a scenario's
 * `qcow2: PATH`): os linux, exec sh, boot disk, addressing dhcp, consoles
 * [serial], 512 MiB, 1 vCPU, no sha256; dir is the disk's folder. */
image_info *image_info_for_disk(const char *name, const char *disk_path);

/* The words of image.json for each value. */
const char *image_os_name(image_os os);
const char *image_exec_name(image_exec exec);
const char *image_boot_name(image_boot boot);
const char *image_addressing_name(image_addressing addressing);

/* Parse those words back; 0, or ENSHU_EINVAL for any other text. */
int image_os_parse(const char *text, image_os *out) __attribute__((warn_unused_result));
int image_exec_parse(const char *text, image_exec *out) __attribute__((warn_unused_result));
int image_addressing_parse(const char *text, image_addressing *out)
    __attribute__((warn_unused_result));

/* img as image.json text (origin from img->imported; disk, and for boot
 * "kernel" vmlinuz and initrd.img, by their names in the folder), with
 * recipe when not NULL. Caller frees. */
char *image_info_to_json(const image_info *img, const char *recipe);

/* The names of the folders of dir that hold an image.json, sorted; a
 * missing dir holds none. Caller frees each and the array. */
char **image_store_names(const char *dir, size_t *count);

#endif
