#!/usr/bin/env bash
# Registry benchmarks against a private testbed (own ports, own directory), peer in the same run:
#   1. resolve 50 tags behind bearer-token auth: one image-secure process vs a loop of skopeo inspect
#   2. copy a ~200 MiB image into a fresh TLS registry: mirror vs skopeo copy
#   3. the same layers into a second repository (mount)
#   4. 50 small images: one mirror process vs a loop of skopeo copy
# Medians of 3 runs. Usage: bench/registry.sh BIN   (needs docker-registry, skopeo, curl, python3)
set -euo pipefail
bin=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
export TESTBED_DIR=${BENCH_TESTBED_DIR:-/tmp/image-secure-bench-testbed} TESTBED_PORT_BASE=${BENCH_PORT_BASE:-5400}
tb=$here/../tests/registry/testbed.sh
work=$(mktemp -d)
export IMAGE_SECURE_CACHE_DIR=$work/cache
trap '"$tb" stop; rm -rf "$work"' EXIT
"$tb" start >/dev/null 2>&1
"$tb" big 200 >/dev/null 2>&1
# shellcheck disable=SC1091
source "$TESTBED_DIR/testbed.env"
now() { date +%s.%N; }
median() { python3 -c 'import statistics,sys; print("%.3f" % statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
ratio() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"; }
tokens() { wc -l <"$TESTBED_TOKEN_LOG"; }

# 1 ---------------------------------------------------------------- resolve
mapfile -t refs < <(for n in $(seq -f %02g 1 "$TESTBED_TAGS"); do echo "$TESTBED_TOKEN/bench/many:t$n"; done)
ours=() peer=()
for _ in 1 2 3; do
    : >"$TESTBED_TOKEN_LOG"
    t0=$(now)
    "$bin" registry resolve "${refs[@]}" --certs-dir "$TESTBED_CERTS_D" --docker-username pusher --password-file <(printf pusher-secret) >"$work/ours.txt"
    t1=$(now)
    ours+=("$(python3 -c "print($t1 - $t0)")")
    our_tokens=$(tokens)
    t0=$(now)
    for r in "${refs[@]}"; do
        skopeo inspect --creds pusher:pusher-secret --cert-dir "$TESTBED_CERTS_D/$TESTBED_TOKEN" --format '{{.Digest}}' "docker://$r"
    done >"$work/peer.txt"
    t1=$(now)
    peer+=("$(python3 -c "print($t1 - $t0)")")
done
cmp -s <(cut -d' ' -f2 "$work/ours.txt") "$work/peer.txt" || { echo "resolve: digests differ from skopeo's" >&2; exit 1; }
o=$(median "${ours[@]}") p=$(median "${peer[@]}")
echo "registry resolve, $TESTBED_TAGS tags, bearer auth: skopeo inspect loop ${p} s, image-secure ${o} s, ratio $(ratio "$p" "$o")x (target >= 10x); token requests: ${our_tokens}"

# 2 ---------------------------------------------------------------- 200 MiB into a fresh TLS registry
port=$((TESTBED_PORT_BASE + 20))
fresh() { "$tb" stop-one fresh >/dev/null 2>&1 || true; "$tb" fresh fresh "$port" tls >/dev/null; }
ours=() peer=() mount=()
for _ in 1 2 3; do
    fresh
    t0=$(now)
    skopeo --insecure-policy copy -q --src-tls-verify=false --dest-cert-dir "$TESTBED_CERTS_D/127.0.0.1:$port" \
        "docker://$TESTBED_PLAIN/bench/big:1.0" "docker://127.0.0.1:$port/peer/big:1.0"
    t1=$(now)
    peer+=("$(python3 -c "print($t1 - $t0)")")
    fresh
    rm -rf "$IMAGE_SECURE_CACHE_DIR"
    t0=$(now)
    "$bin" mirror "$TESTBED_PLAIN/bench/big:1.0" --registry "127.0.0.1:$port/ours" --plain-http "$TESTBED_PLAIN" --certs-dir "$TESTBED_CERTS_D" -q
    t1=$(now)
    ours+=("$(python3 -c "print($t1 - $t0)")")
    t0=$(now)
    "$bin" mirror "$TESTBED_PLAIN/bench/big:1.0" --registry "127.0.0.1:$port/second" --plain-http "$TESTBED_PLAIN" --certs-dir "$TESTBED_CERTS_D" -q
    t1=$(now)
    mount+=("$(python3 -c "print($t1 - $t0)")")
done
o=$(median "${ours[@]}") p=$(median "${peer[@]}") m=$(median "${mount[@]}")
echo "mirror 200 MiB into a fresh TLS registry: skopeo copy ${p} s, image-secure ${o} s, ratio $(ratio "$p" "$o")x (target >= 1.0x)"
echo "mirror the same layers into a second repository (mount): ${m} s (target < 0.3 s)"

# 4 ---------------------------------------------------------------- 50 small images
ours=() peer=()
for _ in 1 2 3; do
    fresh
    t0=$(now)
    for r in "${refs[@]}"; do
        tag=${r##*:}
        skopeo --insecure-policy copy -q --src-tls-verify=false --dest-cert-dir "$TESTBED_CERTS_D/127.0.0.1:$port" \
            "docker://$TESTBED_PLAIN/bench/many:$tag" "docker://127.0.0.1:$port/peer/many:$tag"
    done
    t1=$(now)
    peer+=("$(python3 -c "print($t1 - $t0)")")
    fresh
    t0=$(now)
    "$bin" mirror "${refs[@]/#$TESTBED_TOKEN/$TESTBED_PLAIN}" --registry "127.0.0.1:$port/ours" --plain-http "$TESTBED_PLAIN" --certs-dir "$TESTBED_CERTS_D" -q
    t1=$(now)
    ours+=("$(python3 -c "print($t1 - $t0)")")
done
"$tb" stop-one fresh >/dev/null 2>&1 || true
o=$(median "${ours[@]}") p=$(median "${peer[@]}")
echo "mirror $TESTBED_TAGS small images: skopeo copy loop ${p} s, image-secure ${o} s, ratio $(ratio "$p" "$o")x (target >= 5x)"
