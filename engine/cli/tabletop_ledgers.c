/*
 * Tabletop exercises found by their ledgers (see tabletop_ledgers.h).
 */
#include "tabletop_ledgers.h"
#include "alloc.h"
#include "errors.h"
#include "exercise_record.h"
#include "ledger_exercise.h"
#include "ledger_meta.h"
#include "range_files.h"
#include "range_plan.h"
#include "units.h"
#include "yaml_tree.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LEDGER_SUFFIX ".events.db"

bool tabletop_ledger_is(const char *name)
{
    char *store = range_db_path(name), *path = range_ledger_path(name);
    event_store *ledger = NULL;
    /* A range has a state store; a tabletop exercise only its ledger. */
    bool candidate = access(store, F_OK) != 0 && access(path, F_OK) == 0;
    int rc = candidate ? event_store_open(path, false, &ledger) : ENSHU_ENOTFOUND;
    free(store);
    free(path);
    if (rc != ENSHU_OK)
        return false;
    /* The recorded scenario was valid when the exercise started: without
     * network and nodes it is a tabletop one (scenario_tabletop.c). Read
     * quietly: a broken ledger is for the commands on it to report. */
    char *text = event_store_get_meta(ledger, LEDGER_META_SCENARIO_YAML);
    diag_list *diags = diag_list_new();
    ydoc *doc = text ? ydoc_parse(name, text, strlen(text), &YLIMITS_DEFAULT, diags) : NULL;
    const ynode *root = doc ? doc->root : NULL;
    bool tabletop =
        root && root->kind == YNODE_MAP && !ymap_get(root, "network") && !ymap_get(root, "nodes");
    ydoc_free(doc);
    diag_list_free(diags);
    free(text);
    event_store_free(ledger);
    return tabletop;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **tabletop_ledger_list(size_t *count)
{
    *count = 0;
    char *dir_path = xasprintf("%s/ranges", range_state_dir());
    DIR *dir = opendir(dir_path);
    free(dir_path);
    if (!dir)
        return NULL;
    char **names = NULL;
    size_t cap = 0;
    const size_t suffix = strlen(LEDGER_SUFFIX);
    struct dirent *e;
    while ((e = readdir(dir))) {
        size_t len = strlen(e->d_name);
        if (len <= suffix || strcmp(e->d_name + len - suffix, LEDGER_SUFFIX) != 0)
            continue;
        char *name = xstrndup(e->d_name, len - suffix);
        /* An archived ledger (NAME.<time>.events.db, --fresh) has a name no
         * exercise can have. */
        if (range_name_valid(name) && tabletop_ledger_is(name)) {
            XGROW(names, cap, *count + 1);
            names[(*count)++] = name;
        } else {
            free(name);
        }
    }
    closedir(dir);
    if (*count)
        qsort(names, *count, sizeof(char *), compare_names);
    return names;
}

json_t *tabletop_ledger_json(const char *name)
{
    ledger_exercise le;
    if (ledger_exercise_open("status", name, false, &le) != ENSHU_OK)
        return NULL;
    if (exercise_replay(le.ex) != ENSHU_OK) {
        fprintf(stderr, "enshu status: the ledger of exercise '%s' cannot be read\n", name);
        ledger_exercise_close(&le);
        return NULL;
    }
    json_t *r = json_object();
    json_object_set_new(r, "name", json_string(name));
    json_object_set_new(r, "scenario_id", json_string(le.rec.s->id));
    json_object_set_new(r, "scenario_path",
                        le.rec.scenario_path ? json_string(le.rec.scenario_path) : json_null());
    json_object_set_new(r, "tabletop", json_true());
    json_object_set_new(r, "phase", json_string(exercise_phase_name(exercise_get_phase(le.ex))));
    json_object_set_new(r, "at_ms", json_integer(exercise_now(le.ex)));
    json_t *teams = json_array();
    for (unsigned t = 1; t <= le.rec.teams; t++)
        json_array_append_new(teams, json_pack("{s:i, s:[]}", "team", t, "nodes"));
    json_object_set_new(r, "teams", teams);
    ledger_exercise_close(&le);
    return r;
}

void tabletop_ledger_print(const json_t *info)
{
    char at[32];
    json_int_t at_ms = json_integer_value(json_object_get(info, "at_ms"));
    format_duration(at_ms - at_ms % 1000, at, sizeof at);
    printf("exercise %s (tabletop, scenario %s, %s)\n",
           json_string_value(json_object_get(info, "name")),
           json_string_value(json_object_get(info, "scenario_id")) ?: "?",
           json_string_value(json_object_get(info, "scenario_path")) ?: "?");
    printf("  %zu teams, %s at T+%s; no guests\n", json_array_size(json_object_get(info, "teams")),
           json_string_value(json_object_get(info, "phase")), at);
}
