/*
 * enshu images: builds the built-in guest images, the BusyBox ones with
 * images/build.sh and the Debian ones with images/debian/build.sh (each
 * cached by a hash of its recipe), and lists what is built.
 */
#include "alloc.h"
#include "builtin_images.h"
#include "cli.h"
#include "data_dir.h"
#include "range_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: enshu images build [--out DIR] [NAME...]\n"
    "       enshu images list\n"
    "\n"
    "build  builds the built-in guest images from Debian packages into DIR (default\n"
    "       $ENSHU_IMAGE_DIR or /var/lib/enshu/images): all of them, or the NAMEs given.\n"
    "       The BusyBox images (workstation, server, attacker, router; images/build.sh)\n"
    "       boot in seconds; the Debian images (firewall, logserver, webserver...;\n"
    "       images/debian/build.sh, as root, needs the Debian mirror the first time)\n"
    "       are real systems. Each image is cached by a hash of its recipe: an\n"
    "       unchanged one is not rebuilt.\n"
    "list   shows the built-in images, built or missing, and their recipe hashes.\n"
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

/* One line of the list; false when the image is not built. */
static bool list_one(const char *dir, const char *name)
{
    char *path = xasprintf("%s/%s/recipe.sha256", dir, name);
    FILE *f = fopen(path, "r");
    free(path);
    char hash[80] = "";
    if (!f) {
        printf("%-12s missing (run 'enshu images build %s')\n", name, name);
        return false;
    }
    if (!fgets(hash, sizeof hash, f))
        hash[0] = '\0';
    fclose(f);
    hash[strcspn(hash, "\n")] = '\0';
    printf("%-12s built   %.16s  %s/%s\n", name, hash, dir, name);
    return true;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The BusyBox images (the exit status says whether all are built: the
 * tests need them), then the Debian ones, whose recipes are the folders
 * images/debian/NAME with an image.yaml (optional: built on demand). */
static int images_list(const char *dir)
{
    int rc = CLI_OK;
    for (const char *const *img = BUILTIN_IMAGES; *img; img++)
        if (!list_one(dir, *img))
            rc = CLI_FAIL;
    char *recipes = data_dir_path("images");
    char *debian = xasprintf("%s/debian", recipes);
    DIR *d = opendir(debian);
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strcmp(e->d_name, "base") != 0 &&
            recipe_has(recipes, "debian/", e->d_name, "image.yaml")) {
            names = xrealloc(names, (n + 1) * sizeof *names);
            names[n++] = xstrdup(e->d_name);
        }
    }
    if (d)
        closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        list_one(dir, names[i]);
        free(names[i]);
    }
    free(names);
    free(debian);
    free(recipes);
    return rc;
}

int cmd_images(int argc, char **argv)
{
    if (argc < 2 || cli_wants_help(argc, argv)) {
        fputs(HELP, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *out = range_image_dir();
    if (!strcmp(argv[1], "build")) {
        char **names = xcalloc((size_t)argc, sizeof(char *));
        int nnames = 0;
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--out") && i + 1 < argc) {
                out = argv[++i];
            } else if (argv[i][0] == '-') {
                fprintf(stderr, "enshu images build: unexpected '%s' (try --help)\n", argv[i]);
                free(names);
                return CLI_USAGE;
            } else {
                names[nnames++] = argv[i];
            }
        }
        int rc = images_build(out, names, nnames);
        free(names);
        return rc;
    }
    if (!strcmp(argv[1], "list") && argc == 2)
        return images_list(out);
    fprintf(stderr, "enshu images: unknown subcommand '%s'; use build or list\n", argv[1]);
    return CLI_USAGE;
}
