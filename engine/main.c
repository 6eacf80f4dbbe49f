#include "scenario.h"
#include <stdio.h>
int main(int argc, char **argv)
{
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        diag_list *d = diag_list_new();
        scenario *s = scenario_load_file(argv[i], d);
        if (!s) rc = 1;
        diag_list_print(d, stderr);
        scenario_free(s);
        diag_list_free(d);
    }
    return rc;
}
