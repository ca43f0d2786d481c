#!/usr/bin/env bash
# audit benchmarks on a private testbed (plain-HTTP registry on loopback), peers in the same run:
#   1. cold audit of one ~200 MiB gzip -6 layer of real files (shared libraries, /usr/share)
#      vs `curl URL | gzip -dc | tar t` on the same blob (the shell pipeline the audit replaces)
#   2. two such layers in one image: aggregate tar rate vs the single-layer rate
#   3. the same layer as zstd: its rate
#   4. a warm (cached) run of the image; 50 images sharing one base layer fetch it once
#   5. --no-cache: peak RSS (GNU time) for the 200 MiB layer
# Medians of 3 runs. Usage: bench/audit.sh BIN   (needs docker-registry, curl, gzip, zstd, GNU time)
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
export TESTBED_DIR=${BENCH_TESTBED_DIR:-/tmp/image-secure-audit-bench} TESTBED_PORT_BASE=${BENCH_PORT_BASE:-5420}
tb=$here/../tests/registry/testbed.sh
work=$(mktemp -d)
trap '"$tb" stop >/dev/null 2>&1; rm -rf "$work"' EXIT
"$tb" start >/dev/null 2>&1
# shellcheck disable=SC1091
source "$TESTBED_DIR/testbed.env"
R=$TESTBED_PLAIN
now() { date +%s.%N; }
median() { python3 -c 'import statistics,sys; print("%.3f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
ratio() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }
rate() { python3 -c 'import sys; print("%.0f" % (float(sys.argv[1]) / 1e6 / float(sys.argv[2])))' "$1" "$2"; }

# Real files: shared libraries and /usr/share data, ~200 MiB of tar (and a second, different set).
list() { # FIRST-DIR... : files up to ~200 MiB
    find "$@" -xdev -type f -readable 2>/dev/null | sort | python3 -c '
import os, sys
total = 0
for line in sys.stdin:  # read all of it: no SIGPIPE upstream
    p = line.rstrip("\n")
    if total > 200 << 20:
        continue
    try:
        total += os.path.getsize(p)
    except OSError:
        continue
    print(p)'
}
list /usr/lib /usr/share >"$work/a.list"
list /usr/share /usr/lib /usr/libexec | tac >"$work/b.list"
tar -cf "$work/a.tar" -T "$work/a.list" 2>/dev/null || true
tar -cf "$work/b.tar" -T "$work/b.list" 2>/dev/null || true
gzip -6 -c "$work/a.tar" >"$work/a.tar.gz"
gzip -6 -c "$work/b.tar" >"$work/b.tar.gz"
zstd -q -3 -c "$work/a.tar" >"$work/a.tar.zst"
push=$here/../tests/audit/oci_push.py
GZ=application/vnd.oci.image.layer.v1.tar+gzip
python3 "$push" "$R" bench/one:1 "$GZ" "$work/a.tar.gz:$work/a.tar" >/dev/null
python3 "$push" "$R" bench/two:1 "$GZ" "$work/a.tar.gz:$work/a.tar" "$work/b.tar.gz:$work/b.tar" >/dev/null
python3 "$push" "$R" bench/zstd:1 application/vnd.oci.image.layer.v1.tar+zstd "$work/a.tar.zst:$work/a.tar" >/dev/null
a_bytes=$(stat -c %s "$work/a.tar") b_bytes=$(stat -c %s "$work/b.tar")
blob=$(python3 -c 'import hashlib,sys; h=hashlib.sha256(); h.update(open(sys.argv[1],"rb").read()); print("sha256:"+h.hexdigest())' "$work/a.tar.gz")
echo "layer: $(numfmt --to=iec "$a_bytes") of tar, $(numfmt --to=iec "$(stat -c %s "$work/a.tar.gz")") gzip -6"

audit() { "$bin" audit --plain-http "$R" --no-cache --fail-on none "$@" >/dev/null; }
timed() { local t0 t1; t0=$(now); "$@"; t1=$(now); python3 -c "print($t1 - $t0)"; }
ours=() peer=() two=() zst=()
for _ in 1 2 3; do
    peer+=("$(timed sh -c "curl -sf http://$R/v2/bench/one/blobs/$blob | gzip -dc | tar t >/dev/null")")
    ours+=("$(timed audit "$R/bench/one:1")")
    two+=("$(timed audit "$R/bench/two:1")")
    zst+=("$(timed audit "$R/bench/zstd:1")")
done
o=$(median "${ours[@]}") p=$(median "${peer[@]}") t=$(median "${two[@]}") z=$(median "${zst[@]}")
echo "1. cold audit, one gzip layer: curl|gzip -dc|tar t ${p} s ($(rate "$a_bytes" "$p") MB/s of tar), image-secure ${o} s ($(rate "$a_bytes" "$o") MB/s), ratio $(ratio "$p" "$o")x (target >= 1.4x)"
echo "2. two layers in parallel: ${t} s, $(rate $((a_bytes + b_bytes)) "$t") MB/s aggregate = $(python3 -c "print('%.2f' % ((${a_bytes} + ${b_bytes}) / $t / (${a_bytes} / $o)))")x the single-layer rate (target >= 1.5x)"
echo "3. zstd layer: ${z} s, $(rate "$a_bytes" "$z") MB/s of tar"

# 4 ---------------------------------------------------------------- cache
cache=$work/cache
"$bin" audit --plain-http "$R" --cache-dir "$cache" --fail-on none "$R/bench/two:1" >/dev/null
warm=()
for _ in 1 2 3; do
    warm+=("$(timed sh -c "'$bin' audit --plain-http '$R' --cache-dir '$cache' --fail-on none '$R/bench/two:1' >/dev/null")")
done
echo "4. warm (cached) run of the two-layer image: $(median "${warm[@]}") s (target < 0.3 s)"
small=$work/small.tar
tar -cf "$small" -C /etc hostname 2>/dev/null || tar -cf "$small" -C /etc passwd
for n in $(seq -w 1 50); do
    printf '%s\n' "$n" >"$work/id"
    tar -cf "$work/id.tar" -C "$work" id
    gzip -c "$work/id.tar" >"$work/id.tar.gz"
    python3 "$push" "$R" "bench/shared:$n" "$GZ" "$work/a.tar.gz:$work/a.tar" "$work/id.tar.gz:$work/id.tar" >/dev/null
done
refs=()
for n in $(seq -w 1 50); do refs+=("$R/bench/shared:$n"); done
t0=$(now)
"$bin" audit --plain-http "$R" --no-cache --fail-on none -v "${refs[@]}" >/dev/null 2>"$work/v.log"
t1=$(now)
echo "   50 images sharing the 200 MiB base: $(python3 -c "print('%.2f' % ($t1 - $t0))") s, base layer GETs: $(grep -c "> GET .*/blobs/$blob" "$work/v.log") (target 1)"

# 5 ---------------------------------------------------------------- memory
/usr/bin/time -f %M -o "$work/rss" "$bin" audit --plain-http "$R" --no-cache --fail-on none "$R/bench/one:1" >/dev/null
echo "5. --no-cache peak RSS, 200 MiB layer: $(( $(cat "$work/rss") / 1024 )) MiB (target < 64 MiB)"
