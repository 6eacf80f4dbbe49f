/*
 * enshu images: builds the built-in guest images, the BusyBox ones with
 * images/build.sh and the Debian ones with images/debian/build.sh (each
 * cached by a hash of its recipe), imports disk images from elsewhere
 * (image_import.h), lists what the image store holds, removes imported
 * images and makes a scenario's warm templates ahead of time
 * (warm_prepare.h).
 */
#include "alloc.h"
#include "builtin_images.h"
#include "cli.h"
#include "data_dir.h"
#include "errors.h"
#include "image_import.h"
#include "image_store.h"
#include "libvirt_conn.h"
#include "range.h"
#include "range_files.h"
#include "units.h"
#include "warm_prepare.h"
#include "warm_restore.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: enshu images build [--out DIR] [NAME...]\n"
    "       enshu images import NAME FILE [--os linux|windows] [--exec sh|powershell]\n"
    "                           [--addressing dhcp|agent] [--consoles serial,graphical]\n"
    "                           [--memory SIZE] [--vcpus N] [--force]\n"
    "       enshu images list [NAME...]\n"
    "       enshu images remove NAME\n"
    "       enshu images warm SCENARIO...\n"
    "\n"
    "Images live in $ENSHU_IMAGE_DIR or /var/lib/enshu/images, one folder each with\n"
    "its metadata in image.json.\n"
    "\n"
    "build   builds the built-in guest images from Debian packages into DIR (default:\n"
    "        the image folder), all of them or the NAMEs given. The BusyBox images\n"
    "        (workstation, server, attacker, router; images/build.sh) boot in seconds;\n"
    "        the Debian images (firewall, mailserver, fileserver, webserver, logserver,\n"
    "        desktop; images/debian/build.sh, as root, needs the Debian mirror the\n"
    "        first time) are real systems. Each is cached by a hash of its recipe: an\n"
    "        unchanged one is not rebuilt.\n"
    "import  adds the disk image FILE as image NAME, for scenarios that declare\n"
    "        'images: {NAME: {imported: true}}'. FILE is qcow2 or raw (told apart by its\n"
    "        bytes); raw is converted to qcow2. It boots from its own boot loader.\n"
    "        Refused: a file that is not a disk image, a damaged or truncated qcow2, a\n"
    "        qcow2 with a backing file outside the image folder (flatten it first with\n"
    "        'qemu-img convert -O qcow2'), a built-in image's name, a name in use\n"
    "        (unless --force replaces that imported image).\n"
    "          --os          linux (default) or windows\n"
    "          --exec        how injects, checks and files run through the guest agent:\n"
    "                        sh (default on linux) or powershell (default on windows;\n"
    "                        as the agent's account: no 'user:', no mail via the node)\n"
    "          --addressing  dhcp (default: the guest asks DHCP, libvirt gives each MAC\n"
    "                        its planned address) or agent (the engine sets each NIC's\n"
    "                        address, route and name server through the agent, found by\n"
    "                        MAC, once the agent answers; the node gets no DHCP entry)\n"
    "          --consoles    serial, graphical or both (default: serial on linux,\n"
    "                        graphical on windows)\n"
    "          --memory      default memory of its nodes, such as 512M or 2G (default 512M\n"
    "                        on linux, 2G on windows)\n"
    "          --vcpus       default vCPUs of its nodes, 1 to 16 (default 1; 2 on windows)\n"
    "list    shows every image: built-in ones (built or not) and imported ones, with\n"
    "        origin, OS, consoles and default memory. With NAMEs, only those, and the\n"
    "        exit status says whether all of them can be used.\n"
    "remove  removes an imported image (built-in images cannot be removed). Take down\n"
    "        the ranges that use it first.\n"
    "warm    makes ahead of time the warm templates that the guests of each SCENARIO\n"
    "        restore from with 'enshu up/run --warm' (one boot each, all at once; those\n"
    "        made before are kept), on $ENSHU_LIBVIRT_URI or qemu:///system, so that the\n"
    "        day's first 'up --warm' restores at once. Guests of BusyBox or imported\n"
    "        images boot and need none. Templates live in the image folder's\n"
    "        templates/; those of images rebuilt or removed since are removed first\n"
    "        (unless a guest's disk still backs onto one).\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

/* Runs `bash SCRIPT OUT NAME...`; CLI_OK when it succeeds. */
static int run_build(const char *script, const char *out, char **names, int nnames)
{
    if (access(script, R_OK) != 0) {
        fprintf(stderr, "enshu images: cannot find the image recipes (%s): %s\n", script,
                strerror(errno));
        return CLI_FAIL;
    }
    char **argv = xcalloc((size_t)nnames + 4, sizeof(char *));
    argv[0] = "bash";
    argv[1] = (char *)script;
    argv[2] = (char *)out;
    for (int i = 0; i < nnames; i++)
        argv[3 + i] = names[i];
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execvp("bash", argv);
        fprintf(stderr, "enshu images: cannot run bash: %s\n", strerror(errno));
        _exit(127);
    }
    free(argv);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0) {
        fprintf(stderr, "enshu images: cannot start the build: %s\n", strerror(errno));
        return CLI_FAIL;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "enshu images: the build failed (see the messages above)\n");
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* Whether RECIPES/SUB/NAME/FILE exists: the recipe of a built-in image. */
static bool recipe_has(const char *recipes, const char *sub, const char *name, const char *file)
{
    if (!*name || strchr(name, '/') || name[0] == '.')
        return false;
    char *path = xasprintf("%s/%s%s/%s", recipes, sub, name, file);
    bool ok = access(path, R_OK) == 0;
    free(path);
    return ok;
}

/* Builds the BusyBox images, then the Debian ones: all, or the NAMEs given
 * (each handed to the script whose recipes hold it). */
static int images_build(const char *out, char **names, int nnames)
{
    char *recipes = data_dir_path("images");
    char **busybox = xcalloc((size_t)nnames + 1, sizeof(char *));
    char **debian = xcalloc((size_t)nnames + 1, sizeof(char *));
    int nbusybox = 0, ndebian = 0, rc = CLI_OK;
    for (int i = 0; i < nnames && rc == CLI_OK; i++) {
        if (recipe_has(recipes, "", names[i], "role.sh")) {
            busybox[nbusybox++] = names[i];
        } else if (recipe_has(recipes, "debian/", names[i], "image.yaml")) {
            debian[ndebian++] = names[i];
        } else {
            fprintf(stderr,
                    "enshu images build: no built-in image '%s' (see 'enshu images list')\n",
                    names[i]);
            rc = CLI_USAGE;
        }
    }
    if (rc == CLI_OK && (nnames == 0 || nbusybox > 0)) {
        char *script = xasprintf("%s/build.sh", recipes);
        rc = run_build(script, out, busybox, nbusybox);
        free(script);
    }
    if (rc == CLI_OK && (nnames == 0 || ndebian > 0)) {
        char *script = xasprintf("%s/debian/build.sh", recipes);
        rc = run_build(script, out, debian, ndebian);
        free(script);
    }
    free(busybox);
    free(debian);
    free(recipes);
    return rc;
}

/* One line of the list; false when the image cannot be used. */
static bool list_one(const char *dir, const char *name)
{
    char *error = NULL;
    image_info *img = image_store_lookup(dir, name, &error);
    bool builtin = builtin_image_exists(name);
    if (!img) {
        char *folder = xasprintf("%s/%s", dir, name);
        bool absent = access(folder, F_OK) != 0;
        free(folder);
        if (absent && builtin)
            printf("%-12s missing   (run 'enshu images build %s')\n", name, name);
        else
            printf("%-12s broken    %s; run 'enshu images %s %s%s'\n", name, error,
                   builtin ? "build" : "import", name, builtin ? "" : " FILE");
        free(error);
        return false;
    }
    char consoles[32];
    snprintf(consoles, sizeof consoles, "%s%s%s", img->serial ? "serial" : "",
             img->serial && img->graphical ? "," : "", img->graphical ? "graphical" : "");
    char memory[16];
    if (img->memory_mib % 1024 == 0)
        snprintf(memory, sizeof memory, "%uG", img->memory_mib / 1024);
    else
        snprintf(memory, sizeof memory, "%uM", img->memory_mib);
    printf("%-12s %-9s %-8s %-17s %-6s %.16s  %s\n", name, img->imported ? "imported" : "built",
           image_os_name(img->os), consoles, memory, img->sha256, img->dir);
    image_info_free(img);
    return true;
}

static int images_list(const char *dir, char **names, int nnames)
{
    bool ok = true;
    if (nnames > 0) {
        for (int i = 0; i < nnames; i++)
            ok &= list_one(dir, names[i]);
        return ok ? CLI_OK : CLI_FAIL;
    }
    for (const char *const *img = BUILTIN_IMAGES; *img; img++)
        list_one(dir, *img);
    size_t n = 0;
    char **stored = image_store_names(dir, &n);
    for (size_t i = 0; i < n; i++) {
        if (!builtin_image_exists(stored[i]))
            list_one(dir, stored[i]);
        free(stored[i]);
    }
    free(stored);
    return CLI_OK;
}

/* Parses --consoles: a comma-separated list of serial and graphical. */
static bool parse_consoles(const char *text, image_import_opts *o)
{
    o->consoles_given = true;
    o->serial = o->graphical = false;
    char *copy = xstrdup(text), *save = NULL;
    bool ok = *text != '\0';
    for (char *w = strtok_r(copy, ",", &save); w && ok; w = strtok_r(NULL, ",", &save)) {
        if (!strcmp(w, "serial"))
            o->serial = true;
        else if (!strcmp(w, "graphical"))
            o->graphical = true;
        else
            ok = false;
    }
    free(copy);
    return ok && (o->serial || o->graphical);
}

static int images_import(const char *dir, int argc, char **argv)
{
    static const struct option options[] = {{"os", required_argument, NULL, 'o'},
                                            {"exec", required_argument, NULL, 'e'},
                                            {"addressing", required_argument, NULL, 'a'},
                                            {"consoles", required_argument, NULL, 'c'},
                                            {"memory", required_argument, NULL, 'm'},
                                            {"vcpus", required_argument, NULL, 'v'},
                                            {"force", no_argument, NULL, 'f'},
                                            {NULL, 0, NULL, 0}};
    image_import_opts o = {.os = IMAGE_OS_LINUX, .addressing = IMAGE_ADDR_DHCP};
    const char *cmd = "images import";
    cli_options_begin();
    int c;
    while ((c = cli_next_option(cmd, argc, argv, "", options)) != -1) {
        const char *bad = NULL;
        uint64_t mib = 0;
        char *end = NULL;
        unsigned long n = 0;
        switch (c) {
        case 'o':
            if (image_os_parse(optarg, &o.os) < 0)
                bad = "--os takes linux or windows";
            break;
        case 'e':
            o.exec_given = true;
            if (image_exec_parse(optarg, &o.exec) < 0)
                bad = "--exec takes sh or powershell";
            break;
        case 'a':
            if (image_addressing_parse(optarg, &o.addressing) < 0)
                bad = "--addressing takes dhcp or agent";
            break;
        case 'c':
            if (!parse_consoles(optarg, &o))
                bad = "--consoles takes serial, graphical or serial,graphical";
            break;
        case 'm':
            if (parse_size_mib(optarg, &mib) < 0 || mib < IMAGE_MEMORY_MIN_MIB ||
                mib > IMAGE_MEMORY_MAX_MIB)
                bad = "--memory takes a size from 64M to 64G, such as 512M or 2G";
            o.memory_mib = (unsigned)mib;
            break;
        case 'v':
            errno = 0;
            n = strtoul(optarg, &end, 10);
            if (errno || !*optarg || *end || n < 1 || n > IMAGE_VCPUS_MAX)
                bad = "--vcpus takes a whole number from 1 to 16";
            o.vcpus = (unsigned)n;
            break;
        case 'f':
            o.force = true;
            break;
        default:
            return CLI_USAGE;
        }
        if (bad) {
            fprintf(stderr, "enshu images import: '%s': %s\n", optarg, bad);
            return CLI_USAGE;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "enshu images import: give NAME and FILE (try --help)\n");
        return CLI_USAGE;
    }
    const char *name = argv[optind], *file = argv[optind + 1];
    int rc = image_import(dir, name, file, &o);
    if (rc < 0)
        return CLI_FAIL;
    printf("image '%s' imported into %s/%s\n", name, dir, name);
    return CLI_OK;
}

int cmd_images(int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *dir = range_image_dir();
    const char *sub = argv[1];
    if (!strcmp(sub, "build")) {
        int first = 2;
        for (; first < argc && argv[first][0] == '-'; first++) {
            if (!strcmp(argv[first], "--out") && first + 1 < argc) {
                dir = argv[++first];
            } else {
                fprintf(stderr, "enshu images build: unexpected '%s' (try --help)\n", argv[first]);
                return CLI_USAGE;
            }
        }
        for (int i = first; i < argc; i++) {
            if (!builtin_image_exists(argv[i])) {
                fprintf(stderr,
                        "enshu images build: '%s' is not a built-in image (see 'enshu images "
                        "list')\n",
                        argv[i]);
                return CLI_USAGE;
            }
        }
        return images_build(dir, argv + first, argc - first);
    }
    if (!strcmp(sub, "import"))
        return images_import(dir, argc - 1, argv + 1);
    if (!strcmp(sub, "list")) {
        for (int i = 2; i < argc; i++) {
            if (argv[i][0] == '-') {
                fprintf(stderr, "enshu images list: unexpected '%s' (try --help)\n", argv[i]);
                return CLI_USAGE;
            }
        }
        return images_list(dir, argv + 2, argc - 2);
    }
    if (!strcmp(sub, "remove")) {
        if (argc != 3 || argv[2][0] == '-') {
            fprintf(stderr, "enshu images remove: give one NAME (try --help)\n");
            return CLI_USAGE;
        }
        if (image_remove(dir, argv[2]) < 0)
            return CLI_FAIL;
        printf("image '%s' removed\n", argv[2]);
        return CLI_OK;
    }
    if (!strcmp(sub, "warm")) {
        if (argc < 3) {
            fprintf(stderr, "enshu images warm: give one or more SCENARIO files (try --help)\n");
            return CLI_USAGE;
        }
        for (int i = 2; i < argc; i++) {
            if (argv[i][0] == '-') {
                fprintf(stderr, "enshu images warm: unexpected '%s' (try --help)\n", argv[i]);
                return CLI_USAGE;
            }
        }
        char *pool = range_pool_dir();
        int removed = warm_templates_prune(dir, pool, stdout);
        free(pool);
        if (removed > 0)
            printf("%d warm template%s of images rebuilt or removed since: removed\n", removed,
                   removed == 1 ? "" : "s");
        libvirt_setup();
        int rc = CLI_OK;
        for (int i = 2; i < argc; i++)
            if (warm_prepare(argv[i], range_default_uri(), stdout) != ENSHU_OK)
                rc = CLI_FAIL;
        return rc;
    }
    fprintf(stderr,
            "enshu images: unknown subcommand '%s'; use build, import, list, remove or warm\n",
            sub);
    return CLI_USAGE;
}
