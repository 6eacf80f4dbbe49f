/*
 * Parsing and checking e-mail addresses (see mail_address.h).
 */
#include "mail_address.h"
#include "alloc.h"
#include "errors.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* RFC 5322 atext: what a dot-atom is made of. */
static bool is_atext(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static bool valid_local(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] == '.' || s[n - 1] == '.')
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.' ? s[i + 1] == '.' : !is_atext((unsigned char)s[i]))
            return false;
    }
    return true;
}

static bool valid_ipv4_literal(const char *s, size_t n)
{
    if (n < 9 || s[0] != '[' || s[n - 1] != ']' || n > 17)
        return false;
    char text[16];
    memcpy(text, s + 1, n - 2);
    text[n - 2] = '\0';
    if (strspn(text, "0123456789.") != n - 2)
        return false;
    /* Four numbers of 1 to 3 digits, each below 256, between three dots. */
    const char *p = text;
    for (int part = 0; part < 4; part++) {
        char *end = NULL;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || end - p > 3 || v > 255 || (part < 3 ? *end != '.' : *end != '\0'))
            return false;
        p = end + 1;
    }
    return true;
}

static bool valid_domain(const char *s, size_t n)
{
    if (n && s[0] == '[')
        return valid_ipv4_literal(s, n);
    if (n == 0 || n > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        unsigned char c = (unsigned char)s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && !(c == '-' && label > 0))
            return false;
        label++;
    }
    return true;
}

static int check_addr(const char *s, size_t n, const char **why)
{
    const char *at = memchr(s, '@', n);
    if (!at) {
        *why = "has no '@'";
        return ENSHU_EINVAL;
    }
    if (n > MAIL_ADDRESS_MAX) {
        *why = "is longer than 254 characters";
        return ENSHU_EINVAL;
    }
    if (!valid_local(s, (size_t)(at - s))) {
        *why = "has a bad local part (before '@'): use letters, digits, '.' (not first, last or "
               "twice in a row) and !#$%&'*+-/=?^_`{|}~, at most 64";
        return ENSHU_EINVAL;
    }
    if (!valid_domain(at + 1, n - (size_t)(at - s) - 1)) {
        *why = "has a bad domain (after '@'): use host names such as mail.example.org, or an "
               "address in brackets such as [10.80.0.5]";
        return ENSHU_EINVAL;
    }
    return ENSHU_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

int mail_address_parse(const char *text, mail_address *out, const char **why)
{
    const char *start = text, *end = text + strlen(text);
    for (const char *p = text; p < end; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *why = "holds a line break or another control character";
            return ENSHU_EINVAL;
        }
    }
    while (start < end && is_space(*start))
        start++;
    while (end > start && is_space(end[-1]))
        end--;
    const char *lt = memchr(start, '<', (size_t)(end - start));
    if (!lt) {
        if (check_addr(start, (size_t)(end - start), why) != ENSHU_OK)
            return ENSHU_EINVAL;
        out->name = NULL;
        out->addr = xstrndup(start, (size_t)(end - start));
        return ENSHU_OK;
    }
    if (end[-1] != '>' || memchr(lt + 1, '<', (size_t)(end - lt - 1)) ||
        memchr(start, '>', (size_t)(end - 1 - start))) {
        *why = "must be 'Name <local@domain>' or 'local@domain'";
        return ENSHU_EINVAL;
    }
    if (check_addr(lt + 1, (size_t)(end - lt - 2), why) != ENSHU_OK)
        return ENSHU_EINVAL;
    const char *ns = start, *ne = lt;
    while (ne > ns && is_space(ne[-1]))
        ne--;
    if (ne - ns >= 2 && *ns == '"' && ne[-1] == '"') {
        ns++;
        ne--;
    }
    if (memchr(ns, '"', (size_t)(ne - ns)) || memchr(ns, '\\', (size_t)(ne - ns))) {
        *why = "has a display name with '\"' or '\\' inside";
        return ENSHU_EINVAL;
    }
    if (ne - ns > MAIL_DISPLAY_NAME_MAX) {
        *why = "has a display name longer than 200 bytes";
        return ENSHU_EINVAL;
    }
    out->name = ne > ns ? xstrndup(ns, (size_t)(ne - ns)) : NULL;
    out->addr = xstrndup(lt + 1, (size_t)(end - lt - 2));
    return ENSHU_OK;
}

void mail_address_fini(mail_address *a)
{
    if (!a)
        return;
    free(a->name);
    free(a->addr);
    a->name = a->addr = NULL;
}

const char *mail_address_domain(const char *addr)
{
    const char *at = strrchr(addr, '@');
    return at ? at + 1 : addr;
}
