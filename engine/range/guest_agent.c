/*
 * Guest agent commands over libvirt-qemu (see guest_agent.h).
 */
#include "guest_agent.h"
#include "guest_program.h"
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
#include <strings.h>
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

/* Starts argv[0] with arguments argv[1..] (NULL-terminated), its standard
 * input the len bytes of input; *pid the agent's process. The agent logs
 * argv, never input. */
static int exec_start(virDomainPtr dom, const char *const *argv, const char *input, size_t len,
                      json_int_t *pid)
{
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
    *pid = json_integer_value(json_object_get(ret, "pid"));
    json_decref(ret);
    return ENSHU_OK;
}

/* Ends a program the host bounds itself (guest_program.h: powershell). */
static void exec_kill(virDomainPtr dom, json_int_t pid)
{
    const char *argv[8];
    char digits[24];
    guest_program_kill((long long)pid, argv, digits);
    json_int_t killer = 0;
    if (exec_start(dom, argv, "", 0, &killer) != ENSHU_OK)
        log_printf(ENSHU_LOG_ERROR, "enshu: cannot end process %lld on %s", (long long)pid,
                   virDomainGetName(dom));
}

/* Runs argv with input and waits for it, at most wait_ms; with kill_ms > 0,
 * kills it once kill_ms have passed and waits on until wait_ms. */
static int exec_with_input(virDomainPtr dom, const char *const *argv, const char *input, size_t len,
                           int64_t wait_ms, int64_t kill_ms, guest_exec_result *out)
{
    memset(out, 0, sizeof *out);
    json_int_t pid = 0;
    int rc = exec_start(dom, argv, input, len, &pid);
    if (rc != ENSHU_OK)
        return rc;
    int64_t started = monotonic_ms();
    bool killed = false;
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
        int64_t now = monotonic_ms();
        if (kill_ms > 0 && !killed && now - started > kill_ms) {
            exec_kill(dom, pid);
            killed = true;
        }
        if (now - started > wait_ms) {
            log_printf(ENSHU_LOG_ERROR, "enshu: %s on %s did not finish within %lld ms", argv[0],
                       virDomainGetName(dom), (long long)wait_ms);
            return ENSHU_ETIMEOUT;
        }
        usleep(pause);
    }
}

/* Runs p; ENSHU_ENOTFOUND when it said the guest has no such user (sh). */
static int run_program(virDomainPtr dom, const guest_program *p, bool as_user,
                       guest_exec_result *out)
{
    int rc = exec_with_input(dom, p->argv, p->input, p->len, p->wait_ms, p->kill_ms, out);
    if (rc == ENSHU_OK && as_user && out->exit_code == GUEST_PROGRAM_NO_USER_STATUS &&
        strcmp(out->err, GUEST_PROGRAM_NO_USER "\n") == 0) {
        guest_exec_result_fini(out);
        return ENSHU_ENOTFOUND;
    }
    return rc;
}

int guest_agent_exec(virDomainPtr dom, const char *command, int64_t timeout_ms,
                     guest_exec_result *out)
{
    guest_program p;
    int rc = guest_program_command(&p, IMAGE_EXEC_SH, NULL, command, 0);
    if (rc == ENSHU_OK) {
        p.wait_ms = timeout_ms;
        rc = run_program(dom, &p, false, out);
    }
    guest_program_fini(&p);
    return rc;
}

int guest_agent_run(virDomainPtr dom, image_exec dialect, const char *user, const char *command,
                    int64_t timeout_ms, guest_exec_result *out)
{
    guest_program p;
    int rc = guest_program_command(&p, dialect, user, command, timeout_ms);
    if (rc == ENSHU_OK)
        rc = run_program(dom, &p, user != NULL, out);
    guest_program_fini(&p);
    return rc;
}

int guest_agent_exec_bounded(virDomainPtr dom, const char *user, const char *command,
                             int64_t timeout_ms, guest_exec_result *out)
{
    return guest_agent_run(dom, IMAGE_EXEC_SH, user, command, timeout_ms, out);
}

int guest_agent_run_with_input(virDomainPtr dom, const char *const *argv, const char *input,
                               size_t len, int64_t timeout_ms, guest_exec_result *out)
{
    return exec_with_input(dom, argv, input, len, timeout_ms, 0, out);
}

void guest_exec_result_fini(guest_exec_result *r)
{
    if (!r)
        return;
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

/* What the guest said when a program failed (malloc'd). */
static char *failure(const guest_exec_result *r)
{
    return r->err && *r->err ? xstrdup(r->err) : xasprintf("status %d", r->exit_code);
}

int guest_agent_write(virDomainPtr dom, image_exec dialect, const char *user, const guest_file *f,
                      char **why)
{
    *why = NULL;
    guest_program p;
    int rc = guest_program_write(&p, dialect, user, f);
    guest_exec_result r;
    if (rc == ENSHU_OK)
        rc = run_program(dom, &p, user != NULL, &r);
    guest_program_fini(&p);
    if (rc != ENSHU_OK)
        return rc;
    if (r.exit_code != 0) {
        rc = ENSHU_EAGENT;
        *why = failure(&r);
    }
    guest_exec_result_fini(&r);
    return rc;
}

int guest_agent_write_file(virDomainPtr dom, const char *user, const guest_file *f, char **why)
{
    return guest_agent_write(dom, IMAGE_EXEC_SH, user, f, why);
}

/* Fills each nic's ifname (malloc'd into names[i]) from the guest's
 * interfaces, by MAC; false while one is missing. */
static bool names_by_mac(json_t *ifaces, guest_nic_address *nics, size_t n, char **names)
{
    bool all = true;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        json_t *iface;
        json_array_foreach(ifaces, k, iface)
        {
            const char *mac = json_string_value(json_object_get(iface, "hardware-address"));
            const char *name = json_string_value(json_object_get(iface, "name"));
            if (mac && name && strcasecmp(mac, nics[i].mac) == 0) {
                free(names[i]);
                names[i] = xstrdup(name);
                nics[i].ifname = names[i];
                break;
            }
        }
        all &= names[i] != NULL;
    }
    return all;
}

int guest_agent_set_addresses(virDomainPtr dom, image_exec dialect, guest_nic_address *nics,
                              size_t n, uint32_t gateway, char **why)
{
    *why = NULL;
    char **names = xcalloc(n + 1, sizeof(char *));
    int rc = ENSHU_OK;
    if (dialect == IMAGE_EXEC_SH) {
        /* A NIC may show a little after the agent answers: looked for up to 30 s. */
        int64_t deadline = monotonic_ms() + GUEST_PROGRAM_SHORT_BOUND_MS;
        for (;;) {
            json_t *cmd = json_pack("{s:s}", "execute", "guest-network-get-interfaces");
            json_t *ifaces = agent_call(dom, cmd, 10);
            json_decref(cmd);
            if (!ifaces) {
                rc = ENSHU_EAGENT;
                break;
            }
            bool all = names_by_mac(ifaces, nics, n, names);
            json_decref(ifaces);
            if (all)
                break;
            if (monotonic_ms() > deadline) {
                for (size_t i = 0; i < n && !*why; i++)
                    if (!names[i])
                        *why = xasprintf("the guest has no interface with MAC %s", nics[i].mac);
                rc = ENSHU_EAGENT;
                break;
            }
            usleep(500 * 1000);
        }
    }
    guest_program p = {0};
    if (rc == ENSHU_OK)
        rc = guest_program_address(&p, dialect, nics, n, gateway);
    guest_exec_result r;
    if (rc == ENSHU_OK)
        rc = run_program(dom, &p, false, &r);
    guest_program_fini(&p);
    if (rc == ENSHU_OK) {
        if (r.exit_code != 0) {
            rc = ENSHU_EAGENT;
            *why = failure(&r);
        }
        guest_exec_result_fini(&r);
    }
    for (size_t i = 0; i < n; i++) {
        if (names[i])
            nics[i].ifname = NULL;
        free(names[i]);
    }
    free(names);
    return rc;
}
