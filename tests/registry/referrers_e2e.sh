#!/usr/bin/env bash
# End-to-end tests of `mirror` with signatures, attestations and SBOMs, between real
# docker-registry instances. Debian's docker-registry 2.8 has no referrers API, so
# fault_proxy.py --referrers serves it in front of two of them; the other two keep the OCI 1.1
# fallback tag. The artifacts are pushed, and every result is checked, by independent clients
# (sign_images.py, curl, skopeo), never by the tool.
# Usage: referrers_e2e.sh BINARY TESTBED_DIR
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
source "$HERE/../lib/registry.sh" "$@"
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for n in ref-src ref-src-api ref-dst ref-dst-api; do "${TB[@]}" stop-one "$n" >/dev/null 2>&1; done
    rm -rf "$WORK"
}
trap cleanup EXIT

R=$((${TESTBED_PLAIN##*:} + 10)) # +10..+15 (ratelimit_e2e.sh: +16, +17; hardening: +20..+32; audit: +33)
SRC=127.0.0.1:$R                   # no referrers API: fallback tag
SRC_API=127.0.0.1:$((R + 2))       # proxy with the API in front of R+1
DST=127.0.0.1:$((R + 3))           # no referrers API
DST_API=127.0.0.1:$((R + 5))       # proxy with the API in front of R+4
for n in ref-src ref-src-api ref-dst ref-dst-api; do "${TB[@]}" stop-one "$n" >/dev/null 2>&1; done
"${TB[@]}" fresh ref-src "$R" >/dev/null
"${TB[@]}" fresh ref-src-api $((R + 1)) >/dev/null
"${TB[@]}" fresh ref-dst $((R + 3)) >/dev/null
"${TB[@]}" fresh ref-dst-api $((R + 4)) >/dev/null
"$PY" "$HERE/fault_proxy.py" $((R + 2)) 127.0.0.1:$((R + 1)) "$WORK/src-proxy.log" --referrers &
PIDS+=($!)
"$PY" "$HERE/fault_proxy.py" $((R + 5)) 127.0.0.1:$((R + 4)) "$WORK/dst-proxy.log" --referrers &
PIDS+=($!)
for _ in $(seq 50); do curl -s -o /dev/null "http://$SRC_API/v2/" && curl -s -o /dev/null "http://$DST_API/v2/" && break; sleep 0.1; done
COMMON=(--plain-http "$SRC" --plain-http "$SRC_API" --plain-http "$DST" --plain-http "$DST_API")

# ---------------------------------------------------------------- signed sources
INDEX=$DIGEST_MULTI_OCI
for where in "$SRC" "$SRC_API"; do
    skopeo --insecure-policy copy -q --all --dest-tls-verify=false "oci:$TESTBED_DIR/oci:multi" "docker://$where/library/multi:1.0" \
        >"$WORK/skopeo.log" 2>&1 || bad "skopeo push to $where" "$(cat "$WORK/skopeo.log")"
done
ARM=$(curl -sf -H "$ACCEPT" "http://$SRC/v2/library/multi/manifests/1.0" | $PY -c 'import json,sys; print([m["digest"] for m in json.load(sys.stdin)["manifests"] if m["platform"]["architecture"] == "arm64"][0])')
sign() { # WHERE NAME SUBJECT
    "$PY" "$HERE/sign_images.py" "http://$1" library/multi "$3" --label "$2" >"$WORK/$2.json" 2>"$WORK/$2.err" \
        || bad "sign_images.py $2" "$(cat "$WORK/$2.err")"
}
sign "$SRC" tag-index "$INDEX"
sign "$SRC" tag-arm "$ARM"
sign "$SRC_API" api-index "$INDEX"
sign "$SRC_API" api-arm "$ARM"
api_of() { $PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["api"])' "$WORK/$1.json"; }
[ "$(api_of tag-index)" = False ] && [ "$(api_of api-index)" = True ] \
    && ok "testbed: the plain registry has no referrers API, the proxy has one" || bad "testbed referrers API detection"

# Every artifact one signing made, as "REF<TAB>DIGEST" (REF: a cosign tag or the digest itself).
artifacts() { $PY -c '
import json, sys
d = json.load(open(sys.argv[1]))
for tag, digest in sorted(d["cosign"].items()): print(tag + "\t" + digest)
for r in d["referrers"]: print(r["digest"] + "\t" + r["digest"])' "$WORK/$1.json"; }
all_there() { # NAME DEST REPO SIGNING...: every artifact at DEST/REPO with its digest
    local name=$1 dest=$2 repo=$3 missing="" ref digest s
    shift 3
    for s in "$@"; do
        while IFS=$'\t' read -r ref digest; do
            [ "$(head_digest "$dest" "$repo" "$ref")" = "$digest" ] || missing+=" $ref"
        done < <(artifacts "$s")
    done
    [ -z "$missing" ] && ok "$name" || bad "$name" "missing or different:$missing"
}
none_there() { # NAME DEST REPO SIGNING
    local name=$1 dest=$2 repo=$3 found="" ref digest
    while IFS=$'\t' read -r ref digest; do
        [ -n "$(head_digest "$dest" "$repo" "$ref")" ] && found+=" $ref"
    done < <(artifacts "$4")
    [ -z "$found" ] && ok "$name" || bad "$name" "present:$found"
}
listed() { # JSON-INDEX-URL -> digests it lists, sorted
    curl -sf -H 'Accept: application/vnd.oci.image.index.v1+json' "$1" | $PY -c 'import json,sys; print(" ".join(sorted(m["digest"] for m in json.load(sys.stdin)["manifests"])))'
}
subject_referrers() { # SIGNING SUBJECT -> the digests sign_images.py made with that subject, sorted
    $PY -c 'import json,sys; print(" ".join(sorted(r["digest"] for r in json.load(open(sys.argv[1]))["referrers"] if r["subject"] == sys.argv[2])))' "$WORK/$1.json" "$2"
}
sbom_of() { $PY -c 'import json,sys; print([r["digest"] for r in json.load(open(sys.argv[1]))["referrers"] if r["artifactType"] == "application/spdx+json"][0])' "$WORK/$1.json"; }

# ---------------------------------------------------------------- dry run lists, writes nothing
expect "--dry-run with referrers" 0 "$BIN" mirror "$SRC/library/multi:1.0" --registry "$DST_API/a" "${COMMON[@]}" --dry-run
[ "$(grep -c '^  would copy referrer ' "$WORK/out")" = 12 ] && ok "--dry-run lists the 12 referrers (6 of the index, 6 of the arm64 child)" \
    || bad "--dry-run referrer lines" "$(cat "$WORK/out")"
has "--dry-run names cosign's tag" "$WORK/out" "(cosign signature, tag ${INDEX/:/-}.sig) of $INDEX"
has "--dry-run summary counts referrers" "$WORK/out" "referrers: 12 to copy, 0 already there"
[ -z "$(head_digest "$DST_API" a/library/multi 1.0)" ] && ok "--dry-run wrote nothing" || bad "--dry-run wrote the image"

# ---------------------------------------------------------------- fallback tag -> referrers API
expect "mirror: source without the API, destination with it" 0 "$BIN" mirror "$SRC/library/multi:1.0" --registry "$DST_API/a" "${COMMON[@]}"
[ "$(head_digest "$DST_API" a/library/multi 1.0)" = "$INDEX" ] && ok "image copied with its digest" || bad "image digest at the destination"
all_there "every referrer and cosign tag at the destination, same digests" "$DST_API" a/library/multi tag-index tag-arm
[ "$(listed "http://$DST_API/v2/a/library/multi/referrers/$INDEX")" = "$(subject_referrers tag-index "$INDEX")" ] \
    && ok "the destination's referrers API lists the index's referrers" || bad "referrers API at the destination" "$(listed "http://$DST_API/v2/a/library/multi/referrers/$INDEX")"
[ "$(listed "http://$DST_API/v2/a/library/multi/referrers/$(sbom_of tag-index)")" = "$(subject_referrers tag-index "$(sbom_of tag-index)")" ] \
    && ok "... and the SBOM's signature (a referrer of a referrer)" || bad "referrer of a referrer"
[ -z "$(head_digest "$DST_API" a/library/multi "${INDEX/:/-}")" ] && ok "a destination with the API gets no fallback tag" || bad "fallback tag written although the API exists"
sig=$(skopeo inspect --raw --tls-verify=false "docker://$DST_API/a/library/multi:${INDEX/:/-}.sig" 2>/dev/null | sha256sum | cut -d' ' -f1)
[ "sha256:$sig" = "$(head_digest "$SRC" library/multi "${INDEX/:/-}.sig")" ] && ok "skopeo reads the copied cosign signature byte for byte" || bad "skopeo: cosign signature digest $sig"

# ---------------------------------------------------------------- referrers API -> fallback tag
expect "mirror: source with the API, destination without" 0 "$BIN" mirror "$SRC_API/library/multi:1.0" --registry "$DST/b" "${COMMON[@]}"
all_there "every referrer and cosign tag at the destination" "$DST" b/library/multi api-index api-arm
for s in "$INDEX" "$ARM"; do
    name=api-index
    [ "$s" = "$ARM" ] && name=api-arm
    [ "$(listed "http://$DST/v2/b/library/multi/manifests/${s/:/-}")" = "$(subject_referrers $name "$s")" ] \
        && ok "fallback tag ${s:0:15}... lists exactly its referrers" || bad "fallback tag of $s" "$(listed "http://$DST/v2/b/library/multi/manifests/${s/:/-}")"
done
has "the note says why the fallback tag was written" "$WORK/out" "the destination has no referrers API: listed in ${INDEX/:/-}"
expect "second run" 0 "$BIN" mirror "$SRC_API/library/multi:1.0" --registry "$DST/b" "${COMMON[@]}"
has "second run: up to date with its referrers" "$WORK/out" "up to date $SRC_API/library/multi:1.0 -> $DST/b/library/multi:1.0 $INDEX (12 referrers)"
has "second run: nothing copied" "$WORK/out" "referrers: 0 copied, 12 already there"

# A signature made after the mirror ran: the next run copies it, and the fallback index keeps
# the old entries.
sign "$SRC_API" api-later "$INDEX"
expect "run after a new signature" 0 "$BIN" mirror "$SRC_API/library/multi:1.0" --registry "$DST/b" "${COMMON[@]}"
has "the new referrers and the re-signed cosign tags are copied" "$WORK/out" "referrers: 6 copied, 9 already there"
all_there "the new signature's artifacts are there" "$DST" b/library/multi api-later
want=$(echo "$(subject_referrers api-index "$INDEX") $(subject_referrers api-later "$INDEX")" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
[ "$(listed "http://$DST/v2/b/library/multi/manifests/${INDEX/:/-}")" = "$want" ] && ok "the fallback index was extended, not replaced" || bad "fallback index after the second signing"

# ---------------------------------------------------------------- --platform, --no-referrers, json
expect "--platform linux/arm64" 0 "$BIN" mirror "$SRC/library/multi:1.0" --registry "$DST/c" "${COMMON[@]}" --platform linux/arm64
all_there "--platform: the child's referrers are copied" "$DST" c/library/multi tag-arm
none_there "--platform: the index's referrers are not" "$DST" c/library/multi tag-index
has "--platform: the note says the index signature does not apply" "$WORK/out" "the index's own referrers (its signature) do not apply to it"
expect "--no-referrers" 0 "$BIN" mirror "$SRC/library/multi:1.0" --registry "$DST/d" "${COMMON[@]}" --no-referrers
[ "$(head_digest "$DST" d/library/multi 1.0)" = "$INDEX" ] && ok "--no-referrers copies the image" || bad "--no-referrers image"
none_there "--no-referrers copies no referrer" "$DST" d/library/multi tag-index
expect "-o json" 0 "$BIN" mirror "$SRC/library/multi:1.0" --registry "$DST/e" "${COMMON[@]}" --dry-run -o json
$PY - "$WORK/out" "$WORK/tag-index.json" <<'PY' && ok "-o json lists each referrer (digest, subject, kind, tag, status)" || bad "-o json referrers" "$(head -c 600 "$WORK/out")"
import json, sys
records = json.load(open(sys.argv[1]))
signed = json.load(open(sys.argv[2]))
refs = records[0]["referrers"]
assert len(refs) == 12 and all(r["status"] == "planned" for r in refs), refs
tags = {r["tag"]: r["digest"] for r in refs if "tag" in r}
for tag, digest in signed["cosign"].items():
    assert tags[tag] == digest, (tag, tags)
kinds = sorted(r["kind"] for r in refs if r["subject"] == signed["referrers"][0]["subject"])
assert kinds == sorted(["application/spdx+json", "application/vnd.cncf.notary.signature", "cosign attestation",
                        "cosign SBOM", "cosign signature"]), kinds
PY

finish
