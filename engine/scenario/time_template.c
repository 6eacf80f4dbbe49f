/*
 * Time templates (see time_template.h).
 */
#include "time_template.h"
#include "alloc.h"
#include "errors.h"
#include "units.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_FORMAT "%a, %d %b %Y %H:%M:%S %z"

/* strftime conversions that mean the same everywhere (no E or O forms). */
static const char CONVERSIONS[] = "aAbBcCdDeFgGhHIjmMnprRsStTuUVwWxXyYzZ%";

static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;

/* Other threads read TZ without this lock (localtime_r in log.c). Setting a
 * variable that exists only swaps one pointer in the environment, and the C
 * library keeps old values; adding or removing one may move the whole
 * environment under a reader. So TZ is made to exist before any thread
 * starts, with the meaning it has when unset, and is only ever replaced. */
__attribute__((constructor)) static void tz_exists(void)
{
    if (!getenv("TZ"))
        setenv("TZ", ":/etc/localtime", 0);
}

bool time_template_is(const char *key)
{
    return !strncmp(key, "now", 3) && (key[3] == '\0' || key[3] == ' ');
}

/* Splits key into its offset (0 without one) and its format; NULL when
 * well-formed, else why not. */
static char *parse(const char *key, int64_t *offset_ms, const char **format)
{
    const char *p = key + 3;
    *offset_ms = 0;
    *format = DEFAULT_FORMAT;
    if (*p == ' ')
        p++;
    if (*p == '+' || *p == '-') {
        size_t len = strcspn(p, " ");
        char word[64];
        int64_t ms;
        snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len - 1 : 62), p + 1);
        if (len >= 63 || parse_duration_ms(word, &ms) != 0)
            return xasprintf("{{%s}}: '%.*s' is not an offset such as -3d, +2h or -1h30m", key,
                             (int)len, p);
        *offset_ms = *p == '-' ? -ms : ms;
        p += len;
        if (*p == ' ')
            p++;
    }
    if (*p) {
        for (const char *c = strchr(p, '%'); c; c = strchr(c + 2, '%'))
            if (!c[1] || !strchr(CONVERSIONS, c[1]))
                return xasprintf("{{%s}}: '%%%.1s' is not a time format conversion (such as "
                                 "%%Y-%%m-%%d %%H:%%M:%%S)",
                                 key, c[1] ? c + 1 : "");
        if (!strchr(p, '%'))
            return xasprintf("{{%s}}: '%s' is neither an offset (-3d) nor a time format "
                             "(%%H:%%M)",
                             key, p);
        *format = p;
    }
    return NULL;
}

char *time_template_check(const char *key)
{
    int64_t offset;
    const char *format;
    return parse(key, &offset, &format);
}

int time_template_format(const char *key, int64_t wall_ms, const char *time_zone, char *out,
                         size_t size)
{
    int64_t offset;
    const char *format;
    char *why = parse(key, &offset, &format);
    if (why) {
        free(why);
        return ENSHU_EINVAL;
    }
    int64_t ms = wall_ms + offset;
    time_t t = (time_t)((ms - ((ms % 1000) + 1000) % 1000) / 1000);
    struct tm tm;
    size_t n;
    pthread_mutex_lock(&tz_lock);
    char *saved = xstrdup(getenv("TZ") ? getenv("TZ") : ":/etc/localtime");
    char *zone = xasprintf(":%s", time_zone ? time_zone : "UTC");
    setenv("TZ", zone, 1);
    tzset();
    localtime_r(&t, &tm);
    /* The format was checked above: only known conversions. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    n = strftime(out, size, format, &tm);
#pragma GCC diagnostic pop
    setenv("TZ", saved, 1);
    tzset();
    pthread_mutex_unlock(&tz_lock);
    free(zone);
    free(saved);
    if (n == 0 && size)
        out[0] = '\0';
    return ENSHU_OK;
}
