#!/bin/bash
# Golden tests for 'enshu report'.
#
#   run_report.sh ENSHU MAKE_LEDGER DIR FORMAT
#
# Builds the ledger of DIR/report-fixture.yaml from DIR/events.jsonl (three
# teams), then: html, csv, json: 'enshu report --format FORMAT --roster
# DIR/roster.csv' must print
# exactly DIR/expected.FORMAT, and with --team 2 exactly the team's part
# (DIR/expected-team2.FORMAT, when there is one); pdf: the file written
# must start with %PDF (exit 77, skipped, when Chromium is missing).
#
# To (re)make the expected files after a deliberate change, run with
# REPORT_GOLDEN_UPDATE=1, then read the diff.
set -u
enshu=$1 make_ledger=$2 dir=$3 format=$4
work=$(mktemp -d /tmp/enshu-report-golden-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$make_ledger" "$dir/report-fixture.yaml" "$dir/events.jsonl" 3 "$work/events.db" || exit 1

if [ "$format" = pdf ]; then
    if [ -z "${ENSHU_CHROMIUM:-}" ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
        echo "SKIP: no chromium on PATH: --format pdf cannot be checked here"
        ENSHU_CHROMIUM=/nonexistent/chromium "$enshu" report --db "$work/events.db" --format pdf \
            --out "$work/report.pdf" 2>"$work/err"
        [ $? -eq 1 ] && grep -q "there is none: install Debian's chromium package" "$work/err" || {
            echo "FAIL: without Chromium: $(cat "$work/err")"; exit 1; }
        exit 77
    fi
    "$enshu" report --db "$work/events.db" --format pdf --out "$work/report.pdf" || exit 1
    head -c 4 "$work/report.pdf" | grep -q '^%PDF' || { echo "FAIL: not a PDF: $(head -c 40 "$work/report.pdf" | od -c | head -2)"; exit 1; }
    # Without Chromium: a clear error, no file.
    ENSHU_CHROMIUM=/nonexistent/chromium "$enshu" report --db "$work/events.db" --format pdf \
        --out "$work/none.pdf" 2>"$work/err"
    rc=$?
    [ $rc -eq 1 ] || { echo "FAIL: without Chromium exit $rc"; exit 1; }
    grep -q "there is none: install Debian's chromium package" "$work/err" || { echo "FAIL: without Chromium: $(cat "$work/err")"; exit 1; }
    [ -e "$work/none.pdf" ] && { echo "FAIL: a PDF was written without Chromium"; exit 1; }
    echo "PDF of $(stat -c %s "$work/report.pdf") bytes"
    exit 0
fi

fail=0
check() { # EXPECTED ARGS...
    local expected=$1; shift
    "$enshu" report --db "$work/events.db" --format "$format" --roster "$dir/roster.csv" "$@" >"$work/actual" || { echo "FAIL: enshu report $* exited $?"; fail=1; return; }
    if [ -n "${REPORT_GOLDEN_UPDATE:-}" ]; then
        cp "$work/actual" "$expected"
    elif ! cmp -s "$expected" "$work/actual"; then
        echo "FAIL: enshu report --format $format $* differs from $expected:"
        diff -u --label "$expected" --label "enshu report" "$expected" "$work/actual" | head -60
        fail=1
    fi
}
check "$dir/expected.$format"
check "$dir/expected-team2.$format" --team 2
# --out writes the same as standard output.
"$enshu" report --db "$work/events.db" --format "$format" --roster "$dir/roster.csv" --out "$work/out" || fail=1
cmp -s "$work/out" "$dir/expected.$format" || { echo "FAIL: --out differs"; fail=1; }
# A team the exercise does not have: refused, saying so.
err=$("$enshu" report --db "$work/events.db" --format "$format" --team 9 2>&1 >/dev/null)
rc=$?
{ [ $rc -eq 1 ] && grep -q "the exercise has 3 teams: there is no team 9" <<<"$err"; } || { echo "FAIL: --team 9: exit $rc: $err"; fail=1; }
[ $fail -eq 0 ] && echo "enshu report --format $format: as expected"
exit $fail
