#!/usr/bin/env bash
# rewrite --in-place keeps each changed file's mode, leaves unchanged files untouched
# (same inode and mtime), and writes nothing at all when any input is malformed.
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
printf 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx\n' > app.yaml
printf 'apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n' > cm.yaml
chmod 640 app.yaml
touch -d '2020-01-01' cm.yaml
inode_before=$(stat -c %i cm.yaml)
fail=0
"$bin" rewrite -f . --registry r.io --in-place 2>/dev/null || { echo "rewrite failed"; fail=1; }
[ "$(stat -c %a app.yaml)" = 640 ] || { echo "mode not kept: $(stat -c %a app.yaml)"; fail=1; }
grep -q 'image: r.io/library/nginx' app.yaml || { echo "not rewritten"; fail=1; }
[ "$(stat -c %i cm.yaml)" = "$inode_before" ] || { echo "unchanged file replaced"; fail=1; }
[ "$(stat -c %Y cm.yaml)" = "$(date -d 2020-01-01 +%s)" ] || { echo "unchanged file touched"; fail=1; }
ls -a | grep -q 'image-secure-' && { echo "temporary file left behind"; fail=1; }
printf 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: redis\n' > b.yaml
printf 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: [x\n' > c.yaml
cp b.yaml b.orig
"$bin" rewrite -f b.yaml -f c.yaml --registry r.io --in-place 2>/dev/null && { echo "malformed input accepted"; fail=1; }
cmp -s b.yaml b.orig || { echo "a file was written although another input was malformed"; fail=1; }
[ "$fail" = 0 ] && echo "in-place: ok"
exit $fail
