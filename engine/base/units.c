/*
 * Durations, sizes and IPv4 addresses as written in scenario files.
 */
#include "units.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int parse_number(const char **p, uint64_t *out)
{
    if (!isdigit((unsigned char)**p))
        return -1;
    uint64_t v = 0;
    while (isdigit((unsigned char)**p)) {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(**p - '0');
        (*p)++;
    }
    *out = v;
    return 0;
}

int parse_duration_ms(const char *text, int64_t *out_ms)
{
    const char *p = text;
    if (strcmp(text, "0") == 0) {
        *out_ms = 0;
        return 0;
    }
    uint64_t total = 0;
    int parts = 0;
    while (*p) {
        uint64_t n;
        if (parse_number(&p, &n) < 0)
            return -1;
        uint64_t unit;
        if (strncmp(p, "ms", 2) == 0) {
            unit = 1;
            p += 2;
        } else if (*p == 's') {
            unit = 1000;
            p++;
        } else if (*p == 'm') {
            unit = 60 * 1000;
            p++;
        } else if (*p == 'h') {
            unit = 3600 * 1000;
            p++;
        } else if (*p == 'd') {
            unit = 24ULL * 3600 * 1000;
            p++;
        } else {
            return -1;
        }
        if (n > (uint64_t)INT64_MAX / unit || total > (uint64_t)INT64_MAX - n * unit)
            return -1;
        total += n * unit;
        parts++;
    }
    if (parts == 0)
        return -1;
    *out_ms = (int64_t)total;
    return 0;
}

int parse_size_mib(const char *text, uint64_t *out_mib)
{
    const char *p = text;
    uint64_t n;
    if (parse_number(&p, &n) < 0)
        return -1;
    uint64_t mib;
    if (strcmp(p, "M") == 0 || strcmp(p, "MiB") == 0 || strcmp(p, "MB") == 0)
        mib = n;
    else if (strcmp(p, "G") == 0 || strcmp(p, "GiB") == 0 || strcmp(p, "GB") == 0) {
        if (n > UINT64_MAX / 1024)
            return -1;
        mib = n * 1024;
    } else
        return -1;
    *out_mib = mib;
    return 0;
}

int parse_ipv4(const char *text, uint32_t *out_addr)
{
    const char *p = text;
    uint32_t addr = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t octet;
        const char *start = p;
        if (parse_number(&p, &octet) < 0 || octet > 255 || p - start > 3)
            return -1;
        addr = (addr << 8) | (uint32_t)octet;
        if (i < 3) {
            if (*p != '.')
                return -1;
            p++;
        }
    }
    if (*p)
        return -1;
    *out_addr = addr;
    return 0;
}

int parse_ipv4_cidr(const char *text, uint32_t *out_addr, unsigned *out_prefix)
{
    const char *slash = strchr(text, '/');
    if (!slash || slash - text > 15)
        return -1;
    char addr_text[16];
    memcpy(addr_text, text, (size_t)(slash - text));
    addr_text[slash - text] = '\0';
    const char *p = slash + 1;
    uint64_t prefix;
    if (parse_number(&p, &prefix) < 0 || *p || prefix > 32)
        return -1;
    uint32_t addr;
    if (parse_ipv4(addr_text, &addr) < 0)
        return -1;
    *out_addr = addr;
    *out_prefix = (unsigned)prefix;
    return 0;
}

void format_ipv4(uint32_t addr, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
}

void format_duration(int64_t ms, char *buf, size_t size)
{
    if (ms % 1000) {
        snprintf(buf, size, "%lldms", (long long)ms);
        return;
    }
    long long s = ms / 1000, h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
    int n = 0;
    buf[0] = '\0';
    if (h)
        n += snprintf(buf + n, size - (size_t)n, "%lldh", h);
    if (m && (size_t)n < size)
        n += snprintf(buf + n, size - (size_t)n, "%lldm", m);
    if ((sec || (!h && !m)) && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, "%llds", sec);
}
