#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: dependencies, the dev build with
# warnings as errors (unit + e2e + kubectl oracle + corpus), the same tests under ASan+UBSan,
# the examples smoke test, lint (whitespace, clang-format, clang-tidy), and the release: both
# static binaries built from Debian packages (krew/package.sh) and proven in Debian 11 and 13
# chroots (krew/prove.sh; root, as CI runs).
set -euo pipefail
cd "$(dirname "$0")/.."
ci/install-deps.sh
ci/build.sh dev
ci/build.sh asan
examples/smoke.sh build/kubectl-image_secure
ci/lint.sh build
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
krew/package.sh
$SUDO krew/prove.sh --report dist/prove.txt
echo "all tests passed"
