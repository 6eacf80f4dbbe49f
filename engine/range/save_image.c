/*
 * libvirt's QEMU save file header: reading it, and copying a save file with
 * its domain XML replaced (see save_image.h).
 */
#include "save_image.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC_LEN 16
#define FIELDS_OFFSET MAGIC_LEN
#define COOKIE_FIELD_OFFSET (FIELDS_OFFSET + 4 * 4)

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

/* Reads exactly len bytes at offset; false on a short file or an error
 * (errno 0 for a short file). */
static bool read_at(int fd, void *buf, size_t len, off_t offset)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, (char *)buf + done, len - done, offset + (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = 0;
            return false;
        }
        done += (size_t)n;
    }
    return true;
}

static bool write_all(int fd, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t n = write(fd, (const char *)buf + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += (size_t)n;
    }
    return true;
}

static int read_failed(const char *path, const char *what)
{
    if (errno)
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot read the %s of save file %s: %s", what, path,
                   strerror(errno));
    else
        log_printf(ENSHU_LOG_ERROR, "enshu: save file %s is shorter than its %s: it is truncated",
                   path, what);
    return ENSHU_EIO;
}

/* Reads and checks header and data of the open save file fd. On success
 * head holds the header's bytes and *data the data_len bytes (caller
 * frees). */
static int read_header(int fd, const char *path, unsigned char head[SAVE_IMAGE_HEADER_BYTES],
                       save_image *img, unsigned char **data)
{
    if (!read_at(fd, head, SAVE_IMAGE_HEADER_BYTES, 0))
        return read_failed(path, "header");
    if (memcmp(head, SAVE_IMAGE_MAGIC, MAGIC_LEN) != 0) {
        bool partial = memcmp(head, "LibvirtQemudPart", MAGIC_LEN) == 0;
        log_printf(ENSHU_LOG_ERROR, "enshu: %s is %s", path,
                   partial ? "a save file libvirt did not finish writing"
                           : "not a libvirt QEMU save file (its magic is wrong)");
        return ENSHU_EINVAL;
    }
    const unsigned char *p = head + FIELDS_OFFSET;
    img->version = get_u32(p);
    img->data_len = get_u32(p + 4);
    img->was_running = get_u32(p + 8);
    img->compressed = get_u32(p + 12);
    img->cookie_offset = get_u32(p + 16);
    if (img->data_len == 0 || img->data_len > SAVE_IMAGE_DATA_MAX) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: save file %s says its XML takes %u bytes (at most %u): it is damaged",
                   path, img->data_len, SAVE_IMAGE_DATA_MAX);
        return ENSHU_EINVAL;
    }
    *data = xmalloc(img->data_len + 1);
    if (!read_at(fd, *data, img->data_len, SAVE_IMAGE_HEADER_BYTES)) {
        free(*data);
        *data = NULL;
        return read_failed(path, "domain XML");
    }
    (*data)[img->data_len] = '\0';
    size_t xml_len = strnlen((char *)*data, img->data_len);
    const char *bad = NULL;
    if (xml_len == img->data_len)
        bad = "its domain XML has no end (no NUL within its data)";
    else if (xml_len == 0)
        bad = "its domain XML is empty";
    else if (img->cookie_offset &&
             (img->cookie_offset <= xml_len || img->cookie_offset >= img->data_len))
        bad = "its cookie lies outside its data";
    else if (img->cookie_offset &&
             strnlen((char *)*data + img->cookie_offset, img->data_len - img->cookie_offset) ==
                 img->data_len - img->cookie_offset)
        bad = "its cookie has no end (no NUL within its data)";
    if (bad) {
        log_printf(ENSHU_LOG_ERROR, "enshu: save file %s is damaged: %s", path, bad);
        free(*data);
        *data = NULL;
        return ENSHU_EINVAL;
    }
    return ENSHU_OK;
}

int save_image_read(const char *path, save_image **out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot open save file %s: %s", path, strerror(errno));
        return ENSHU_EIO;
    }
    unsigned char head[SAVE_IMAGE_HEADER_BYTES];
    save_image img = {0};
    unsigned char *data = NULL;
    int rc = read_header(fd, path, head, &img, &data);
    close(fd);
    if (rc != ENSHU_OK)
        return rc;
    img.xml = xstrdup((char *)data);
    if (img.cookie_offset)
        img.cookie = xstrdup((char *)data + img.cookie_offset);
    free(data);
    *out = xmalloc(sizeof img);
    **out = img;
    return ENSHU_OK;
}

void save_image_free(save_image *img)
{
    if (!img)
        return;
    free(img->xml);
    free(img->cookie);
    free(img);
}

/* Copies src from offset to its end into dst at the same offset: in the
 * kernel where it can (copy_file_range), else through a buffer. */
static bool copy_rest(int src, int dst, off_t offset)
{
    off_t in = offset, out = offset;
    for (;;) {
        ssize_t n = copy_file_range(src, &in, dst, &out, 1 << 30, 0);
        if (n == 0)
            return true;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)
                break;
            return false;
        }
    }
    if (lseek(src, in, SEEK_SET) < 0 || lseek(dst, out, SEEK_SET) < 0)
        return false;
    enum { CHUNK = 1 << 20 };
    char *buf = xmalloc(CHUNK);
    bool ok = true;
    for (;;) {
        ssize_t n = read(src, buf, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        if (!write_all(dst, buf, (size_t)n)) {
            ok = false;
            break;
        }
    }
    free(buf);
    return ok;
}

int save_image_copy_with_xml(const char *src, const char *dst, const char *xml)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot open save file %s: %s", src, strerror(errno));
        return ENSHU_EIO;
    }
    unsigned char head[SAVE_IMAGE_HEADER_BYTES];
    save_image img = {0};
    unsigned char *data = NULL;
    int rc = read_header(in, src, head, &img, &data);
    if (rc != ENSHU_OK) {
        close(in);
        return rc;
    }
    size_t xml_len = strlen(xml) + 1;
    size_t cookie_len = img.cookie_offset ? strlen((char *)data + img.cookie_offset) + 1 : 0;
    if (xml_len + cookie_len > img.data_len) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: the new domain XML for %s takes %zu bytes with the cookie, and save "
                   "file %s has room for %u",
                   dst, xml_len + cookie_len, src, img.data_len);
        free(data);
        close(in);
        return ENSHU_EINVAL;
    }
    unsigned char *body = xcalloc(img.data_len, 1);
    memcpy(body, xml, xml_len);
    if (cookie_len)
        memcpy(body + xml_len, data + img.cookie_offset, cookie_len);
    /* libvirt finds the cookie by its offset; none stays none. */
    put_u32(head + COOKIE_FIELD_OFFSET, cookie_len ? (uint32_t)xml_len : 0);
    free(data);

    rc = ENSHU_OK;
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot create save file %s: %s", dst, strerror(errno));
        rc = ENSHU_EIO;
    } else if (!write_all(out, head, sizeof head) || !write_all(out, body, img.data_len) ||
               !copy_rest(in, out, (off_t)(SAVE_IMAGE_HEADER_BYTES + img.data_len))) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot copy save file %s to %s: %s", src, dst,
                   strerror(errno));
        rc = ENSHU_EIO;
    }
    if (out >= 0 && close(out) < 0 && rc == ENSHU_OK) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot write save file %s: %s", dst, strerror(errno));
        rc = ENSHU_EIO;
    }
    if (rc != ENSHU_OK && out >= 0)
        unlink(dst);
    free(body);
    close(in);
    return rc;
}
