#!/usr/bin/env bash
# Round trip over ../shared/corpus/real: rewrite changes exactly the image lines and inserts one
# two-line imagePullSecrets block per pod spec (spec/rewrite.md: 55 images, 40 pod specs there),
# and rewriting the output again changes nothing.
set -u
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
corpus=${IMAGE_SECURE_CORPUS:-$here/../../../shared/corpus/real}
[ -d "$corpus" ] || { echo "corpus not found at $corpus: skipped"; exit 77; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
removed=0 added=0 fail=0
for f in "$corpus"/*.yaml; do
    "$bin" rewrite -f "$f" --registry private.example.com/mirror --pull-secret regcred > "$tmp/out" 2> "$tmp/err" || { echo "FAIL $f: $(cat "$tmp/err")"; fail=1; continue; }
    "$bin" rewrite -f "$tmp/out" --registry private.example.com/mirror --pull-secret regcred 2>/dev/null | cmp -s - "$tmp/out" || { echo "not idempotent: $f"; fail=1; }
    diff "$f" "$tmp/out" > "$tmp/diff"
    # Every removed line holds an image; every added line holds the new image or a pull-secret line.
    if grep '^<' "$tmp/diff" | grep -v -E '^< +(- )?image: ' | grep -q .; then echo "non-image line removed in $f"; fail=1; fi
    if grep '^>' "$tmp/diff" | grep -v -E '^> +((- )?image: "?private\.example\.com/mirror/|imagePullSecrets:$|- name: regcred$)' | grep -q .; then
        echo "unexpected added line in $f:"; grep '^>' "$tmp/diff" | head -5; fail=1
    fi
    removed=$((removed + $(grep -c '^<' "$tmp/diff")))
    added=$((added + $(grep -c '^>' "$tmp/diff")))
done
blocks=$(( (added - removed) / 2 ))
echo "image lines changed: $removed (want 55), pull-secret blocks inserted: $blocks (want 40)"
[ "$removed" = 55 ] && [ "$blocks" = 40 ] && [ "$fail" = 0 ]
