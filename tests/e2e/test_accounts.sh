#!/usr/bin/env bash
# End to end on real BusyBox guests, two teams: the scenario's users exist on
# the nodes they should (alice on ws, bob on every blue and grey node, nobody
# on the attacker's), each team with its own passwords: a user logs in with
# su from an unprivileged account with the team's password and is refused
# with the other team's. Injects that pkill -f their own text survive and
# make files 0644. The workstation rebooted by an inject comes back
# (without what was made on it) with its accounts made again. The kernel
# command line carries the time zone and locale. No guest log of either
# team holds a password.
source "$(dirname "$0")/lib.sh"
require_platform
name=e2eacc
scenario="$HERE/accounts.yaml"
ledger="$ENSHU_STATE_DIR/ranges/$name.events.db"
trap '"$ENSHU" down --name $name >/dev/null 2>&1 || true' EXIT
sql() { sqlite3 -readonly "$ledger" "$1" 2>/dev/null || true; }
alice_pw() { echo "Alice-$1-Pw7q"; }
bob_pw() { echo "Bob $1:Pw3z"; }

"$ENSHU" run "$scenario" --teams 2 --name $name --speed 10 --for 8m >"$ENSHU_STATE_DIR/run.out" 2>&1 ||
  fail "run failed: $(tail -20 "$ENSHU_STATE_DIR/run.out")"
for inj in mark reboot; do
  [ "$(sql "select count(*) from events where kind='inject.fired' and subject='$inj'")" = 2 ] ||
    fail "inject $inj did not fire for both teams: $(sql "select team, kind, text from events where subject='$inj'")"
done
pass "2 teams up; ws of each rebooted by an inject"

for inj in self-kill self-kill-bob; do
  [ "$(sql "select count(*) from events where kind='inject.fired' and subject='$inj'")" = 2 ] ||
    fail "inject $inj did not complete for both teams: $(sql "select team, kind, value, text from events where subject='$inj'")"
done
for team in 1 2; do
  modes=$("$ENSHU" exec --name $name $team srv "stat -c '%a %U %s' /tmp/self-kill-root /home/bob/self-kill-bob")
  [ "$modes" = $'644 root 9\n644 bob 9' ] || fail "team $team's srv: the injects' files are: $modes"
done
pass "injects that pkill -f and pgrep -f their own text complete; their files are 0644 (root's and bob's)"

for team in 1 2; do
  "$ENSHU" exec --name $name $team ws "test ! -e /tmp/before-reboot" ||
    fail "team $team's ws kept /tmp across its reboot: it did not start from its image"
done

# Who exists where.
has_user() { "$ENSHU" exec --name $name "$1" "$2" "grep -q '^$3:' /etc/passwd && grep -q '^$3:\\\$6\\\$' /etc/shadow"; }
for team in 1 2; do
  has_user $team ws alice || fail "team $team's ws has no alice (after its reboot)"
  has_user $team ws bob || fail "team $team's ws has no bob (after its reboot)"
  has_user $team srv bob || fail "team $team's srv has no bob"
  ! has_user $team srv alice || fail "team $team's srv has alice, who is on ws only"
  for user in alice bob; do
    ! has_user $team kali $user || fail "team $team's attacker has $user"
  done
  gecos=$("$ENSHU" exec --name $name $team ws "grep '^alice:' /etc/passwd | cut -d: -f5")
  [ "$gecos" = Accounting ] || fail "alice's full name on team $team's ws is '$gecos'"
done
pass "alice is on ws only, bob on ws and srv, nobody on the attacker's node, in both teams"

# A login: su, run by an unprivileged user (nobody) through a set-uid copy of
# BusyBox (the image's is not set-uid: its serial console is a root shell),
# asks the password on its input and checks it against /etc/shadow.
su_as() { # team node user password
  "$ENSHU" exec --name $name "$1" "$2" \
    "mkdir -p /tmp/suid && cp /bin/busybox /tmp/suid/busybox && chmod 755 /tmp/suid && chmod 4755 /tmp/suid/busybox &&
     printf '%s\\n' '$4' | su -s /bin/sh nobody -c \"/tmp/suid/busybox su $3 -c 'id -un'\"" 2>/dev/null
}
for team in 1 2; do
  other=$((3 - team))
  out=$(su_as $team ws alice "$(alice_pw $team)") || fail "alice cannot log in on team $team's ws with its password"
  grep -qx alice <<<"$out" || fail "su as alice on team $team's ws ran as: $out"
  out=$(su_as $team srv bob "$(bob_pw $team)") || fail "bob cannot log in on team $team's srv with its password"
  grep -qx bob <<<"$out" || fail "su as bob on team $team's srv ran as: $out"
  ! su_as $team ws alice "$(alice_pw $other)" >/dev/null || fail "team $other's password of alice opens team $team's ws"
  ! su_as $team srv bob "$(bob_pw $other)" >/dev/null || fail "team $other's password of bob opens team $team's srv"
done
pass "each team's users log in with their team's passwords, not with the other team's"

for team in 1 2; do
  for node in ws srv kali; do
    cmdline=$("$ENSHU" exec --name $name $team $node "cat /proc/cmdline")
    grep -q " enshu.tz=Asia/Tokyo enshu.locale=ja_JP.UTF-8" <<<"$cmdline" ||
      fail "team $team's $node booted without the time zone and locale: $cmdline"
  done
done
pass "every guest's kernel command line has enshu.tz=Asia/Tokyo enshu.locale=ja_JP.UTF-8"

# No guest log holds a password (nor a piece of one). The boot lines of the
# kernel and of syslogd show the logs were read.
needles=("$(alice_pw 1)" "$(alice_pw 2)" "$(bob_pw 1)" "$(bob_pw 2)" "Pw7q" "Pw3z")
for team in 1 2; do
  for node in ws srv kali; do
    logs=$("$ENSHU" exec --name $name $team $node \
      'for f in /var/log/* /var/log/*/* /run/qemu-ga.log; do [ -f "$f" ] && cat "$f"; done; dmesg; logread 2>/dev/null; true') ||
      fail "cannot read the logs of team $team's $node"
    grep -q "Linux version" <<<"$logs" || fail "team $team's $node: dmesg was not read"
    [ $node = kali ] || grep -q "syslogd started" <<<"$logs" || fail "team $team's $node: the syslog was not read"
    for needle in "${needles[@]}"; do
      ! grep -F -- "$needle" <<<"$logs" >&2 || fail "team $team's $node logs '$needle' (above)"
    done
  done
done
pass "no guest log holds a password"

"$ENSHU" down --name $name >/dev/null
trap - EXIT
assert_range_gone $name
pass "down leaves nothing"
