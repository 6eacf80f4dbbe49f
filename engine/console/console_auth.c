/*
 * Instructor password, join codes and rate limits (see console_auth.h).
 */
#include "console_auth.h"
#include "alloc.h"
#include "errors.h"
#include "log.h"
#include "range_files.h"
#include "text_file.h"

#include <sodium.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int console_auth_init(void)
{
    if (sodium_init() < 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: libsodium could not be initialised");
        return ENSHU_EIO;
    }
    return ENSHU_OK;
}

char *instructor_password_path(void)
{
    return xasprintf("%s/instructor.pwhash", range_state_dir());
}

bool instructor_password_is_set(void)
{
    char *path = instructor_password_path();
    bool set = access(path, F_OK) == 0;
    free(path);
    return set;
}

int instructor_password_set(const char *password)
{
    char hash[crypto_pwhash_STRBYTES];
    if (!password || !*password) {
        log_printf(ENSHU_LOG_ERROR, "enshu: the instructor password must not be empty");
        return ENSHU_EINVAL;
    }
    /* Interactive limits: a login costs ~64 MiB and well under a second. */
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: out of memory while hashing the instructor password");
        return ENSHU_EIO;
    }
    const char *dir = range_state_dir();
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot create %s: %s", dir, strerror(errno));
        return ENSHU_EIO;
    }
    char *path = instructor_password_path();
    char *tmp = xasprintf("%s.tmp", path);
    int rc = ENSHU_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    size_t len = strlen(hash);
    if (fd < 0 || write(fd, hash, len) != (ssize_t)len || write(fd, "\n", 1) != 1 ||
        fsync(fd) != 0 || rename(tmp, path) != 0) {
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot write %s: %s", path, strerror(errno));
        rc = ENSHU_EIO;
        unlink(tmp);
    }
    if (fd >= 0)
        close(fd);
    sodium_memzero(hash, sizeof hash);
    free(tmp);
    free(path);
    return rc;
}

int instructor_password_check(const char *password)
{
    char *path = instructor_password_path();
    char *hash = access(path, F_OK) == 0 ? text_file_read(path, 4096) : NULL;
    free(path);
    if (!hash)
        return ENSHU_ENOTFOUND;
    hash[strcspn(hash, "\r\n")] = '\0';
    int ok = password && crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    free(hash);
    return ok ? ENSHU_OK : ENSHU_EINVAL;
}

static const char CODE_ALPHABET[] = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

void join_code_new(char out[JOIN_CODE_SIZE])
{
    size_t n = sizeof CODE_ALPHABET - 1;
    for (int i = 0; i < 9; i++)
        out[i] = i == 4 ? '-' : CODE_ALPHABET[randombytes_uniform((uint32_t)n)];
    out[9] = '\0';
}

/* The code without dashes and spaces, upper case, in out (cap bytes). */
/* Japanese input methods often type full-width forms: U+FF01..U+FF5E are
 * ASCII 0x21..0x7E shifted, U+3000 is the ideographic space and U+30FC
 * the long vowel mark people type for a dash. Returns the ASCII character
 * the UTF-8 sequence at *in stands for (' ' for spaces) and advances *in,
 * or 0 when it is not one of these. */
static char fold_full_width(const unsigned char **in)
{
    const unsigned char *p = *in;
    if (p[0] == 0xEF && (p[1] == 0xBC || p[1] == 0xBD) && p[2] >= 0x80 && p[2] <= 0xBF) {
        unsigned cp = 0xFF00u + ((p[1] & 0x03u) << 6) + (p[2] & 0x3Fu);
        if (cp >= 0xFF01 && cp <= 0xFF5E) {
            *in += 3;
            return (char)(cp - 0xFF01 + 0x21);
        }
    }
    if (p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x80) {
        *in += 3;
        return ' ';
    }
    if (p[0] == 0xE3 && p[1] == 0x83 && p[2] == 0xBC) {
        *in += 3;
        return '-';
    }
    return 0;
}

static size_t normalize(const char *text, char *out, size_t cap)
{
    size_t n = 0;
    const unsigned char *in = (const unsigned char *)text;
    while (*in && n + 1 < cap) {
        char c = fold_full_width(&in);
        if (!c)
            c = (char)*in++;
        if (c != '-' && !isspace((unsigned char)c))
            out[n++] = (char)toupper((unsigned char)c);
    }
    out[n] = '\0';
    return n;
}

bool join_code_matches(const char *code, const char *typed)
{
    char a[32], b[96];
    if (!code || !typed || strlen(typed) > 90) /* full-width: 3 bytes a character */
        return false;
    size_t na = normalize(code, a, sizeof a), nb = normalize(typed, b, sizeof b);
    return na == nb && na > 0 && sodium_memcmp(a, b, na) == 0;
}

typedef struct bucket {
    char *key;
    double tokens;
    int64_t last_ms;
} bucket;

struct rate_limiter {
    double per_ms;
    double burst;
    bucket *buckets; /* most recently used last */
    size_t n, max;
};

rate_limiter *rate_limiter_new(unsigned per_minute, unsigned burst, size_t max_keys)
{
    rate_limiter *rl = xcalloc(1, sizeof(rate_limiter));
    rl->per_ms = per_minute / 60000.0;
    rl->burst = burst ? burst : 1;
    rl->max = max_keys ? max_keys : 1;
    rl->buckets = xcalloc(rl->max, sizeof(bucket));
    return rl;
}

void rate_limiter_free(rate_limiter *rl)
{
    if (!rl)
        return;
    for (size_t i = 0; i < rl->n; i++)
        free(rl->buckets[i].key);
    free(rl->buckets);
    free(rl);
}

bool rate_limiter_take(rate_limiter *rl, const char *key, int64_t now_ms, int64_t *retry_ms)
{
    size_t i = 0;
    while (i < rl->n && strcmp(rl->buckets[i].key, key) != 0)
        i++;
    bucket b;
    if (i < rl->n) {
        b = rl->buckets[i];
        double refill = (double)(now_ms - b.last_ms) * rl->per_ms;
        b.tokens = refill > 0 ? b.tokens + refill : b.tokens;
        if (b.tokens > rl->burst)
            b.tokens = rl->burst;
        memmove(&rl->buckets[i], &rl->buckets[i + 1], (rl->n - i - 1) * sizeof(bucket));
        rl->n--;
    } else {
        b = (bucket){xstrdup(key), rl->burst, now_ms};
        if (rl->n == rl->max) { /* forget the least recently used */
            free(rl->buckets[0].key);
            memmove(&rl->buckets[0], &rl->buckets[1], (rl->n - 1) * sizeof(bucket));
            rl->n--;
        }
    }
    b.last_ms = now_ms;
    bool ok = b.tokens >= 1.0;
    if (ok)
        b.tokens -= 1.0;
    else if (retry_ms)
        *retry_ms = rl->per_ms > 0 ? (int64_t)((1.0 - b.tokens) / rl->per_ms) + 1 : INT64_MAX;
    rl->buckets[rl->n++] = b;
    return ok;
}

void rate_limiter_refund(rate_limiter *rl, const char *key)
{
    for (size_t i = 0; i < rl->n; i++)
        if (strcmp(rl->buckets[i].key, key) == 0 && rl->buckets[i].tokens + 1.0 <= rl->burst)
            rl->buckets[i].tokens += 1.0;
}
