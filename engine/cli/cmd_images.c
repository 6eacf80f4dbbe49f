/*
 * enshu images: builds the built-in guest images with images/build.sh
 * (cached by a hash of each recipe) and lists what is built.
 */
#include "alloc.h"
#include "builtin_images.h"
#include "cli.h"
#include "data_dir.h"
#include "range_files.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char HELP[] =
    "Usage: enshu images build [--out DIR]\n"
    "       enshu images list\n"
    "\n"
    "build  builds the built-in guest images (workstation, server, attacker, router) from\n"
    "       Debian packages into DIR (default $ENSHU_IMAGE_DIR or /var/lib/enshu/images).\n"
    "       Each image is cached by a hash of its recipe: an unchanged one is not rebuilt.\n"
    "list   shows the built images and their recipe hashes.\n"
    "\n"
    "Exit status: 0 success, 1 failure, 2 usage error.\n";

static int images_build(const char *out)
{
    char *recipes = data_dir_path("images");
    char *script = xasprintf("%s/build.sh", recipes);
    free(recipes);
    if (access(script, R_OK) != 0) {
        fprintf(stderr, "enshu images: cannot find the image recipes (%s): %s\n", script,
                strerror(errno));
        free(script);
        return CLI_FAIL;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("bash", "bash", script, out, (char *)NULL);
        fprintf(stderr, "enshu images: cannot run bash: %s\n", strerror(errno));
        _exit(127);
    }
    free(script);
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

static int images_list(const char *dir)
{
    int rc = CLI_OK;
    for (const char *const *img = BUILTIN_IMAGES; *img; img++) {
        char *path = xasprintf("%s/%s/recipe.sha256", dir, *img);
        FILE *f = fopen(path, "r");
        char hash[80] = "";
        if (f) {
            if (!fgets(hash, sizeof hash, f))
                hash[0] = '\0';
            fclose(f);
            hash[strcspn(hash, "\n")] = '\0';
            printf("%-12s built   %.16s  %s/%s\n", *img, hash, dir, *img);
        } else {
            printf("%-12s missing (run 'enshu images build')\n", *img);
            rc = CLI_FAIL;
        }
        free(path);
    }
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
        for (int i = 2; i < argc; i++) {
            if (!strcmp(argv[i], "--out") && i + 1 < argc) {
                out = argv[++i];
            } else {
                fprintf(stderr, "enshu images build: unexpected '%s' (try --help)\n", argv[i]);
                return CLI_USAGE;
            }
        }
        return images_build(out);
    }
    if (!strcmp(argv[1], "list") && argc == 2)
        return images_list(out);
    fprintf(stderr, "enshu images: unknown subcommand '%s'; use build or list\n", argv[1]);
    return CLI_USAGE;
}
