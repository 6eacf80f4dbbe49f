/*
 * Where ranges keep their files: ENSHU_STATE_DIR (default /var/lib/enshu)
 * holds ranges/NAME.db (the state store) and ranges/NAME.lock (held while a
 * command works on the range); images live in ENSHU_IMAGE_DIR (default
 * /var/lib/enshu/images) and overlays in the libvirt storage pool "enshu",
 * created at ENSHU_POOL_DIR (default /var/lib/enshu/pool) on first use.
 */
#ifndef ENSHU_RANGE_FILES_H
#define ENSHU_RANGE_FILES_H

#include <stddef.h>

const char *range_state_dir(void);
const char *range_image_dir(void);

/* Caller frees. */
char *range_db_path(const char *name);
char *range_pool_dir(void);
/* The exercise's event ledger, kept after `down` for its scores. */
char *range_ledger_path(const char *name);

/* Creates the state directories if needed. Reports errors. */
int range_dirs_ensure(void) __attribute__((warn_unused_result));

/* Takes the range's lock without waiting; returns an fd, or ENSHU_EBUSY
 * (reported) when another enshu holds it. */
int range_lock(const char *name) __attribute__((warn_unused_result));
void range_unlock(int fd);

/* Names of the ranges with a state store, sorted (caller frees each and
 * the array). */
char **range_list(size_t *count);

/* Removes the store and its WAL files. */
void range_files_remove(const char *name);

/* The range to act on: the given name, else the only one there is.
 * Reports what to do when that is ambiguous. Caller frees. */
char *range_pick(const char *given, const char *command);

#endif
