/*
 * Reverting a guest to its image: the guest is stopped, its overlay disk
 * (a qcow2 volume over the read-only base image) is deleted and created
 * anew from the same definition, and the guest started again. What the
 * team (or the attack) changed on that guest is gone; its addresses, name
 * and console stay.
 */
#ifndef ENSHU_GUEST_REVERT_H
#define ENSHU_GUEST_REVERT_H

#include <libvirt/libvirt.h>

/* Reports failures (naming the guest) and returns a negative code. */
int guest_revert(virDomainPtr dom) __attribute__((warn_unused_result));

/* Stops the guest if it runs and starts it again (power cycle). */
int guest_restart(virDomainPtr dom) __attribute__((warn_unused_result));

#endif
