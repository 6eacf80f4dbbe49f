/*
 * Sending a message by SMTP from inside a guest (see guest_mail.h).
 */
#include "guest_mail.h"
#include "alloc.h"
#include "errors.h"
#include "guest_agent.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* The fixed SMTP client, after `f=FILE b=SECONDS`: FILE holds the server's
 * host and port, the envelope sender and the recipients (space-separated)
 * on four lines, then the message. Every reply is read whole (its "250-"
 * lines skipped) and checked; what failed goes to stderr, the server's
 * answer to the message to stdout. set -f: an address may hold '*'. A
 * connection that died makes writes fail (PIPE ignored) and the next reply
 * say so.
 *
 * A server that does not greet (the connection is refused or closes: a
 * mail server still starting, a firewall rule not loaded yet) is tried
 * again every 2 s, as a real MTA keeps a message queued, for the first half
 * of the bound; the other half is left for the dialogue. Each attempt has
 * fresh fifos and its own connection process, killed before the next. */
static const char SMTP_CLIENT[] =
    "set -f; trap '' PIPE; r=\n"
    "d=$(mktemp -d) || exit 1\n"
    "trap 'rm -rf \"$d\" \"$f\"; [ -z \"$r\" ] || kill \"$r\" 2>/dev/null' EXIT\n"
    "{ IFS= read -r h && IFS= read -r p && IFS= read -r from && IFS= read -r rcpts; } <\"$f\" ||\n"
    "  { echo 'the message file is damaged' >&2; exit 1; }\n"
    "cr=$(printf '\\r')\n"
    "connect() {\n"
    "  rm -f \"$d/up\" \"$d/down\"; mkfifo \"$d/up\" \"$d/down\" || exit 1\n"
    "  if command -v bash >/dev/null 2>&1; then\n"
    "    timeout -s KILL \"$b\" bash -c 'exec 3<>\"/dev/tcp/$0/$1\" || exit 1; cat <&3 & exec "
    "cat >&3' \\\n"
    "      \"$h\" \"$p\" <\"$d/up\" >\"$d/down\" 2>\"$d/err\" &\n"
    "  else\n"
    "    timeout -s KILL \"$b\" nc \"$h\" \"$p\" <\"$d/up\" >\"$d/down\" 2>\"$d/err\" &\n"
    "  fi\n"
    "  r=$!\n"
    "  exec 3>\"$d/up\" 4<\"$d/down\"\n"
    "}\n"
    "hangup() { exec 3>&- 4<&-; kill \"$r\" 2>/dev/null; wait \"$r\" 2>/dev/null; r=; }\n"
    "fail() { echo \"$1\" >&2; [ -s \"$d/err\" ] && cat \"$d/err\" >&2; exit 1; }\n"
    "reply() {\n"
    "  while IFS= read -r l <&4; do\n"
    "    l=${l%\"$cr\"}\n"
    "    case $l in [0-9][0-9][0-9]-*) continue ;; esac\n"
    "    case $l in \"$1\"*) return 0 ;; esac\n"
    "    return 1\n"
    "  done\n"
    "  l='the connection closed'; return 1\n"
    "}\n"
    "say() { printf '%s\\r\\n' \"$1\" >&3; }\n"
    "until=$(($(date +%s) + b / 2))\n"
    "while connect; ! reply 220; do\n"
    "  case $l in [0-9][0-9][0-9]*) fail \"$h:$p: $l\" ;; esac\n"
    "  hangup\n"
    "  [ \"$(date +%s)\" -lt \"$until\" ] || fail \"$h:$p: $l\"\n"
    "  sleep 2\n"
    "done\n"
    "n=$(hostname)\n"
    "say \"EHLO $n\"; reply 250 || { say \"HELO $n\"; reply 250; } || fail \"HELO $n: $l\"\n"
    "say \"MAIL FROM:<$from>\"; reply 250 || fail \"MAIL FROM:<$from>: $l\"\n"
    "for t in $rcpts; do say \"RCPT TO:<$t>\"; reply 25 || fail \"RCPT TO:<$t>: $l\"; done\n"
    "say DATA; reply 354 || fail \"DATA: $l\"\n"
    "sed '1,4d; s/^\\./../' \"$f\" >&3\n"
    "say .; reply 250 || fail \"the message: $l\"\n"
    "echo \"$l\"\n"
    "say QUIT; reply 221 || true\n";

char *guest_mail_client_program(const char *path, int64_t timeout_ms)
{
    return xasprintf("f=%s b=%lld\n%s", path, (long long)((timeout_ms + 999) / 1000), SMTP_CLIENT);
}

static bool plain_word(const char *s)
{
    return s && *s && !strpbrk(s, " \t\r\n");
}

/* The last line of text that is not empty, without its line end. */
static char *last_line(const char *text)
{
    char *copy = xstrdup(text ? text : "");
    size_t n = strlen(copy);
    while (n && (copy[n - 1] == '\n' || copy[n - 1] == '\r'))
        copy[--n] = '\0';
    char *nl = strrchr(copy, '\n');
    char *line = xstrdup(nl ? nl + 1 : copy);
    free(copy);
    return line;
}

int guest_mail_send(virDomainPtr dom, const guest_mail *m, int64_t timeout_ms, char **result)
{
    *result = NULL;
    bool ok = plain_word(m->host) && plain_word(m->from) && m->nrcpts > 0;
    for (size_t i = 0; ok && i < m->nrcpts; i++)
        ok = plain_word(m->rcpts[i]);
    if (!ok) {
        *result = xstrdup("the server, the sender or a recipient is empty or holds white space");
        return ENSHU_EINVAL;
    }
    char *rcpts = xjoin(m->rcpts, m->nrcpts, " ");
    char *head = xasprintf("%s\n%u\n%s\n%s\n", m->host, m->port, m->from, rcpts);
    free(rcpts);
    size_t head_len = strlen(head);
    char *content = xmalloc(head_len + m->len + 1);
    memcpy(content, head, head_len);
    memcpy(content + head_len, m->message, m->len);
    free(head);

    unsigned long long tag = 0;
    if (getrandom(&tag, sizeof tag, 0) != (ssize_t)sizeof tag)
        tag = (unsigned long long)(uintptr_t)content ^ (unsigned long long)timeout_ms;
    char path[64];
    snprintf(path, sizeof path, "/tmp/.mail-%016llx", tag);
    guest_file file = {.path = path, .content = content, .len = head_len + m->len, .mode = 0600};
    char *why = NULL;
    int rc = guest_agent_write_file(dom, NULL, &file, &why);
    free(content);
    if (rc != ENSHU_OK) {
        *result = xasprintf("could not write the message on the sender%s%s", why ? ": " : "",
                            why ? why : "");
        free(why);
        return rc;
    }
    char *script = guest_mail_client_program(path, timeout_ms);
    guest_exec_result r;
    rc = guest_agent_exec_bounded(dom, NULL, script, timeout_ms, &r);
    free(script);
    if (rc != ENSHU_OK) {
        *result = xstrdup("the guest agent did not run the SMTP client");
        return rc;
    }
    if (r.exit_code == 0) {
        *result = last_line(r.out);
    } else {
        char *err = last_line(r.err);
        *result =
            r.exit_code == 137 || r.signal == 9
                ? xasprintf("SMTP did not finish within the timeout%s%s", *err ? ": " : "", err)
                : xstrdup(*r.err ? r.err : "the SMTP client failed");
        free(err);
        rc = r.exit_code == 137 || r.signal == 9 ? ENSHU_ETIMEOUT : ENSHU_EAGENT;
        /* Its whole stderr: the refusal, then what the connection said. */
        size_t n = strlen(*result);
        while (n && ((*result)[n - 1] == '\n'))
            (*result)[--n] = '\0';
    }
    guest_exec_result_fini(&r);
    return rc;
}
