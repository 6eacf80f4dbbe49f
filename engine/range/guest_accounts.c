/*
 * The scenario's accounts on a guest, through its agent (see
 * guest_accounts.h).
 */
#include "guest_accounts.h"
#include "alloc.h"
#include "errors.h"
#include "guest_agent.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

/* The fixed program of every account. Its input: the name, --sudo or
 * --no-sudo, the full name, the password, a line each. It uses enshu-user
 * where the guest has it; else useradd and chpasswd (Linux images from
 * elsewhere: sudo through the group sudo); else BusyBox (its mkpasswd, and
 * the files written here). The password goes on only through printf (a
 * builtin of dash, bash and BusyBox's ash) into a pipe: to enshu-user, to
 * chpasswd, or to mkpasswd reading fd 0. The hash is written with printf
 * too. Names are checked by the scenario loader (small
 * letters, digits, '_', '-'), so they are safe in the grep patterns. A new
 * BusyBox user gets the first uid and gid from 1000 that neither file uses. */
#define ACCOUNT_FROM_INPUT                                                                         \
    "IFS= read -r n && IFS= read -r s && IFS= read -r t && IFS= read -r p || "                     \
    "{ echo 'enshu: incomplete account' >&2; exit 2; }\n"                                          \
    "if [ -x /usr/local/sbin/enshu-user ]; then\n"                                                 \
    "  printf '%s\\n' \"$p\" | /usr/local/sbin/enshu-user set \"$n\" \"$s\" --title \"$t\"\n"      \
    "  exit\n"                                                                                     \
    "fi\n"                                                                                         \
    "if command -v useradd >/dev/null && command -v chpasswd >/dev/null; then\n"                   \
    "  id \"$n\" >/dev/null 2>&1 || useradd -m -s /bin/bash -c \"$t\" \"$n\" || exit 1\n"          \
    "  printf '%s:%s\\n' \"$n\" \"$p\" | chpasswd || exit 1\n"                                     \
    "  [ \"$s\" = --no-sudo ] && exit 0\n"                                                         \
    "  getent group sudo >/dev/null || { echo 'enshu: this guest has no sudo group' >&2; exit 3; " \
    "}\n"                                                                                          \
    "  exec usermod -a -G sudo \"$n\"\n"                                                           \
    "fi\n"                                                                                         \
    "[ \"$s\" = --no-sudo ] || { echo 'enshu: this guest has no sudo' >&2; exit 3; }\n"            \
    "h=$(printf '%s\\n' \"$p\" | mkpasswd -m sha512 -P 0) && [ -n \"$h\" ] || "                    \
    "{ echo 'enshu: mkpasswd failed' >&2; exit 1; }\n"                                             \
    "if ! grep -q \"^$n:\" /etc/passwd; then\n"                                                    \
    "  u=1000\n"                                                                                   \
    "  while cut -d: -f3 /etc/passwd /etc/group | grep -qx \"$u\"; do u=$((u + 1)); done\n"        \
    "  printf '%s:x:%s:%s:%s:/home/%s:/bin/sh\\n' \"$n\" \"$u\" \"$u\" \"$t\" \"$n\" "             \
    ">>/etc/passwd || exit 1\n"                                                                    \
    "  grep -q \"^$n:\" /etc/group || printf '%s:x:%s:\\n' \"$n\" \"$u\" >>/etc/group\n"           \
    "  mkdir -p \"/home/$n\" && chown \"$u:$u\" \"/home/$n\" && chmod 700 \"/home/$n\" || exit "   \
    "1\n"                                                                                          \
    "fi\n"                                                                                         \
    "umask 077\n"                                                                                  \
    "{ grep -v \"^$n:\" /etc/shadow 2>/dev/null; "                                                 \
    "printf '%s:%s:%s:0:99999:7:::\\n' \"$n\" \"$h\" \"$(($(date +%s) / 86400))\"; } "             \
    ">/etc/shadow.enshu && mv /etc/shadow.enshu /etc/shadow\n"

char *guest_account_input(const char *name, bool sudo, const char *gecos, const char *password,
                          size_t *len)
{
    char *input =
        xasprintf("%s\n%s\n%s\n%s\n", name, sudo ? "--sudo" : "--no-sudo", gecos, password);
    *len = strlen(input);
    return input;
}

static bool gecos_safe(const char *text)
{
    for (const char *c = text; *c; c++)
        if (*c < 0x20 || *c > 0x7e || *c == ':' || *c == ',' || *c == '=')
            return false;
    return true;
}

char *guest_account_gecos(const scenario *s, const scenario_user *u)
{
    const char *text = l10n_get(&u->title, "en", s->default_language);
    return xstrdup(text && gecos_safe(text) ? text : "");
}

size_t guest_accounts_on_node(const scenario *s, const node *n, bool node_runs_linux)
{
    size_t count = 0;
    for (size_t i = 0; i < s->nusers; i++)
        count += scenario_user_on_node(s, &s->users[i], n, node_runs_linux);
    return count;
}

/* The first line of the program's error output, without its newline. */
static char *first_line(const char *text)
{
    size_t n = text ? strcspn(text, "\n") : 0;
    if (n > 200)
        n = 200;
    char *line = xmalloc(n + 1);
    memcpy(line, text ? text : "", n);
    line[n] = '\0';
    return line;
}

static int make_one(virDomainPtr dom, const scenario *s, const team_vars *vars, int team,
                    const node *n, const scenario_user *u)
{
    char *password = team_vars_expand(vars, team, u->password);
    char *gecos = guest_account_gecos(s, u);
    size_t len = 0;
    char *input = guest_account_input(u->name, u->sudo, gecos, password, &len);
    const char *const argv[] = {"/bin/sh", "-c", ACCOUNT_FROM_INPUT, NULL};
    guest_exec_result r;
    int rc = guest_agent_run_with_input(dom, argv, input, len, 60000, &r);
    /* Neither copy of the password outlives the call. */
    explicit_bzero(input, len);
    explicit_bzero(password, strlen(password));
    free(input);
    free(password);
    free(gecos);
    if (rc != ENSHU_OK) {
        log_printf(ENSHU_LOG_ERROR,
                   "enshu: team %d: node %s: cannot make user %s: the guest agent did not run "
                   "the account program",
                   team, n->name, u->name);
        return rc;
    }
    if (r.exit_code != 0) {
        char *why = first_line(r.err);
        log_printf(ENSHU_LOG_ERROR, "enshu: team %d: node %s: cannot make user %s (status %d): %s",
                   team, n->name, u->name, r.exit_code, *why ? why : "no message");
        free(why);
        rc = ENSHU_EAGENT;
    }
    guest_exec_result_fini(&r);
    return rc;
}

int guest_accounts_make(virDomainPtr dom, const scenario *s, const team_vars *vars, int team,
                        const node *n, bool node_runs_linux)
{
    int rc = ENSHU_OK;
    for (size_t i = 0; i < s->nusers; i++) {
        const scenario_user *u = &s->users[i];
        if (!scenario_user_on_node(s, u, n, node_runs_linux))
            continue;
        int one = make_one(dom, s, vars, team, n, u);
        if (one != ENSHU_OK && rc == ENSHU_OK)
            rc = one;
    }
    return rc;
}
