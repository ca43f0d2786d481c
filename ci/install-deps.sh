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
echo "dependencies installed"
