/* E-mail addresses and message composition: what is encoded decodes back
 * to what was given (a Japanese subject and name, a UTF-8 body, a binary
 * attachment), by a reader of MIME written here from the RFCs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "alloc.h"
#include "base64.h"
#include "errors.h"
#include "mail_address.h"
#include "mail_message.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small MIME reader ---- */

/* The value of header `name` in the header block that starts at text (up to
 * its blank line), unfolded (CRLF + space removed); NULL when absent. */
static char *header(const char *text, const char *name)
{
    const char *end = strstr(text, "\r\n\r\n");
    assert_non_null(end);
    size_t nl = strlen(name);
    for (const char *line = text; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncasecmp(line, name, nl) != 0 || line[nl] != ':')
            continue;
        const char *v = line + nl + 1;
        while (*v == ' ')
            v++;
        char *out = xmalloc(strlen(v) + 1);
        size_t o = 0;
        for (const char *p = v; p < end + 2; p++) {
            if (p[0] == '\r' && p[1] == '\n') {
                if (p[2] != ' ' && p[2] != '\t')
                    break;
                p += 2; /* folded: the space stays, as RFC 5322 unfolds */
            }
            out[o++] = *p;
        }
        out[o] = '\0';
        return out;
    }
    return NULL;
}

/* RFC 2047: decodes =?UTF-8?B?...?= words; white space between two
 * encoded words is dropped, other text kept. */
static char *decode_words(const char *v)
{
    char *out = xmalloc(strlen(v) + 1);
    size_t o = 0;
    const char *p = v;
    bool after_word = false;
    while (*p) {
        const char *ws = p;
        while (*p == ' ')
            p++;
        if (strncmp(p, "=?UTF-8?B?", 10) == 0) {
            const char *close = strstr(p + 10, "?=");
            assert_non_null(close);
            if (!after_word) {
                memcpy(out + o, ws, (size_t)(p - ws));
                o += (size_t)(p - ws);
            }
            char *b64 = xstrndup(p + 10, (size_t)(close - p - 10));
            assert_true(close + 2 - p <= 75); /* RFC 2047's bound on a word */
            size_t n;
            char *bytes = base64_decode(b64, &n);
            assert_non_null(bytes);
            memcpy(out + o, bytes, n);
            o += n;
            free(bytes);
            free(b64);
            p = close + 2;
            after_word = true;
            continue;
        }
        memcpy(out + o, ws, (size_t)(p - ws));
        o += (size_t)(p - ws);
        if (*p)
            out[o++] = *p++;
        after_word = false;
    }
    out[o] = '\0';
    return out;
}

/* The parameter `name` of a header value (`type; a="b"; c=d`), unquoted. */
static char *param(const char *value, const char *name)
{
    char *key = xasprintf("%s=", name);
    const char *at = value;
    while ((at = strstr(at, key)) && at > value && at[-1] != ' ' && at[-1] != ';')
        at++;
    free(key);
    if (!at)
        return NULL;
    at += strlen(name) + 1;
    if (*at == '"') {
        const char *q = strchr(at + 1, '"');
        return xstrndup(at + 1, (size_t)(q - at - 1));
    }
    return xstrndup(at, strcspn(at, "; \r\n"));
}

/* The body of the entity at text (after its header block), decoded as its
 * Content-Transfer-Encoding says; *len its length. */
static char *entity_body(const char *text, size_t text_len, size_t *len)
{
    const char *start = strstr(text, "\r\n\r\n") + 4;
    char *cte = header(text, "Content-Transfer-Encoding");
    char *raw = xstrndup(start, text_len - (size_t)(start - text));
    char *body;
    if (cte && strcmp(cte, "base64") == 0) {
        body = base64_decode(raw, len);
        assert_non_null(body);
        free(raw);
    } else {
        body = raw;
        *len = strlen(raw);
    }
    free(cte);
    return body;
}

typedef struct part {
    const char *start;
    size_t len;
} part;

/* The parts of a multipart message: what lies between its boundary lines. */
static size_t split_parts(const char *msg, part *parts, size_t max)
{
    char *ctype = header(msg, "Content-Type");
    assert_non_null(strstr(ctype, "multipart/mixed"));
    char *boundary = param(ctype, "boundary");
    assert_non_null(boundary);
    char *delim = xasprintf("\r\n--%s", boundary);
    size_t n = 0;
    const char *at = strstr(msg, delim);
    while (at && n < max) {
        const char *start = at + strlen(delim);
        if (strncmp(start, "--", 2) == 0)
            break;  /* the close delimiter */
        start += 2; /* CRLF */
        const char *next = strstr(start, delim);
        assert_non_null(next);
        parts[n].start = start;
        parts[n].len = (size_t)(next - start);
        n++;
        at = next;
    }
    free(delim);
    free(boundary);
    free(ctype);
    return n;
}

/* Every line ends with CRLF, and none is longer than RFC 5322's 998. */
static void assert_lines_ok(const char *msg, size_t len)
{
    size_t line = 0;
    for (size_t i = 0; i < len; i++) {
        if (msg[i] == '\n') {
            assert_true(i > 0 && msg[i - 1] == '\r');
            line = 0;
        } else {
            line++;
            assert_true(line <= 999);
        }
    }
    assert_int_equal(msg[len - 1], '\n');
}

/* ---- addresses ---- */

static void addresses_parse(void **state)
{
    mail_address a;
    const char *why = NULL;
    assert_int_equal(mail_address_parse("alice@corp.example", &a, &why), ENSHU_OK);
    assert_null(a.name);
    assert_string_equal(a.addr, "alice@corp.example");
    mail_address_fini(&a);
    assert_int_equal(mail_address_parse("  情報システム部 <it-support@corp.example> ", &a, &why),
                     ENSHU_OK);
    assert_string_equal(a.name, "情報システム部");
    assert_string_equal(a.addr, "it-support@corp.example");
    assert_string_equal(mail_address_domain(a.addr), "corp.example");
    mail_address_fini(&a);
    assert_int_equal(mail_address_parse("\"Doe, John\" <john.doe+x@[10.80.0.5]>", &a, &why),
                     ENSHU_OK);
    assert_string_equal(a.name, "Doe, John");
    assert_string_equal(a.addr, "john.doe+x@[10.80.0.5]");
    mail_address_fini(&a);
    assert_int_equal(mail_address_parse("root@localhost", &a, &why), ENSHU_OK);
    mail_address_fini(&a);

    static const struct {
        const char *text, *why;
    } bad[] = {
        {"alice", "has no '@'"},
        {"alice@", "has a bad domain"},
        {"@corp.example", "has a bad local part"},
        {"al ice@corp.example", "has a bad local part"},
        {"alice..b@corp.example", "has a bad local part"},
        {".alice@corp.example", "has a bad local part"},
        {"alice@-corp.example", "has a bad domain"},
        {"alice@corp..example", "has a bad domain"},
        {"alice@corp.example-", "has a bad domain"},
        {"alice@[10.80.0.256]", "has a bad domain"},
        {"alice@[10.80.0]", "has a bad domain"},
        {"alice@corp.example\nBcc: x@y", "line break"},
        {"Alice <alice@corp.example", "must be 'Name <local@domain>'"},
        {"Alice <a<b@corp.example>", "must be 'Name <local@domain>'"},
        {"Al\"ice <alice@corp.example>", "display name"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        a.name = a.addr = NULL;
        if (mail_address_parse(bad[i].text, &a, &why) != ENSHU_EINVAL)
            fail_msg("'%s' was taken as an address", bad[i].text);
        assert_non_null(why);
        if (!strstr(why, bad[i].why))
            fail_msg("'%s': expected '%s' in '%s'", bad[i].text, bad[i].why, why);
        assert_null(a.addr);
    }
    char long_local[80];
    memset(long_local, 'a', 65);
    strcpy(long_local + 65, "@x.example");
    assert_int_equal(mail_address_parse(long_local, &a, &why), ENSHU_EINVAL);
}

/* ---- messages ---- */

static const char JA_SUBJECT[] =
    "【至急】請求書の確認をお願いします（経理部より、本日中にご対応ください）";

static void japanese_subject_and_names_round_trip(void **state)
{
    mail_address from = {.name = "経理部 山田", .addr = "yamada@corp.example"};
    mail_address to[] = {{.name = NULL, .addr = "alice@corp.example"},
                         {.name = "Bob \"B\" Smith", .addr = "bob@corp.example"},
                         {.name = "Carol Jones", .addr = "carol@corp.example"}};
    mail_message m = {.from = &from,
                      .to = to,
                      .nto = 3,
                      .subject = JA_SUBJECT,
                      .body = "お世話になっております。\n添付の請求書をご確認ください。\n",
                      .date_ms = 1796469600123LL, /* 2026-12-05 11:20:00.123 UTC */
                      .message_id = "20261205124000.a1b2c3@corp.example"};
    size_t len;
    char *msg = mail_message_compose(&m, &len);
    assert_int_equal(strlen(msg), len);
    assert_lines_ok(msg, len);

    char *date = header(msg, "Date");
    assert_string_equal(date, "Sat, 05 Dec 2026 11:20:00 +0000");
    char *subject = header(msg, "Subject");
    char *decoded = decode_words(subject);
    assert_string_equal(decoded, JA_SUBJECT);
    /* Encoded, folded: no line of the Subject is longer than 76. */
    const char *s = strstr(msg, "\r\nSubject: ") + 2;
    for (const char *line = s; line == s || *line == ' '; line = strstr(line, "\r\n") + 2)
        assert_true(strstr(line, "\r\n") - line <= 76);
    char *from_h = header(msg, "From");
    char *from_d = decode_words(from_h);
    assert_string_equal(from_d, "経理部 山田 <yamada@corp.example>");
    char *to_h = header(msg, "To");
    assert_string_equal(to_h,
                        "alice@corp.example, \"Bob \\\"B\\\" Smith\" <bob@corp.example>, Carol "
                        "Jones <carol@corp.example>");
    char *mid = header(msg, "Message-ID");
    assert_string_equal(mid, "<20261205124000.a1b2c3@corp.example>");
    char *ctype = header(msg, "Content-Type");
    assert_string_equal(ctype, "text/plain; charset=UTF-8");
    size_t blen;
    char *body = entity_body(msg, len, &blen);
    assert_string_equal(body, "お世話になっております。\r\n添付の請求書をご確認ください。\r\n");
    free(body);
    free(ctype);
    free(mid);
    free(to_h);
    free(from_d);
    free(from_h);
    free(decoded);
    free(subject);
    free(date);
    free(msg);
}

static void binary_attachment_round_trips(void **state)
{
    /* Every byte value, NULs and a lone CR and LF among them, and a length
     * that is not a multiple of three. */
    size_t size = 256 * 7 + 2;
    char *data = xmalloc(size);
    for (size_t i = 0; i < size; i++)
        data[i] = (char)((i * 7 + i / 256) & 0xff);
    const char *text = "invoice.pdf";
    mail_address from = {.addr = "billing@supplier.example"};
    mail_address to = {.name = "Alice", .addr = "alice@corp.example"};
    mail_file files[] = {{.name = "attachments/invoice-2026-12.pdf", .data = data, .size = size},
                         {.name = "attachments/見積書.txt", .data = text, .size = strlen(text)}};
    mail_message m = {.from = &from,
                      .to = &to,
                      .nto = 1,
                      .subject = "Invoice =?not a word?= for December",
                      .body = "Dear Alice,\n\n--=_ a line that looks like a boundary\nRegards\n",
                      .files = files,
                      .nfiles = 2,
                      .date_ms = 0,
                      .message_id = "x.1@supplier.example"};
    size_t len;
    char *msg = mail_message_compose(&m, &len);
    assert_lines_ok(msg, len);
    char *date = header(msg, "Date");
    assert_string_equal(date, "Thu, 01 Jan 1970 00:00:00 +0000");
    /* ASCII that could be read as an encoded word is encoded itself. */
    char *subject = header(msg, "Subject");
    assert_non_null(strstr(subject, "=?UTF-8?B?"));
    char *sd = decode_words(subject);
    assert_string_equal(sd, "Invoice =?not a word?= for December");

    part parts[4];
    assert_int_equal(split_parts(msg, parts, 4), 3);
    char *p0 = xstrndup(parts[0].start, parts[0].len);
    size_t n;
    char *body = entity_body(p0, parts[0].len, &n);
    assert_string_equal(body,
                        "Dear Alice,\r\n\r\n--=_ a line that looks like a boundary\r\nRegards\r\n");
    char *p1 = xstrndup(parts[1].start, parts[1].len);
    char *ct1 = header(p1, "Content-Type");
    assert_string_equal(ct1, "application/pdf; name=\"invoice-2026-12.pdf\"");
    char *cd1 = header(p1, "Content-Disposition");
    char *fn1 = param(cd1, "filename");
    assert_string_equal(fn1, "invoice-2026-12.pdf");
    char *bytes = entity_body(p1, parts[1].len, &n);
    assert_int_equal(n, size);
    assert_memory_equal(bytes, data, size);
    char *p2 = xstrndup(parts[2].start, parts[2].len);
    char *cd2 = header(p2, "Content-Disposition");
    char *fn2 = param(cd2, "filename*");
    assert_string_equal(fn2, "UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.txt");
    char *ct2 = header(p2, "Content-Type");
    char *nm2 = param(ct2, "name");
    char *nm2d = decode_words(nm2);
    assert_string_equal(nm2d, "見積書.txt");
    char *t2 = entity_body(p2, parts[2].len, &n);
    assert_string_equal(t2, "invoice.pdf");

    free(t2);
    free(nm2d);
    free(nm2);
    free(ct2);
    free(fn2);
    free(cd2);
    free(p2);
    free(bytes);
    free(fn1);
    free(cd1);
    free(ct1);
    free(p1);
    free(body);
    free(p0);
    free(sd);
    free(subject);
    free(date);
    free(msg);
    free(data);
}

static void plain_ascii_stays_readable(void **state)
{
    mail_address from = {.name = "IT Support", .addr = "it@corp.example"};
    mail_address to = {.addr = "alice@corp.example"};
    mail_message m = {.from = &from,
                      .to = &to,
                      .nto = 1,
                      .subject = "Password\nexpiry",
                      .body = "Line one\r\nLine two",
                      .date_ms = 1796469600000LL,
                      .message_id = "m@corp.example"};
    size_t len;
    char *msg = mail_message_compose(&m, &len);
    assert_string_equal(msg, "Date: Sat, 05 Dec 2026 11:20:00 +0000\r\n"
                             "From: IT Support <it@corp.example>\r\n"
                             "To: alice@corp.example\r\n"
                             "Subject: Password expiry\r\n"
                             "Message-ID: <m@corp.example>\r\n"
                             "MIME-Version: 1.0\r\n"
                             "Content-Type: text/plain; charset=UTF-8\r\n"
                             "Content-Transfer-Encoding: 7bit\r\n"
                             "\r\n"
                             "Line one\r\n"
                             "Line two\r\n");
    free(msg);
    assert_string_equal(mail_content_type("a.DOCM"),
                        "application/vnd.ms-word.document.macroEnabled.12");
    assert_string_equal(mail_content_type("noext"), "application/octet-stream");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses_parse),
        cmocka_unit_test(japanese_subject_and_names_round_trip),
        cmocka_unit_test(binary_attachment_round_trips),
        cmocka_unit_test(plain_ascii_stays_readable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
