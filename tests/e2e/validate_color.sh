#!/usr/bin/env bash
# validate colours the severity only on a terminal, and never with NO_COLOR set.
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: nginx}\n' > "$tmp/app.yaml"
command -v script > /dev/null || { echo "script(1) not installed: skipped"; exit 77; }
fail=0
script -qec "$bin validate -f $tmp/app.yaml" /dev/null > "$tmp/tty.out"
grep -q $'\033\[33mwarning\033\[0m' "$tmp/tty.out" || { echo "no colour on a terminal"; fail=1; }
NO_COLOR=1 script -qec "$bin validate -f $tmp/app.yaml" /dev/null > "$tmp/nocolor.out"
grep -q $'\033' "$tmp/nocolor.out" && { echo "colour despite NO_COLOR"; fail=1; }
"$bin" validate -f "$tmp/app.yaml" > "$tmp/pipe.out"
grep -q $'\033' "$tmp/pipe.out" && { echo "colour on a pipe"; fail=1; }
[ "$fail" = 0 ] && echo "validate colour: ok"
exit $fail
