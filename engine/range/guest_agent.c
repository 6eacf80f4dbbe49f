/*
 * Guest agent commands over libvirt-qemu (see guest_agent.h).
 */
#include "guest_agent.h"
#include "alloc.h"
#include "base64.h"
#include "errors.h"
#include "libvirt_conn.h"
#include "log.h"
#include "monotonic_clock.h"

#include <jansson.h>
#include <libvirt/libvirt-qemu.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int guest_agent_ping(virDomainPtr dom, int timeout_s)
{
    char *reply = virDomainQemuAgentCommand(dom, "{\"execute\":\"guest-ping\"}", timeout_s, 0);
    if (!reply)
        return ENSHU_EAGENT;
    free(reply);
    return ENSHU_OK;
}

/* Sends a command; returns the parsed "return" member (caller decrefs). */
static json_t *agent_call(virDomainPtr dom, json_t *cmd, int timeout_s)
{
    char *text = json_dumps(cmd, JSON_COMPACT);
    char *reply = virDomainQemuAgentCommand(dom, text, timeout_s, 0);
    free(text);
    if (!reply) {
        /* Copy the error first: the next libvirt call resets it. */
        char *why = xstrdup(libvirt_error());
        if (virDomainIsActive(dom) == 0)
            log_printf(ENSHU_LOG_ERROR, "enshu: guest %s is not running", virDomainGetName(dom));
        else
            log_printf(ENSHU_LOG_ERROR, "enshu: guest agent of %s: %s", virDomainGetName(dom), why);
        free(why);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loads(reply, 0, &jerr);
    free(reply);
    json_t *ret = doc ? json_incref(json_object_get(doc, "return")) : NULL;
    json_decref(doc);
    if (!ret)
        log_printf(ENSHU_LOG_ERROR, "enshu: guest agent of %s gave an unexpected reply",
                   virDomainGetName(dom));
    return ret;
}

static char *decode_field(json_t *status, const char *key)
{
    const char *b64 = json_string_value(json_object_get(status, key));
    char *text = b64 ? base64_decode(b64, NULL) : NULL;
    return text ? text : xstrdup("");
}

/* Runs argv[0] with arguments argv[1..] (NULL-terminated), its standard
 * input the len bytes of input. The agent logs argv, never input. */
static int exec_with_input(virDomainPtr dom, const char *const *argv, const char *input, size_t len,
                           int64_t timeout_ms, guest_exec_result *out)
{
    memset(out, 0, sizeof *out);
    json_t *args = json_array();
    for (size_t i = 1; argv[i]; i++)
        json_array_append_new(args, json_string(argv[i]));
    char *b64 = base64_encode(input, len);
    json_t *cmd = json_pack("{s:s, s:{s:s, s:o, s:s, s:b}}", "execute", "guest-exec", "arguments",
                            "path", argv[0], "arg", args, "input-data", b64, "capture-output", 1);
    free(b64);
    json_t *ret = agent_call(dom, cmd, 30);
    json_decref(cmd);
    if (!ret)
        return ENSHU_EAGENT;
    json_int_t pid = json_integer_value(json_object_get(ret, "pid"));
    json_decref(ret);
    int64_t deadline = monotonic_ms() + timeout_ms;
    for (useconds_t pause = 20000;; pause = pause < 200000 ? pause * 2 : pause) {
        json_t *q =
            json_pack("{s:s, s:{s:I}}", "execute", "guest-exec-status", "arguments", "pid", pid);
        json_t *status = agent_call(dom, q, 10);
        json_decref(q);
        if (!status)
            return ENSHU_EAGENT;
        if (json_is_true(json_object_get(status, "exited"))) {
            json_t *code = json_object_get(status, "exitcode");
            json_t *sig = json_object_get(status, "signal");
            out->exit_code = code ? (int)json_integer_value(code) : -1;
            out->signal = sig ? (int)json_integer_value(sig) : 0;
            out->out = decode_field(status, "out-data");
            out->err = decode_field(status, "err-data");
            json_decref(status);
            return ENSHU_OK;
        }
        json_decref(status);
        if (monotonic_ms() > deadline) {
            log_printf(ENSHU_LOG_ERROR, "enshu: %s on %s did not finish within %lld ms", argv[0],
                       virDomainGetName(dom), (long long)timeout_ms);
            return ENSHU_ETIMEOUT;
        }
        usleep(pause);
    }
}

/* The fixed program every command and file write goes through: the first
 * line of its input is the account to run as ("" for root), the rest is
 * left for $1, the program that does the work (RUN_INNER, WRITE_INNER),
 * which runs as that user under the prefix given as $2... (a bound, or
 * nothing). The program is found by name (getent, else /etc/passwd);
 * "no such user" on stderr with status 125, before anything runs, says
 * there is none. See guest_agent.h for the login environment. */
#define AS_USER                                                                                    \
    "IFS= read -r u || exit 125; p=$1; shift; "                                                    \
    "[ -n \"$u\" ] || exec \"$@\" /bin/sh -c \"$p\"; "                                             \
    "e=$(getent passwd \"$u\" 2>/dev/null) || "                                                    \
    "e=$(awk -F: -v u=\"$u\" '$1 == u { print; exit }' /etc/passwd); "                             \
    "[ -n \"$e\" ] || { echo " NO_SUCH_USER " >&2; exit 125; }; "                                  \
    "IFS=: read -r n x uid gid x home x <<EOF\n$e\nEOF\n"                                          \
    "cd \"$home\" 2>/dev/null || cd /; "                                                           \
    "if setpriv --reuid=0 --regid=0 --keep-groups true >/dev/null 2>&1; then "                     \
    "l=$(sed -n 's/^LANG=//p' /etc/default/locale 2>/dev/null | tr -d '\"'); "                     \
    "exec \"$@\" setpriv --reuid=\"$uid\" --regid=\"$gid\" --init-groups env -i HOME=\"$home\" "   \
    "USER=\"$u\" LOGNAME=\"$u\" SHELL=/bin/sh PATH=/usr/local/bin:/usr/bin:/bin "                  \
    "${l:+\"LANG=$l\"} /bin/sh -l -c \"$p\"; fi; "                                                 \
    "exec \"$@\" su -l -s /bin/sh \"$u\" -c \"$p\""
#define NO_SUCH_USER "no such user"
#define NO_SUCH_USER_STATUS 125

/* Runs AS_USER with inner as the program and the prefix bound (NULL-
 * terminated, may be empty), its input user's line and then len bytes of
 * rest. ENSHU_ENOTFOUND when the guest has no such user. */
static int exec_as(virDomainPtr dom, const char *user, const char *inner, const char *const *bound,
                   const char *rest, size_t len, int64_t timeout_ms, guest_exec_result *out)
{
    if (user && strchr(user, '\n'))
        return ENSHU_EINVAL;
    const char *argv[16] = {"/bin/sh", "-c", AS_USER, "sh", inner};
    size_t n = 5;
    for (size_t i = 0; bound && bound[i] && n < 15; i++)
        argv[n++] = bound[i];
    argv[n] = NULL;
    size_t ulen = user ? strlen(user) : 0;
    char *input = xmalloc(ulen + 1 + len + 1);
    memcpy(input, user ? user : "", ulen);
    input[ulen] = '\n';
    memcpy(input + ulen + 1, rest, len);
    int rc = exec_with_input(dom, argv, input, ulen + 1 + len, timeout_ms, out);
    free(input);
    if (rc == ENSHU_OK && user && out->exit_code == NO_SUCH_USER_STATUS &&
        strcmp(out->err, NO_SUCH_USER "\n") == 0) {
        guest_exec_result_fini(out);
        return ENSHU_ENOTFOUND;
    }
    return rc;
}

/* The work of a command: it reads the command from the rest of the input
 * and runs it as `sh -c COMMAND`, its input /dev/null as a plain guest-exec
 * gives. exec keeps the process tree of a direct `sh -c COMMAND`, in which
 * the shell runs a last simple command in its own place, so a bound's
 * SIGKILL reaches that command itself. $(cat) drops only the command's
 * trailing newlines, which change nothing. */
#define RUN_INNER "c=$(cat) && exec /bin/sh -c \"$c\" </dev/null"

int guest_agent_exec(virDomainPtr dom, const char *command, int64_t timeout_ms,
                     guest_exec_result *out)
{
    return exec_as(dom, NULL, RUN_INNER, NULL, command, strlen(command), timeout_ms, out);
}

int guest_agent_exec_bounded(virDomainPtr dom, const char *user, const char *command,
                             int64_t timeout_ms, guest_exec_result *out)
{
    char secs[32];
    snprintf(secs, sizeof secs, "%lld", (long long)((timeout_ms + 999) / 1000));
    const char *const bound[] = {"timeout", "-s", "KILL", secs, NULL};
    return exec_as(dom, user, RUN_INNER, bound, command, strlen(command), timeout_ms + 5000, out);
}

int guest_agent_run_with_input(virDomainPtr dom, const char *const *argv, const char *input,
                               size_t len, int64_t timeout_ms, guest_exec_result *out)
{
    return exec_with_input(dom, argv, input, len, timeout_ms, out);
}

void guest_exec_result_fini(guest_exec_result *r)
{
    if (!r)
        return;
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* The work of a file write: the rest of its input is the mode (octal),
 * owner, group (each line empty: leave it) and path, each on a line, then
 * the file's bytes. read takes one byte at a time from a pipe, so cat gets
 * exactly the bytes after the path. The directory may not exist yet
 * (~/.cache of a fresh account); a new file is made under the agent's
 * umask, as guest-file-open would, before chown and chmod. */
#define WRITE_INNER                                                                                \
    "IFS= read -r m && IFS= read -r o && IFS= read -r g && IFS= read -r p && "                     \
    "mkdir -p \"$(dirname \"$p\")\" && cat >\"$p\" && "                                            \
    "{ [ -z \"$o\" ] || chown \"$o\" \"$p\"; } && { [ -z \"$g\" ] || chgrp \"$g\" \"$p\"; } && "   \
    "chmod \"$m\" \"$p\""
#define WRITE_BOUND_S "30"
#define WRITE_BOUND_MS (30 * 1000) /* WRITE_BOUND_S */

static bool one_line(const char *s)
{
    return !s || !strchr(s, '\n');
}

int guest_agent_write_file(virDomainPtr dom, const char *user, const guest_file *f, char **why)
{
    *why = NULL;
    if (!one_line(f->path) || !one_line(f->owner) || !one_line(f->group) || !one_line(user))
        return ENSHU_EINVAL;
    char *head = xasprintf("%o\n%s\n%s\n%s\n", f->mode, f->owner ? f->owner : "",
                           f->group ? f->group : "", f->path);
    size_t head_len = strlen(head);
    char *input = xmalloc(head_len + f->len + 1);
    memcpy(input, head, head_len);
    memcpy(input + head_len, f->content, f->len);
    const char *const bound[] = {"timeout", "-s", "KILL", WRITE_BOUND_S, NULL};
    guest_exec_result r;
    int rc =
        exec_as(dom, user, WRITE_INNER, bound, input, head_len + f->len, WRITE_BOUND_MS + 5000, &r);
    free(input);
    free(head);
    if (rc != ENSHU_OK)
        return rc;
    if (r.exit_code != 0) {
        rc = ENSHU_EAGENT;
        *why = r.err && *r.err ? xstrdup(r.err) : xasprintf("status %d", r.exit_code);
    }
    guest_exec_result_fini(&r);
    return rc;
}
