#!/usr/bin/env bash
# Prepares what the portable release build links, for each architecture given (default: amd64
# arm64), from Debian's archive only:
#   - the static archives of Debian 12's -dev packages (arm64: multiarch :arm64 packages and
#     crossbuild-essential-arm64; libyaml-cpp-dev is not Multi-Arch: same, so its arm64 .deb
#     is unpacked into .deps/arm64/sysroot instead of installed);
#   - a minimal static libcurl rebuilt from Debian's own curl source package: HTTP/HTTPS only,
#     OpenSSL, nghttp2, zlib, and c-ares so that libcurl never calls getaddrinfo (static glibc
#     crashes in NSS modules; ../shared/spec/portable-release.md). No CA path is compiled in:
#     the binary finds the system's CA bundle at run time (src/http/trust.cpp).
#
#   krew/deps.sh [amd64] [arm64]       results in .deps/<arch>/curl (CMake package CURL)
#
# Idempotent: a libcurl already built from the same source version is kept.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
deps=$root/.deps
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(amd64 arm64)
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive

multiarch() { case $1 in amd64) echo x86_64-linux-gnu ;; arm64) echo aarch64-linux-gnu ;; *) return 1 ;; esac; }

# The -dev packages whose static archives go into the binary (M-A: same ones for arm64).
libs=(libssl-dev libre2-dev libyaml-dev libc-ares-dev libnghttp2-dev zlib1g-dev libzstd-dev libsqlite3-dev)
host_tools=(build-essential cmake pkg-config dpkg-dev file binutils libyaml-cpp-dev libcli11-dev nlohmann-json3-dev)

need=()
refresh=0 # apt-get update needed (a new architecture)
for p in "${host_tools[@]}" "${libs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
for arch in "${archs[@]}"; do
    multiarch "$arch" >/dev/null || { echo "deps.sh: unknown architecture $arch (amd64, arm64)" >&2; exit 2; }
    [ "$arch" = "$(dpkg --print-architecture)" ] && continue
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        $SUDO dpkg --add-architecture "$arch"
        refresh=1
    fi
    for p in crossbuild-essential-"$arch" qemu-user-static; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
    done
    for p in "${libs[@]}"; do
        dpkg-query -W -f='${Status}' "$p:$arch" 2>/dev/null | grep -q "install ok installed" || need+=("$p:$arch")
    done
done
if [ ${#need[@]} -gt 0 ]; then
    echo "deps.sh: installing ${need[*]}" >&2
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
elif [ "$refresh" = 1 ]; then
    $SUDO apt-get update -qq
fi

# Debian's curl source package, through a private apt configuration (deb-src of the system's
# own suites) so the system's sources stay untouched.
src=$deps/src
mkdir -p "$src/apt/parts" "$src/apt/lists/partial" "$src/apt/cache/archives/partial"
for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] && sed 's/^Types: deb$/Types: deb-src/' "$f" >"$src/apt/parts/$(basename "$f")"
done
if [ -s /etc/apt/sources.list ]; then
    sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list >"$src/apt/parts/sources.list"
fi
apt_src=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$src/apt/parts"
         -o Dir::State::Lists="$src/apt/lists" -o Dir::Cache="$src/apt/cache" -o APT::Sandbox::User=root)
curl_dir=$(find "$src" -maxdepth 1 -type d -name 'curl-*' | sort -V | tail -1)
if [ -z "$curl_dir" ]; then
    apt-get "${apt_src[@]}" update -qq
    # A security suite's .dsc can lag behind its binaries: fall back to the release suite.
    (cd "$src" && { apt-get "${apt_src[@]}" source --download-only -qq curl \
                    || apt-get "${apt_src[@]}" source --download-only -qq curl/"$(. /etc/os-release; echo "$VERSION_CODENAME")"; })
    dsc=$(ls "$src"/curl_*.dsc | sort -V | tail -1)
    version=$(sed -n 's/^Version: //p' "$dsc")
    dpkg-source --no-check -x "$dsc" "$src/curl-$version" >/dev/null   # applies Debian's patches
    curl_dir=$src/curl-$version
fi
curl_version=${curl_dir##*/curl-}
# What the cached build is: the source version and how it was built (a change rebuilds it).
curl_stamp="$curl_version file-prefix-map"

for arch in "${archs[@]}"; do
    lib=/usr/lib/$(multiarch "$arch")
    out=$deps/$arch
    if [ -f "$out/curl/.source-version" ] && [ "$(cat "$out/curl/.source-version")" = "$curl_stamp" ]; then
        echo "deps.sh: $arch: libcurl $curl_version (static, c-ares) already in $out/curl" >&2
        continue
    fi
    cross=()
    if [ "$arch" != "$(dpkg --print-architecture)" ]; then
        cross=(-DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-$arch.cmake")
        # libyaml-cpp-dev cannot be installed for two architectures at once: unpack it.
        mkdir -p "$out/sysroot"
        if [ ! -f "$out/sysroot$lib/libyaml-cpp.a" ]; then
            (cd "$out" && apt-get download -qq "libyaml-cpp-dev:$arch" && dpkg-deb -x libyaml-cpp-dev_*_"$arch".deb sysroot && rm -f ./*.deb)
        fi
    fi
    rm -rf "$out/curl" "$out/curl-build"
    mkdir -p "$out"
    # -ffile-prefix-map: libcurl embeds two source paths (__FILE__); without it the release
    # binary depends on the checkout's directory and is not reproducible across machines.
    cmake -S "$curl_dir" -B "$out/curl-build" "${cross[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS="-ffile-prefix-map=$curl_dir=curl -ffile-prefix-map=$out/curl-build=curl-build" \
        -DCMAKE_INSTALL_PREFIX="$out/curl" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
        -DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
        -DHTTP_ONLY=ON -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON -DCURL_DISABLE_NETRC=ON \
        -DCURL_USE_OPENSSL=ON -DOPENSSL_USE_STATIC_LIBS=ON -DUSE_NGHTTP2=ON -DENABLE_ARES=ON \
        -DCARES_LIBRARY="$lib/libcares.a" -DNGHTTP2_LIBRARY="$lib/libnghttp2.a" -DZLIB_LIBRARY="$lib/libz.a" \
        -DUSE_LIBIDN2=OFF -DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_USE_GSSAPI=OFF \
        -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF \
        -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none -DCURL_CA_FALLBACK=ON >"$out/curl-configure.log" 2>&1 \
        || { tail -30 "$out/curl-configure.log" >&2; exit 1; }
    cmake --build "$out/curl-build" -j"$(nproc)" >"$out/curl-build.log" 2>&1 || { tail -30 "$out/curl-build.log" >&2; exit 1; }
    cmake --install "$out/curl-build" >/dev/null
    echo "$curl_stamp" >"$out/curl/.source-version"
    rm -rf "$out/curl-build"
    echo "deps.sh: $arch: built libcurl $curl_version (static, c-ares) into $out/curl" >&2
done
