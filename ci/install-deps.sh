#!/usr/bin/env bash
# The one list of packages the project needs on Debian 12 (build, tests, benchmarks).
set -euo pipefail
packages=(
    build-essential cmake pkg-config clang clang-format clang-tidy valgrind
    libcli11-dev libyaml-cpp-dev nlohmann-json3-dev doctest-dev
    libcurl4-openssl-dev libssl-dev libre2-dev libyaml-dev
    zlib1g-dev libzstd-dev libsqlite3-dev
    python3 python3-yaml hyperfine
    docker-registry skopeo apache2-utils openssl curl
    zstd rpm strace tar gzip
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
# The admission test's independent CEL evaluator (@bufbuild/cel) and YAML reader, from the npm
# registry, pinned by tests/admission/package-lock.json. Node.js from Debian when absent.
if ! command -v npm >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm
fi
root=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$root/tests/admission/node_modules/@bufbuild/cel" ]; then
    npm ci --prefix "$root/tests/admission" --no-audit --no-fund --loglevel=error
fi
echo "dependencies installed"
