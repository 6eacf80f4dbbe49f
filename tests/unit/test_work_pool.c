/* The worker pool runs every job once and reports the first failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "work_pool.h"

#include <stdatomic.h>

static atomic_int runs[100];

static int count_job(size_t job, unsigned worker, void *arg)
{
    atomic_fetch_add(&runs[job], 1);
    return job == 42 ? -7 : 0;
}

static void every_job_runs_once(void **state)
{
    assert_int_equal(work_pool_run(100, 4, count_job, NULL), -7);
    for (int i = 0; i < 100; i++)
        assert_int_equal(runs[i], 1);
    assert_int_equal(work_pool_run(0, 4, count_job, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_job_runs_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
