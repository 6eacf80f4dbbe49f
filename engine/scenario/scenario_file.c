/*
 * Loading a scenario: parse the YAML (yaml_tree.c), walk the tree into the
 * model (scenario_load.c), then check the model as a whole
 * (scenario_check.c). The entry points are declared in scenario.h.
 */
#include "scenario.h"
#include "alloc.h"
#include "scenario_load.h"

#include <stdio.h>

static scenario *scenario_from_doc(const char *name, ydoc *doc, const scenario_attachments *from,
                                   diag_list *diags)
{
    size_t before = diags->count;
    scenario *s = xcalloc(1, sizeof(scenario));
    s->file = xstrdup(name);
    if (doc) {
        scenario_load_tree(s, doc->root, from, diags);
        /* Checked even after load errors, so one run reports every problem. */
        if (doc->root && doc->root->kind == YNODE_MAP) {
            scenario_check_tabletop(s, doc->root, diags);
            scenario_check_model(s, diags);
        }
    }
    ydoc_free(doc);
    if (!doc || diags->count != before) {
        scenario_free(s);
        return NULL;
    }
    return s;
}

scenario *scenario_load_file(const char *path, diag_list *diags)
{
    ydoc *doc = ydoc_load_file(path, &YLIMITS_DEFAULT, diags);
    return scenario_from_doc(path, doc, NULL, diags);
}

scenario *scenario_load_reported(const char *path)
{
    diag_list *diags = diag_list_new();
    scenario *s = scenario_load_file(path, diags);
    diag_list_print(diags, stderr);
    diag_list_free(diags);
    return s;
}

scenario *scenario_load_buffer(const char *name, const char *buf, size_t len, diag_list *diags)
{
    return scenario_load_buffer_with(name, buf, len, NULL, diags);
}

scenario *scenario_load_buffer_with(const char *name, const char *buf, size_t len,
                                    const scenario_attachments *from, diag_list *diags)
{
    ydoc *doc = ydoc_parse(name, buf, len, &YLIMITS_DEFAULT, diags);
    return scenario_from_doc(name, doc, from, diags);
}
