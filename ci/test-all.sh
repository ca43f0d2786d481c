#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: dependencies, the dev build with
# warnings as errors (unit + e2e + kubectl oracle + corpus), the same tests under ASan+UBSan,
# the examples smoke test and lint (whitespace, clang-format, clang-tidy).
set -euo pipefail
cd "$(dirname "$0")/.."
ci/install-deps.sh
ci/build.sh dev
ci/build.sh asan
examples/smoke.sh build/kubectl-image_secure
ci/lint.sh build
echo "all tests passed"
