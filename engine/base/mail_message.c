/*
 * Composing an e-mail message (see mail_message.h).
 */
#include "mail_message.h"
#include "alloc.h"
#include "base64.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* RFC 2047: an encoded word is at most 75 characters, a line holding one at most 76. */
#define LINE_MAX_ENCODED 76
#define WORD_OVERHEAD 12 /* "=?UTF-8?B?" and "?=" */
#define BASE64_LINE 76

typedef struct out {
    char *buf;
    size_t len, cap;
} out;

static void put(out *o, const char *s, size_t n)
{
    XGROW(o->buf, o->cap, o->len + n + 1);
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

static void puts_(out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void putf(out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void putf(out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    put(o, s, (size_t)n);
    free(s);
}

static bool is_ascii_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return false;
    return true;
}

/* A header text as one line: line breaks and tabs become spaces. */
static char *one_line(const char *s)
{
    char *t = xstrdup(s);
    for (char *p = t; *p; p++)
        if (*p == '\r' || *p == '\n' || *p == '\t')
            *p = ' ';
    return t;
}

/* Length of the longest run of whole UTF-8 characters of s, at most max bytes. */
static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    size_t cut = max;
    while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
        cut--;
    return cut ? cut : max; /* a malformed run longer than max: cut anyway */
}

/* text as RFC 2047 encoded words, the first after `used` characters of its
 * line, each further word on a folded line of its own. */
static void put_encoded_words(out *o, const char *text, size_t used)
{
    size_t n = strlen(text), at = 0;
    bool first = true;
    do {
        size_t room = LINE_MAX_ENCODED - (first ? used : 1) - WORD_OVERHEAD;
        if (room < 8)
            room = 8; /* a long header name: the line runs a little over */
        size_t take = utf8_cut(text + at, n - at, room / 4 * 3);
        char *b64 = base64_encode(text + at, take);
        putf(o, "%s=?UTF-8?B?%s?=", first ? "" : "\r\n ", b64);
        free(b64);
        at += take;
        first = false;
    } while (at < n);
}

/* An unstructured header (Subject): as it is when plain ASCII that cannot
 * be read as an encoded word, else as encoded words. */
static void put_text_header(out *o, const char *name, const char *value)
{
    char *v = one_line(value);
    putf(o, "%s: ", name);
    if (is_ascii_printable(v) && !strstr(v, "=?") && strlen(v) < 900)
        puts_(o, v);
    else
        put_encoded_words(o, v, strlen(name) + 2);
    puts_(o, "\r\n");
    free(v);
}

static bool is_atext_or_space(char c)
{
    return c == ' ' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("!#$%&'*+-/=?^_`{|}~", c);
}

/* A display name: a phrase of atoms, a quoted string, or encoded words. */
static void put_display_name(out *o, const char *name, size_t used)
{
    if (!is_ascii_printable(name) || strstr(name, "=?")) {
        put_encoded_words(o, name, used);
        return;
    }
    bool atoms = true;
    for (const char *p = name; *p; p++)
        atoms = atoms && is_atext_or_space(*p);
    if (atoms) {
        puts_(o, name);
        return;
    }
    puts_(o, "\"");
    for (const char *p = name; *p; p++) {
        if (*p == '"' || *p == '\\')
            puts_(o, "\\");
        put(o, p, 1);
    }
    puts_(o, "\"");
}

/* An address header (From, To): one mailbox a line. */
static void put_address_header(out *o, const char *name, const mail_address *list, size_t n)
{
    putf(o, "%s: ", name);
    for (size_t i = 0; i < n; i++) {
        size_t used = i ? 1 : strlen(name) + 2;
        if (i)
            puts_(o, ",\r\n ");
        if (list[i].name && *list[i].name) {
            char *nm = one_line(list[i].name);
            put_display_name(o, nm, used);
            free(nm);
            putf(o, " <%s>", list[i].addr);
        } else {
            puts_(o, list[i].addr);
        }
    }
    puts_(o, "\r\n");
}

static void put_date(out *o, int64_t ms)
{
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    putf(o, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday], tm.tm_mday,
         months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* data in base64, in lines of 76 characters. */
static void put_base64(out *o, const char *data, size_t len)
{
    char *b64 = base64_encode(data, len);
    size_t n = strlen(b64);
    for (size_t at = 0; at < n; at += BASE64_LINE) {
        put(o, b64 + at, n - at < BASE64_LINE ? n - at : BASE64_LINE);
        puts_(o, "\r\n");
    }
    free(b64);
}

/* The body with CRLF line ends, ending with one. */
static char *crlf_text(const char *s, size_t *len)
{
    out o = {0};
    puts_(&o, "");
    for (const char *p = s; *p; p++) {
        if (*p == '\r' && p[1] == '\n')
            continue;
        if (*p == '\n' || *p == '\r')
            puts_(&o, "\r\n");
        else
            put(&o, p, 1);
    }
    if (o.len < 2 || memcmp(o.buf + o.len - 2, "\r\n", 2) != 0)
        puts_(&o, "\r\n");
    *len = o.len;
    return o.buf;
}

/* 7bit when every byte is ASCII and every line at most 998 bytes (RFC 5322). */
static bool fits_7bit(const char *crlf)
{
    size_t line = 0;
    for (const char *p = crlf; *p; p++) {
        if ((unsigned char)*p > 0x7e || (*p < 0x20 && *p != '\r' && *p != '\n' && *p != '\t'))
            return false;
        line = *p == '\n' ? 0 : line + 1;
        if (line > 999) /* 998 and the CR */
            return false;
    }
    return true;
}

static void put_text_part(out *o, const char *body)
{
    size_t len;
    char *text = crlf_text(body, &len);
    bool plain = fits_7bit(text);
    putf(o,
         "Content-Type: text/plain; charset=UTF-8\r\n"
         "Content-Transfer-Encoding: %s\r\n\r\n",
         plain ? "7bit" : "base64");
    if (plain)
        put(o, text, len);
    else
        put_base64(o, text, len);
    free(text);
}

static const struct {
    const char *ext, *type;
} TYPES[] = {
    {"txt", "text/plain"},
    {"csv", "text/csv"},
    {"htm", "text/html"},
    {"html", "text/html"},
    {"pdf", "application/pdf"},
    {"zip", "application/zip"},
    {"gz", "application/gzip"},
    {"doc", "application/msword"},
    {"docm", "application/vnd.ms-word.document.macroEnabled.12"},
    {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    {"xls", "application/vnd.ms-excel"},
    {"xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12"},
    {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    {"ppt", "application/vnd.ms-powerpoint"},
    {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    {"js", "text/javascript"},
    {"sh", "application/x-sh"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
};

const char *mail_content_type(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof TYPES / sizeof TYPES[0]; i++)
        if (strcasecmp(dot + 1, TYPES[i].ext) == 0)
            return TYPES[i].type;
    return "application/octet-stream";
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* A file name parameter: quoted when plain ASCII; otherwise RFC 2231
 * (filename*=UTF-8''...) for readers that know it, and an encoded word for
 * those that do not, as common mail programs write it. */
static void put_file_part(out *o, const mail_file *f)
{
    char *name = one_line(base_name(f->name));
    for (char *p = name; *p; p++)
        if (*p == '"' || *p == '\\')
            *p = '_';
    const char *type = mail_content_type(name);
    if (is_ascii_printable(name)) {
        putf(o,
             "Content-Type: %s; name=\"%s\"\r\n"
             "Content-Disposition: attachment; filename=\"%s\"\r\n",
             type, name, name);
    } else {
        putf(o, "Content-Type: %s;\r\n name=\"", type);
        put_encoded_words(o, name, 7);
        puts_(o, "\"\r\nContent-Disposition: attachment;\r\n filename*=UTF-8''");
        for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
            bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                         (*p >= '0' && *p <= '9') || strchr("!#$&+-.^_`|~", *p);
            if (plain)
                put(o, (const char *)p, 1);
            else
                putf(o, "%%%02X", *p);
        }
        puts_(o, "\r\n");
    }
    puts_(o, "Content-Transfer-Encoding: base64\r\n\r\n");
    put_base64(o, f->data, f->size);
    free(name);
}

/* A boundary that no line of the parts can hold: base64 never has "=_",
 * and the text part is searched. */
static char *make_boundary(const mail_message *m)
{
    uint32_t h = 2166136261u; /* FNV-1a of the Message-ID */
    for (const char *p = m->message_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    for (unsigned k = 0;; k++) {
        char *b = xasprintf("=_%08x.%u", h, k);
        if (!strstr(m->body, b))
            return b;
        free(b);
    }
}

char *mail_message_compose(const mail_message *m, size_t *len)
{
    out o = {0};
    put_date(&o, m->date_ms);
    put_address_header(&o, "From", m->from, 1);
    put_address_header(&o, "To", m->to, m->nto);
    put_text_header(&o, "Subject", m->subject);
    putf(&o, "Message-ID: <%s>\r\nMIME-Version: 1.0\r\n", m->message_id);
    if (m->nfiles == 0) {
        put_text_part(&o, m->body);
    } else {
        char *boundary = make_boundary(m);
        putf(&o, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary);
        puts_(&o, "This is a multi-part message in MIME format.\r\n");
        putf(&o, "\r\n--%s\r\n", boundary);
        put_text_part(&o, m->body);
        for (size_t i = 0; i < m->nfiles; i++) {
            putf(&o, "\r\n--%s\r\n", boundary);
            put_file_part(&o, &m->files[i]);
        }
        putf(&o, "\r\n--%s--\r\n", boundary);
        free(boundary);
    }
    *len = o.len;
    return o.buf;
}
