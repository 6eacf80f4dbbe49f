/*
 * Where Enshu's data lies: the consoles' files (web/), the guest image
 * recipes (images/) and the shipped scenarios (scenarios/). The lookup order:
 *
 *   1. $ENSHU_DATA_DIR, when set and not empty;
 *   2. for a binary run from its build tree, the source tree: CMake writes
 *      the marker file `enshu-build-tree` (holding the source tree's path)
 *      next to the binary it builds. `cmake --install` never installs it,
 *      so an installed binary never reads a source tree;
 *   3. otherwise the install prefix: ../share/enshu (as installed, see
 *      cmake/EnshuInstall.cmake) from the directory of /proc/self/exe, so
 *      an installed tree works wherever it is moved (without /proc: the
 *      data directory of the prefix CMake was configured with).
 *
 * Nothing is checked for existence: callers report a missing file with
 * its path.
 */
#ifndef ENSHU_DATA_DIR_H
#define ENSHU_DATA_DIR_H

/* NAME ("web", "images", "scenarios") in the data directory chosen as
 * above: a new string, the caller frees it. Never NULL. Reads the
 * environment and the file system only; safe from any thread. */
char *data_dir_path(const char *name) __attribute__((malloc, returns_nonnull));

#endif
