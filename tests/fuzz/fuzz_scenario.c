/*
 * libFuzzer target for the scenario loader: any bytes go through the YAML
 * tree (yaml_tree.c), the loader (scenario_load.c) and the checker
 * (scenario_check.c), and everything is freed again, so AddressSanitizer's
 * leak check turns a leak into a crash.
 *
 * Besides "no crash", it holds the loader to its contract: a scenario comes
 * back exactly when there is no diagnostic, and a scenario that comes back
 * has every interface on a known segment with a usable host number.
 */
#include "diag.h"
#include "scenario.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void contract_broken(const char *what)
{
    fprintf(stderr, "fuzz_scenario: loader contract broken: %s\n", what);
    abort();
}

static void check_scenario(const scenario *s)
{
    unsigned max_host = (1u << (32 - s->segment_prefix)) - 2;
    for (size_t i = 0; i < s->nnodes; i++) {
        const node *n = &s->nodes[i];
        if (!n->name || !n->image)
            contract_broken("a node without a name or image");
        for (size_t j = 0; j < n->nnics; j++) {
            const nic *x = &n->nics[j];
            if (x->segment_index < 0 || (size_t)x->segment_index >= s->nsegments)
                contract_broken("an interface on no segment");
            if (x->host < 2 || (unsigned)x->host > max_host)
                contract_broken("an interface without a usable host number");
        }
    }
    if (!l10n_get(&s->title, NULL, s->default_language))
        contract_broken("a scenario without a title");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    diag_list *diags = diag_list_new();
    scenario *s = scenario_load_buffer("fuzz.yaml", (const char *)data, size, diags);
    if (!s && diags->count == 0)
        contract_broken("refused without a diagnostic");
    if (s && diags->count != 0)
        contract_broken("loaded despite a diagnostic");
    if (s)
        check_scenario(s);
    /* Sorting and formatting touch every message, as printing them would.
     * Not on an empty list: diag.c passes its NULL array to qsort() (UB, and
     * outside the loader), which would stop the fuzzer on every valid input. */
    if (diags->count)
        free(diag_list_format(diags));
    scenario_free(s);
    diag_list_free(diags);
    return 0;
}
