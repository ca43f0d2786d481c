#!/usr/bin/env bash
# End-to-end tests of bundles for air gaps: `mirror --to oci:DIR|oci-archive:FILE` and
# `mirror --from ...`, between real docker-registry instances. Every result is checked by
# independent readers: skopeo (oci:, oci-archive: and docker:// transports), GNU tar, curl and
# Python's json over the layout files, never by the tool itself.
# Usage: bundle_e2e.sh BINARY TESTBED_DIR
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
source "$HERE/../lib/registry.sh" "$@"
NAMES=(bundle-src bundle-dst bundle-dst2 bundle-dst3)
cleanup() {
    for n in "${NAMES[@]}"; do "${TB[@]}" stop-one "$n" >/dev/null 2>&1; done
    [ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
tags() { curl -sf "http://$1/v2/$2/tags/list" | $PY -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin).get("tags") or [])))' 2>/dev/null; }
tree_sums() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }

B=$((${TESTBED_PLAIN##*:} + 18)) # +18, +19, +4, +5 (the other e2e scripts use +7..+17, +20..+33)
SRC=127.0.0.1:$B
DST=127.0.0.1:$((B + 1))
DST2=127.0.0.1:$((${TESTBED_PLAIN##*:} + 4))
DST3=127.0.0.1:$((${TESTBED_PLAIN##*:} + 5))
for n in "${NAMES[@]}"; do "${TB[@]}" stop-one "$n" >/dev/null 2>&1; done
"${TB[@]}" fresh bundle-src "$B" >/dev/null
"${TB[@]}" fresh bundle-dst $((B + 1)) >/dev/null
"${TB[@]}" fresh bundle-dst2 "${DST2##*:}" >/dev/null
"${TB[@]}" fresh bundle-dst3 "${DST3##*:}" >/dev/null
COMMON=(--plain-http "$SRC" --plain-http "$DST" --plain-http "$DST2" --plain-http "$DST3")

# ---------------------------------------------------------------- a signed source
skopeo --insecure-policy copy -q --all --dest-tls-verify=false "oci:$TESTBED_DIR/oci:multi" "docker://$SRC/library/multi:1.0" >/dev/null 2>&1 \
    || bad "skopeo push multi"
skopeo --insecure-policy copy -q --all --dest-tls-verify=false "oci:$TESTBED_DIR/oci:small" "docker://$SRC/library/small:1.0" >/dev/null 2>&1 \
    || bad "skopeo push small"
"$PY" "$HERE/sign_images.py" "http://$SRC" library/multi "$DIGEST_MULTI_OCI" --label bundle >"$WORK/signed.json" 2>"$WORK/sign.err" \
    || bad "sign_images.py" "$(cat "$WORK/sign.err")"
SMALL=$(head_digest "$SRC" library/small 1.0)
REFS=("$SRC/library/multi:1.0" "$SRC/library/small:1.0")

# ---------------------------------------------------------------- --to oci:DIR
expect "--dry-run --to writes nothing" 0 "$BIN" mirror "${REFS[@]}" --to "oci:$WORK/dir" --dry-run "${COMMON[@]}"
has "the dry run lists a referrer" "$WORK/out" "would copy referrer"
[ -e "$WORK/dir" ] && bad "the dry run created the layout" || ok "the dry run created nothing"
expect "--to oci:DIR" 0 "$BIN" mirror "${REFS[@]}" --to "oci:$WORK/dir" "${COMMON[@]}"
has "--to: the arrow names the bundle" "$WORK/out" "-> oci:$WORK/dir"
same "skopeo reads the index by its source reference" \
    "$(skopeo inspect --raw "oci:$WORK/dir:$SRC/library/multi:1.0" | sha256sum | cut -d' ' -f1)" "${DIGEST_MULTI_OCI#sha256:}"
same "skopeo reads the image by its source reference" \
    "$(skopeo inspect --raw "oci:$WORK/dir:$SRC/library/small:1.0" | sha256sum | cut -d' ' -f1)" "${SMALL#sha256:}"
same "skopeo inspects the image (config and layers readable)" \
    "$(skopeo inspect "oci:$WORK/dir:$SRC/library/small:1.0" | $PY -c 'import json,sys; print(json.load(sys.stdin)["Digest"])')" "$SMALL"
"$PY" - "$WORK/dir" "$WORK/signed.json" "$SRC" >"$WORK/layout.txt" 2>&1 <<'EOF' && ok "index.json: ref names, layout version, every referrer and every blob" || bad "layout check" "$(cat "$WORK/layout.txt")"
import hashlib, json, os, sys
d, signed, src = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3]
assert json.load(open(d + "/oci-layout")) == {"imageLayoutVersion": "1.0.0"}
index = json.load(open(d + "/index.json"))
names = {m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m["digest"] for m in index["manifests"]}
assert src + "/library/multi:1.0" in names and src + "/library/small:1.0" in names, names
for tag, digest in signed["cosign"].items():
    assert names.get(src + "/library/multi:" + tag) == digest, (tag, names)
listed = {m["digest"] for m in index["manifests"]}
for r in signed["referrers"]:
    assert r["digest"] in listed, r
# every blob is named by the sha256 of its bytes, and every manifest's blobs are there
for name in os.listdir(d + "/blobs/sha256"):
    data = open(d + "/blobs/sha256/" + name, "rb").read()
    assert hashlib.sha256(data).hexdigest() == name, name
    try:
        m = json.loads(data)
    except ValueError:
        continue
    if isinstance(m, dict):
        for x in [m.get("config")] + m.get("layers", []) + m.get("manifests", []):
            if isinstance(x, dict) and "digest" in x:
                assert os.path.exists(d + "/blobs/sha256/" + x["digest"][7:]), x
assert sorted(os.listdir(d)) == ["blobs", "index.json", "oci-layout"], os.listdir(d)
print("ok")
EOF
tree_sums "$WORK/dir" >"$WORK/sums1"
expect "--to again: up to date" 0 "$BIN" mirror "${REFS[@]}" --to "oci:$WORK/dir" "${COMMON[@]}"
has "--to again: nothing to copy" "$WORK/out" "nothing to copy"
tree_sums "$WORK/dir" >"$WORK/sums2"
same "written twice: the same bytes" "$(cat "$WORK/sums2")" "$(cat "$WORK/sums1")"
expect "--to a second directory" 0 "$BIN" mirror "$SRC/library/small:1.0" "$SRC/library/multi:1.0" --to "oci:$WORK/dir2" "${COMMON[@]}"
same "another run, another order: the same bytes" "$(tree_sums "$WORK/dir2")" "$(cat "$WORK/sums1")"

# ---------------------------------------------------------------- --to oci-archive:FILE
expect "--to oci-archive:FILE" 0 "$BIN" mirror "${REFS[@]}" --to "oci-archive:$WORK/b.tar" "${COMMON[@]}"
[ -e "$WORK/b.tar.partial" ] && bad "the staging directory is left" || ok "the staging directory is gone"
mkdir "$WORK/untar" && tar -xf "$WORK/b.tar" -C "$WORK/untar" && ok "GNU tar extracts the archive" || bad "GNU tar extract"
same "the archive holds the same layout" "$(tree_sums "$WORK/untar")" "$(cat "$WORK/sums1")"
tar -tvf "$WORK/b.tar" >"$WORK/tar.txt"
has "members owned by 0/0" "$WORK/tar.txt" "0/0"
lacks "no member other than the layout" "$WORK/tar.txt" "partial"
same "skopeo reads oci-archive:FILE:REF" \
    "$(skopeo inspect --raw "oci-archive:$WORK/b.tar:$SRC/library/small:1.0" | sha256sum | cut -d' ' -f1)" "${SMALL#sha256:}"
sha_tar=$(sha256sum <"$WORK/b.tar")
expect "--to oci-archive again" 0 "$BIN" mirror "${REFS[@]}" --to "oci-archive:$WORK/b.tar" "${COMMON[@]}"
same "the archive written twice: the same bytes" "$(sha256sum <"$WORK/b.tar")" "$sha_tar"
expect "images --from lists the bundle" 0 "$BIN" images --from "oci-archive:$WORK/b.tar" --registry "$DST/air"
has "images --from: the index and its target" "$WORK/out" "$SRC/library/multi:1.0	$DIGEST_MULTI_OCI (index)	$DST/air/library/multi:1.0"
has "images --from: counts the referrers" "$WORK/err" "2 images, 6 referrers"
expect "images --from -o json" 0 "$BIN" images --from "oci:$WORK/dir" -o json
same "images --from -o json: the digests" \
    "$($PY -c 'import json,sys; print(" ".join(sorted(r["digest"] for r in json.load(open(sys.argv[1])))))' "$WORK/out")" \
    "$(printf '%s\n' "$DIGEST_MULTI_OCI" "$SMALL" | sort | tr '\n' ' ' | sed 's/ $//')"

# ---------------------------------------------------------------- an independent client pushes the bundle
skopeo --insecure-policy copy -q --all --dest-tls-verify=false "oci:$WORK/dir:$SRC/library/multi:1.0" "docker://$DST2/skopeo/multi:1.0" >"$WORK/sk.log" 2>&1 \
    && ok "skopeo copy oci:DIR:REF docker://..." || bad "skopeo copy from the bundle" "$(cat "$WORK/sk.log")"
same "skopeo's copy from the bundle has the source digest" "$(head_digest "$DST2" skopeo/multi 1.0)" "$DIGEST_MULTI_OCI"

# ---------------------------------------------------------------- a bundle skopeo wrote
skopeo --insecure-policy copy -q --all --src-tls-verify=false "docker://$SRC/library/multi:1.0" "oci:$WORK/skopeo-dir:$SRC/library/multi:1.0" \
    && skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$SRC/library/small:1.0" "oci:$WORK/skopeo-dir:latest" \
    && ok "skopeo writes a layout" || bad "skopeo copy to oci:"
expect "--from a layout skopeo wrote" 0 "$BIN" mirror --from "oci:$WORK/skopeo-dir" --registry "$DST2/from-skopeo" "${COMMON[@]}"
same "skopeo's layout: the index arrived with its digest" "$(head_digest "$DST2" from-skopeo/library/multi 1.0)" "$DIGEST_MULTI_OCI"
has "skopeo's layout: an entry named only \"latest\" is named and left out" "$WORK/err" 'the entry "latest"'

# ---------------------------------------------------------------- --from
expect "--from --dry-run" 0 "$BIN" mirror --from "oci:$WORK/dir" --registry "$DST/air" --dry-run "${COMMON[@]}"
has "--from --dry-run: the plan" "$WORK/out" "would copy $SRC/library/multi:1.0 -> $DST/air/library/multi:1.0"
same "--from --dry-run pushed nothing" "$(tags "$DST" air/library/multi)" ""
expect "--from oci-archive into a fresh registry" 0 "$BIN" mirror --from "oci-archive:$WORK/b.tar" --registry "$DST/air" "${COMMON[@]}"
expect "a direct mirror of the same images" 0 "$BIN" mirror "${REFS[@]}" --registry "$DST/direct" "${COMMON[@]}"
for repo in library/multi library/small; do
    same "--from equals a direct mirror: $repo tags" "$(tags "$DST" "air/$repo")" "$(tags "$DST" "direct/$repo")"
    for t in $(tags "$DST" "direct/$repo"); do
        same "--from equals a direct mirror: $repo:$t" "$(head_digest "$DST" "air/$repo" "$t")" "$(head_digest "$DST" "direct/$repo" "$t")"
    done
done
same "the index arrived with its source digest" "$(head_digest "$DST" air/library/multi 1.0)" "$DIGEST_MULTI_OCI"
$PY -c 'import json,sys; [print(r["digest"]) for r in json.load(open(sys.argv[1]))["referrers"]]' "$WORK/signed.json" >"$WORK/subject-referrers"
while read -r d; do
    same "referrer $d is at the destination" "$(head_digest "$DST" air/library/multi "$d")" "$d"
done <"$WORK/subject-referrers"
expect "--from again" 0 "$BIN" mirror --from "oci:$WORK/dir" --registry "$DST/air" "${COMMON[@]}"
has "--from again: nothing to copy" "$WORK/out" "nothing to copy"
expect "--from with --path-mode flatten" 0 "$BIN" mirror --from "oci:$WORK/dir" --registry "$DST/flat" --path-mode flatten "${COMMON[@]}"
same "--path-mode flatten: where rewrite points" "$(head_digest "$DST" flat/multi 1.0)" "$DIGEST_MULTI_OCI"
printf 'apiVersion: image-secure.dev/v1alpha1\nkind: RewriteRules\ndefaults: {registry: %s/ruled}\nrules:\n  - match: {name: %s/library/small}\n    action: skip\n  - match: {name: %s/library/multi}\n    newName: %s/ruled/base/multi\n' \
    "$DST" "$SRC" "$SRC" "$DST" >"$WORK/rules.yaml"
expect "--from with --rules" 0 "$BIN" mirror --from "oci:$WORK/dir" --rules "$WORK/rules.yaml" "${COMMON[@]}"
has "--rules: a skipped image is named" "$WORK/err" "$SRC/library/small:1.0 is not copied"
same "--rules: the other image is where its rule points" "$(head_digest "$DST" ruled/base/multi 1.0)" "$DIGEST_MULTI_OCI"
expect "--from --shard 0/2" 0 "$BIN" mirror --from "oci:$WORK/dir" --registry "$DST/shard" --shard 0/2 "${COMMON[@]}"
expect "--from --shard 1/2" 0 "$BIN" mirror --from "oci:$WORK/dir" --registry "$DST/shard" --shard 1/2 "${COMMON[@]}"
same "the two shards push the whole bundle" \
    "$(head_digest "$DST" shard/library/multi 1.0) $(head_digest "$DST" shard/library/small 1.0)" "$DIGEST_MULTI_OCI $SMALL"
ARM=$($PY -c 'import json,sys; print([m["digest"] for m in json.load(open(sys.argv[1]))["manifests"] if m["platform"]["architecture"] == "arm64"][0])' \
    "$WORK/dir/blobs/sha256/${DIGEST_MULTI_OCI#sha256:}")
expect "--from --platform linux/arm64" 0 "$BIN" mirror --from "oci:$WORK/dir" --registry "$DST/arm" --platform linux/arm64 "${COMMON[@]}"
same "--from --platform: the tag holds the arm64 child" "$(head_digest "$DST" arm/library/multi 1.0)" "$ARM"
has "--from --platform: the index's signature does not apply" "$WORK/out" "do not apply"
expect "--from with -f is refused" 2 "$BIN" mirror --from "oci:$WORK/dir" -f "$WORK/rules.yaml" --registry "$DST/x"
expect "--to and --from together are refused" 2 "$BIN" mirror --from "oci:$WORK/dir" --to "oci:$WORK/x" --registry "$DST/x"
expect "an unknown bundle kind is refused" 2 "$BIN" mirror --from "docker-archive:$WORK/x.tar" --registry "$DST/x"

# ---------------------------------------------------------------- bad bundles
blob_of() { $PY -c 'import json,sys; m=json.load(open(sys.argv[1]+"/blobs/sha256/"+sys.argv[2][7:])); print(m["config"]["digest"][7:])' "$1" "$2"; }
BLOB=$(blob_of "$WORK/dir" "$SMALL")
cp -r "$WORK/dir" "$WORK/missing" && rm "$WORK/missing/blobs/sha256/$BLOB"
expect "a bundle that lacks a blob" 2 "$BIN" mirror --from "oci:$WORK/missing" --registry "$DST2/missing" "${COMMON[@]}"
has "lacking: the blob is named" "$WORK/err" "lacks the blob sha256:$BLOB"
same "lacking: that image is not pushed" "$(head_digest "$DST2" missing/library/small 1.0)" ""
same "lacking: the other image is" "$(head_digest "$DST2" missing/library/multi 1.0)" "$DIGEST_MULTI_OCI"
cp -r "$WORK/dir" "$WORK/corrupt" && $PY -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=1; open(p,"wb").write(b)' "$WORK/corrupt/blobs/sha256/$BLOB"
expect "a bundle with a corrupt blob" 2 "$BIN" mirror --from "oci:$WORK/corrupt" --registry "$DST2/corrupt" "${COMMON[@]}"
has "corrupt: said so" "$WORK/err" "content does not match digest sha256:$BLOB"
same "corrupt: that image is not pushed" "$(head_digest "$DST2" corrupt/library/small 1.0)" ""
same "corrupt: the blob never committed" "$(curl -s -o /dev/null -w '%{http_code}' -I "http://$DST2/v2/corrupt/library/small/blobs/sha256:$BLOB")" 404
lacks "corrupt: not reported copied" "$WORK/out" "copied $SRC/library/small"
cp -r "$WORK/dir" "$WORK/v2" && printf '{"imageLayoutVersion":"2.0.0"}' >"$WORK/v2/oci-layout"
expect "an unknown layout version" 2 "$BIN" mirror --from "oci:$WORK/v2" --registry "$DST2/v2" "${COMMON[@]}"
has "unknown version: said so" "$WORK/err" 'unknown OCI layout version "2.0.0"'
expect "images --from: an unknown layout version" 2 "$BIN" images --from "oci:$WORK/v2"
mkdir -p "$WORK/trav" && cp -r "$WORK/dir/." "$WORK/trav/" && echo evil >"$WORK/evil"
tar -cf "$WORK/trav.tar" -C "$WORK/trav" oci-layout index.json blobs && tar -rf "$WORK/trav.tar" -P --transform 's,^.*evil$,../../evil,' "$WORK/evil" 2>/dev/null
tar -tf "$WORK/trav.tar" 2>/dev/null | grep -q '^\.\./\.\./evil$' && ok "the hostile archive has a ../ member" || bad "building the hostile archive"
expect "a tar with path traversal" 2 "$BIN" mirror --from "oci-archive:$WORK/trav.tar" --registry "$DST2/trav" "${COMMON[@]}"
has "path traversal: said so" "$WORK/err" "escapes the archive's root (path traversal)"
same "path traversal: nothing pushed" "$(tags "$DST2" trav/library/multi)" ""
[ -e "$WORK/../evil" ] || [ -e "$(dirname "$WORK")/evil" ] && bad "a file was written outside" || ok "no file written outside"
mkdir -p "$WORK/link" && cp -r "$WORK/dir/." "$WORK/link/" && rm "$WORK/link/blobs/sha256/$BLOB" && ln -s /etc/hostname "$WORK/link/blobs/sha256/$BLOB"
tar -cf "$WORK/link.tar" -C "$WORK/link" oci-layout index.json blobs
expect "a tar whose blob is a symlink" 2 "$BIN" mirror --from "oci-archive:$WORK/link.tar" --registry "$DST2/link" "${COMMON[@]}"
has "symlink: said so" "$WORK/err" "blobs must be regular files"
head -c 2000 "$WORK/b.tar" >"$WORK/short.tar"
expect "a truncated archive" 2 "$BIN" mirror --from "oci-archive:$WORK/short.tar" --registry "$DST2/short" "${COMMON[@]}"
mkdir -p "$WORK/notempty" && echo keep >"$WORK/notempty/file"
expect "--to a directory that is not a layout" 2 "$BIN" mirror "${REFS[@]}" --to "oci:$WORK/notempty" "${COMMON[@]}"
same "that directory is untouched" "$(ls "$WORK/notempty")" "file"

# ---------------------------------------------------------------- kill -9, then run again
"${TB[@]}" big 48 >/dev/null
# shellcheck disable=SC1091
source "$TESTBED_DIR/testbed.env"
P=$TESTBED_PLAIN
"$BIN" mirror "$P/bench/big:1.0" --to "oci:$WORK/bigdir" --plain-http "$P" --concurrency 1 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 200); do [ -n "$(ls -A "$WORK/bigdir/.image-secure-partial" 2>/dev/null)" ] && break; sleep 0.01; done
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
[ -e "$WORK/bigdir/index.json" ] && bad "a killed --to left an index" || ok "a killed --to left no index.json"
expect "an interrupted --to completes when run again" 0 "$BIN" mirror "$P/bench/big:1.0" --to "oci:$WORK/bigdir" --plain-http "$P"
expect "--to the same image in one go" 0 "$BIN" mirror "$P/bench/big:1.0" --to "oci:$WORK/bigdir2" --plain-http "$P"
same "the resumed bundle equals the one written in one go" "$(tree_sums "$WORK/bigdir")" "$(tree_sums "$WORK/bigdir2")"
"$BIN" mirror --from "oci:$WORK/bigdir" --registry "$DST3/resume" "${COMMON[@]}" --concurrency 1 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do
    [ -n "$(find "$TESTBED_DIR/data/bundle-dst3" -path '*_uploads*' -name data -size +1k 2>/dev/null | head -1)" ] && break
    sleep 0.01
done
{ kill -9 "$pid" && wait "$pid"; } 2>/dev/null
same "a killed --from left no tag" "$(head_digest "$DST3" resume/bench/big 1.0)" ""
expect "an interrupted --from completes when run again" 0 "$BIN" mirror --from "oci:$WORK/bigdir" --registry "$DST3/resume" "${COMMON[@]}"
same "the resumed push has the source digest" "$(head_digest "$DST3" resume/bench/big 1.0)" "$DIGEST_BIG"
skopeo --insecure-policy copy -q --src-tls-verify=false "docker://$DST3/resume/bench/big:1.0" "oci:$WORK/check:big" >/dev/null 2>&1 \
    && ok "skopeo pulls the pushed image (every blob verified)" || bad "skopeo pull of the resumed push"

finish
