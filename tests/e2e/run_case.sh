#!/usr/bin/env bash
# Runs one golden case directory against the real binary.
# A case holds: args (one argument per line; printf %b escapes such as \n \t \xHH are decoded),
# optional stdin, input files, and expected/{stdout,stderr,exit_code,files/}. A missing
# expected/stdout means empty output, a missing exit_code means 0, a missing stderr is not
# compared. An `idempotent` marker feeds stdout back through the same args (with stdin) and
# requires identical bytes. UPDATE_GOLDEN=1 rewrites expected/ (review with git diff).
set -u
bin=$(realpath "$1")
case_dir=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$case_dir"/. "$work"/
rm -rf "$work/expected"
cd "$work" || exit 2
args=()
if [ -f "$case_dir/args" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
        args+=("$(printf '%b' "$line"; printf x)")
        args[-1]=${args[-1]%x}
    done < "$case_dir/args"
fi
stdin_file=/dev/null
[ -f "$case_dir/stdin" ] && stdin_file="$case_dir/stdin"
# Goldens recorded from a kubectl (a KUBECTL_VERSION file beside the cases) are compared with
# what we print for that kubectl version.
if [ -f "$case_dir/../KUBECTL_VERSION" ]; then
    IMAGE_SECURE_KUBECTL_VERSION=$(grep -o 'v1\.[0-9]*' "$case_dir/../KUBECTL_VERSION" | head -1 | tr -d v)
    export IMAGE_SECURE_KUBECTL_VERSION
fi
"$bin" "${args[@]}" < "$stdin_file" > "$work/.stdout" 2> "$work/.stderr"
rc=$?
exp="$case_dir/expected"
if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    mkdir -p "$exp"
    cp "$work/.stdout" "$exp/stdout"
    [ -s "$exp/stdout" ] || rm -f "$exp/stdout"
    if [ "$rc" != 0 ]; then echo "$rc" > "$exp/exit_code"; else rm -f "$exp/exit_code"; fi
    echo "updated $case_dir"
    exit 0
fi
fail=0
want_rc=0
[ -f "$exp/exit_code" ] && want_rc=$(cat "$exp/exit_code")
if [ "$rc" != "$want_rc" ]; then
    echo "exit code: got $rc, want $want_rc"; fail=1
fi
want_out=/dev/null
[ -f "$exp/stdout" ] && want_out="$exp/stdout"
if ! cmp -s "$work/.stdout" "$want_out"; then
    echo "stdout differs:"; diff -u "$want_out" "$work/.stdout" | head -60; fail=1
fi
if [ -f "$exp/stderr" ] && ! cmp -s "$work/.stderr" "$exp/stderr"; then
    echo "stderr differs:"; diff -u "$exp/stderr" "$work/.stderr" | head -30; fail=1
fi
if [ -d "$exp/files" ]; then
    if ! diff -r "$exp/files" <(true) >/dev/null 2>&1; then :; fi
    for f in $(cd "$exp/files" && find . -type f); do
        if ! cmp -s "$exp/files/$f" "$work/$f"; then
            echo "file $f differs:"; diff -u "$exp/files/$f" "$work/$f" | head -40; fail=1
        fi
    done
fi
if [ -f "$case_dir/idempotent" ] && [ "$rc" = 0 ]; then
    "$bin" "${args[@]}" < "$stdin_file" > /dev/null 2>&1
    first="$work/.stdout"
    # Feed the output back in place of the first input file (or stdin).
    if [ -f "$case_dir/stdin" ]; then
        "$bin" "${args[@]}" < "$first" > "$work/.stdout2" 2>/dev/null
    else
        input=$(sed -n 's/^input=//p' "$case_dir/idempotent")
        cp "$first" "$work/$input"
        "$bin" "${args[@]}" > "$work/.stdout2" 2>/dev/null
    fi
    if ! cmp -s "$first" "$work/.stdout2"; then
        echo "not idempotent:"; diff -u "$first" "$work/.stdout2" | head -40; fail=1
    fi
fi
if [ "$fail" != 0 ]; then
    echo "args: ${args[*]}"
    echo "stderr: $(head -c 2000 "$work/.stderr")"
fi
exit $fail
