#!/usr/bin/env bash
# Whitespace checks (trailing blanks, CRLF, missing final newline) on tracked source files.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
while IFS= read -r f; do
    [ -f "$f" ] || continue
    if grep -q $'\r' "$f"; then echo "CRLF: $f"; fail=1; fi
    if grep -n -E '[[:space:]]+$' "$f" >/dev/null; then echo "trailing whitespace: $f"; grep -n -E '[[:space:]]+$' "$f" | head -3; fail=1; fi
    if [ -s "$f" ] && [ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then echo "no final newline: $f"; fail=1; fi
done < <(git ls-files 'src/*' 'include/*' 'tests/unit/*' 'tests/fuzz/*.cpp' '*.sh' 'CMakeLists.txt' 'cmake/*')
[ "$fail" = 0 ] && echo "lint: ok"
exit $fail
