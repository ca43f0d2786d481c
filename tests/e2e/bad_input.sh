#!/usr/bin/env bash
# Bad input is reported where it is, never crashes, never prints raw bytes:
# invalid UTF-8 and NUL at their real line:column, UTF-16/32 refused by name, directory walks
# that fail name the path, duplicate keys found in huge mappings, untrusted values escaped and
# capped in warnings. Expected positions are counted by hand from the inputs written here.
set -u
bin=$(realpath "$1")
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $(printf '%s' "$2" | head -c 300 | cat -v)"; }
run() { "$bin" "$@" >out 2>err; rc=$?; }
want() { # NAME RC FILE TEXT
    if [ "$rc" = "$2" ] && grep -qF -- "$4" "$3"; then ok; else bad "$1 (exit $rc, want $2; '$4' in $3)" "$(cat "$3")"; fi
}

# Invalid UTF-8 at line 8, column 14; a NUL at line 4, column 10.
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: a\n    image: ng\xffinx\n' >utf8.yaml
run validate -f utf8.yaml
want "invalid UTF-8: validate" 1 out "utf8.yaml:8:14: error IS001 invalid leading UTF-8 octet"
run rewrite -f utf8.yaml --registry r.io
want "invalid UTF-8: rewrite" 2 err "(utf8.yaml:8:14)"
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\x00x\nspec:\n  containers:\n  - image: nginx\n' >nul.yaml
run validate -f nul.yaml
want "NUL: validate" 1 out "nul.yaml:4:10: error IS001 control characters are not allowed"
run images -f nul.yaml
want "NUL: images" 2 err "(nul.yaml:4:10)"

# UTF-16 and UTF-32, with and without a byte-order mark: refused by name, never passed through.
doc='apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx\n'
printf "$doc" | iconv -f UTF-8 -t UTF-16 >u16bom.yaml
printf "$doc" | iconv -f UTF-8 -t UTF-16LE >u16le.yaml
printf "$doc" | iconv -f UTF-8 -t UTF-16BE >u16be.yaml
printf "$doc" | iconv -f UTF-8 -t UTF-32 >u32bom.yaml
for f in u16bom:UTF-16LE u16le:UTF-16LE u16be:UTF-16BE u32bom:UTF-32LE; do
    name=${f%%:*} enc=${f#*:}
    run rewrite -f "$name.yaml" --registry r.io
    want "$name: rewrite refuses" 2 err "the file is $enc text; manifests must be UTF-8"
    [ -s out ] && bad "$name: rewrite printed something" "$(cat out)" || ok
    run images -f "$name.yaml"
    want "$name: images refuses" 2 err "($name.yaml:1:1)"
    run validate -f "$name.yaml"
    want "$name: validate reports it" 1 out "$name.yaml:1:1: error IS001 the file is $enc text"
done

# Directory walks that fail say where.
mkdir -p tree/a
cp "$(dirname "$0")/../../examples/app/deployment.yaml" tree/a/app.yaml 2>/dev/null ||
    printf 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - image: nginx\n' >tree/a/app.yaml
ln -s loop.yaml tree/a/loop.yaml
run images -f tree -R
want "symlink loop" 2 err "(tree/a/loop.yaml)"
grep -q "internal error" err && bad "symlink loop: internal error" "$(cat err)" || ok
rm tree/a/loop.yaml
mkdir -p tree/a/locked
touch tree/a/locked/x.yaml
chmod 000 tree/a/locked
if [ "$(id -u)" = 0 ]; then
    if command -v setpriv >/dev/null; then
        setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" images -f tree -R >out 2>err
        rc=$?
        want "unreadable folder (as nobody)" 2 err "cannot list directory: Permission denied (tree/a/locked)"
    else
        echo "skip: unreadable folder (root, no setpriv)"
    fi
else
    run images -f tree -R
    want "unreadable folder" 2 err "cannot list directory: Permission denied (tree/a/locked)"
fi
chmod 755 tree/a/locked

# A duplicate key at the end of a 50,000-key mapping is found, at its line.
python3 - <<'PY' >dup.yaml
print("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:")
for i in range(50000):
    print("  k%d: v" % i)
print("  k7: again")
PY
run validate -f dup.yaml
want "duplicate in a huge mapping" 1 out "dup.yaml:50006:3: error IS001 mapping key \"k7\" already defined"

# Untrusted values in warnings: escaped, and a 1 MB value is a short line.
printf 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: "\\e[31mred\\u0000\\u202e"\n' >esc.yaml
run rewrite -f esc.yaml --registry r.io
if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' err; then bad "escapes reached stderr" "$(cat err)"; else ok; fi
want "escapes shown as text" 0 err 'image "\e[31mred\x00\u202e" is not a valid reference'
python3 -c 'print("apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n    image: \"" + "x" * 1000000 + "$\"")' >huge.yaml
run rewrite -f huge.yaml --registry r.io
longest=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' err)
[ "$longest" -lt 5000 ] && ok || bad "a 1 MB value made a $longest-byte warning line"
want "huge value: says how long it was" 0 err "(1000001 bytes)"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
