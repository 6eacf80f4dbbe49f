#!/bin/bash
# The after-action report of a big exercise: 40 teams, EVENTS events
# (default 100,000: answers, 600-byte reports, grades, instructor notes)
# over an hour of tests/golden/report/report-fixture.yaml, written by
# make_ledger; then 'enshu report' in each format, timed, with its size and
# peak memory, beside 'enshu score' on the same ledger.
#
#   tests/bench/bench_report.sh BUILD_DIR [EVENTS]
set -euo pipefail
build=${1:?give the build folder}
events=${2:-100000}
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/enshu-bench-report-XXXXXX")
trap 'rm -rf "$work"' EXIT
sed 's/teams: {min: 1, max: 10}/teams: {min: 1, max: 40}/' \
    "$top/tests/golden/report/report-fixture.yaml" >"$work/big.yaml"
awk -v n="$events" 'function at(ms) { s = int(ms / 1000); return sprintf("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) }
BEGIN {
    srand(1)
    print "{\"at\": \"0:00:00\", \"team\": 0, \"kind\": \"exercise.state\", \"text\": \"running\"}"
    for (t = 1; t <= 40; t++) {
        printf "{\"at\": \"0:01:00\", \"team\": %d, \"kind\": \"inject.fired\", \"subject\": \"alert\"}\n", t
        printf "{\"at\": \"0:11:00\", \"team\": %d, \"kind\": \"inject.fired\", \"subject\": \"leak\"}\n", t
    }
    text = ""
    for (i = 0; i < 50; i++) text = text "report text "
    for (i = 0; i < n; i++) {
        ms = 660000 + int(i * (3600000 - 660000) / n)
        t = 1 + int(rand() * 40); m = 1 + int(rand() * 6); k = rand()
        if (k < 0.6)
            printf "{\"at\": \"%s\", \"team\": %d, \"kind\": \"answer\", \"subject\": \"%s\", \"text\": \"%s\", \"actor\": \"m%d\"}\n", at(ms), t, rand() < 0.5 ? "attacker" : "leaked", rand() < 0.1 ? "115" : "x", m
        else if (k < 0.75)
            printf "{\"at\": \"%s\", \"team\": %d, \"kind\": \"report\", \"subject\": \"first-report\", \"text\": \"%s\", \"actor\": \"m%d\"}\n", at(ms), t, text, m
        else if (k < 0.85)
            printf "{\"at\": \"%s\", \"team\": %d, \"kind\": \"grade\", \"subject\": \"first-report\", \"value\": %d, \"text\": \"%d\", \"actor\": \"instructor\"}\n", at(ms), t, int(rand() * 10), int(rand() * 2)
        else
            printf "{\"at\": \"%s\", \"team\": %d, \"kind\": \"instructor\", \"subject\": \"broadcast\", \"text\": \"note\"}\n", at(ms), t
    }
    print "{\"at\": \"1:00:00\", \"team\": 0, \"kind\": \"exercise.state\", \"text\": \"ended\"}"
}' >"$work/events.jsonl"
# The ledger on tmpfs when there is one: make_ledger syncs every append.
db=$work/events.db
[ -d /dev/shm ] && db=$(mktemp -u /dev/shm/enshu-bench-report-XXXXXX.db) && trap 'rm -rf "$work" "$db" "$db"-*' EXIT
"$build/tests/golden/make_ledger" "$work/big.yaml" "$work/events.jsonl" 40 "$db"
echo "ledger: $(grep -c . "$work/events.jsonl") events, 40 teams"
/usr/bin/time -f "score --json: %e s, peak RSS %M KiB" "$build/enshu" score --db "$db" --json >/dev/null
for f in csv html json; do
    /usr/bin/time -f "report --format $f: %e s, peak RSS %M KiB" "$build/enshu" report --db "$db" --format "$f" --out "$work/out.$f"
    echo "  $(stat -c %s "$work/out.$f") bytes"
done
/usr/bin/time -f "report --format html --team 1: %e s" "$build/enshu" report --db "$db" --team 1 --out "$work/one.html"
echo "  $(stat -c %s "$work/one.html") bytes"
