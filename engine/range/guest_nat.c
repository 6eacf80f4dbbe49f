/*
 * NAT on a gateway through the guest agent (see guest_nat.h).
 */
#include "guest_nat.h"
#include "alloc.h"
#include "errors.h"
#include "guest_agent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NAT_TIMEOUT_MS (30 * 1000)

bool guest_nat_wanted(const node *n)
{
    for (size_t j = 0; j < n->nnics; j++)
        if (n->nics[j].nat)
            return true;
    return false;
}

char *guest_nat_script(const char *const *addrs, size_t n)
{
    char *list = xjoin(addrs, n, " ");
    char *script = xasprintf(
        "echo 1 > /proc/sys/net/ipv4/ip_forward\n"
        "devs=\n"
        "for a in %s; do\n"
        "  d=$(ip -o -4 addr show | while read -r _ dev _ addr _; do "
        "[ \"${addr%%/*}\" = \"$a\" ] && echo \"$dev\" && break; done)\n"
        "  [ -n \"$d\" ] || { echo \"no interface has address $a\" >&2; exit 1; }\n"
        "  devs=\"$devs $d\"\n"
        "done\n"
        "if command -v nft >/dev/null 2>&1; then\n"
        "  nft add table ip enshu_nat &&\n"
        "  nft 'add chain ip enshu_nat postrouting { type nat hook postrouting priority 100 ; }' "
        "&&\n"
        "  nft flush chain ip enshu_nat postrouting || exit 1\n"
        "  for d in $devs; do nft add rule ip enshu_nat postrouting oifname \"$d\" masquerade "
        "|| exit 1; done\n"
        "elif command -v iptables >/dev/null 2>&1; then\n"
        "  for d in $devs; do iptables -t nat -C POSTROUTING -o \"$d\" -j MASQUERADE 2>/dev/null "
        "|| iptables -t nat -A POSTROUTING -o \"$d\" -j MASQUERADE || exit 1; done\n"
        "else\n"
        "  echo 'this guest has neither nft nor iptables' >&2; exit 1\n"
        "fi\n",
        list);
    free(list);
    return script;
}

int guest_nat_apply(virDomainPtr dom, const scenario *s, const team_vars *vars, int team,
                    const node *n, char **why)
{
    *why = NULL;
    const char **addrs = xcalloc(n->nnics + 1, sizeof(char *));
    size_t count = 0;
    for (size_t j = 0; j < n->nnics; j++) {
        if (!n->nics[j].nat)
            continue;
        char *key = xasprintf("addr %s %s", n->name, s->segments[n->nics[j].segment_index].name);
        const char *addr = team_vars_get(vars, team, key);
        free(key);
        if (!addr) {
            *why = xasprintf("no address of %s on segment %s", n->name, n->nics[j].segment);
            free(addrs);
            return ENSHU_EINVAL;
        }
        addrs[count++] = addr;
    }
    char *script = guest_nat_script(addrs, count);
    free(addrs);
    guest_exec_result r;
    int rc = guest_agent_exec_bounded(dom, NULL, script, NAT_TIMEOUT_MS, &r);
    free(script);
    if (rc != ENSHU_OK) {
        *why = xstrdup("the guest agent did not run it");
        return ENSHU_EAGENT;
    }
    if (r.exit_code != 0) {
        *why = xasprintf("%s", r.err && *r.err ? r.err : "it failed");
        size_t len = strlen(*why);
        if (len && (*why)[len - 1] == '\n')
            (*why)[len - 1] = '\0';
        rc = ENSHU_EAGENT;
    }
    guest_exec_result_fini(&r);
    return rc;
}
