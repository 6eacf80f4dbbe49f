/*
 * Warm restore (`enshu up/run --warm`): a guest made ready from a saved
 * memory state instead of a boot (docs/WARM_RESTORE.md).
 *
 * Templates. Per image and domain shape, a template is kept beside the
 * image store: DIR/templates/KEY/ (DIR the folder holding the images, KEY
 * warm_template_key over the image's sha256 and the domain's XML with its
 * per-domain parts fixed) holds disk.qcow2, an overlay of the image's disk
 * that is never written again, state.sav, libvirt's save file of a guest
 * that booted on it, and image, the name and sha256 of its image. It is
 * made on first use: the guest boots on an isolated network of its own,
 * its agent answers, `systemctl is-system-running --wait` returns, then
 * virDomainSave. It is made in
 * KEY.new and renamed, under a lock (a mutex in this process, flock across
 * processes), so a half-made template is never used; a template whose save
 * file does not read, or whose disk is missing, is made again. Only images
 * whose guests can take a new identity (Linux, kernel boot, with
 * /usr/lib/enshu/guest-setup: the Debian images) have templates; for the
 * others warm_template_get says no and the caller boots.
 *
 * Restoring a domain: a copy of state.sav with the domain's own XML in its
 * header (warm_xml.h, save_image.h), virDomainRestore, the copy removed,
 * the domain defined with its planned XML (so that it is persistent and
 * `down` removes it as any other), then its identity through the agent: the
 * host's time; each NIC's planned MAC (found by the template's); the
 * image's guest-setup run again with the planned kernel command line
 * (hostname, addresses, hosts table, DNS, time zone); networkctl reload,
 * rsyslog restarted; waits until every planned address is set.
 *
 * Threads: any thread may call these; templates of one key are made once.
 */
#ifndef ENSHU_WARM_RESTORE_H
#define ENSHU_WARM_RESTORE_H

#include "range_plan.h"

#include <libvirt/libvirt.h>
#include <stdio.h>

typedef struct warm_template warm_template;

/* Whether d can be restored warm on the host of conn: its image has a
 * sha256 and boots a Linux kernel, and the host is the local one (the
 * templates live in this host's image store). */
bool warm_wanted(virConnectPtr conn, const plan_domain *d);

/* The template of d's image and shape, made if missing or damaged (this
 * may take as long as a boot). ENSHU_EINVAL when the image cannot take a
 * new identity; other codes when making it failed; all reported. */
int warm_template_get(virConnectPtr conn, const plan_team *team, const plan_domain *d,
                      warm_template **out) __attribute__((warn_unused_result));

/* The template's disk: the backing file of a restored domain's overlay. */
const char *warm_template_disk(const warm_template *t);

void warm_template_free(warm_template *t);

/* Removes the templates in image_dir/templates whose image was removed or
 * rebuilt since they were made (no guest restores from them again; their
 * disks back onto an image file that is no longer theirs), saying so on
 * out (NULL: quiet). A template made before its image was recorded in it
 * is stale when the image file its disk backs onto is gone or newer than
 * it. Kept: one a guest's disk in pool_dir backs onto, one another process
 * holds. Returns how many were removed. */
int warm_templates_prune(const char *image_dir, const char *pool_dir, FILE *out);

/* Restores domain d of team from t, with disk_path (an overlay of
 * warm_template_disk) and the team's filter (NULL: none), defines it and
 * gives it its identity. On failure the domain is removed again (the
 * caller may boot it instead) and the code returned; reported. */
int warm_restore_domain(virConnectPtr conn, const plan_team *team, const plan_domain *d,
                        const warm_template *t, const char *disk_path, const char *filter)
    __attribute__((warn_unused_result));

#endif
