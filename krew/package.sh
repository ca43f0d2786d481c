#!/usr/bin/env bash
# Builds the krew release: one archive per platform of plugin.yaml (linux/amd64, linux/arm64),
# SHA256SUMS, and dist/image-secure.yaml (plugin.yaml with the real checksums), plus
# dist/runtime.txt: what each binary needs at run time (nothing: static-PIE).
#
#   krew/package.sh                       build both here from Debian packages and package them:
#                                         krew/deps.sh (static libs, libcurl from Debian's source,
#                                         the arm64 cross toolchain), presets release and
#                                         release-arm64 (static-PIE)
#   krew/package.sh --bin OS/ARCH=PATH... package binaries built elsewhere
#   krew/package.sh --partial ...         allow platforms to be missing (their entries are dropped)
#
# Archives are reproducible: flat, sorted, owner 0:0, mtime SOURCE_DATE_EPOCH (default: the
# last commit's time), gzip -n; the build maps source paths away (-ffile-prefix-map). Fails
# when plugin.yaml's version differs from CMake's, when a binary is for another architecture
# or reports another version, or when a placeholder checksum would remain. krew/prove.sh then
# proves the binaries in old and new userlands.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
dist=${DIST_DIR:-$root/dist}
partial=0
declare -A bins=()
while [ $# -gt 0 ]; do
    case $1 in
        --bin) bins[${2%%=*}]=${2#*=}; shift 2 ;;
        --partial) partial=1; shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "package.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
version=v$(sed -n 's/^project(kubectl-image-secure VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
manifest_version=$(python3 -c 'import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))["spec"]["version"])' plugin.yaml)
[ "$version" = "$manifest_version" ] || { echo "package.sh: plugin.yaml says $manifest_version, CMake says $version" >&2; exit 1; }
# The platforms a release has: exactly those plugin.yaml lists.
mapfile -t platforms < <(python3 -c 'import yaml,sys
for p in yaml.safe_load(open(sys.argv[1]))["spec"]["platforms"]:
    print("%(os)s/%(arch)s" % p["selector"]["matchLabels"])' plugin.yaml)
if [ ${#bins[@]} -eq 0 ]; then
    "$root/krew/deps.sh" amd64 arm64
    for preset in release release-arm64; do
        echo "package.sh: building $preset" >&2
        cmake --preset $preset >/dev/null
        log=$(mktemp)
        cmake --build --preset $preset -j"$(nproc)" >"$log" 2>&1 || { tail -30 "$log" >&2; rm -f "$log"; exit 1; }
        rm -f "$log"
    done
    bins[linux/amd64]=$root/build-release/kubectl-image_secure
    bins[linux/arm64]=$root/build-release-arm64/kubectl-image_secure
fi
machine() { readelf -h "$1" 2>/dev/null | sed -n 's/^ *Machine: *//p'; }
strip_to() { # BIN OUT: strip with the binutils of the binary's architecture (else copy: Mach-O)
    local tool=strip
    [ "$(machine "$1")" = AArch64 ] && [ "$(uname -m)" != aarch64 ] && tool=aarch64-linux-gnu-strip
    "$tool" -o "$2" "$1" 2>/dev/null || cp "$1" "$2"
}
run_native() { # PLATFORM BIN ARGS...: run a binary of that platform here, if this machine can
    local platform=$1 bin=$2
    shift 2
    case "$platform/$(uname -m)" in
        linux/amd64/x86_64|linux/arm64/aarch64) "$bin" "$@" ;;
        linux/arm64/*) command -v qemu-aarch64-static >/dev/null && qemu-aarch64-static "$bin" "$@" ;;
        *) return 99 ;;
    esac
}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
rm -rf "$dist"
mkdir -p "$dist"
: >"$dist/SHA256SUMS"
for platform in "${platforms[@]}"; do
    bin=${bins[$platform]:-}
    if [ -z "$bin" ]; then
        [ "$partial" = 1 ] || { echo "package.sh: no binary for $platform (--bin $platform=PATH, or --partial)" >&2; exit 1; }
        continue
    fi
    [ -x "$bin" ] || { echo "package.sh: $bin is not an executable" >&2; exit 1; }
    case $platform in
        linux/amd64) want="Advanced Micro Devices X86-64" ;;
        linux/arm64) want="AArch64" ;;
        *) want="" ;;
    esac
    if [ -n "$want" ] && [ "$(machine "$bin")" != "$want" ]; then
        echo "package.sh: $bin is not a $platform binary (ELF machine: $(machine "$bin" || true))" >&2; exit 1
    fi
    got=$(run_native "$platform" "$bin" --version) && [ "$got" != "kubectl-image_secure ${version#v}" ] \
        && { echo "package.sh: $bin says '$got', want ${version#v}" >&2; exit 1; }
    name=kubectl-image_secure_${version}_${platform%/*}_${platform#*/}.tar.gz
    stage=$(mktemp -d)
    # Strip ELF binaries (debug info is most of a RelWithDebInfo build); others go in as they are.
    strip_to "$bin" "$stage/kubectl-image_secure"
    chmod 0755 "$stage/kubectl-image_secure"
    install -m 0644 LICENSE README.md "$stage/"
    touch -d "@$SOURCE_DATE_EPOCH" "$stage"/*
    tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" \
        -cf - kubectl-image_secure LICENSE README.md | gzip -n -9 >"$dist/$name"
    rm -rf "$stage"
    listing=$(tar -tzf "$dist/$name")
    grep -qx LICENSE <<<"$listing" || { echo "package.sh: $name has no LICENSE" >&2; exit 1; }
    (cd "$dist" && sha256sum "$name" >>SHA256SUMS)
done
python3 - "$dist" <<'PY'
import re, sys, yaml
dist = sys.argv[1]
sums = {}
for line in open(dist + "/SHA256SUMS"):
    digest, name = line.split()
    sums[name] = digest
text = open("plugin.yaml").read()
text = text[text.index("apiVersion:"):]          # the comment header is for this repository only
head, platforms = text.split("  platforms:\n", 1)
blocks = re.split(r"(?m)^(?=  - selector:)", platforms)
out, kept = head + "  platforms:\n", 0
for block in blocks:
    if not block.strip():
        continue
    name = re.search(r"(?m)^    uri: \S+/([^/\s]+)$", block).group(1)
    if name not in sums:
        continue                                   # --partial: this platform was not built
    block = re.sub(r'(?m)^    sha256: "[0-9a-f]*"$', '    sha256: "%s"' % sums[name], block)
    out += block
    kept += 1
doc = yaml.safe_load(out)
assert len(doc["spec"]["platforms"]) == kept
for p in doc["spec"]["platforms"]:
    assert re.fullmatch(r"[a-f0-9]{64}", p["sha256"]) and p["sha256"] != "0" * 64, p
open(dist + "/image-secure.yaml", "w").write(out)
print("wrote %s/image-secure.yaml (%d platforms)" % (dist, kept))
PY
or_none() { local v; v=$(cat); echo "${v:-none}"; }
{
    for platform in "${platforms[@]}"; do
        bin=${bins[$platform]:-}
        [ -n "$bin" ] || continue
        echo "# $platform: $(basename "$bin") $version, $(stat -c %s "$bin") bytes ($(strip_to "$bin" "$dist/.stripped" && stat -c %s "$dist/.stripped"; rm -f "$dist/.stripped") stripped)"
        echo "file:         $(file -b "$bin" | cut -d, -f1-4)"
        echo "NEEDED:       $(readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | paste -sd' ' | or_none)"
        echo "interpreter:  $(readelf -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p' | or_none)"
        echo "glibc floor:  $(readelf -V "$bin" | grep -o 'GLIBC_2[0-9.]*' | sort -uV | tail -1 | or_none)"
        echo "--version:    $(run_native "$platform" "$bin" --version 2>&1 || echo "(not run here)")"
    done
} >"$dist/runtime.txt"
cat "$dist/runtime.txt"
cat "$dist/SHA256SUMS"
