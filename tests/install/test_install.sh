#!/usr/bin/env bash
# An installed Enshu runs without its source tree: 'cmake --install' to a
# temporary prefix, the prefix moved elsewhere, then, from another
# directory, with the source and build trees hidden (an empty tmpfs
# mounted over them in a mount namespace of this test's own), the
# installed binary prints its version, validates the installed scenarios
# and serves the consoles from the installed share/enshu/web through the
# service's wrapper and a config file, on simulated (test:///) hosts;
# $ENSHU_DATA_DIR, when set, is where it looks instead.
#
#   test_install.sh SOURCE_DIR BUILD_DIR
set -euo pipefail

if [ "${1:-}" != --hidden ]; then
  src=$(cd "$1" && pwd) build=$(cd "$2" && pwd)
  tmp=$(mktemp -d /tmp/enshu-install-XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  cmake --install "$build" --prefix "$tmp/prefix" >"$tmp/install.log" ||
    { cat "$tmp/install.log"; exit 1; }
  # A moved prefix still works: the binary finds its data from where it is.
  mv "$tmp/prefix" "$tmp/moved"
  # What the rest needs from the trees, copied before they are hidden.
  cp "$0" "$tmp/test_install.sh"
  cp "$src/tests/integration/hosts/sim1.xml" "$tmp/sim1.xml"
  "$build/enshu" --version >"$tmp/build-version"
  [ -d "$src/web/vendor" ] && touch "$tmp/want-vendor"
  hidden=no
  hide="mount -t tmpfs -o ro,size=1M none '$src'"
  case "$build/" in "$src/"*) ;; *) hide="$hide && mount -t tmpfs -o ro,size=1M none '$build'" ;; esac
  for how in "unshare -m" "unshare -rm"; do
    if $how true 2>/dev/null && $how sh -c "$hide" 2>/dev/null; then
      hidden=yes
      break
    fi
  done
  cd "$tmp"
  if [ "$hidden" = yes ]; then
    echo "the source tree is hidden from here on ($how, tmpfs over $src)"
    $how sh -c "$hide && exec env -u ENSHU_DATA_DIR -u ENSHU_WEB_DIR PATH=/usr/sbin:/usr/bin:/sbin:/bin bash '$tmp/test_install.sh' --hidden '$tmp' '$src'"
  else
    echo "no mount namespace here: the source tree stays visible; the served page is still checked to be the installed one"
    env -u ENSHU_DATA_DIR -u ENSHU_WEB_DIR PATH=/usr/sbin:/usr/bin:/sbin:/bin bash "$tmp/test_install.sh" --hidden "$tmp" "$src"
  fi
  exit
fi

# --- from here on: the installed tree only ---
tmp=$2 src=$3
prefix=$tmp/moved
enshu=$prefix/bin/enshu
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
if [ -d "$src" ] && [ -n "$(ls -A "$src" 2>/dev/null)" ]; then
  echo "note: $src is still visible"
fi
mkdir -p "$tmp/elsewhere"
cd "$tmp/elsewhere"

# The layout.
for f in bin/enshu share/enshu/web/index.html share/enshu/web/instructor.html \
  share/enshu/web/trainee.html share/enshu/web/js/trainee.js share/enshu/web/css/enshu.css \
  share/enshu/web/i18n/languages.json share/enshu/web/i18n/en.json share/enshu/web/i18n/ja.json \
  share/enshu/images/build.sh share/enshu/scenarios/intro-office.yaml \
  share/enshu/scenarios/cyder-beginner.yaml share/man/man1/enshu.1 share/doc/enshu/README.md \
  share/doc/enshu/CHANGELOG.md libexec/enshu/enshu-serve lib/systemd/system/enshu.service \
  etc/enshu/enshu.conf; do
  [ -f "$prefix/$f" ] || fail "$f is not installed"
done
[ ! -f "$tmp/want-vendor" ] || [ -f "$prefix/share/enshu/web/vendor/xterm/xterm.js" ] ||
  fail "web/vendor is not installed"
for f in bin/enshu-build-tree share/enshu/web/package.json share/enshu/web/package-lock.json \
  share/enshu/web/node_modules share/enshu/web/README.md share/enshu/web/i18n/README.md \
  share/enshu/scenarios/invalid; do
  [ ! -e "$prefix/$f" ] || fail "$f must not be installed"
done
grep -q "^ExecStart=$tmp/prefix/libexec/enshu/enshu-serve $tmp/prefix/etc/enshu/enshu.conf\$" \
  "$prefix/lib/systemd/system/enshu.service" || fail "enshu.service does not start the installed wrapper"

# The version, the same as the build's.
version=$("$enshu" --version) || fail "enshu --version failed"
[ "$version" = "$(cat "$tmp/build-version")" ] || fail "installed: '$version', built: '$(cat "$tmp/build-version")'"
grep -qE '^enshu [0-9]+\.[0-9]+\.[0-9]+' <<<"$version" || fail "'$version' is not a version"

# The installed scenarios are valid (their attachments lie beside them).
"$enshu" validate "$prefix"/share/enshu/scenarios/*.yaml || fail "the installed scenarios do not validate"

# $ENSHU_DATA_DIR comes first: the image recipes are looked for there.
out=$(ENSHU_DATA_DIR=$tmp/nowhere "$enshu" images build --out "$tmp/no-images" 2>&1) && status=0 || status=$?
[ "$status" = 1 ] && grep -qF "cannot find the image recipes ($tmp/nowhere/images/build.sh)" <<<"$out" ||
  fail "images build with ENSHU_DATA_DIR=$tmp/nowhere: status $status, '$out'"

# Serving on a simulated host: fake images, a password, the config file.
export ENSHU_STATE_DIR=$tmp/state ENSHU_IMAGE_DIR=$tmp/images ENSHU_POOL_DIR=$tmp/pool
mkdir -p "$ENSHU_STATE_DIR"
for img in workstation server attacker router; do
  mkdir -p "$ENSHU_IMAGE_DIR/$img"
  touch "$ENSHU_IMAGE_DIR/$img/vmlinuz" "$ENSHU_IMAGE_DIR/$img/initrd.img"
  qemu-img create -q -f qcow2 "$ENSHU_IMAGE_DIR/$img/disk.qcow2" 32M
  printf '{"name": "%s", "origin": "built", "os": "linux", "exec": "sh", "boot": "kernel", "addressing": "cmdline", "consoles": ["serial"], "memory_mib": 160, "vcpus": 1, "disk": "disk.qcow2", "sha256": "%064d"}\n' \
    "$img" 0 >"$ENSHU_IMAGE_DIR/$img/image.json"
done
printf 'hosts:\n  - {uri: "test://%s/sim1.xml"}\n' "$tmp" >"$tmp/hosts.yaml"
printf 'install-test-password\n' | "$enshu" passwd >/dev/null || fail "enshu passwd failed"

# A config with a misspelt key is refused, naming its line.
printf 'ENSHU_TEAMS=2\nENSHU_SCENARO=x.yaml\n' >"$tmp/bad.conf"
out=$("$prefix/libexec/enshu/enshu-serve" "$tmp/bad.conf" 2>&1) && status=0 || status=$?
[ "$status" = 2 ] && grep -q "bad.conf:2: unknown setting 'ENSHU_SCENARO'" <<<"$out" ||
  fail "a misspelt config key: status $status, '$out'"

# The installed page is tagged, so a page served from anywhere else differs.
tag="<!-- installed copy $$ -->"
echo "$tag" >>"$prefix/share/enshu/web/index.html"
cat >"$tmp/enshu.conf" <<EOF
# The install test's exercise.
ENSHU_SCENARIO=$prefix/share/enshu/scenarios/intro-office.yaml
ENSHU_TEAMS=2
ENSHU_LISTEN="127.0.0.1:0"
ENSHU_HOSTS=$tmp/hosts.yaml
ENSHU_STATE_DIR=$ENSHU_STATE_DIR
ENSHU_LOG=$tmp/messages.log
ENSHU_LOG_LEVEL=info
EOF
"$prefix/libexec/enshu/enshu-serve" "$tmp/enshu.conf" >"$tmp/serve.log" 2>&1 &
pid=$!
stop() { kill -TERM "$pid" 2>/dev/null || true; }
trap stop EXIT
port=
for _ in $(seq 1 600); do
  port=$(sed -n 's|^console: http://127\.0\.0\.1:\([0-9]*\)/$|\1|p' "$tmp/serve.log")
  [ -n "$port" ] || ! kill -0 "$pid" 2>/dev/null || { sleep 0.1; continue; }
  break
done
# get PATH: the status line and the body, over bash's /dev/tcp (no curl needed).
get() {
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' "$1" >&3
  cat <&3 >"$tmp/response"
  exec 3<&-
  head -n 1 "$tmp/response" | tr -d '\r'
  sed '1,/^\r$/d' "$tmp/response" >"$tmp/body"
}
if [ -z "$port" ]; then
  fail "enshu serve did not start"
  sed 's/^/    /' "$tmp/serve.log" "$tmp/messages.log"
else
  status=$(get /)
  [[ $status == "HTTP/1.1 200"* ]] || fail "GET / -> '$status'"
  cmp -s "$tmp/body" "$prefix/share/enshu/web/index.html" || fail "GET / is not the installed index.html"
  status=$(get /index.html)
  grep -qF "$tag" "$tmp/body" || fail "GET /index.html is not the installed page"
  status=$(get /package.json)
  [[ $status == "HTTP/1.1 404"* ]] || fail "GET /package.json -> '$status' (want 404)"
  status=$(get /node_modules/@xterm/xterm/package.json)
  [[ $status == "HTTP/1.1 404"* ]] || fail "GET /node_modules/... -> '$status' (want 404)"
  status=$(get /js/trainee.js)
  [[ $status == "HTTP/1.1 200"* ]] || fail "GET /js/trainee.js -> '$status'"
  status=$(get /i18n/ja.json)
  [[ $status == "HTTP/1.1 200"* ]] || fail "GET /i18n/ja.json -> '$status'"
  cmp -s "$tmp/body" "$prefix/share/enshu/web/i18n/ja.json" || fail "GET /i18n/ja.json is not the installed catalogue"
  if [ -f "$tmp/want-vendor" ]; then
    status=$(get /vendor/xterm/xterm.js)
    [[ $status == "HTTP/1.1 200"* ]] || fail "GET /vendor/xterm/xterm.js -> '$status'"
  fi
  grep -q "^team 2 join code: " "$tmp/serve.log" || fail "no join codes printed"
  [ -f "$tmp/messages.log" ] || fail "ENSHU_LOG: enshu serve did not open $tmp/messages.log"
fi
stop
trap - EXIT
wait "$pid" && status=0 || status=$?
if [ "$status" != 0 ]; then
  fail "enshu serve exited with $status after SIGTERM"
  [ -z "$port" ] || sed 's/^/    /' "$tmp/serve.log"
fi

[ "$failures" = 0 ] || exit 1
echo "ok: installed to a moved prefix; version, validate and serve work from it alone"
