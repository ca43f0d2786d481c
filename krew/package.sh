#!/usr/bin/env bash
# Builds the krew release: one archive per os/arch, SHA256SUMS, and dist/image-secure.yaml
# (plugin.yaml with the real checksums), plus a report of what the linux binary links
# dynamically.
#
#   krew/package.sh                       build linux/amd64 here (release preset) and package it
#   krew/package.sh --bin OS/ARCH=PATH... package binaries built elsewhere (CI matrix, macOS)
#   krew/package.sh --partial ...         allow platforms to be missing (their entries are dropped)
#
# Archives are reproducible: flat, sorted, owner 0:0, mtime SOURCE_DATE_EPOCH (default: the
# last commit's time), gzip -n. Fails when plugin.yaml's version differs from CMake's, when a
# binary reports another version, or when a placeholder checksum would remain.
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
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "package.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
version=v$(sed -n 's/^project(kubectl-image-secure VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
manifest_version=$(python3 -c 'import yaml,sys; print(yaml.safe_load(open(sys.argv[1]))["spec"]["version"])' plugin.yaml)
[ "$version" = "$manifest_version" ] || { echo "package.sh: plugin.yaml says $manifest_version, CMake says $version" >&2; exit 1; }
if [ ${#bins[@]} -eq 0 ]; then
    cmake --preset release >/dev/null
    cmake --build --preset release -j"$(nproc)" >/dev/null
    bins[linux/amd64]=$root/build-release/kubectl-image_secure
fi
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
rm -rf "$dist"
mkdir -p "$dist"
: >"$dist/SHA256SUMS"
for platform in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64; do
    bin=${bins[$platform]:-}
    if [ -z "$bin" ]; then
        [ "$partial" = 1 ] || { echo "package.sh: no binary for $platform (--bin $platform=PATH, or --partial)" >&2; exit 1; }
        continue
    fi
    [ -x "$bin" ] || { echo "package.sh: $bin is not an executable" >&2; exit 1; }
    if [ "$platform" = "$(uname -s | tr A-Z a-z)/$(dpkg --print-architecture 2>/dev/null || echo amd64)" ]; then
        got=$("$bin" --version)
        [ "$got" = "kubectl-image_secure ${version#v}" ] || { echo "package.sh: $bin says '$got', want ${version#v}" >&2; exit 1; }
    fi
    name=kubectl-image_secure_${version}_${platform%/*}_${platform#*/}.tar.gz
    stage=$(mktemp -d)
    # Strip ELF binaries (debug info is most of a RelWithDebInfo build); others go in as they are.
    strip -o "$stage/kubectl-image_secure" "$bin" 2>/dev/null || cp "$bin" "$stage/kubectl-image_secure"
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
if [ -n "${bins[linux/amd64]:-}" ]; then
    bin=${bins[linux/amd64]}
    {
        echo "# what $(basename "$bin") ($version, linux/amd64) needs at run time"
        echo "## NEEDED (direct)"
        readelf -d "$bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'
        echo "## loaded at run time by registry commands only (dlopen): libcurl.so.4"
        echo "## newest glibc / libstdc++ symbol versions"
        objdump -T "$bin" | grep -o 'GLIBC_2[0-9.]*' | sort -uV | tail -1
        objdump -T "$bin" | grep -o 'GLIBCXX_[0-9.]*' | sort -uV | tail -1 || true
        echo "## ldd"
        ldd "$bin"
    } >"$dist/linux-amd64-runtime.txt"
    sed -n '1,9p' "$dist/linux-amd64-runtime.txt"
fi
cat "$dist/SHA256SUMS"
