/*
 * libvirt's QEMU save file (virDomainSave, `virsh save`): reading the
 * domain XML its header holds, and copying it with that XML replaced, so
 * that one saved guest can be restored many times under other names,
 * uuids, disks and networks (warm_restore.h). libvirt refuses a new name or
 * uuid through its own API (virDomainRestoreFlags' dxml runs an ABI check
 * that insists on both), so the copy is made here.
 *
 * Layout (libvirt's src/qemu/qemu_saveimage.h, version 2, little-endian on
 * the hosts Enshu runs on):
 *   magic[16]     "LibvirtQemudSave" ("LibvirtQemudPart" while libvirt
 *                 is still writing it: refused here)
 *   uint32        version, data_len, was_running, compressed, cookieOffset
 *   uint32        unused[14]                          (92 bytes so far)
 *   data_len      the domain XML and its NUL; if cookieOffset is not 0, the
 *                 cookie XML and its NUL at that offset; zero padding
 *   ...           QEMU's migration stream, to the end of the file
 * A copy keeps data_len, so the stream stays at the same offset and is
 * copied byte for byte; the new XML must leave room for the cookie within
 * data_len. No ABI check is made here: the caller keeps every device the
 * same (warm_xml.h).
 *
 * Plain file I/O, no libvirt, no global state: any thread may call these.
 * Every failure is reported once (log.h) naming the file and what is wrong.
 */
#ifndef ENSHU_SAVE_IMAGE_H
#define ENSHU_SAVE_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define SAVE_IMAGE_MAGIC "LibvirtQemudSave"
#define SAVE_IMAGE_HEADER_BYTES 92u
/* A bound on data_len: libvirt pads to about 64 KiB; a larger value means
 * a damaged file, not a domain. */
#define SAVE_IMAGE_DATA_MAX (16u * 1024 * 1024)

typedef struct save_image {
    uint32_t version, data_len, was_running, compressed, cookie_offset;
    char *xml;    /* the domain XML, NUL-terminated */
    char *cookie; /* the cookie XML, or NULL when cookie_offset is 0 */
} save_image;

/* Reads the header of the save file at path. ENSHU_EIO when it cannot be
 * read or is shorter than its header says; ENSHU_EINVAL when it is not a
 * complete libvirt QEMU save file (wrong magic, an XML without its NUL, a
 * cookie offset outside the data). *out is set only on success. */
int save_image_read(const char *path, save_image **out) __attribute__((warn_unused_result));

void save_image_free(save_image *img);

/* Writes dst (created with mode 0600, or truncated) as a copy of src whose
 * domain XML is xml; header fields, cookie and migration stream as in src.
 * ENSHU_EINVAL, with nothing left at dst, when xml with its NUL and the
 * cookie with its NUL do not fit in src's data_len, or src is not a save
 * file; ENSHU_EIO when reading or writing fails (dst removed). */
int save_image_copy_with_xml(const char *src, const char *dst, const char *xml)
    __attribute__((warn_unused_result));

#endif
