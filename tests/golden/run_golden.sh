#!/bin/bash
# Golden tests for 'enshu validate'.
#
#   run_golden.sh ENSHU DIR NAME   one invalid case: 'enshu validate NAME.yaml',
#                                  run inside DIR, must exit 1 and print exactly
#                                  NAME.expected on stderr (a diff otherwise)
#   run_golden.sh --valid ENSHU DIR  every DIR/*.yaml must exit 0, printing nothing
#
# To (re)make an expected file after a deliberate change of a message:
#   cd scenarios/invalid && enshu validate NAME.yaml 2>NAME.expected
# then read it: each line must name the right problem at the right place.
set -u

if [ "${1:-}" = "--valid" ]; then
    enshu=$2 dir=$3
    cd "$dir" || exit 1
    shopt -s nullglob
    files=(*.yaml)
    if [ ${#files[@]} -eq 0 ]; then
        echo "no scenario in $dir"
        exit 1
    fi
    fail=0
    for f in "${files[@]}"; do
        out=$("$enshu" validate "$f" 2>&1)
        rc=$?
        if [ $rc -ne 0 ] || [ -n "$out" ]; then
            echo "$f: exit status $rc, expected 0 with no output:"
            echo "$out"
            fail=1
        fi
    done
    [ $fail -eq 0 ] && echo "${#files[@]} scenarios valid"
    exit $fail
fi

enshu=$1 dir=$2 name=$3
cd "$dir" || exit 1
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
"$enshu" validate "$name.yaml" >/dev/null 2>"$actual"
rc=$?
fail=0
if [ $rc -ne 1 ]; then
    echo "$name.yaml: exit status $rc, expected 1"
    fail=1
fi
if [ ! -f "$name.expected" ]; then
    echo "$name.expected is missing; enshu printed:"
    cat "$actual"
    fail=1
elif ! cmp -s "$name.expected" "$actual"; then
    echo "$name.yaml: diagnostics differ from $name.expected:"
    diff -u --label "$name.expected" --label "enshu validate $name.yaml" "$name.expected" "$actual"
    fail=1
fi
exit $fail
