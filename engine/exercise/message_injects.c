/*
 * Messages and notes (see message_injects.h).
 */
#include "message_injects.h"
#include "alloc.h"
#include "errors.h"

#include <stdlib.h>

bool message_inject_is(const inject *inj)
{
    return inj->action.kind == ACTION_MESSAGE || inj->action.kind == ACTION_NOTE;
}

int message_inject_run(const scenario *s, const team_vars *v, int team, const inject *inj,
                       char **output)
{
    const action *a = &inj->action;
    const char *lang = s->default_language;
    if (a->kind == ACTION_MESSAGE) {
        char *from = team_vars_expand(v, team, a->from);
        char *subject = team_vars_expand(v, team, l10n_get(&a->subject, NULL, lang));
        *output = a->attachment
                      ? xasprintf("from %s: %s [attachment: %s]", from, subject, a->attachment)
                      : xasprintf("from %s: %s", from, subject);
        free(from);
        free(subject);
        return ENSHU_OK;
    }
    if (a->kind == ACTION_NOTE) {
        *output = team_vars_expand(v, team, l10n_get(&a->note, NULL, lang));
        return ENSHU_OK;
    }
    return ENSHU_EINVAL;
}
