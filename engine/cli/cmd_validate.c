/*
 * enshu validate FILE...: loads and checks incident scripts, printing every
 * problem as FILE:LINE:COL: error: message on stderr. The scenario layer
 * reads no image; here, once a scenario is valid, the images it declares
 * `imported: true` are looked up in this machine's image store: one that
 * is missing is a warning (it may be imported before `enshu up`), a node
 * that uses one in a way it cannot serve (range_image_misuse: a user on a
 * Windows node) an error.
 */
#include "alloc.h"
#include "cli.h"
#include "diag.h"
#include "image_store.h"
#include "range_files.h"
#include "range_images.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char HELP[] =
    "Usage: enshu validate FILE...\n"
    "\n"
    "Checks each incident script completely (keys, types, references between nodes,\n"
    "segments, injects and checks, cycles, the address plan, size limits) and prints\n"
    "every problem as FILE:LINE:COL: error: message on standard error. Images the\n"
    "scenario declares 'imported: true' that are not in this machine's image store\n"
    "($ENSHU_IMAGE_DIR or /var/lib/enshu/images) are reported as warnings.\n"
    "\n"
    "Exit status: 0 all files valid, 1 a file has problems, 2 usage error.\n";

/* Checks the imported images of s against the image store; false after an
 * error (warnings do not count). */
static bool check_imported_images(const scenario *s, const char *path)
{
    bool ok = true;
    for (size_t i = 0; i < s->nimages; i++) {
        const custom_image *ci = &s->images[i];
        if (!ci->imported)
            continue;
        char *error = NULL;
        image_info *img = image_store_lookup(range_image_dir(), ci->name, &error);
        if (!img)
            fprintf(stderr,
                    "%s:%d:%d: warning: image '%s' is not in the image store of this machine "
                    "(%s); import it with 'enshu images import %s FILE' before 'enshu up'\n",
                    path, ci->pos.line, ci->pos.col, ci->name, error, ci->name);
        for (size_t k = 0; img && k < s->nnodes; k++) {
            if (strcmp(s->nodes[k].image, ci->name) != 0)
                continue;
            src_pos pos;
            char *why = range_image_misuse(s, &s->nodes[k], img, &pos);
            if (why)
                fprintf(stderr, "%s:%d:%d: error: %s\n", path, pos.line, pos.col, why);
            ok &= why == NULL;
            free(why);
        }
        free(error);
        image_info_free(img);
    }
    return ok;
}

int cmd_validate(int argc, char **argv)
{
    if (cli_show_help(argc, argv, HELP))
        return CLI_OK;
    int first = 1;
    if (argc > 1 && !strcmp(argv[1], "--"))
        first = 2;
    if (first >= argc) {
        fputs("enshu validate: no file given\n\n", stderr);
        fputs(HELP, stderr);
        return CLI_USAGE;
    }
    for (int i = first; i < argc; i++) {
        if (first == 1 && argv[i][0] == '-') {
            fprintf(stderr, "enshu validate: unknown option '%s' (try --help)\n", argv[i]);
            return CLI_USAGE;
        }
    }
    int rc = CLI_OK;
    for (int i = first; i < argc; i++) {
        diag_list *diags = diag_list_new();
        scenario *s = scenario_load_file(argv[i], diags);
        diag_list_print(diags, stderr);
        if (!s || !check_imported_images(s, argv[i]))
            rc = CLI_FAIL;
        scenario_free(s);
        diag_list_free(diags);
    }
    return rc;
}
