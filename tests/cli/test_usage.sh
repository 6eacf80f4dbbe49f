#!/usr/bin/env bash
# The command-line contract: exit 0 success, 1 failure, 2 usage error, a
# message that says what to do next, and --help on every command.
set -uo pipefail
: "${ENSHU:?set ENSHU to the enshu binary}"
export ENSHU_STATE_DIR=$(mktemp -d /tmp/enshu-cli-XXXXXX)
# No image store or pool of this machine's is read or changed.
export ENSHU_IMAGE_DIR=$ENSHU_STATE_DIR/images ENSHU_POOL_DIR=$ENSHU_STATE_DIR/pool
trap 'rm -rf "$ENSHU_STATE_DIR"' EXIT
failures=0 checks=0

# expect STATUS PATTERN -- ARGS...: runs enshu ARGS, checks its exit status and
# that its output (stdout + stderr) matches PATTERN.
expect() {
  local want=$1 pattern=$2; shift 3
  local out status
  out=$("$ENSHU" "$@" 2>&1); status=$?
  checks=$((checks + 1))
  if [ "$status" != "$want" ] || ! grep -qE -- "$pattern" <<<"$out"; then
    echo "FAIL: enshu $* -> $status (want $want), output:"; echo "$out" | sed 's/^/    /'
    failures=$((failures + 1))
  fi
}

for cmd in validate up status down exec; do
  expect 0 "^Usage: enshu $cmd" -- $cmd --help
done
expect 0 "^Usage: enshu images build" -- images --help
expect 0 "^Usage: enshu COMMAND" -- --help
expect 2 "^Usage: enshu COMMAND" --
expect 2 "unknown command 'frobnicate'" -- frobnicate
expect 2 "no file given" -- validate
expect 2 "unknown option '--strict'" -- validate --strict x.yaml
expect 1 "cannot open: No such file or directory" -- validate /nonexistent.yaml
expect 2 "which incident script" -- up
expect 2 "how many teams\? add --teams N" -- up scenarios.yaml
expect 2 "--teams must be a number from 1 to 1000, not 'many'" -- up x.yaml --teams many
expect 2 "--teams must be a number from 1 to 1000, not '0'" -- up x.yaml --teams 0
expect 2 "--timeout must be a duration" -- up x.yaml --teams 1 --timeout soon
expect 2 "unknown or incomplete option '--tems'" -- up x.yaml --tems 2
expect 2 "one incident script at a time" -- up a.yaml b.yaml --teams 2
expect 1 "cannot open" -- up /nonexistent.yaml --teams 2
expect 0 "no ranges" -- status
expect 1 "there is no range; bring one up" -- down
expect 1 "there is no range 'ghost'" -- down --name ghost
expect 2 "expected TEAM NODE COMMAND" -- exec 1 ws
expect 2 "TEAM must be a team number, not 'one'" -- exec one ws true
expect 125 "there is no range 'ghost'" -- exec --name ghost 1 ws true
expect 2 "unknown subcommand 'bake'" -- images bake
expect 0 "^warm    makes ahead of time the warm templates" -- images --help
expect 2 "give one or more SCENARIO files" -- images warm
expect 2 "unexpected '--fast'" -- images warm --fast x.yaml
expect 1 "cannot open" -- images warm /nonexistent.yaml
expect 1 "tabletop-ransomware.yaml: a tabletop exercise, no guests" -- images warm /nonexistent.yaml "$(dirname "$0")/../../scenarios/tabletop-ransomware.yaml"
expect 0 "^Usage: enshu run" -- run --help
expect 2 "expected FILE --teams N" -- run
expect 2 "--speed must be a number above 0" -- run x.yaml --teams 2 --speed fast
expect 2 "--for must be a duration such as 90s" -- run x.yaml --teams 2 --for ever
expect 1 "cannot open" -- run /nonexistent.yaml --teams 2
expect 2 "give --resume or --fresh, not both" -- run x.yaml --teams 2 --resume --fresh
expect 0 "^  --resume   carry the old exercise on" -- run --help
expect 0 "--resume and --fresh as for 'enshu run'" -- serve --help
expect 0 "^Usage: enshu retry" -- retry --help
expect 2 "expected --name NAME INJECT" -- retry --name ghost
expect 1 "exercise 'ghost' has no ledger" -- retry --name ghost setup
expect 0 "^Usage: enshu timeline" -- timeline --help
expect 2 "give the exercise with --name NAME" -- timeline
expect 1 "exercise 'ghost' has no ledger" -- timeline --name ghost
expect 0 "^Usage: enshu answer" -- answer --help
expect 0 "^Usage: enshu grade" -- grade --help
expect 2 "give the exercise with --name NAME" -- answer 1 q a
expect 2 "expected TEAM OBJECTIVE TEXT" -- answer --name ghost 1 q
expect 2 "TEAM must be a team number" -- answer --name ghost x q a
expect 2 "ITEM and POINTS must be whole numbers" -- grade --name ghost 1 r x 5
expect 1 "exercise 'ghost' has no ledger" -- answer --name ghost 1 q a
expect 0 "^Usage: enshu score" -- score --help
expect 2 "give the event ledger with --db FILE" -- score
expect 1 "cannot read /nonexistent.db" -- score --db /nonexistent.db
printf 'not a ledger' > "$ENSHU_STATE_DIR/plain.txt"
expect 1 "is not an Enshu event ledger|file is not a database" -- score --db "$ENSHU_STATE_DIR/plain.txt"
expect 0 "^Usage: enshu report --db FILE \[--format html\|pdf\|csv\|json\]" -- report --help
expect 2 "give the event ledger with --db FILE" -- report
expect 2 "--format must be html, pdf, csv or json, not 'doc'" -- report --db x.db --format doc
expect 1 "cannot read /nonexistent.db" -- report --db /nonexistent.db
expect 1 "is not an Enshu event ledger|file is not a database" -- report --db "$ENSHU_STATE_DIR/plain.txt"
expect 0 "^Usage: enshu serve" -- serve --help
expect 0 "^  --log stderr\|FILE\|syslog" -- run --help
expect 0 "^  --log-level LEVEL" -- run --help
expect 0 "\[--log stderr\|FILE\|syslog\] \[--log-level LEVEL\]" -- serve --help
expect 2 "--log-level is error, warning, notice, info or debug, not 'loud'" -- run x.yaml --teams 2 --log-level loud
expect 1 "cannot open the log file /nonexistent/enshu.log" -- serve x.yaml --teams 2 --log /nonexistent/enshu.log
# --log FILE: the range layer's message lands there with its time and level,
# and nothing on stderr.
checks=$((checks + 1))
scenario=$(dirname "$0")/../../scenarios/intro-office.yaml
out=$("$ENSHU" run "$scenario" --teams 2 --name 'bad name!' --log "$ENSHU_STATE_DIR/run.log" 2>&1)
status=$?
if [ "$status" != 1 ] || [ -n "$out" ] ||
  ! grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}[+-][0-9]{2}:[0-9]{2} error: enshu: 'bad name!' cannot name a range" \
    "$ENSHU_STATE_DIR/run.log"; then
  echo "FAIL: run --log FILE -> $status, output '$out', log:"; sed 's/^/    /' "$ENSHU_STATE_DIR/run.log"
  failures=$((failures + 1))
fi
expect 0 "^Usage: enshu passwd" -- passwd --help
expect 2 "expected FILE --teams N" -- serve
expect 2 "--listen takes HOST:PORT" -- run x.yaml --teams 2 --listen 8080
expect 2 "--cert and --key go together" -- run x.yaml --teams 2 --listen 127.0.0.1:0 --cert c.pem
expect 2 "need --listen" -- run x.yaml --teams 2 --wait
expect 2 "need --listen" -- run x.yaml --teams 2 --allow-origin https://range.example
expect 2 "--allow-origin takes an origin" -- serve x.yaml --teams 2 --allow-origin range.example
expect 2 "--allow-origin takes an origin" -- serve x.yaml --teams 2 --allow-origin https://range.example/x
expect 2 "unexpected argument '--now'" -- passwd --now
expect 1 "at least 8 characters" -- passwd </dev/null
# A password from standard input: only its hash is kept, readable by its owner alone.
checks=$((checks + 1))
if ! out=$(printf 'correct horse\n' | "$ENSHU" passwd 2>&1) || ! grep -q "is set" <<<"$out" ||
   [ "$(stat -c %a "$ENSHU_STATE_DIR/instructor.pwhash")" != 600 ] ||
   grep -q "correct horse" "$ENSHU_STATE_DIR/instructor.pwhash" ||
   ! grep -q '^\$argon2id\$' "$ENSHU_STATE_DIR/instructor.pwhash"; then
  echo "FAIL: enshu passwd did not keep an argon2id hash (0600) of the password: $out"
  failures=$((failures + 1))
fi
expect 0 "^instructor password: [a-z2-9]{16}$" -- passwd --generate
echo "$((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
