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

/* The fixed program of every command: it reads the command from its
 * standard input and runs the rest of its arguments with the command
 * appended (... sh -c COMMAND), its input /dev/null as a plain guest-exec
 * gives. exec keeps the process tree of a direct `sh -c COMMAND`, in which
 * the shell runs a last simple command in its own place, so a bound's
 * SIGKILL reaches that command itself. $(cat) drops only the command's
 * trailing newlines, which change nothing. */
#define RUN_FROM_INPUT "c=$(cat) && exec \"$@\" \"$c\" </dev/null"

int guest_agent_exec(virDomainPtr dom, const char *command, int64_t timeout_ms,
                     guest_exec_result *out)
{
    const char *const argv[] = {"/bin/sh", "-c", RUN_FROM_INPUT, "sh", "/bin/sh", "-c", NULL};
    return exec_with_input(dom, argv, command, strlen(command), timeout_ms, out);
}

int guest_agent_exec_bounded(virDomainPtr dom, const char *command, int64_t timeout_ms,
                             guest_exec_result *out)
{
    char secs[32];
    snprintf(secs, sizeof secs, "%lld", (long long)((timeout_ms + 999) / 1000));
    const char *const argv[] = {"/bin/sh", "-c", RUN_FROM_INPUT, "sh", "timeout", "-s",
                                "KILL",    secs, "sh",           "-c", NULL};
    return exec_with_input(dom, argv, command, strlen(command), timeout_ms + 5000, out);
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

/* The fixed program of every file write: its input is the mode (octal), a
 * newline, the path, a newline, then the file's bytes. read takes one byte
 * at a time from a pipe, so cat gets exactly the bytes after the path. The
 * directory may not exist yet (~/.cache of a fresh account); a new file is
 * made under the agent's umask, as guest-file-open would, before chmod. */
#define WRITE_FROM_INPUT                                                                           \
    "IFS= read -r m && IFS= read -r p && { mkdir -p \"$(dirname \"$p\")\"; "                       \
    "cat >\"$p\" && chmod \"$m\" \"$p\"; }"

int guest_agent_write_file(virDomainPtr dom, const char *path, const char *content, size_t len,
                           unsigned mode)
{
    if (strchr(path, '\n'))
        return ENSHU_EINVAL;
    char head[32];
    int head_len = snprintf(head, sizeof head, "%o\n", mode);
    size_t path_len = strlen(path);
    size_t total = (size_t)head_len + path_len + 1 + len;
    char *input = xmalloc(total + 1);
    memcpy(input, head, (size_t)head_len);
    memcpy(input + head_len, path, path_len);
    input[head_len + path_len] = '\n';
    memcpy(input + head_len + path_len + 1, content, len);
    const char *const argv[] = {"/bin/sh", "-c", WRITE_FROM_INPUT, NULL};
    guest_exec_result r;
    int rc = exec_with_input(dom, argv, input, total, 30000, &r);
    free(input);
    if (rc != ENSHU_OK)
        return rc;
    if (r.exit_code != 0)
        rc = ENSHU_EAGENT;
    guest_exec_result_fini(&r);
    return rc;
}
