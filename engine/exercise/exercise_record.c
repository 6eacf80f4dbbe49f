/*
 * An exercise's record in its ledger (see exercise_record.h). Meta keys:
 * scenario_yaml, scenario_path, teams, team_vars, and attachment/NAME (the
 * attachment's bytes in base64) for each attachment of a message or a mail
 * and each file inject's 'source'.
 */
#include "exercise_record.h"
#include "alloc.h"
#include "base64.h"
#include "errors.h"
#include "ledger_meta.h"
#include "log.h"
#include "text_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { SCENARIO_TEXT_MAX = 4u << 20 };

static char *attachment_key(const char *name)
{
    return xasprintf(LEDGER_META_ATTACHMENT, name);
}

static int write_attachment(event_store *ledger, const char *name, const char *content, size_t size)
{
    char *key = attachment_key(name);
    char *data = base64_encode(content, size);
    int rc = event_store_set_meta(ledger, key, data);
    free(data);
    free(key);
    return rc;
}

static int write_attachments(event_store *ledger, const scenario *s)
{
    int rc = ENSHU_OK;
    for (size_t i = 0; i < s->ninjects && rc == ENSHU_OK; i++) {
        const action *a = &s->injects[i].action;
        if (a->attachment && a->attachment_content)
            rc = write_attachment(ledger, a->attachment, a->attachment_content, a->attachment_size);
        if (rc == ENSHU_OK && a->source && a->content)
            rc = write_attachment(ledger, a->source, a->content, a->content_size);
        for (size_t f = 0; f < a->nmail_files && rc == ENSHU_OK; f++)
            rc = write_attachment(ledger, a->mail_files[f].name, a->mail_files[f].content,
                                  a->mail_files[f].size);
    }
    return rc;
}

int exercise_record_write(event_store *ledger, const char *scenario_file, const scenario *s,
                          unsigned teams, const team_vars *vars)
{
    char *stored = event_store_get_meta(ledger, LEDGER_META_TEAMS);
    if (stored) {
        int rc = ENSHU_OK;
        if ((unsigned)strtoul(stored, NULL, 10) != teams) {
            log_printf(ENSHU_LOG_ERROR, "enshu run: this exercise has %s teams, not %u", stored,
                       teams);
            rc = ENSHU_EINVAL;
        }
        free(stored);
        return rc;
    }
    char *text = text_file_read(scenario_file, SCENARIO_TEXT_MAX);
    if (!text)
        return ENSHU_EIO;
    char count[16];
    snprintf(count, sizeof count, "%u", teams);
    char *vars_json = vars ? team_vars_to_json(vars) : NULL;
    int rc = event_store_set_meta(ledger, LEDGER_META_SCENARIO_YAML, text);
    if (rc == ENSHU_OK)
        rc = event_store_set_meta(ledger, LEDGER_META_SCENARIO_PATH, scenario_file);
    if (rc == ENSHU_OK && vars_json)
        rc = event_store_set_meta(ledger, LEDGER_META_TEAM_VARS, vars_json);
    if (rc == ENSHU_OK)
        rc = write_attachments(ledger, s);
    /* Last: a ledger with a team count holds the whole record. */
    if (rc == ENSHU_OK)
        rc = event_store_set_meta(ledger, LEDGER_META_TEAMS, count);
    free(vars_json);
    free(text);
    return rc;
}

typedef struct reading {
    event_store *ledger;
    const char *who;
} reading;

static char *read_attachment(void *ctx, const char *name, size_t *size)
{
    reading *r = ctx;
    char *key = attachment_key(name);
    char *data = event_store_get_meta(r->ledger, key);
    free(key);
    if (!data)
        return NULL; /* an older ledger: the file next to the scenario */
    char *bytes = base64_decode(data, size);
    free(data);
    if (!bytes) /* then the file, if it is still there */
        log_printf(ENSHU_LOG_ERROR, "enshu %s: the attachment '%s' kept in %s is damaged", r->who,
                   name, event_store_path(r->ledger));
    return bytes;
}

int exercise_record_read(event_store *ledger, const char *who, exercise_record *out)
{
    memset(out, 0, sizeof *out);
    char *text = event_store_get_meta(ledger, LEDGER_META_SCENARIO_YAML);
    char *count = event_store_get_meta(ledger, LEDGER_META_TEAMS);
    char *vars_json = event_store_get_meta(ledger, LEDGER_META_TEAM_VARS);
    out->scenario_path = event_store_get_meta(ledger, LEDGER_META_SCENARIO_PATH);
    long teams = count ? strtol(count, NULL, 10) : 0;
    int rc = ENSHU_OK;
    if (!text || teams < 1 || teams > 1000) {
        log_printf(ENSHU_LOG_ERROR, "enshu %s: %s holds no exercise (no scenario or team count)",
                   who, event_store_path(ledger));
        rc = ENSHU_ENOTFOUND;
    }
    if (rc == ENSHU_OK && vars_json && team_vars_from_json(vars_json, &out->vars) != ENSHU_OK) {
        log_printf(ENSHU_LOG_WARNING,
                   "enshu %s: the team values in %s are damaged; templated answers are "
                   "compared as written",
                   who, event_store_path(ledger));
        out->vars = NULL;
    }
    if (rc == ENSHU_OK) {
        out->teams = (unsigned)teams;
        reading r = {ledger, who};
        scenario_attachments from = {read_attachment, &r};
        diag_list *diags = diag_list_new();
        /* Named by its path: an older ledger's attachments are next to it. */
        const char *name = out->scenario_path ? out->scenario_path : "scenario";
        out->s = scenario_load_buffer_with(name, text, strlen(text), &from, diags);
        diag_list_print(diags, stderr);
        diag_list_free(diags);
        if (!out->s)
            rc = ENSHU_EINVAL;
    }
    free(vars_json);
    free(count);
    free(text);
    if (rc != ENSHU_OK)
        exercise_record_fini(out);
    return rc;
}

void exercise_record_fini(exercise_record *r)
{
    scenario_free(r->s);
    team_vars_free(r->vars);
    free(r->scenario_path);
    memset(r, 0, sizeof *r);
}
