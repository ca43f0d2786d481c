#!/usr/bin/env bash
# Style and static checks on tracked sources; exits non-zero on any finding.
#   1. whitespace (trailing blanks, CRLF, missing final newline) on sources, scripts, CMake
#   2. clang-format: zero deviations from .clang-format on every C++ file
#   3. clang-tidy: the checks of .clang-tidy on every src/ file, when BUILD (default build/)
#      has compile_commands.json (ci/test-all.sh builds it first)
#   ci/lint.sh [BUILD]        LINT_SKIP_TIDY=1 skips step 3
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
fail=0
while IFS= read -r f; do
    [ -f "$f" ] || continue
    if grep -q $'\r' "$f"; then echo "CRLF: $f"; fail=1; fi
    if grep -n -E '[[:space:]]+$' "$f" >/dev/null; then echo "trailing whitespace: $f"; grep -n -E '[[:space:]]+$' "$f" | head -3; fail=1; fi
    if [ -s "$f" ] && [ "$(tail -c1 "$f" | od -An -c | tr -d ' ')" != '\n' ]; then echo "no final newline: $f"; fail=1; fi
done < <(git ls-files 'src/*' 'include/*' 'tests/unit/*' 'tests/fuzz/*.cpp' '*.sh' 'CMakeLists.txt' 'cmake/*')

mapfile -t cxx < <(git ls-files '*.cpp' '*.hpp')
if ! clang-format --dry-run -Werror "${cxx[@]}" 2>/tmp/lint-format.$$; then
    echo "clang-format: $(grep -c 'error:' /tmp/lint-format.$$ || true) deviations (fix: clang-format -i \$(git ls-files '*.cpp' '*.hpp'))"
    grep 'error:' /tmp/lint-format.$$ | head -10
    fail=1
fi
rm -f /tmp/lint-format.$$

if [ "${LINT_SKIP_TIDY:-0}" != 1 ]; then
    if [ -f "$build/compile_commands.json" ]; then
        mapfile -t sources < <(git ls-files 'src/*.cpp')
        # -w: compiler warnings are the build's business (-Werror there); tidy reports its checks.
        if ! printf '%s\n' "${sources[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$build" --quiet --extra-arg=-w \
            >/tmp/lint-tidy.$$ 2>&1; then
            grep -E 'error:|warning:' /tmp/lint-tidy.$$ | head -20
            echo "clang-tidy: findings (see above)"
            fail=1
        fi
        rm -f /tmp/lint-tidy.$$
    else
        echo "clang-tidy: skipped ($build/compile_commands.json not found: build first)"
    fi
fi
[ "$fail" = 0 ] && echo "lint: ok"
exit $fail
