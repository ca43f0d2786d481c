#!/usr/bin/env bash
# Registry benchmarks against a private testbed (own ports, own directory), peer in the same run:
#   1. resolve 50 tags behind bearer-token auth: one image-secure process vs a loop of skopeo inspect
#   2. copy a ~200 MiB image into a fresh TLS registry: mirror vs skopeo copy
#   3. the same layers into a second repository (mount)
#   4. 50 small images: one mirror process vs a loop of skopeo copy
#   5. 200 images (3 layers each, a shared 1 MiB base) into an empty registry: one mirror vs a
#      loop of skopeo copy; mirror's peak RSS; a second run with nothing to copy
#   6. the ~200 MiB image into a bundle: mirror --to oci:DIR vs skopeo copy docker://... oci:DIR,
#      then the bundle into a fresh registry: mirror --from vs skopeo copy oci:DIR:REF docker://...
# Medians of 3 runs (the 200-image skopeo loop: 1). Usage: bench/registry.sh BIN [PART...]
# (no PART: all of them)
# (needs docker-registry, skopeo, curl, python3)
set -euo pipefail
bin=$(realpath "$1")
shift
parts=" $* "
part() { [ "$parts" = "  " ] || [[ $parts == *" $1 "* ]]; }
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
# A fresh, empty TLS registry for the copies (parts 2, 5, 6).
port=$((TESTBED_PORT_BASE + 20))
fresh() { "$tb" stop-one fresh >/dev/null 2>&1 || true; "$tb" fresh fresh "$port" tls >/dev/null; }
peak_rss() { # COMMAND...: runs it, prints "SECONDS MAX_RSS_KIB"
    python3 -c 'import resource, subprocess, sys, time
t = time.monotonic(); rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; t = time.monotonic() - t
assert rc == 0, rc
print("%.3f %d" % (t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))' "$@"
}

if part 1; then
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
fi

if part 2; then
# 2 ---------------------------------------------------------------- 200 MiB into a fresh TLS registry
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
fi

if part 4; then
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
o=$(median "${ours[@]}") p=$(median "${peer[@]}")
echo "mirror $TESTBED_TAGS small images: skopeo copy loop ${p} s, image-secure ${o} s, ratio $(ratio "$p" "$o")x (target >= 5x)"
fi

if part 5; then
# 5 ---------------------------------------------------------------- 200 images, 3 layers, shared base
apps=${BENCH_APPS:-200}
python3 "$here/../tests/registry/build_images.py" apps "$work/apps" "$apps"
mapfile -t app_refs < <(cut -f1 "$work/apps/refs.tsv")
for r in "${app_refs[@]}"; do
    skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$work/apps:$r" "docker://$TESTBED_PLAIN/apps/${r%-*}:${r##*-}"
done
mapfile -t sources < <(for r in "${app_refs[@]}"; do echo "$TESTBED_PLAIN/apps/${r%-*}:${r##*-}"; done)
fresh
t0=$(now)
for src in "${sources[@]}"; do
    skopeo --insecure-policy copy -q --src-tls-verify=false --dest-cert-dir "$TESTBED_CERTS_D/127.0.0.1:$port" \
        "docker://$src" "docker://127.0.0.1:$port/peer/${src#"$TESTBED_PLAIN"/}"
done
t1=$(now)
p=$(python3 -c "print('%.3f' % ($t1 - $t0))")
ours=() rss=() again=()
for _ in 1 2 3; do
    fresh
    rm -rf "$IMAGE_SECURE_CACHE_DIR"
    read -r secs kib < <(peak_rss "$bin" mirror "${sources[@]}" --registry "127.0.0.1:$port/ours" --plain-http "$TESTBED_PLAIN" \
        --certs-dir "$TESTBED_CERTS_D" -q)
    ours+=("$secs") rss+=("$kib")
    read -r secs _ < <(peak_rss "$bin" mirror "${sources[@]}" --registry "127.0.0.1:$port/ours" --plain-http "$TESTBED_PLAIN" \
        --certs-dir "$TESTBED_CERTS_D" -q)
    again+=("$secs")
done
# The copies are the sources (checked with curl, not with the tool).
last=${sources[-1]#*/}
digest_at() { curl -sfI "$@" -H 'Accept: application/vnd.oci.image.manifest.v1+json' | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'; }
want=$(digest_at "http://$TESTBED_PLAIN/v2/${last%:*}/manifests/${last##*:}")
got=$(digest_at --cacert "$TESTBED_CA" "https://127.0.0.1:$port/v2/ours/${last%:*}/manifests/${last##*:}")
[ -n "$want" ] && [ "$want" = "$got" ] || { echo "200 images: the last copy's digest '$got' is not the source's '$want'" >&2; exit 1; }
"$tb" stop-one fresh >/dev/null 2>&1 || true
o=$(median "${ours[@]}") m=$(median "${rss[@]}") a=$(median "${again[@]}")
echo "mirror $apps images (3 layers, shared base) into an empty registry: skopeo copy loop ${p} s, image-secure ${o} s, ratio $(ratio "$p" "$o")x (target >= 10x)"
echo "  image-secure peak RSS $(python3 -c "print('%.1f' % (float('$m') / 1024))") MiB (target < 100 MiB); second run, nothing to copy: ${a} s (target < 1 s)"
fi

if part 6; then
# 6 ---------------------------------------------------------------- the 200 MiB image into a bundle and out
ref=$TESTBED_PLAIN/bench/big:1.0
ours=() peer=() rss=() from=() push=()
for _ in 1 2 3; do
    rm -rf "$work/peer-oci" "$work/ours-oci"
    t0=$(now)
    skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$ref" "oci:$work/peer-oci:$ref"
    t1=$(now)
    peer+=("$(python3 -c "print($t1 - $t0)")")
    read -r secs kib < <(peak_rss "$bin" mirror "$ref" --to "oci:$work/ours-oci" --plain-http "$TESTBED_PLAIN" -q)
    ours+=("$secs") rss+=("$kib")
    fresh
    t0=$(now)
    skopeo --insecure-policy copy -q --dest-cert-dir "$TESTBED_CERTS_D/127.0.0.1:$port" "oci:$work/ours-oci:$ref" "docker://127.0.0.1:$port/peer/big:1.0"
    t1=$(now)
    push+=("$(python3 -c "print($t1 - $t0)")")
    fresh
    rm -rf "$IMAGE_SECURE_CACHE_DIR"
    t0=$(now)
    "$bin" mirror --from "oci:$work/ours-oci" --registry "127.0.0.1:$port/ours" --certs-dir "$TESTBED_CERTS_D" -q
    t1=$(now)
    from+=("$(python3 -c "print($t1 - $t0)")")
done
# The bundle holds the source's digest (read by skopeo, not by the tool), and so does the push.
want=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "docker://$ref")
got=$(skopeo inspect --format '{{.Digest}}' "oci:$work/ours-oci:$ref")
[ "$want" = "$got" ] || { echo "bundle: skopeo reads $got from it, the source is $want" >&2; exit 1; }
got=$(skopeo inspect --cert-dir "$TESTBED_CERTS_D/127.0.0.1:$port" --format '{{.Digest}}' "docker://127.0.0.1:$port/ours/bench/big:1.0")
[ "$want" = "$got" ] || { echo "--from: the push holds $got, the source is $want" >&2; exit 1; }
"$tb" stop-one fresh >/dev/null 2>&1 || true
o=$(median "${ours[@]}") p=$(median "${peer[@]}") m=$(median "${rss[@]}")
echo "200 MiB image into oci:DIR: skopeo copy ${p} s, mirror --to ${o} s, ratio $(ratio "$p" "$o")x (target >= 1.0x); peak RSS $(python3 -c "print('%.1f' % (float('$m') / 1024))") MiB"
o=$(median "${from[@]}") p=$(median "${push[@]}")
echo "that bundle into a fresh TLS registry: skopeo copy oci: ${p} s, mirror --from ${o} s, ratio $(ratio "$p" "$o")x"
fi
