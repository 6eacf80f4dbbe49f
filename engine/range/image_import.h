/*
 * Adding a disk image from elsewhere to the image store (`enshu images
 * import`), and removing it again.
 *
 * The file is taken as qcow2 or raw, told apart by its bytes (never by its
 * name): qcow2 by its header, checked with `qemu-img check`; raw when
 * `qemu-img info` finds no other format in it and it starts with a
 * partition table (MBR or GPT) or a file system (ext2/3/4, XFS, Btrfs,
 * NTFS, FAT). Refused, leaving nothing behind: anything else (not a disk
 * image, or another format such as VMDK: convert it first); a qcow2 that
 * is truncated or damaged; a qcow2 with an external data file, or with a
 * backing file outside the image store (a backing chain may name any file
 * of this host, which would then show in a guest; flatten it with
 * `qemu-img convert -O qcow2 FILE NEW.qcow2` first). A backing chain wholly
 * inside the image store is flattened into the copy.
 *
 * The disk is copied (raw converted to qcow2) into DIR/.tmp-import-NAME.*,
 * its sha256 computed, image.json written (origin "imported", boot "disk"),
 * and the folder renamed to DIR/NAME. Imports and builds of one DIR are
 * serialised by the lock images/build.sh takes (DIR/.work/lock).
 *
 * Reports every refusal once (log.h) as a sentence naming the file or the
 * image. Runs qemu-img (qemu-utils); blocks for as long as the copy takes.
 */
#ifndef ENSHU_IMAGE_IMPORT_H
#define ENSHU_IMAGE_IMPORT_H

#include "image_store.h"

#include <stdbool.h>

typedef struct image_import_opts {
    image_os os;                 /* default linux */
    bool exec_given;             /* else exec follows os: linux sh, windows powershell */
    image_exec exec;             /* when exec_given */
    image_addressing addressing; /* dhcp or agent (cmdline is for boot "kernel") */
    bool consoles_given;         /* else linux [serial], windows [graphical] */
    bool serial, graphical;      /* when consoles_given; at least one */
    unsigned memory_mib;         /* 0: linux 512, windows 2048 */
    unsigned vcpus;              /* 0: linux 1, windows 2 */
    bool force;                  /* replace an imported image of the same name */
} image_import_opts;

/* Imports file as image name into dir. 0, or: ENSHU_EINVAL (bad name or
 * option, not an accepted disk image), ENSHU_EEXIST (the name is taken),
 * ENSHU_EIO (reading, copying or writing failed), ENSHU_EBUSY (the lock).
 * On failure nothing new is left in dir. */
int image_import(const char *dir, const char *name, const char *file, const image_import_opts *opts)
    __attribute__((warn_unused_result));

/* Removes the imported image name from dir (refused for a built image or a
 * built-in name): ENSHU_EINVAL, ENSHU_ENOTFOUND, ENSHU_EIO, ENSHU_EBUSY. */
int image_remove(const char *dir, const char *name) __attribute__((warn_unused_result));

#endif
