/* The image store: good and bad image.json files, written into a temporary
 * image folder, read back through image_store_lookup. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "image_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *dir;

static const char SHA[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void write_file(const char *folder, const char *file, const char *text)
{
    char *path = xasprintf("%s/%s", folder, file);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

/* DIR/name with the given image.json (none when NULL) and the files listed
 * (space-separated). */
static void make_image(const char *name, const char *json, const char *files)
{
    char *folder = xasprintf("%s/%s", dir, name);
    mkdir(folder, 0755);
    char *list = xstrdup(files), *save = NULL;
    for (char *f = strtok_r(list, " ", &save); f; f = strtok_r(NULL, " ", &save))
        write_file(folder, f, "x");
    free(list);
    if (json)
        write_file(folder, "image.json", json);
    free(folder);
}

/* The BusyBox images' metadata (images/build.sh). */
static char *busybox_json(const char *name)
{
    return xasprintf("{\"name\": \"%s\", \"origin\": \"built\", \"os\": \"linux\", \"exec\": "
                     "\"sh\", \"boot\": \"kernel\", \"cmdline\": \"\", \"addressing\": "
                     "\"cmdline\", \"consoles\": [\"serial\"], \"memory_mib\": 160, \"vcpus\": "
                     "1, \"disk\": \"disk.qcow2\", \"sha256\": \"%s\", \"recipe\": \"%s\"}",
                     name, SHA, SHA);
}

static int setup(void **state)
{
    char tmpl[] = "/tmp/enshu-images-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    dir = xstrdup(tmpl);
    return 0;
}

static int teardown(void **state)
{
    char *cmd = xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
    return 0;
}

static void busybox_image_reads_with_absolute_paths(void **state)
{
    char *json = busybox_json("workstation");
    make_image("workstation", json, "disk.qcow2 vmlinuz initrd.img");
    free(json);
    char *error = NULL;
    image_info *img = image_store_lookup(dir, "workstation", &error);
    assert_null(error);
    assert_non_null(img);
    assert_string_equal(img->name, "workstation");
    char *folder = xasprintf("%s/workstation", dir);
    assert_string_equal(img->dir, folder);
    char *disk = xasprintf("%s/disk.qcow2", folder), *kernel = xasprintf("%s/vmlinuz", folder),
         *initrd = xasprintf("%s/initrd.img", folder);
    assert_string_equal(img->disk, disk);
    assert_string_equal(img->kernel, kernel);
    assert_string_equal(img->initrd, initrd);
    assert_false(img->imported);
    assert_int_equal(img->os, IMAGE_OS_LINUX);
    assert_int_equal(img->exec, IMAGE_EXEC_SH);
    assert_int_equal(img->boot, IMAGE_BOOT_KERNEL);
    assert_int_equal(img->addressing, IMAGE_ADDR_CMDLINE);
    assert_string_equal(img->cmdline, "");
    assert_true(img->serial);
    assert_false(img->graphical);
    assert_int_equal(img->memory_mib, 160);
    assert_int_equal(img->vcpus, 1);
    assert_string_equal(img->sha256, SHA);
    image_info_free(img);
    free(folder);
    free(disk);
    free(kernel);
    free(initrd);
}

static void imported_disk_image_round_trips(void **state)
{
    image_info in = {.name = "win10",
                     .imported = true,
                     .os = IMAGE_OS_WINDOWS,
                     .exec = IMAGE_EXEC_POWERSHELL,
                     .boot = IMAGE_BOOT_DISK,
                     .addressing = IMAGE_ADDR_AGENT,
                     .cmdline = "",
                     .graphical = true,
                     .memory_mib = 2048,
                     .vcpus = 2,
                     .disk = "/elsewhere/disk.qcow2",
                     .sha256 = (char *)SHA};
    char *json = image_info_to_json(&in, NULL);
    assert_null(strstr(json, "recipe"));
    make_image("win10", json, "disk.qcow2");
    free(json);
    char *error = NULL;
    image_info *img = image_store_lookup(dir, "win10", &error);
    assert_null(error);
    assert_non_null(img);
    assert_true(img->imported);
    assert_int_equal(img->os, IMAGE_OS_WINDOWS);
    assert_int_equal(img->exec, IMAGE_EXEC_POWERSHELL);
    assert_int_equal(img->boot, IMAGE_BOOT_DISK);
    assert_int_equal(img->addressing, IMAGE_ADDR_AGENT);
    assert_false(img->serial);
    assert_true(img->graphical);
    assert_int_equal(img->memory_mib, 2048);
    assert_int_equal(img->vcpus, 2);
    assert_null(img->kernel); /* boots from its own disk */
    assert_null(img->initrd);
    char *disk = xasprintf("%s/win10/disk.qcow2", dir);
    assert_string_equal(img->disk, disk); /* in its folder, wherever it came from */
    free(disk);
    image_info_free(img);
}

/* Each case: a name, its image.json, its files, and a piece of the error. */
typedef struct bad_case {
    const char *name;
    const char *json;
    const char *files;
    const char *error;
} bad_case;

#define FIELDS_DISK                                                                                \
    "\"origin\": \"imported\", \"os\": \"linux\", \"exec\": \"sh\", \"boot\": \"disk\", "          \
    "\"addressing\": \"dhcp\", \"consoles\": [\"serial\"], \"memory_mib\": 512, \"vcpus\": 1, "    \
    "\"disk\": \"disk.qcow2\", \"sha256\": "                                                       \
    "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\""

static void bad_metadata_is_refused_with_the_reason(void **state)
{
    static const bad_case cases[] = {
        {"nofolder", NULL, NULL, "does not exist: there is no such image"},
        {"half", NULL, "disk.qcow2", "is missing: the folder is not a complete image"},
        {"notjson", "{\"name\": ", "disk.qcow2", "not valid JSON"},
        {"array", "[1, 2]", "disk.qcow2", "not a JSON object"},
        {"dup", "{\"name\": \"dup\", \"name\": \"dup\", " FIELDS_DISK "}", "disk.qcow2",
         "not valid JSON"},
        {"other", "{\"name\": \"someone\", " FIELDS_DISK "}", "disk.qcow2",
         "'name' is 'someone', not the name of its folder 'other'"},
        {"noname", "{" FIELDS_DISK "}", "disk.qcow2", "'name' is missing"},
        {"nodisk", "{\"name\": \"nodisk\", " FIELDS_DISK "}", "", "disk.qcow2 is missing"},
        {"traversal",
         "{\"name\": \"traversal\", \"origin\": \"imported\", \"os\": \"linux\", \"exec\": "
         "\"sh\", \"boot\": \"disk\", \"addressing\": \"dhcp\", \"consoles\": [\"serial\"], "
         "\"memory_mib\": 512, \"vcpus\": 1, \"disk\": \"../nodisk/disk.qcow2\", \"sha256\": "
         "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}",
         "disk.qcow2", "'disk' is '../nodisk/disk.qcow2'; it must be the name of a file in"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].files)
            make_image(cases[i].name, cases[i].json, cases[i].files);
        char *error = NULL;
        image_info *img = image_store_lookup(dir, cases[i].name, &error);
        assert_null(img);
        assert_non_null(error);
        if (!strstr(error, cases[i].error))
            fail_msg("%s: expected '%s' in '%s'", cases[i].name, cases[i].error, error);
        free(error);
    }
}

/* One field changed from a good disk image; the error names the field. */
static void bad_values_are_refused_field_by_field(void **state)
{
    static const struct {
        const char *key, *value, *error;
    } cases[] = {
        {"origin", "\"downloaded\"", "'origin' is 'downloaded'; it must be built or imported"},
        {"os", "\"beos\"", "'os' is 'beos'; it must be linux or windows"},
        {"exec", "\"cmd\"", "'exec' is 'cmd'; it must be sh or powershell"},
        {"boot", "\"pxe\"", "'boot' is 'pxe'; it must be kernel or disk"},
        {"addressing", "\"static\"", "it must be cmdline, dhcp or agent"},
        {"addressing", "\"cmdline\"", "addressing \"cmdline\" needs boot \"kernel\""},
        {"cmdline", "\"root=/dev/vda\"", "'cmdline' is for boot \"kernel\""},
        {"consoles", "[]", "'consoles' must be a list"},
        {"consoles", "\"serial\"", "'consoles' must be a list"},
        {"consoles", "[\"serial\", \"vnc\"]", "'consoles' holds 'vnc'"},
        {"memory_mib", "32", "'memory_mib' must be a whole number from 64 to 65536"},
        {"memory_mib", "\"512\"", "'memory_mib' must be a whole number"},
        {"vcpus", "0", "'vcpus' must be a whole number from 1 to 16"},
        {"vcpus", "1.5", "'vcpus' must be a whole number"},
        {"sha256", "\"abc\"", "'sha256' must be 64 lower-case hexadecimal digits"},
        {"sha256", "null", "'sha256' must be a string"},
        {"disk", "\"\"", "'disk' is ''; it must be the name of a file"},
        {"disk", "\"/etc/passwd\"", "'disk' is '/etc/passwd'; it must be the name of a file"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "field%zu", i);
        /* The good object with the one key's value replaced (or added). */
        char *base = xasprintf("{\"name\": \"%s\", " FIELDS_DISK "}", name);
        char *key = xasprintf("\"%s\": ", cases[i].key);
        char *at = strstr(base, key);
        char *json;
        if (at) {
            char *end = at + strlen(key);
            int depth = 0;
            while (*end && (depth || (*end != ',' && *end != '}'))) {
                depth += *end == '[' ? 1 : *end == ']' ? -1 : 0;
                end++;
            }
            json = xasprintf("%.*s%s%s%s", (int)(at - base), base, key, cases[i].value, end);
        } else {
            json = xasprintf("%.*s, %s%s}", (int)(strlen(base) - 1), base, key, cases[i].value);
        }
        make_image(name, json, "disk.qcow2");
        char *error = NULL;
        image_info *img = image_store_lookup(dir, name, &error);
        assert_null(img);
        assert_non_null(error);
        if (!strstr(error, cases[i].error))
            fail_msg("%s=%s: expected '%s' in '%s'", cases[i].key, cases[i].value, cases[i].error,
                     error);
        free(error);
        free(json);
        free(key);
        free(base);
    }
}

static void kernel_boot_needs_kernel_and_initrd(void **state)
{
    char *json = busybox_json("nokernel");
    make_image("nokernel", json, "disk.qcow2 initrd.img");
    free(json);
    char *error = NULL;
    assert_null(image_store_lookup(dir, "nokernel", &error));
    assert_non_null(strstr(error, "nokernel/vmlinuz is missing"));
    free(error);
}

static void names_that_leave_the_store_are_refused(void **state)
{
    static const char *const names[] = {"../etc", "a/b", "", ".hidden",
                                        "x23456789012345678901234567890123"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *error = NULL;
        assert_false(image_name_valid(names[i]));
        assert_null(image_store_lookup(dir, names[i], &error));
        assert_non_null(strstr(error, "cannot name an image"));
        free(error);
    }
    assert_true(image_name_valid("win10_pro-2"));
}

static void names_lists_only_complete_images(void **state)
{
    size_t n = 0;
    char **names = image_store_names(dir, &n);
    /* Complete: workstation, win10, and the bad ones that have an image.json. */
    bool has_ws = false, has_half = false;
    for (size_t i = 0; i < n; i++) {
        has_ws |= !strcmp(names[i], "workstation");
        has_half |= !strcmp(names[i], "half");
        if (i)
            assert_true(strcmp(names[i - 1], names[i]) < 0);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    assert_true(has_ws);
    assert_false(has_half);
    names = image_store_names("/nonexistent/enshu-images", &n);
    assert_int_equal(n, 0);
    free(names);
}

static void disk_without_metadata_gets_documented_defaults(void **state)
{
    image_info *img = image_info_for_disk("ubuntu", "/srv/images/ubuntu.qcow2");
    assert_string_equal(img->dir, "/srv/images");
    assert_string_equal(img->disk, "/srv/images/ubuntu.qcow2");
    assert_int_equal(img->boot, IMAGE_BOOT_DISK);
    assert_int_equal(img->addressing, IMAGE_ADDR_DHCP);
    assert_int_equal(img->exec, IMAGE_EXEC_SH);
    assert_true(img->serial);
    assert_int_equal(img->memory_mib, 512);
    assert_null(img->kernel);
    assert_null(img->sha256);
    image_info_free(img);
    image_info_free(NULL);
}

static void words_parse_and_print(void **state)
{
    image_os os;
    image_exec ex;
    image_addressing a;
    assert_int_equal(image_os_parse("windows", &os), 0);
    assert_int_equal(os, IMAGE_OS_WINDOWS);
    assert_int_not_equal(image_os_parse("Windows", &os), 0);
    assert_int_equal(image_exec_parse("powershell", &ex), 0);
    assert_int_equal(ex, IMAGE_EXEC_POWERSHELL);
    assert_int_not_equal(image_exec_parse("bash", &ex), 0);
    assert_int_equal(image_addressing_parse("agent", &a), 0);
    assert_string_equal(image_addressing_name(a), "agent");
    assert_int_not_equal(image_addressing_parse(NULL, &a), 0);
    assert_string_equal(image_boot_name(IMAGE_BOOT_DISK), "disk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(busybox_image_reads_with_absolute_paths),
        cmocka_unit_test(imported_disk_image_round_trips),
        cmocka_unit_test(bad_metadata_is_refused_with_the_reason),
        cmocka_unit_test(bad_values_are_refused_field_by_field),
        cmocka_unit_test(kernel_boot_needs_kernel_and_initrd),
        cmocka_unit_test(names_that_leave_the_store_are_refused),
        cmocka_unit_test(names_lists_only_complete_images),
        cmocka_unit_test(disk_without_metadata_gets_documented_defaults),
        cmocka_unit_test(words_parse_and_print),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
