#!/usr/bin/env bash
# End-to-end tests of `mirror` between the testbed's real registries. Digests are checked
# with curl and against build_images.py's refs.tsv, never with the tool itself.
# Usage: mirror_e2e.sh BINARY TESTBED_DIR
set -uo pipefail
BIN=$1
# shellcheck disable=SC1091
source "$2/testbed.env"
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
export IMAGE_SECURE_CACHE_DIR=$WORK/cache
trap 'rm -rf "$WORK"' EXIT
failures=0 checks=0
ok() { checks=$((checks + 1)); echo "ok   $1"; }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
expect() {
    local name=$1 want=$2 rc
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, want $want" "$(head -c 600 "$WORK/err") $(head -c 300 "$WORK/out")"; fi
}
has() { if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: no '$3'" "$(head -c 600 "$2")"; fi; }
same() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }
ref_digest() { awk -F'\t' -v r="$1" '$1 == r { print $2 }' "$TESTBED_DIR/oci/refs.tsv"; }
ACCEPT='Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
head_digest() { # HOST:PORT REPO REF [curl auth...] -> digest via curl HEAD ("" when missing)
    local where=$1 repo=$2 ref=$3 scheme=https
    shift 3
    [ "$where" = "$TESTBED_PLAIN" ] && scheme=http
    curl -sfI --cacert "$TESTBED_CA" "$@" -H "$ACCEPT" "$scheme://$where/v2/$repo/manifests/$ref" | tr -d '\r' |
        awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}
bearer() { # SCOPE -> Authorization header for pusher on the token registry
    printf 'Authorization: Bearer %s' "$(curl -sf --cacert "$TESTBED_CA" -u pusher:pusher-secret \
        "https://$TESTBED_ISSUER/token?service=image-secure-testbed&scope=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')"
}
P=$TESTBED_PLAIN
COMMON=(--plain-http "$P" --certs-dir "$TESTBED_CERTS_D" --docker-config "$TESTBED_DOCKER_CONFIG")
BASIC_AUTH=(-u pusher:pusher-secret)

# ---------------------------------------------------------------- anonymous -> Basic, both families
expect "dry run plans" 0 "$BIN" mirror "$P/library/small:1.0" "$P/library/multi:1.0" "$P/docker/multi:1.0" "$P/docker/small:1.0" --registry "$TESTBED_BASIC/m1" "${COMMON[@]}" --dry-run
has "dry run says what it would copy" "$WORK/out" "would copy $P/library/multi:1.0 -> $TESTBED_BASIC/m1/library/multi:1.0"
same "dry run wrote nothing" "$(head_digest "$TESTBED_BASIC" m1/library/multi 1.0 "${BASIC_AUTH[@]}")" ""
expect "copy OCI manifest, OCI index, Docker list, Docker manifest" 0 "$BIN" mirror "$P/library/small:1.0" "$P/library/multi:1.0" "$P/docker/multi:1.0" "$P/docker/small:1.0" --registry "$TESTBED_BASIC/m1" "${COMMON[@]}"
same "OCI manifest digest kept" "$(head_digest "$TESTBED_BASIC" m1/library/small 1.0 "${BASIC_AUTH[@]}")" "$(ref_digest small)"
same "OCI index digest kept (whole index)" "$(head_digest "$TESTBED_BASIC" m1/library/multi 1.0 "${BASIC_AUTH[@]}")" "$(ref_digest multi)"
same "Docker manifest list digest kept" "$(head_digest "$TESTBED_BASIC" m1/docker/multi 1.0 "${BASIC_AUTH[@]}")" "$(head_digest "$P" docker/multi 1.0)"
same "Docker v2s2 digest kept" "$(head_digest "$TESTBED_BASIC" m1/docker/small 1.0 "${BASIC_AUTH[@]}")" "$(head_digest "$P" docker/small 1.0)"
for child in $(python3 -c 'import json,sys; [print(m["digest"]) for m in json.load(open(sys.argv[1]))["manifests"]]' "$TESTBED_DIR/oci/blobs/sha256/$(ref_digest multi | cut -d: -f2)"); do
    same "index child $child present" "$(head_digest "$TESTBED_BASIC" m1/library/multi "$child" "${BASIC_AUTH[@]}")" "$child"
done
has "shared blobs are copied once and mounted elsewhere" "$WORK/out" "mounted"
expect "second run" 0 "$BIN" mirror "$P/library/small:1.0" "$P/library/multi:1.0" "$P/docker/multi:1.0" "$P/docker/small:1.0" --registry "$TESTBED_BASIC/m1" "${COMMON[@]}"
has "second run copies nothing and says so" "$WORK/out" "0 copied, 4 up to date, 0 failed"
has "second run: each image logged as up to date" "$WORK/out" "up to date $P/library/multi:1.0"
has "second run: nothing to copy" "$WORK/out" "nothing to copy"

# ---------------------------------------------------------------- Basic -> token, mount across repositories
expect "Basic -> token registry" 0 "$BIN" mirror "$TESTBED_BASIC/m1/library/small:1.0" --registry "$TESTBED_TOKEN/m2" --certs-dir "$TESTBED_CERTS_D" --docker-config "$TESTBED_DOCKER_CONFIG" --docker-server "$TESTBED_TOKEN" --docker-username pusher --password-file <(printf pusher-secret)
same "token registry got the digest" "$(head_digest "$TESTBED_TOKEN" m2/m1/library/small 1.0 -H "$(bearer repository:m2/m1/library/small:pull)")" "$(ref_digest small)"
expect "a second repository mounts the layers it already has" 0 "$BIN" mirror "$TESTBED_BASIC/m1/library/small:1.0" --registry "$TESTBED_TOKEN/m3" --certs-dir "$TESTBED_CERTS_D" --docker-config "$TESTBED_DOCKER_CONFIG" --docker-server "$TESTBED_TOKEN" --docker-username pusher --password-file <(printf pusher-secret)
has "mounted, nothing streamed" "$WORK/out" "0 blobs copied, 0 B; 2 mounted"
same "mounted copy has the digest" "$(head_digest "$TESTBED_TOKEN" m3/m1/library/small 1.0 -H "$(bearer repository:m3/m1/library/small:pull)")" "$(ref_digest small)"

# ---------------------------------------------------------------- -f manifests: the same mapping as rewrite
cat >"$WORK/app.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
      - name: web
        image: $P/apps/web:2.1
      - name: sidecar
        image: $P/library/small:1.0
YAML
expect "mirror -f with --path-mode flatten" 0 "$BIN" mirror -f "$WORK/app.yaml" --registry "$TESTBED_BASIC/flat" --path-mode flatten "${COMMON[@]}" -o json
"$BIN" rewrite -f "$WORK/app.yaml" --registry "$TESTBED_BASIC/flat" --path-mode flatten >"$WORK/rewritten.yaml"
python3 - "$WORK/out" "$WORK/rewritten.yaml" <<'PY' && ok "targets equal what rewrite writes" || bad "targets equal what rewrite writes" "$(cat "$WORK/out")"
import json, sys, yaml
rows = json.load(open(sys.argv[1]))
images = [c["image"] for c in yaml.safe_load(open(sys.argv[2]))["spec"]["template"]["spec"]["containers"]]
assert sorted(r["target"] for r in rows) == sorted(images), (rows, images)
assert all(r["status"] == "copied" for r in rows)
PY
same "flattened web image exists" "$(head_digest "$TESTBED_BASIC" flat/web 2.1 "${BASIC_AUTH[@]}")" "$(ref_digest web)"

# ---------------------------------------------------------------- --shard: disjoint parts, union = the run
SHARD_IMAGES=("$P/library/small:1.0" "$P/library/multi:1.0" "$P/docker/multi:1.0" "$P/docker/small:1.0" "$P/apps/web:2.1" "$P/bench/big:1.0")
"$BIN" mirror "${SHARD_IMAGES[@]}" --registry "$TESTBED_BASIC/sh" "${COMMON[@]}" --dry-run -o json >"$WORK/all.json" 2>/dev/null
for i in 0 1 2; do
    "$BIN" mirror "${SHARD_IMAGES[@]}" --registry "$TESTBED_BASIC/sh" "${COMMON[@]}" --dry-run -o json --shard "$i/3" \
        >"$WORK/part$i.json" 2>"$WORK/part$i.err"
done
# The same images in another order, and through JOB_COMPLETION_INDEX: the same part.
JOB_COMPLETION_INDEX=1 "$BIN" mirror $(printf '%s\n' "${SHARD_IMAGES[@]}" | sort -r) --registry "$TESTBED_BASIC/sh" \
    "${COMMON[@]}" --dry-run -o json --shards 3 >"$WORK/job1.json" 2>/dev/null
python3 - "$WORK" <<'PY' && ok "--shard: three parts are disjoint, their union is the whole run, an Indexed Job's part is --shard's" || bad "--shard parts" "$(cat "$WORK"/part*.err)"
import json, sys
w = sys.argv[1]
src = lambda f: sorted(r["source"] for r in json.load(open(f"{w}/{f}")))
whole, parts = src("all.json"), [src(f"part{i}.json") for i in range(3)]
assert len(whole) == 6, whole
assert sorted(sum(parts, [])) == whole, (parts, whole)
assert all(set(a).isdisjoint(b) for i, a in enumerate(parts) for b in parts[i + 1:]), parts
assert src("job1.json") == parts[1], (src("job1.json"), parts[1])
assert sum(1 for p in parts if p) >= 2, parts  # six images do not all land in one part
PY
has "--shard says which part it copies" "$WORK/part0.err" "shard 0/3: "
expect "--shard 3/3 does not exist" 2 "$BIN" mirror "$P/apps/web:2.1" --registry "$TESTBED_BASIC/sh" "${COMMON[@]}" --shard 3/3
expect "--shards without JOB_COMPLETION_INDEX" 2 env -u JOB_COMPLETION_INDEX "$BIN" mirror "$P/apps/web:2.1" --registry "$TESTBED_BASIC/sh" "${COMMON[@]}" --shards 2

# ---------------------------------------------------------------- --platform, failures
expect "--platform copies one child" 0 "$BIN" mirror "$P/library/multi:1.0" --platform linux/arm64 --registry "$TESTBED_BASIC/one" "${COMMON[@]}"
arm=$(python3 -c 'import json,sys; print([m["digest"] for m in json.load(open(sys.argv[1]))["manifests"] if m["platform"]["architecture"] == "arm64"][0])' "$TESTBED_DIR/oci/blobs/sha256/$(ref_digest multi | cut -d: -f2)")
same "--platform: the tag now holds the arm64 child" "$(head_digest "$TESTBED_BASIC" one/library/multi 1.0 "${BASIC_AUTH[@]}")" "$arm"
has "--platform: says the digest changes" "$WORK/out" "the digest changes"
expect "a source image that does not exist" 1 "$BIN" mirror "$P/library/small:9.9" "$P/library/small:1.0" --registry "$TESTBED_BASIC/m4" "${COMMON[@]}"
has "missing source named, with the step" "$WORK/err" "failed $P/library/small:9.9 -> $TESTBED_BASIC/m4/library/small:9.9: read the source manifest"
has "the other image was still copied" "$WORK/out" "1 copied, 0 up to date, 1 failed"
expect "a destination that refuses push (pull-only user): access denied is exit 1" 1 "$BIN" mirror "$P/apps/web:2.1" --registry "$TESTBED_TOKEN/denied" --plain-http "$P" --certs-dir "$TESTBED_CERTS_D" --docker-server "$TESTBED_TOKEN" --docker-username reader --password-file <(printf reader-secret)
has "refusal names the image and the step" "$WORK/err" "failed $P/apps/web:2.1 -> $TESTBED_TOKEN/denied/apps/web:2.1"
has "refusal says unauthorized" "$WORK/err" "unauthorized"
expect "registry down" 3 "$BIN" mirror "$P/apps/web:2.1" --registry "$TESTBED_DOWN/x" "${COMMON[@]}"

# ---------------------------------------------------------------- interrupted run
TESTBED_DIR=$TESTBED_DIR TESTBED_PORT_BASE=${TESTBED_PLAIN##*:} "$HERE/testbed.sh" big 48 >/dev/null
# shellcheck disable=SC1091
source "$TESTBED_DIR/testbed.env"
"$BIN" mirror "$P/bench/big:1.0" --registry "$TESTBED_BASIC/resume" "${COMMON[@]}" --concurrency 2 >/dev/null 2>&1 &
pid=$!
sleep 0.4
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
expect "an interrupted run completes when run again" 0 "$BIN" mirror "$P/bench/big:1.0" --registry "$TESTBED_BASIC/resume" "${COMMON[@]}"
same "resumed copy has the source digest" "$(head_digest "$TESTBED_BASIC" resume/bench/big 1.0 "${BASIC_AUTH[@]}")" "$DIGEST_BIG"

echo "$checks checks, $failures failed"
[ "$failures" = 0 ]
