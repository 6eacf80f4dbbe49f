/*
 * Reverting and restarting guests (see guest_revert.h).
 */
#include "guest_revert.h"
#include "alloc.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "libvirt_xml.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int guest_restart(virDomainPtr dom)
{
    int state = 0, reason = 0;
    if (virDomainGetState(dom, &state, &reason, 0) == 0 && state != VIR_DOMAIN_SHUTOFF &&
        virDomainDestroy(dom) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot stop guest %s: %s", virDomainGetName(dom),
                   libvirt_error());
        return ENSHU_ELIBVIRT;
    }
    if (virDomainCreate(dom) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot start guest %s: %s", virDomainGetName(dom),
                   libvirt_error());
        return ENSHU_ELIBVIRT;
    }
    return ENSHU_OK;
}

/* The path of the guest's first disk file, from its definition. */
static char *disk_path(virDomainPtr dom)
{
    char *xml = virDomainGetXMLDesc(dom, VIR_DOMAIN_XML_INACTIVE);
    char *path = libvirt_domain_disk_file(xml);
    free(xml);
    return path;
}

int guest_revert(virDomainPtr dom)
{
    const char *name = virDomainGetName(dom);
    virConnectPtr conn = virDomainGetConnect(dom);
    char *path = disk_path(dom);
    if (!path) {
        log_printf(ENSHU_LOG_ERROR, "enshu: guest %s has no disk file to revert", name);
        return ENSHU_ENOTFOUND;
    }
    virStorageVolPtr vol = virStorageVolLookupByPath(conn, path);
    virStoragePoolPtr pool = vol ? virStoragePoolLookupByVolume(vol) : NULL;
    char *vol_xml = vol ? virStorageVolGetXMLDesc(vol, 0) : NULL;
    int rc = ENSHU_OK;
    if (!vol_xml || !pool) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: the disk %s of guest %s is not a volume libvirt knows: %s", path, name,
                   libvirt_error());
        rc = ENSHU_ELIBVIRT;
    }
    int state = 0, reason = 0;
    if (rc == ENSHU_OK && virDomainGetState(dom, &state, &reason, 0) == 0 &&
        state != VIR_DOMAIN_SHUTOFF && virDomainDestroy(dom) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot stop guest %s: %s", name, libvirt_error());
        rc = ENSHU_ELIBVIRT;
    }
    /* The same definition (name, format, backing image, capacity) again:
     * a fresh, empty overlay over the untouched base image. */
    if (rc == ENSHU_OK && virStorageVolDelete(vol, 0) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot delete the disk of guest %s: %s", name,
                   libvirt_error());
        rc = ENSHU_ELIBVIRT;
    }
    virStorageVolPtr fresh = NULL;
    if (rc == ENSHU_OK && !(fresh = virStorageVolCreateXML(pool, vol_xml, 0))) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot create the disk of guest %s again: %s", name,
                   libvirt_error());
        rc = ENSHU_ELIBVIRT;
    }
    if (rc == ENSHU_OK && virDomainCreate(dom) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot start guest %s: %s", name, libvirt_error());
        rc = ENSHU_ELIBVIRT;
    }
    if (fresh)
        virStorageVolFree(fresh);
    if (vol)
        virStorageVolFree(vol);
    if (pool)
        virStoragePoolFree(pool);
    free(vol_xml);
    free(path);
    return rc;
}
