/*
 * The programs run in guests through the agent, per dialect (see
 * guest_program.h).
 */
#include "guest_program.h"
#include "alloc.h"
#include "base64.h"
#include "errors.h"
#include "units.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- sh ---- */

/* The fixed program: the first line of its input is the account ("" for
 * root), $1 the work (RUN_INNER, WRITE_INNER), $2 the bound in seconds (""
 * for none). The account is found by name (getent, else /etc/passwd); "no
 * such user" on stderr with status 125, before anything runs, says there
 * is none. Bounded, the work runs in a session of its own and a watchdog,
 * in another, kills that session's process group when the time is up; the
 * watchdog is killed by pid and by group once the work ends, since it may
 * not have made its session yet. The work's input is fd 0 handed over as
 * fd 4: an asynchronous command's input is /dev/null otherwise. */
#define SH_PROGRAM                                                                                 \
    "IFS= read -r u || exit 125\n"                                                                 \
    "p=$1 t=$2\n"                                                                                  \
    "if [ -z \"$u\" ]; then\n"                                                                     \
    "  set -- /bin/sh -c \"$p\"\n"                                                                 \
    "else\n"                                                                                       \
    "  e=$(getent passwd \"$u\" 2>/dev/null) ||\n"                                                 \
    "    e=$(awk -F: -v u=\"$u\" '$1 == u { print; exit }' /etc/passwd)\n"                         \
    "  [ -n \"$e\" ] || { echo " GUEST_PROGRAM_NO_USER " >&2; exit 125; }\n"                       \
    "  IFS=: read -r n x uid gid x home x <<EOF\n"                                                 \
    "$e\n"                                                                                         \
    "EOF\n"                                                                                        \
    "  cd \"$home\" 2>/dev/null || cd /\n"                                                         \
    "  if setpriv --reuid=0 --regid=0 --keep-groups true >/dev/null 2>&1; then\n"                  \
    "    l=$(sed -n 's/^LANG=//p' /etc/default/locale 2>/dev/null | tr -d '\"')\n"                 \
    "    set -- setpriv --reuid=\"$uid\" --regid=\"$gid\" --init-groups env -i HOME=\"$home\" "    \
    "USER=\"$u\" LOGNAME=\"$u\" SHELL=/bin/sh PATH=/usr/local/bin:/usr/bin:/bin "                  \
    "${l:+\"LANG=$l\"} /bin/sh -l -c \"$p\"\n"                                                     \
    "  else\n"                                                                                     \
    "    set -- su -l -s /bin/sh \"$u\" -c \"$p\"\n"                                               \
    "  fi\n"                                                                                       \
    "fi\n"                                                                                         \
    "[ -n \"$t\" ] || exec \"$@\"\n"                                                               \
    "exec 4<&0\n"                                                                                  \
    "setsid \"$@\" <&4 4<&- &\n"                                                                   \
    "c=$!\n"                                                                                       \
    "exec 4<&- </dev/null\n"                                                                       \
    "setsid /bin/sh -c 'sleep \"$1\" && kill -KILL -\"$2\"' sh \"$t\" \"$c\" >/dev/null 2>&1 &\n"  \
    "w=$!\n"                                                                                       \
    "wait \"$c\"\n"                                                                                \
    "s=$?\n"                                                                                       \
    "kill -KILL \"$w\" 2>/dev/null\n"                                                              \
    "kill -KILL -\"$w\" 2>/dev/null\n"                                                             \
    "exit \"$s\"\n"

/* The work of a command, as its account: the rest of the input goes to a
 * private temporary file through descriptor 8, which is removed at once;
 * the new shell opens it again as /proc/self/fd/9 (a removed file's
 * descriptor still opens). */
#define SH_RUN_INNER                                                                               \
    "umask 022; f=$(mktemp) || exit 126; exec 9<\"$f\" 8>\"$f\"; rm -f \"$f\"; "                   \
    "cat >&8 || exit 126; exec 8>&- </dev/null /bin/sh /proc/self/fd/9"

/* The work of a file write: mode (octal), owner, group (each line empty:
 * leave it) and path, each on a line, then the file's bytes. read takes
 * one byte at a time from a pipe, so cat gets exactly the bytes after the
 * path. The directory may not exist yet (~/.cache of a fresh account). */
#define SH_WRITE_INNER                                                                             \
    "umask 022; "                                                                                  \
    "IFS= read -r m && IFS= read -r o && IFS= read -r g && IFS= read -r p && "                     \
    "mkdir -p \"$(dirname \"$p\")\" && cat >\"$p\" && "                                            \
    "{ [ -z \"$o\" ] || chown \"$o\" \"$p\"; } && { [ -z \"$g\" ] || chgrp \"$g\" \"$p\"; } && "   \
    "chmod \"$m\" \"$p\""

static bool one_line(const char *s)
{
    return !s || !strchr(s, '\n');
}

static void set_bound(guest_program *p, int64_t bound_ms)
{
    snprintf(p->seconds, sizeof p->seconds, "%lld", (long long)((bound_ms + 999) / 1000));
    p->wait_ms = bound_ms + GUEST_PROGRAM_GRACE_MS;
}

/* argv and input of SH_PROGRAM: the user's line, then len bytes of rest. */
static void sh_program(guest_program *p, const char *user, const char *inner, const char *rest,
                       size_t len, int64_t bound_ms)
{
    size_t ulen = user ? strlen(user) : 0;
    p->input = xmalloc(ulen + 1 + len + 1);
    memcpy(p->input, user ? user : "", ulen);
    p->input[ulen] = '\n';
    memcpy(p->input + ulen + 1, rest, len);
    p->len = ulen + 1 + len;
    if (bound_ms > 0)
        set_bound(p, bound_ms);
    const char *argv[] = {"/bin/sh", "-c", SH_PROGRAM, "sh", inner, p->seconds, NULL};
    memcpy(p->argv, argv, sizeof argv);
}

/* ---- powershell ---- */

/* The fixed -Command text: no double quotes, which Windows command lines
 * would have to escape. $LASTEXITCODE is reset first, so that a script
 * that runs no program does not report an old status. */
#define PS_WRAPPER                                                                                 \
    "[Console]::OutputEncoding=New-Object Text.UTF8Encoding($false); "                             \
    "$enshu=(New-Object IO.StreamReader([Console]::OpenStandardInput(),"                           \
    "(New-Object Text.UTF8Encoding($false)))).ReadToEnd(); "                                       \
    "$global:LASTEXITCODE=0; & ([scriptblock]::Create($enshu)); $ok=$?; "                          \
    "if ($global:LASTEXITCODE) { exit $global:LASTEXITCODE }; if ($ok) { exit 0 }; exit 1"

static void ps_program(guest_program *p, char *take_script, int64_t bound_ms)
{
    p->input = take_script;
    p->len = strlen(take_script);
    set_bound(p, bound_ms);
    p->kill_ms = bound_ms;
    const char *argv[] = {"powershell.exe", "-NoProfile", "-NonInteractive", "-ExecutionPolicy",
                          "Bypass",         "-Command",   PS_WRAPPER,        NULL};
    memcpy(p->argv, argv, sizeof argv);
}

/* text as a PowerShell single-quoted literal: quotes doubled. */
static char *ps_quote(const char *text)
{
    size_t n = 0;
    for (const char *c = text; *c; c++)
        n += *c == '\'' ? 2 : 1;
    char *out = xmalloc(n + 3), *o = out;
    *o++ = '\'';
    for (const char *c = text; *c; c++) {
        if (*c == '\'')
            *o++ = '\'';
        *o++ = *c;
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

/* text as a sh single-quoted word. */
static char *sh_quote(const char *text)
{
    size_t n = 0;
    for (const char *c = text; *c; c++)
        n += *c == '\'' ? 4 : 1;
    char *out = xmalloc(n + 3), *o = out;
    *o++ = '\'';
    for (const char *c = text; *c; c++) {
        if (*c == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *c;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return out;
}

/* ---- the programs ---- */

int guest_program_command(guest_program *p, image_exec dialect, const char *user,
                          const char *command, int64_t bound_ms)
{
    memset(p, 0, sizeof *p);
    if (!one_line(user))
        return ENSHU_EINVAL;
    if (dialect == IMAGE_EXEC_POWERSHELL) {
        if (user || bound_ms <= 0)
            return ENSHU_EINVAL;
        ps_program(p, xstrdup(command), bound_ms);
        return ENSHU_OK;
    }
    sh_program(p, user, SH_RUN_INNER, command, strlen(command), bound_ms);
    return ENSHU_OK;
}

int guest_program_write(guest_program *p, image_exec dialect, const char *user, const guest_file *f)
{
    memset(p, 0, sizeof *p);
    if (!one_line(f->path) || !one_line(f->owner) || !one_line(f->group) || !one_line(user))
        return ENSHU_EINVAL;
    if (dialect == IMAGE_EXEC_POWERSHELL) {
        if (user || f->owner || f->group)
            return ENSHU_EINVAL;
        char *path = ps_quote(f->path);
        char *b64 = base64_encode(f->content, f->len);
        char *script =
            xasprintf("$ErrorActionPreference='Stop'\n"
                      "$p=%s\n"
                      "$d=Split-Path -Parent $p\n"
                      "if ($d) { New-Item -ItemType Directory -Force -Path $d | Out-Null }\n"
                      "[IO.File]::WriteAllBytes($p,[Convert]::FromBase64String('%s'))\n",
                      path, b64);
        free(path);
        free(b64);
        ps_program(p, script, GUEST_PROGRAM_SHORT_BOUND_MS);
        return ENSHU_OK;
    }
    char *head = xasprintf("%o\n%s\n%s\n%s\n", f->mode, f->owner ? f->owner : "",
                           f->group ? f->group : "", f->path);
    size_t head_len = strlen(head);
    char *rest = xmalloc(head_len + f->len + 1);
    memcpy(rest, head, head_len);
    memcpy(rest + head_len, f->content, f->len);
    sh_program(p, user, SH_WRITE_INNER, rest, head_len + f->len, GUEST_PROGRAM_SHORT_BOUND_MS);
    free(rest);
    free(head);
    return ENSHU_OK;
}

static bool mac_valid(const char *mac)
{
    if (!mac || strlen(mac) != 17)
        return false;
    for (int i = 0; i < 17; i++)
        if (i % 3 == 2 ? mac[i] != ':' : !isxdigit((unsigned char)mac[i]))
            return false;
    return true;
}

static bool holds(const guest_nic_address *nic, uint32_t addr)
{
    uint32_t mask = nic->prefix ? 0xffffffffu << (32 - nic->prefix) : 0;
    return (nic->addr & mask) == (addr & mask);
}

/* The script that sets the addresses (as for guest_program_address). */
static char *address_script(image_exec dialect, const guest_nic_address *nics, size_t n,
                            uint32_t gateway)
{
    char gw[16];
    format_ipv4(gateway, gw);
    char *script =
        xstrdup(dialect == IMAGE_EXEC_POWERSHELL ? "$ErrorActionPreference='Stop'\n" : "set -e\n");
    for (size_t i = 0; i < n; i++) {
        char ip[16];
        format_ipv4(nics[i].addr, ip);
        bool routes = gateway && holds(&nics[i], gateway);
        char *more;
        if (dialect == IMAGE_EXEC_POWERSHELL) {
            char mac[18];
            for (int k = 0; k < 17; k++)
                mac[k] = nics[i].mac[k] == ':' ? '-' : (char)toupper((unsigned char)nics[i].mac[k]);
            mac[17] = '\0';
            more = xasprintf(
                "$a=Get-NetAdapter | Where-Object { $_.MacAddress -eq '%s' }\n"
                "if (-not $a) { [Console]::Error.WriteLine('no interface with MAC %s'); exit 2 }\n"
                "Set-NetIPInterface -InterfaceIndex $a.ifIndex -AddressFamily IPv4 -Dhcp Disabled\n"
                "Get-NetIPAddress -InterfaceIndex $a.ifIndex -AddressFamily IPv4 "
                "-ErrorAction SilentlyContinue | Remove-NetIPAddress -Confirm:$false\n"
                "Get-NetRoute -InterfaceIndex $a.ifIndex -DestinationPrefix 0.0.0.0/0 "
                "-ErrorAction SilentlyContinue | Remove-NetRoute -Confirm:$false\n"
                "New-NetIPAddress -InterfaceIndex $a.ifIndex -AddressFamily IPv4 -IPAddress %s "
                "-PrefixLength %u%s%s | Out-Null\n"
                "%s%s%s",
                mac, nics[i].mac, ip, nics[i].prefix, routes ? " -DefaultGateway " : "",
                routes ? gw : "",
                routes ? "Set-DnsClientServerAddress -InterfaceIndex $a.ifIndex -ServerAddresses "
                       : "",
                routes ? gw : "", routes ? "\n" : "");
        } else {
            char *dev = sh_quote(nics[i].ifname);
            more = xasprintf("ip link set dev %s up\n"
                             "ip -4 addr flush dev %s\n"
                             "ip addr add %s/%u dev %s\n",
                             dev, dev, ip, nics[i].prefix, dev);
            free(dev);
        }
        char *next = xasprintf("%s%s", script, more);
        free(more);
        free(script);
        script = next;
    }
    if (gateway && dialect != IMAGE_EXEC_POWERSHELL) {
        /* resolv.conf may be a link to a resolver's file: replaced, not written through. */
        char *next = xasprintf("%sip route replace default via %s\n"
                               "rm -f /etc/resolv.conf\n"
                               "printf 'nameserver %%s\\n' %s >/etc/resolv.conf\n",
                               script, gw, gw);
        free(script);
        script = next;
    }
    return script;
}

int guest_program_address(guest_program *p, image_exec dialect, const guest_nic_address *nics,
                          size_t n, uint32_t gateway)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < n; i++) {
        if (!mac_valid(nics[i].mac) || nics[i].prefix > 32)
            return ENSHU_EINVAL;
        if (dialect == IMAGE_EXEC_SH &&
            (!nics[i].ifname || !*nics[i].ifname || !one_line(nics[i].ifname)))
            return ENSHU_EINVAL;
    }
    char *script = address_script(dialect, nics, n, gateway);
    int rc = ENSHU_OK;
    if (dialect == IMAGE_EXEC_POWERSHELL)
        ps_program(p, script, GUEST_PROGRAM_SHORT_BOUND_MS);
    else {
        rc = guest_program_command(p, dialect, NULL, script, GUEST_PROGRAM_SHORT_BOUND_MS);
        free(script);
    }
    return rc;
}

void guest_program_kill(long long pid, const char **argv, char *digits)
{
    snprintf(digits, 24, "%lld", pid);
    const char *kill[] = {"taskkill.exe", "/F", "/T", "/PID", digits, NULL};
    memcpy(argv, kill, sizeof kill);
}

void guest_program_fini(guest_program *p)
{
    if (!p)
        return;
    free(p->input);
    p->input = NULL;
    p->len = 0;
}
