/*
 * E-mail addresses as scenarios write them: `local@domain`, or
 * `Display Name <local@domain>`. The address itself is held to the plain
 * forms of RFC 5321/5322 (a dot-atom local part; a domain of host name
 * labels, or an IPv4 literal such as [10.80.0.5]) so that it can go on an
 * SMTP command line, a header and a shell variable unchanged: it never
 * holds white space, quotes, angle brackets or line breaks.
 */
#ifndef ENSHU_MAIL_ADDRESS_H
#define ENSHU_MAIL_ADDRESS_H

#define MAIL_ADDRESS_MAX 254 /* the address (local@domain), RFC 5321's path limit */
#define MAIL_DISPLAY_NAME_MAX 200

typedef struct mail_address {
    char *name; /* display name (UTF-8), or NULL */
    char *addr; /* local@domain */
} mail_address;

/* Parses text into out (both fields malloc'd; out untouched on failure).
 * ENSHU_EINVAL with *why, a static sentence fragment saying what is wrong
 * ("has no '@'", ...), when it is not an address of the forms above. */
int mail_address_parse(const char *text, mail_address *out, const char **why)
    __attribute__((warn_unused_result));
void mail_address_fini(mail_address *a);

/* The domain of addr: what follows its '@' (borrowed from addr). */
const char *mail_address_domain(const char *addr);

#endif
