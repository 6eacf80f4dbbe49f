/*
 * What a qcow2 file's header says (see qcow2_header.h). The header: magic
 * "QFI\xfb", version (4 bytes), backing file offset (8), backing file
 * length (4), all big-endian.
 */
#include "qcow2_header.h"
#include "alloc.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define QCOW2_HEADER_START 20
#define QCOW2_BACKING_MAX 4096

static const unsigned char MAGIC[4] = {'Q', 'F', 'I', 0xfb};

/* The first bytes of the header, if path is a qcow2 file. */
static bool read_start(int fd, unsigned char h[QCOW2_HEADER_START])
{
    return pread(fd, h, QCOW2_HEADER_START, 0) == QCOW2_HEADER_START &&
           memcmp(h, MAGIC, sizeof MAGIC) == 0;
}

bool qcow2_header_is(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    unsigned char h[QCOW2_HEADER_START];
    bool ok = read_start(fd, h);
    close(fd);
    return ok;
}

char *qcow2_header_backing(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    unsigned char h[QCOW2_HEADER_START];
    char *name = NULL;
    if (read_start(fd, h)) {
        uint64_t offset = 0;
        for (int i = 8; i < 16; i++)
            offset = (offset << 8) | h[i];
        uint32_t length =
            (uint32_t)h[16] << 24 | (uint32_t)h[17] << 16 | (uint32_t)h[18] << 8 | h[19];
        if (offset > 0 && offset < INT64_MAX && length > 0 && length < QCOW2_BACKING_MAX) {
            name = xcalloc(length + 1, 1);
            if (pread(fd, name, length, (off_t)offset) != (ssize_t)length) {
                free(name);
                name = NULL;
            }
        }
    }
    close(fd);
    return name;
}
