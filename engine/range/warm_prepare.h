/*
 * Warm templates made ahead of time (`enshu images warm SCENARIO...`): the
 * templates (warm_restore.h) that the guests of a scenario restore from,
 * made before the training day, so that its first `up --warm` restores
 * every guest at once instead of booting each template first.
 *
 * A scenario's guests are planned as one team would be (a template's key
 * is the image and the domain's shape, the same in every team); each guest
 * that can be restored warm on the host (warm_wanted) has its template
 * made if missing or damaged, all at once (templates of one key are made
 * once). Guests that cannot (BusyBox, imported, Windows images) are named
 * as booting. Nothing else is created: no range, no state.
 */
#ifndef ENSHU_WARM_PREPARE_H
#define ENSHU_WARM_PREPARE_H

#include <stdio.h>

/* Makes the templates of the scenario at scenario_path on the host at uri,
 * saying on out (NULL: quiet) what each guest will do. ENSHU_OK when every
 * guest that can be restored has its template; errors are reported. */
int warm_prepare(const char *scenario_path, const char *uri, FILE *out)
    __attribute__((warn_unused_result));

#endif
