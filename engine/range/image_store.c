/*
 * Reading and writing image metadata in the image store (see image_store.h).
 */
#include "image_store.h"
#include "alloc.h"
#include "errors.h"
#include "text_file.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* image.json is a few hundred bytes; anything far larger is not one. */
#define IMAGE_JSON_MAX (64 * 1024)

static const char *const OS_NAMES[] = {"linux", "windows", NULL};
static const char *const EXEC_NAMES[] = {"sh", "powershell", NULL};
static const char *const BOOT_NAMES[] = {"kernel", "disk", NULL};
static const char *const ADDR_NAMES[] = {"cmdline", "dhcp", "agent", NULL};

const char *image_os_name(image_os os)
{
    return OS_NAMES[os];
}
const char *image_exec_name(image_exec exec)
{
    return EXEC_NAMES[exec];
}
const char *image_boot_name(image_boot boot)
{
    return BOOT_NAMES[boot];
}
const char *image_addressing_name(image_addressing addressing)
{
    return ADDR_NAMES[addressing];
}

/* Index of text in names, or -1. */
static int word_index(const char *const *names, const char *text)
{
    for (int i = 0; text && names[i]; i++)
        if (strcmp(names[i], text) == 0)
            return i;
    return -1;
}

int image_os_parse(const char *text, image_os *out)
{
    int i = word_index(OS_NAMES, text);
    if (i < 0)
        return ENSHU_EINVAL;
    *out = (image_os)i;
    return ENSHU_OK;
}

int image_exec_parse(const char *text, image_exec *out)
{
    int i = word_index(EXEC_NAMES, text);
    if (i < 0)
        return ENSHU_EINVAL;
    *out = (image_exec)i;
    return ENSHU_OK;
}

int image_addressing_parse(const char *text, image_addressing *out)
{
    int i = word_index(ADDR_NAMES, text);
    if (i < 0)
        return ENSHU_EINVAL;
    *out = (image_addressing)i;
    return ENSHU_OK;
}

bool image_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > IMAGE_NAME_MAX || !isalnum((unsigned char)name[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (!isalnum(c) && c != '-' && c != '_')
            return false;
    }
    return true;
}

void image_info_free(image_info *img)
{
    if (!img)
        return;
    free(img->name);
    free(img->dir);
    free(img->cmdline);
    free(img->disk);
    free(img->kernel);
    free(img->initrd);
    free(img->sha256);
    free(img);
}

image_info *image_info_for_disk(const char *name, const char *disk_path)
{
    image_info *img = xcalloc(1, sizeof(image_info));
    img->name = xstrdup(name);
    const char *slash = strrchr(disk_path, '/');
    img->dir = slash && slash != disk_path ? xstrndup(disk_path, (size_t)(slash - disk_path))
                                           : xstrdup("/");
    img->os = IMAGE_OS_LINUX;
    img->exec = IMAGE_EXEC_SH;
    img->boot = IMAGE_BOOT_DISK;
    img->addressing = IMAGE_ADDR_DHCP;
    img->cmdline = xstrdup("");
    img->serial = true;
    img->memory_mib = 512;
    img->vcpus = 1;
    img->disk = xstrdup(disk_path);
    return img;
}

/* ---- reading image.json ---- */

typedef struct reader {
    const char *path;
    json_t *doc;
    char *error; /* the first problem */
} reader;

__attribute__((format(printf, 2, 3))) static void bad(reader *r, const char *fmt, ...)
{
    if (r->error)
        return;
    va_list ap;
    va_start(ap, fmt);
    char *what = NULL;
    if (vasprintf(&what, fmt, ap) < 0)
        what = NULL;
    va_end(ap);
    r->error = xasprintf("%s: %s", r->path, what ? what : "bad metadata");
    free(what);
}

/* The string under key; NULL (and a problem when required) otherwise. */
static const char *get_string(reader *r, const char *key, bool required)
{
    json_t *v = json_object_get(r->doc, key);
    if (!v) {
        if (required)
            bad(r, "'%s' is missing", key);
        return NULL;
    }
    if (!json_is_string(v)) {
        bad(r, "'%s' must be a string", key);
        return NULL;
    }
    return json_string_value(v);
}

/* One of names under key; -1 after a problem. */
static int get_word(reader *r, const char *key, const char *const *names)
{
    const char *text = get_string(r, key, true);
    if (!text)
        return -1;
    int i = word_index(names, text);
    if (i < 0) {
        char list[128] = "";
        for (size_t k = 0; names[k]; k++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                     k ? (names[k + 1] ? ", " : " or ") : "", names[k]);
        bad(r, "'%s' is '%s'; it must be %s", key, text, list);
    }
    return i;
}

static unsigned get_count(reader *r, const char *key, unsigned min, unsigned max)
{
    json_t *v = json_object_get(r->doc, key);
    if (!v) {
        bad(r, "'%s' is missing", key);
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < (json_int_t)min ||
        json_integer_value(v) > (json_int_t)max) {
        bad(r, "'%s' must be a whole number from %u to %u", key, min, max);
        return 0;
    }
    return (unsigned)json_integer_value(v);
}

/* A file the image names: a plain name in its folder, which must exist. */
static char *image_file(reader *r, const char *folder, const char *file)
{
    if (!file)
        return NULL;
    if (!*file || strchr(file, '/') || !strcmp(file, ".") || !strcmp(file, "..")) {
        bad(r, "'disk' is '%s'; it must be the name of a file in %s", file, folder);
        return NULL;
    }
    char *path = xasprintf("%s/%s", folder, file);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        bad(r, "the image's file %s is missing", path);
        free(path);
        return NULL;
    }
    return path;
}

static bool is_sha256(const char *text)
{
    if (strlen(text) != 64)
        return false;
    for (const char *p = text; *p; p++)
        if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
            return false;
    return true;
}

static void read_consoles(reader *r, image_info *img)
{
    json_t *v = json_object_get(r->doc, "consoles");
    if (!v) {
        bad(r, "'consoles' is missing");
        return;
    }
    if (!json_is_array(v) || json_array_size(v) == 0) {
        bad(r, "'consoles' must be a list of \"serial\" and \"graphical\", not empty");
        return;
    }
    size_t i;
    json_t *c;
    json_array_foreach(v, i, c)
    {
        const char *text = json_is_string(c) ? json_string_value(c) : "";
        if (!strcmp(text, "serial"))
            img->serial = true;
        else if (!strcmp(text, "graphical"))
            img->graphical = true;
        else
            bad(r, "'consoles' holds '%s'; a console is \"serial\" or \"graphical\"",
                json_is_string(c) ? text : "a value that is not a string");
    }
}

static void read_fields(reader *r, image_info *img, const char *name)
{
    const char *stored = get_string(r, "name", true);
    if (stored && strcmp(stored, name) != 0)
        bad(r, "'name' is '%s', not the name of its folder '%s'", stored, name);
    static const char *const ORIGINS[] = {"built", "imported", NULL};
    int origin = get_word(r, "origin", ORIGINS);
    img->imported = origin == 1;
    int os = get_word(r, "os", OS_NAMES);
    int exec = get_word(r, "exec", EXEC_NAMES);
    int boot = get_word(r, "boot", BOOT_NAMES);
    int addr = get_word(r, "addressing", ADDR_NAMES);
    img->os = os > 0 ? (image_os)os : IMAGE_OS_LINUX;
    img->exec = exec > 0 ? (image_exec)exec : IMAGE_EXEC_SH;
    img->boot = boot > 0 ? (image_boot)boot : IMAGE_BOOT_KERNEL;
    img->addressing = addr > 0 ? (image_addressing)addr : IMAGE_ADDR_CMDLINE;
    const char *cmdline = get_string(r, "cmdline", false);
    img->cmdline = xstrdup(cmdline ? cmdline : "");
    if (strchr(img->cmdline, '\n'))
        bad(r, "'cmdline' must be one line");
    if (boot == IMAGE_BOOT_DISK && *img->cmdline)
        bad(r, "'cmdline' is for boot \"kernel\"; an image with boot \"disk\" has its own");
    if (boot == IMAGE_BOOT_DISK && addr == IMAGE_ADDR_CMDLINE)
        bad(r, "addressing \"cmdline\" needs boot \"kernel\" (the engine's kernel command line); "
               "an image with boot \"disk\" uses \"dhcp\" or \"agent\"");
    read_consoles(r, img);
    img->memory_mib = get_count(r, "memory_mib", IMAGE_MEMORY_MIN_MIB, IMAGE_MEMORY_MAX_MIB);
    img->vcpus = get_count(r, "vcpus", 1, IMAGE_VCPUS_MAX);
    const char *sha = get_string(r, "sha256", true);
    if (sha && !is_sha256(sha))
        bad(r, "'sha256' must be 64 lower-case hexadecimal digits");
    img->sha256 = xstrdup(sha ? sha : "");
    const char *recipe = get_string(r, "recipe", false);
    if (recipe && !is_sha256(recipe))
        bad(r, "'recipe' must be 64 lower-case hexadecimal digits");
    img->disk = image_file(r, img->dir, get_string(r, "disk", true));
    if (boot == IMAGE_BOOT_KERNEL) {
        img->kernel = image_file(r, img->dir, "vmlinuz");
        img->initrd = image_file(r, img->dir, "initrd.img");
    }
}

image_info *image_store_lookup(const char *dir, const char *name, char **error)
{
    *error = NULL;
    if (!image_name_valid(name)) {
        *error = xasprintf("'%s' cannot name an image: use letters, digits, '-' and '_', at most "
                           "%d characters",
                           name, IMAGE_NAME_MAX);
        return NULL;
    }
    char *path = xasprintf("%s/%s/image.json", dir, name);
    reader r = {.path = path};
    image_info *img = NULL;
    struct stat st;
    if (stat(path, &st) != 0) {
        int e = errno;
        char *folder = xasprintf("%s/%s", dir, name);
        bool half = access(folder, F_OK) == 0;
        free(folder);
        if (e == ENOENT)
            *error = xasprintf(half ? "%s is missing: the folder is not a complete image (made "
                                      "by an older or an interrupted build or import)"
                                    : "%s does not exist: there is no such image",
                               path);
        else
            *error = xasprintf("cannot read %s: %s", path, strerror(e));
        free(path);
        return NULL;
    }
    char *text = S_ISREG(st.st_mode) ? text_file_read(path, IMAGE_JSON_MAX) : NULL;
    if (!text) {
        *error = xasprintf("cannot read %s (not a file, unreadable, or larger than %d bytes)", path,
                           IMAGE_JSON_MAX);
        free(path);
        return NULL;
    }
    json_error_t jerr;
    r.doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    free(text);
    if (!r.doc) {
        *error = xasprintf("%s:%d:%d: not valid JSON: %s", path, jerr.line, jerr.column, jerr.text);
    } else if (!json_is_object(r.doc)) {
        *error = xasprintf("%s: not a JSON object", path);
    } else {
        img = xcalloc(1, sizeof(image_info));
        img->name = xstrdup(name);
        img->dir = xasprintf("%s/%s", dir, name);
        read_fields(&r, img, name);
        if (r.error) {
            *error = r.error;
            image_info_free(img);
            img = NULL;
        }
    }
    json_decref(r.doc);
    free(path);
    return img;
}

/* ---- writing ---- */

char *image_info_to_json(const image_info *img, const char *recipe)
{
    json_t *consoles = json_array();
    if (img->serial)
        json_array_append_new(consoles, json_string("serial"));
    if (img->graphical)
        json_array_append_new(consoles, json_string("graphical"));
    json_t *doc = json_object();
    json_object_set_new(doc, "name", json_string(img->name));
    json_object_set_new(doc, "origin", json_string(img->imported ? "imported" : "built"));
    json_object_set_new(doc, "os", json_string(image_os_name(img->os)));
    json_object_set_new(doc, "exec", json_string(image_exec_name(img->exec)));
    json_object_set_new(doc, "boot", json_string(image_boot_name(img->boot)));
    json_object_set_new(doc, "cmdline", json_string(img->cmdline ? img->cmdline : ""));
    json_object_set_new(doc, "addressing", json_string(image_addressing_name(img->addressing)));
    json_object_set_new(doc, "consoles", consoles);
    json_object_set_new(doc, "memory_mib", json_integer(img->memory_mib));
    json_object_set_new(doc, "vcpus", json_integer(img->vcpus));
    const char *disk = img->disk ? strrchr(img->disk, '/') : NULL;
    json_object_set_new(doc, "disk", json_string(disk ? disk + 1 : "disk.qcow2"));
    json_object_set_new(doc, "sha256", json_string(img->sha256 ? img->sha256 : ""));
    if (recipe)
        json_object_set_new(doc, "recipe", json_string(recipe));
    char *dumped = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(doc);
    char *out = xasprintf("%s\n", dumped);
    free(dumped);
    return out;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **image_store_names(const char *dir, size_t *count)
{
    *count = 0;
    size_t cap = 0;
    char **names = NULL;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!image_name_valid(e->d_name))
            continue;
        char *path = xasprintf("%s/%s/image.json", dir, e->d_name);
        bool is_image = access(path, F_OK) == 0;
        free(path);
        if (!is_image)
            continue;
        XGROW(names, cap, *count + 1);
        names[(*count)++] = xstrdup(e->d_name);
    }
    if (d)
        closedir(d);
    if (*count)
        qsort(names, *count, sizeof(char *), compare_names);
    return names ? names : xcalloc(1, sizeof(char *));
}
