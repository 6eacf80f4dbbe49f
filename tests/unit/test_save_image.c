/* libvirt's QEMU save file header (save_image.h) on synthetic files: read,
 * copy with a new XML, and the bad inputs, each reported in the log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "errors.h"
#include "log.h"
#include "save_image.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[] = "/tmp/enshu-save-image-XXXXXX";
static char log_path[256];

static const char STREAM[] = "QEVM\0\0\0\3migration stream bytes, binary \xff\x00\x01 to the end";

static char *path_of(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A save file as libvirt writes it: header, xml and cookie in data_len
 * bytes of zero padding, then the stream. */
static char *write_save(const char *name, const char *magic, uint32_t data_len, const char *xml,
                        const char *cookie)
{
    unsigned char head[SAVE_IMAGE_HEADER_BYTES] = {0};
    memcpy(head, magic, 16);
    put_u32(head + 16, 2);
    put_u32(head + 20, data_len);
    put_u32(head + 24, 1);
    put_u32(head + 28, 0);
    put_u32(head + 32, cookie ? (uint32_t)strlen(xml) + 1 : 0);
    unsigned char *data = xcalloc(data_len, 1);
    /* An xml as long as the data or longer is cut there, with no NUL. */
    size_t xml_bytes = strlen(xml) + 1;
    memcpy(data, xml, xml_bytes < data_len ? xml_bytes : data_len);
    if (cookie)
        memcpy(data + strlen(xml) + 1, cookie, strlen(cookie) + 1);
    char *path = path_of(name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(head, 1, sizeof head, f), sizeof head);
    assert_int_equal(fwrite(data, 1, data_len, f), data_len);
    assert_int_equal(fwrite(STREAM, 1, sizeof STREAM, f), sizeof STREAM);
    fclose(f);
    free(data);
    return path;
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = xmalloc(*len + 1);
    assert_int_equal(fread(b, 1, *len, f), *len);
    fclose(f);
    return b;
}

/* True when the log written since the last call holds text. */
static bool logged(const char *text)
{
    size_t len = 0;
    unsigned char *b = slurp(log_path, &len);
    b[len] = '\0';
    bool found = strstr((char *)b, text) != NULL;
    free(b);
    FILE *f = fopen(log_path, "w");
    fclose(f);
    return found;
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(log_path, sizeof log_path, "%s/log", dir);
    assert_int_equal(log_open(log_path), ENSHU_OK);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    log_close();
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    return 0;
}

static void reads_xml_and_cookie(void **state)
{
    (void)state;
    char *p = write_save("a.sav", SAVE_IMAGE_MAGIC, 4096, "<domain><name>t</name></domain>",
                         "<qemu-migration/>");
    save_image *img = NULL;
    assert_int_equal(save_image_read(p, &img), ENSHU_OK);
    assert_int_equal(img->version, 2);
    assert_int_equal(img->data_len, 4096);
    assert_int_equal(img->was_running, 1);
    assert_string_equal(img->xml, "<domain><name>t</name></domain>");
    assert_string_equal(img->cookie, "<qemu-migration/>");
    save_image_free(img);
    save_image_free(NULL);
    free(p);
}

static void copy_replaces_xml_and_keeps_the_rest(void **state)
{
    (void)state;
    const char *old_xml = "<domain><name>template</name></domain>";
    const char *new_xml = "<domain><name>enshu-x-t02-mail</name><uuid>1</uuid></domain>";
    char *src = write_save("b.sav", SAVE_IMAGE_MAGIC, 4096, old_xml, "<cookie/>");
    char *dst = path_of("b-copy.sav");
    assert_int_equal(save_image_copy_with_xml(src, dst, new_xml), ENSHU_OK);

    save_image *img = NULL;
    assert_int_equal(save_image_read(dst, &img), ENSHU_OK);
    assert_string_equal(img->xml, new_xml);
    assert_string_equal(img->cookie, "<cookie/>");
    assert_int_equal(img->cookie_offset, strlen(new_xml) + 1);
    assert_int_equal(img->data_len, 4096);
    assert_int_equal(img->was_running, 1);
    save_image_free(img);

    size_t slen = 0, dlen = 0;
    unsigned char *s = slurp(src, &slen), *d = slurp(dst, &dlen);
    assert_int_equal(slen, dlen);
    /* The same header but the cookie offset, the stream byte for byte, and
     * zero padding after the cookie. */
    assert_memory_equal(s, d, 32);
    assert_memory_equal(s + 36, d + 36, SAVE_IMAGE_HEADER_BYTES - 36);
    size_t stream_at = SAVE_IMAGE_HEADER_BYTES + 4096;
    assert_memory_equal(s + stream_at, d + stream_at, sizeof STREAM);
    size_t used = strlen(new_xml) + 1 + strlen("<cookie/>") + 1;
    for (size_t i = SAVE_IMAGE_HEADER_BYTES + used; i < stream_at; i++)
        assert_int_equal(d[i], 0);
    struct stat st;
    assert_int_equal(stat(dst, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(s);
    free(d);
    free(src);
    free(dst);
}

static void copy_without_cookie_keeps_none(void **state)
{
    (void)state;
    char *src = write_save("c.sav", SAVE_IMAGE_MAGIC, 512, "<domain/>", NULL);
    char *dst = path_of("c-copy.sav");
    assert_int_equal(save_image_copy_with_xml(src, dst, "<domain><name>n</name></domain>"),
                     ENSHU_OK);
    save_image *img = NULL;
    assert_int_equal(save_image_read(dst, &img), ENSHU_OK);
    assert_int_equal(img->cookie_offset, 0);
    assert_null(img->cookie);
    assert_string_equal(img->xml, "<domain><name>n</name></domain>");
    save_image_free(img);
    free(src);
    free(dst);
}

static void xml_too_long_for_the_padding(void **state)
{
    (void)state;
    char *src = write_save("d.sav", SAVE_IMAGE_MAGIC, 64, "<domain/>", "<cookie/>");
    char *dst = path_of("d-copy.sav");
    /* 54 bytes + NUL + the cookie's 10: one more than 64. */
    char xml[55];
    memset(xml, 'x', sizeof xml - 1);
    xml[sizeof xml - 1] = '\0';
    assert_int_equal(save_image_copy_with_xml(src, dst, xml), ENSHU_EINVAL);
    assert_true(logged("has room for 64"));
    assert_int_equal(access(dst, F_OK), -1);
    /* One byte shorter fits exactly. */
    xml[sizeof xml - 2] = '\0';
    assert_int_equal(save_image_copy_with_xml(src, dst, xml), ENSHU_OK);
    save_image *img = NULL;
    assert_int_equal(save_image_read(dst, &img), ENSHU_OK);
    assert_string_equal(img->xml, xml);
    assert_string_equal(img->cookie, "<cookie/>");
    save_image_free(img);
    free(src);
    free(dst);
}

static void bad_magic_and_partial(void **state)
{
    (void)state;
    char *p = write_save("e.sav", "QFI\xfb-not-a-save", 64, "<domain/>", NULL);
    save_image *img = NULL;
    assert_int_equal(save_image_read(p, &img), ENSHU_EINVAL);
    assert_null(img);
    assert_true(logged("not a libvirt QEMU save file"));
    char *dst = path_of("e-copy.sav");
    assert_int_equal(save_image_copy_with_xml(p, dst, "<domain/>"), ENSHU_EINVAL);
    assert_int_equal(access(dst, F_OK), -1);
    free(p);
    p = write_save("f.sav", "LibvirtQemudPart", 64, "<domain/>", NULL);
    assert_int_equal(save_image_read(p, &img), ENSHU_EINVAL);
    assert_true(logged("did not finish writing"));
    free(p);
    free(dst);
}

static void short_files(void **state)
{
    (void)state;
    char *p = path_of("short.sav");
    save_image *img = NULL;
    /* Missing, empty, half a header, a header whose data is cut short. */
    assert_int_equal(save_image_read(p, &img), ENSHU_EIO);
    assert_true(logged("cannot open save file"));
    FILE *f = fopen(p, "wb");
    fclose(f);
    assert_int_equal(save_image_read(p, &img), ENSHU_EIO);
    assert_true(logged("shorter than its header"));
    char *full = write_save("full.sav", SAVE_IMAGE_MAGIC, 4096, "<domain/>", NULL);
    size_t len = 0;
    unsigned char *b = slurp(full, &len);
    f = fopen(p, "wb");
    fwrite(b, 1, 40, f);
    fclose(f);
    assert_int_equal(save_image_read(p, &img), ENSHU_EIO);
    assert_true(logged("shorter than its header"));
    f = fopen(p, "wb");
    fwrite(b, 1, SAVE_IMAGE_HEADER_BYTES + 100, f);
    fclose(f);
    assert_int_equal(save_image_read(p, &img), ENSHU_EIO);
    assert_true(logged("shorter than its domain XML"));
    assert_null(img);
    free(b);
    free(full);
    free(p);
}

static void damaged_data(void **state)
{
    (void)state;
    save_image *img = NULL;
    /* An XML that fills its data with no NUL. */
    char xml[33];
    memset(xml, 'x', 32);
    xml[32] = '\0';
    char *p = write_save("g.sav", SAVE_IMAGE_MAGIC, 32, xml, NULL);
    assert_int_equal(save_image_read(p, &img), ENSHU_EINVAL);
    assert_true(logged("no NUL within its data"));
    free(p);
    /* A data length far beyond any domain XML. */
    p = write_save("h.sav", SAVE_IMAGE_MAGIC, 64, "<domain/>", NULL);
    FILE *f = fopen(p, "r+b");
    unsigned char big[4];
    put_u32(big, 0xfffffff0u);
    fseek(f, 20, SEEK_SET);
    fwrite(big, 1, 4, f);
    fclose(f);
    assert_int_equal(save_image_read(p, &img), ENSHU_EINVAL);
    assert_true(logged("it is damaged"));
    free(p);
    /* A cookie offset past the data. */
    p = write_save("i.sav", SAVE_IMAGE_MAGIC, 64, "<domain/>", "<c/>");
    f = fopen(p, "r+b");
    put_u32(big, 64);
    fseek(f, 32, SEEK_SET);
    fwrite(big, 1, 4, f);
    fclose(f);
    assert_int_equal(save_image_read(p, &img), ENSHU_EINVAL);
    assert_true(logged("cookie lies outside its data"));
    assert_null(img);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_xml_and_cookie),
        cmocka_unit_test(copy_replaces_xml_and_keeps_the_rest),
        cmocka_unit_test(copy_without_cookie_keeps_none),
        cmocka_unit_test(xml_too_long_for_the_padding),
        cmocka_unit_test(bad_magic_and_partial),
        cmocka_unit_test(short_files),
        cmocka_unit_test(damaged_data),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
