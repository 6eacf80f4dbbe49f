/*
 * The scenario's accounts (scenario.h: users) on a guest: each one made, or
 * brought up to date, through the guest agent by one fixed program, its
 * name, sudo, full name and password on the program's standard input. The
 * agent logs the program, which is the same for every account, and never
 * its input: no password reaches a guest log or a command line (the
 * program hands it on with the shell's printf, a builtin, never as an
 * argument).
 *
 * Where the guest has /usr/local/sbin/enshu-user (the Debian images) that
 * does the work, and its hooks update every other place passwords live
 * (Samba's passdb). Where it has useradd and chpasswd (a Linux image from
 * elsewhere) those, sudo meaning the group sudo. Elsewhere (the BusyBox
 * images, which have no adduser, chpasswd or sudo) the program adds the
 * user to /etc/passwd and /etc/group and sets a SHA-512 crypt hash from
 * BusyBox's mkpasswd in /etc/shadow; a sudoer there is refused (the
 * scenario checker refuses it before).
 *
 * The BusyBox images keep their root filesystem in RAM: every boot starts
 * from the image, without the accounts. So whoever starts a guest again
 * makes them again: provision.c, power injects (range_actions.c), restarts
 * and reverts from the instructor console (range_guests.c). A guest
 * rebooted from inside (`reboot` typed by a trainee) is not seen, and comes
 * back without them.
 */
#ifndef ENSHU_GUEST_ACCOUNTS_H
#define ENSHU_GUEST_ACCOUNTS_H

#include "scenario.h"
#include "team_vars.h"

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stddef.h>

/* The program's input for one account: four lines, the name, --sudo or
 * --no-sudo, the full name and the password (caller frees; *len its
 * length). */
char *guest_account_input(const char *name, bool sudo, const char *gecos, const char *password,
                          size_t *len);

/* The full name (GECOS) user u gets: the title's English text, else its
 * text in the scenario's default language, else its first; "" when that
 * is not printable ASCII without ':', ',' and '=', which is all useradd
 * takes in the C locale the agent runs in (caller frees). */
char *guest_account_gecos(const scenario *s, const scenario_user *u);

/* How many users of s exist on node n (scenario_user_on_node). */
size_t guest_accounts_on_node(const scenario *s, const node *n, bool node_runs_linux);

/* Makes every user of s that exists on node n on dom, the guest that runs n
 * for team, each with the team's password (templates filled in from vars;
 * vars NULL: {{team}} only). The guest's agent must answer. Reports a
 * failure naming the team, node and user, and returns a negative code;
 * goes on with the other users meanwhile. */
int guest_accounts_make(virDomainPtr dom, const scenario *s, const team_vars *vars, int team,
                        const node *n, bool node_runs_linux) __attribute__((warn_unused_result));

#endif
