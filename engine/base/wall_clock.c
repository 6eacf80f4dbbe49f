/*
 * The wall clock (see wall_clock.h).
 */
#include "wall_clock.h"

#include <time.h>

int64_t wall_clock_ms(void *unused)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
