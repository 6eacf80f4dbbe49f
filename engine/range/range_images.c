/*
 * Finding the image of every node before a range comes up (see
 * range_images.h).
 */
#include "range_images.h"
#include "alloc.h"
#include "builtin_images.h"
#include "log.h"
#include "node_ref.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "node 'ws1'", and when ref chose it, " (a choice of {{var NAME}})" (caller
 * frees). */
static char *node_label(const char *ref, const char *name)
{
    return strcmp(ref, name) != 0 ? xasprintf("node '%s' (a choice of %s)", name, ref)
                                  : xasprintf("node '%s'", name);
}

/* The first use of a PowerShell node that needs another account than the
 * agent's, or sh: its position in *pos. */
static char *powershell_misuse(const scenario *s, const node *n, src_pos *pos)
{
    for (size_t i = 0; i < s->ninjects; i++) {
        const inject *inj = &s->injects[i];
        const action *a = &inj->action;
        if (!node_ref_may_be(s, inj->target, n->name))
            continue; /* (a target chosen by a variable: every choice is looked at) */
        char *label = node_label(inj->target, n->name);
        char *why = NULL;
        if (a->kind == ACTION_MAIL) {
            *pos = inj->target_pos;
            why = xasprintf("inject '%s' sends mail via %s, whose image runs PowerShell: mail "
                            "goes through sh on a Linux node; send it via another node",
                            inj->id, label);
        } else if ((a->kind == ACTION_RUN || a->kind == ACTION_FILE) && a->user) {
            *pos = a->user_pos;
            why = xasprintf("inject '%s' runs as user '%s' on %s, whose image runs PowerShell: "
                            "Windows guests run everything as the agent's account (there is "
                            "no setpriv); remove 'user'",
                            inj->id, a->user, label);
        } else if (a->kind == ACTION_FILE && (a->owner || a->group)) {
            *pos = a->pos;
            why = xasprintf("inject '%s' sets a file's owner or group on %s, whose image runs "
                            "PowerShell: remove 'owner' and 'group'",
                            inj->id, label);
        }
        free(label);
        if (why)
            return why;
    }
    for (size_t i = 0; i < s->nchecks; i++) {
        const check *c = &s->checks[i];
        bool combined = c->kind == CHECK_ALL || c->kind == CHECK_ANY;
        for (size_t p = 0; p < (combined ? c->nprobes : 1); p++) {
            const check *probe = combined ? &c->probes[p] : c;
            if (!probe->user || !node_ref_may_be(s, probe->node, n->name))
                continue;
            *pos = probe->user_pos;
            char *label = node_label(probe->node, n->name);
            char *why = xasprintf("check '%s' runs as user '%s' on %s, whose image runs "
                                  "PowerShell: Windows guests run everything as the agent's "
                                  "account (there is no setpriv); remove 'user'",
                                  c->id, probe->user, label);
            free(label);
            return why;
        }
    }
    return NULL;
}

char *range_image_misuse(const scenario *s, const node *n, const image_info *img, src_pos *pos)
{
    *pos = n->pos;
    return img->exec == IMAGE_EXEC_POWERSHELL ? powershell_misuse(s, n, pos) : NULL;
}

static image_info *resolve_node(const scenario *s, const node *n, const char *dir)
{
    const custom_image *ci = scenario_custom_image(s, n->image);
    image_info *img = NULL;
    if (ci && !ci->imported) {
        if (access(ci->qcow2, R_OK) != 0) {
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: node '%s' uses image '%s', whose base disk %s cannot be read: %s",
                       n->name, n->image, ci->qcow2, strerror(errno));
            return NULL;
        }
        img = image_info_for_disk(n->image, ci->qcow2);
    } else {
        char *error = NULL;
        img = image_store_lookup(dir, n->image, &error);
        if (!img) {
            bool builtin = builtin_image_exists(n->image);
            log_printf(ENSHU_LOG_ERROR,
                       "enshu: node '%s' uses %s image '%s', which cannot be used: %s; run "
                       "'enshu images %s %s%s'",
                       n->name, builtin ? "the built-in" : "the imported", n->image, error,
                       builtin ? "build" : "import", n->image, builtin ? "" : " FILE");
            free(error);
            return NULL;
        }
    }
    src_pos pos;
    char *why = range_image_misuse(s, n, img, &pos);
    if (why) {
        log_printf(ENSHU_LOG_ERROR, "enshu: %s (line %d)", why, pos.line);
        free(why);
        image_info_free(img);
        return NULL;
    }
    return img;
}

image_info **range_images_resolve(const scenario *s, const char *dir)
{
    image_info **images = xcalloc(s->nnodes ? s->nnodes : 1, sizeof(image_info *));
    bool ok = true;
    for (size_t i = 0; i < s->nnodes; i++) {
        images[i] = resolve_node(s, &s->nodes[i], dir);
        ok &= images[i] != NULL;
    }
    if (!ok) {
        range_images_free(images, s->nnodes);
        return NULL;
    }
    return images;
}

void range_images_free(image_info **images, size_t count)
{
    if (!images)
        return;
    for (size_t i = 0; i < count; i++)
        image_info_free(images[i]);
    free(images);
}

/* For each node, whether its image (NULL: a disk named by path, or one not
 * found) makes want true. */
static bool *images_say(const scenario *s, const char *dir, bool (*want)(const image_info *img))
{
    bool *says = xcalloc(s->nnodes ? s->nnodes : 1, sizeof(bool));
    for (size_t i = 0; i < s->nnodes; i++) {
        const custom_image *ci = scenario_custom_image(s, s->nodes[i].image);
        char *error = NULL;
        image_info *img =
            ci && !ci->imported ? NULL : image_store_lookup(dir, s->nodes[i].image, &error);
        says[i] = want(img);
        image_info_free(img);
        free(error);
    }
    return says;
}

static bool runs_linux(const image_info *img)
{
    return !img || img->os == IMAGE_OS_LINUX;
}

static bool runs_powershell(const image_info *img)
{
    return img && img->exec == IMAGE_EXEC_POWERSHELL;
}

static bool has_screen(const image_info *img)
{
    return img && img->graphical;
}

bool *range_images_linux(const scenario *s, const char *dir)
{
    return images_say(s, dir, runs_linux);
}

bool *range_images_powershell(const scenario *s, const char *dir)
{
    return images_say(s, dir, runs_powershell);
}

bool *range_images_graphical(const scenario *s, const char *dir)
{
    return images_say(s, dir, has_screen);
}
