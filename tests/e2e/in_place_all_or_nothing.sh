#!/usr/bin/env bash
# rewrite --in-place replaces every file or none: a directory where nothing can be created, a
# file whose rename fails (rolled back), a file changed by another process during the run,
# symlinks written through, and temporary files of a killed run cleaned up.
# Immutable files need chattr (root) or read-only modes (non-root).
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d)
cleanup() { chattr -R -i "$tmp" 2>/dev/null; chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
pod() { printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  containers:\n  - image: %s\n' "$1" "$2"; }
lock() { # PATH: make it impossible to change (or to create files in, for a directory)
    if [ "$(id -u)" = 0 ]; then chattr +i "$1" 2>/dev/null; else chmod a-w "$1"; fi
}
unlock() { if [ "$(id -u)" = 0 ]; then chattr -i "$1" 2>/dev/null; else chmod u+w "$1"; fi; }
can_lock() { mkdir -p probe && lock probe && ! touch probe/x 2>/dev/null; local r=$?; unlock probe; rm -rf probe; return $r; }

if can_lock; then
    # 1. A later file's directory refuses new files: nothing at all is written.
    mkdir -p a b
    pod a nginx >a/a.yaml
    pod b redis >b/b.yaml
    cp a/a.yaml a.orig
    cp b/b.yaml b.orig
    lock b
    "$bin" rewrite -f a -f b --registry r.io --in-place 2>err && bad "1: an unwritable directory was not an error"
    unlock b
    cmp -s a/a.yaml a.orig && ok || bad "1: the first file was replaced although the second could not be"
    cmp -s b/b.yaml b.orig && ok || bad "1: the second file changed"
    grep -q "no file was changed" err && ok || bad "1: the error does not say nothing changed: $(cat err)"
    grep -q "rewrote" err && bad "1: the summary claims files it did not write" || ok
    ls -a a b | grep -q 'image-secure-' && bad "1: temporary files left behind" || ok

    # 2. The second rename fails (the file itself is immutable): the first is put back.
    mkdir -p r
    pod one nginx >r/1.yaml
    pod two redis >r/2.yaml
    cp r/1.yaml one.orig
    lock r/2.yaml
    "$bin" rewrite -f r --registry r.io --in-place 2>err && bad "2: a failed rename was not an error"
    unlock r/2.yaml
    cmp -s r/1.yaml one.orig && ok || bad "2: the first file was not rolled back"
    grep -q "were restored" err && ok || bad "2: the error does not say what was restored: $(cat err)"
    ls -a r | grep -q 'image-secure-' && bad "2: temporary files left behind" || ok
else
    echo "skip: cannot make files immutable here (checks 1-2)"
fi

# 3. Another process changes a file while the run is under way: refused, its edit kept.
# The run holds before replacing until the gate file is gone; the edit lands once its
# temporary file exists (the file was read), so nothing here depends on timing.
pod c nginx >c.yaml
touch gate
IMAGE_SECURE_TEST_PAUSE_BEFORE_REPLACE="$tmp/gate" "$bin" rewrite -f c.yaml --registry r.io --in-place 2>err &
pid=$!
for _ in $(seq 600); do
    compgen -G 'c.yaml.image-secure-*' >/dev/null && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
printf '# edited meanwhile\n' >>c.yaml
rm -f gate
wait $pid && bad "3: a file changed during the run was overwritten"
grep -q '# edited meanwhile' c.yaml && ok || bad "3: the other process's edit was lost"
grep -q 'changed after it was read' err && ok || bad "3: the error does not say why: $(cat err)"
grep -q 'r.io/' c.yaml && bad "3: the stale rewrite was written" || ok

# 4. Symlinks stay symlinks; their targets are rewritten.
mkdir -p real links
pod s nginx >real/s.yaml
ln -s ../real/s.yaml links/s.yaml
"$bin" rewrite -f links --registry r.io --in-place 2>/dev/null || bad "4: rewrite through a symlink failed"
[ -L links/s.yaml ] && ok || bad "4: the symlink was replaced by a regular file"
grep -q 'image: r.io/library/nginx' real/s.yaml && ok || bad "4: the symlink's target was not rewritten"

# 5. Temporary files of a killed run are removed by the next run; a live run's are not.
mkdir -p k
pod k nginx >k/k.yaml
printf 'junk' >k/k.yaml.image-secure-AbC123
touch -d '1 hour ago' k/k.yaml.image-secure-AbC123
printf 'junk' >k/k.yaml.image-secure-999999999-xYz789
printf 'junk' >"k/k.yaml.image-secure-$$-live00"
"$bin" rewrite -f k/k.yaml --registry r.io --in-place 2>/dev/null || bad "5: rewrite failed"
[ -e k/k.yaml.image-secure-AbC123 ] && bad "5: an old-style stale temporary file was left" || ok
[ -e k/k.yaml.image-secure-999999999-xYz789 ] && bad "5: a dead run's temporary file was left" || ok
[ -e "k/k.yaml.image-secure-$$-live00" ] && ok || bad "5: a live process's temporary file was removed"

# 6. The same file twice (a path and a symlink to it) is refused, nothing written.
mkdir -p d
pod d nginx >d/d.yaml
ln -s d.yaml d/alias.yaml
cp d/d.yaml d.orig
"$bin" rewrite -f d --registry r.io --in-place 2>err && bad "6: the same file twice was accepted"
cmp -s d/d.yaml d.orig && ok || bad "6: a file was written"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
