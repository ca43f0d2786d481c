#!/usr/bin/env bash
# Configure, build and test one preset: ci/build.sh dev|asan
set -euo pipefail
preset=${1:-dev}
cd "$(dirname "$0")/.."
cmake --preset "$preset" > /dev/null
cmake --build --preset "$preset" -j"$(nproc)"
ctest --preset "$preset" -j"$(nproc)"
