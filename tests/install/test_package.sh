#!/usr/bin/env bash
# The Debian package: built with 'cpack -G DEB' from the build directory,
# installed on this machine with dpkg (missing dependencies from apt), then
# /usr/bin/enshu prints the build's version and validates a shipped
# scenario from /usr/share/enshu; the package is purged again at the end
# (also when a check fails), leaving the machine as it was.
# Skipped (77) unless root, and when an enshu package or /usr/bin/enshu is
# already there (this test must not replace an operator's installation).
#
#   test_package.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)

if [ "$(id -u)" -ne 0 ]; then
  echo "skipped: installing a package needs root"
  exit 77
fi
if dpkg-query -W -f='${Status}' enshu 2>/dev/null | grep -q 'installed' || [ -e /usr/bin/enshu ]; then
  echo "skipped: Enshu is already installed on this machine"
  exit 77
fi

out=$(mktemp -d /tmp/enshu-deb-XXXXXX)
installed=no
cleanup() {
  if [ "$installed" = yes ]; then
    dpkg -P enshu >/dev/null || echo "FAIL: dpkg -P enshu failed"
  fi
  rm -rf "$out"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

(cd "$build" && cpack -G DEB -B "$out") >"$out/cpack.log" 2>&1 || { cat "$out/cpack.log"; exit 1; }
debs=("$out"/enshu_*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || { echo "FAIL: no package in $out"; cat "$out/cpack.log"; exit 1; }
deb=${debs[0]}
echo "built $(basename "$deb")"

# Its control data: the version from git, the run-time dependencies, the
# config kept as a conffile.
built_version=$("$build/enshu" --version)
deb_version=$(dpkg-deb -f "$deb" Version)
[ "enshu ${deb_version//+/-}" = "$built_version" ] ||
  fail "package version $deb_version, enshu --version: $built_version"
depends=$(dpkg-deb -f "$deb" Depends)
for p in libvirt0 libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils dnsmasq-base libyaml-0-2 \
  libwebsockets17 libsqlite3-0 libjansson4 libsodium23 libunistring2; do
  grep -qE "(^|, )$p(,|$| )" <<<"$depends" || fail "Depends lacks $p: $depends"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /etc/enshu/enshu.conf ||
  fail "/etc/enshu/enshu.conf is not a conffile"

export DEBIAN_FRONTEND=noninteractive
if ! dpkg -i "$deb" >"$out/dpkg.log" 2>&1; then
  installed=yes
  apt-get -f install -y -q >>"$out/dpkg.log" 2>&1 || { cat "$out/dpkg.log"; fail "dpkg -i failed"; exit 1; }
fi
installed=yes
dpkg-query -W -f='${Status}' enshu | grep -q 'install ok installed' || { cat "$out/dpkg.log"; fail "enshu is not installed"; exit 1; }

cd /
version=$(/usr/bin/enshu --version) || fail "/usr/bin/enshu --version failed"
[ "$version" = "$built_version" ] || fail "/usr/bin/enshu --version: '$version', built: '$built_version'"
# No data may come from the build tree: its marker is never packaged.
dpkg -L enshu | grep -q enshu-build-tree && fail "the build-tree marker is in the package"
ENSHU_STATE_DIR=$out/state /usr/bin/enshu validate /usr/share/enshu/scenarios/intro-office.yaml ||
  fail "enshu validate /usr/share/enshu/scenarios/intro-office.yaml failed"
for f in /usr/share/enshu/web/index.html /usr/share/enshu/images/build.sh \
  /usr/share/man/man1/enshu.1 /usr/share/doc/enshu/CHANGELOG.md /etc/enshu/enshu.conf \
  /usr/lib/systemd/system/enshu.service /usr/libexec/enshu/enshu-serve; do
  [ -f "$f" ] || fail "$f is not installed"
done
grep -qx 'ExecStart=/usr/libexec/enshu/enshu-serve /etc/enshu/enshu.conf' \
  /usr/lib/systemd/system/enshu.service || fail "enshu.service does not start /usr/libexec/enshu/enshu-serve"
grep -qx "ENSHU_SCENARIO=/usr/share/enshu/scenarios/intro-office.yaml" /etc/enshu/enshu.conf ||
  fail "enshu.conf does not name the installed scenario"
# systemd's own check of the unit, where systemd's tools are installed
# (nothing is started: no systemd runs here).
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify --man=no /usr/lib/systemd/system/enshu.service ||
    fail "systemd-analyze verify enshu.service"
fi

dpkg -P enshu >/dev/null || fail "dpkg -P enshu failed"
installed=no
for f in /usr/bin/enshu /usr/share/enshu /etc/enshu/enshu.conf /usr/lib/systemd/system/enshu.service; do
  [ ! -e "$f" ] || fail "$f is left after dpkg -P enshu"
done

[ "$failures" = 0 ] || exit 1
echo "ok: the package installs, runs and purges cleanly"
