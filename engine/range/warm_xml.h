/*
 * The domain XML of a warm restore (warm_restore.h), pure string work with
 * libxml2: the XML a copy of a saved template is restored with, the
 * template's MACs, and the key that names a template.
 *
 * A restored QEMU must have exactly the devices of the saved one, and
 * libvirt checks nothing when the XML comes from the save file's header
 * (save_image.h). So the copy's XML is the template's saved XML, as libvirt
 * wrote it (with every address, alias and controller it added), with only
 * the parts that make the domain this one replaced from its planned XML
 * (libvirt_xml.h): name, uuid, the kernel command line, <sysinfo> (the
 * team's hosts table in fw_cfg), each interface's MAC, network and filter
 * (in order), and the first disk's file. The disk's <backingStore> is
 * dropped so that libvirt reads the chain from the new overlay.
 *
 * Any thread may call these.
 */
#ifndef ENSHU_WARM_XML_H
#define ENSHU_WARM_XML_H

#include <stddef.h>

/* The copy's XML into *out (caller frees). ENSHU_EINVAL when either is not
 * a libvirt domain, or their interface or disk counts differ (the planned
 * domain does not have the template's shape). */
int warm_copy_xml(const char *saved_xml, const char *planned_xml, char **out)
    __attribute__((warn_unused_result));

/* The MAC of each <interface> of a domain XML, in order: a NULL-terminated
 * array (libvirt_xml_strings_free). Returns how many, or ENSHU_EINVAL when
 * xml is not a libvirt domain. */
int warm_xml_macs(const char *xml, char ***macs) __attribute__((warn_unused_result));

/* The template key: 64 hex digits of sha256 over the image's sha256 and
 * shape_xml, the domain XML with every per-domain part fixed (warm_restore.c
 * makes it), so that memory, vCPUs, NICs, kernel, display and every other
 * device choose the template. */
char *warm_template_key(const char *image_sha256, const char *shape_xml);

#endif
