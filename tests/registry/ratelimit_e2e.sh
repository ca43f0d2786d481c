#!/usr/bin/env bash
# Rate limits, end to end: fault_proxy.py acts like Docker Hub in front of the testbed's plain
# registry (RateLimit-Limit/-Remaining on manifest answers, each manifest GET spends one, 429
# when none is left) and its log says whether the registry ever had to refuse.
# Usage: ratelimit_e2e.sh BINARY TESTBED_DIR
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
source "$HERE/../lib/registry.sh" "$@"
R=$((${TESTBED_PLAIN##*:} + 16)) # +16, +17 (referrers_e2e.sh: +10..+15; hardening: +20..+32)
SRC=127.0.0.1:$R DST_PORT=$((R + 1)) DST=127.0.0.1:$((R + 1))
PROXY_PID=""
cleanup() {
    [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
    "${TB[@]}" stop-one ratelimit-dst >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
refused() { grep -c '"rule": "ratelimit-refused"' "$WORK/proxy.log" || true; }
limit() { curl -sf -X PUT --data "$1" "http://$SRC/__ratelimit" >/dev/null; }

"${TB[@]}" stop-one ratelimit-dst >/dev/null 2>&1
"${TB[@]}" fresh ratelimit-dst "$DST_PORT" >/dev/null
"$PY" "$HERE/fault_proxy.py" "$R" "$TESTBED_PLAIN" "$WORK/proxy.log" &
PROXY_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://$SRC/v2/" && break; sleep 0.1; done
IMAGES=("$SRC/library/small:1.0" "$SRC/library/multi:1.0" "$SRC/apps/web:2.1" "$SRC/bench/many:t01" "$SRC/bench/many:t02")
COMMON=(--plain-http "$SRC" --plain-http "$DST" --registry "$DST/rl" --no-referrers)

# ---------------------------------------------------------------- reported
limit '{"limit": 100, "remaining": 100, "window": 21600}'
expect "dry run with a rate limit" 0 "$BIN" mirror "${IMAGES[@]}" "${COMMON[@]}" --dry-run -v
has "-v logs what the registry announces" "$WORK/err" "registry: rate limit of $SRC: 100 of 100 left (window 6 h)"
has "the dry run says what a real run needs" "$WORK/err" "of 100 left (window 6 h); a real run needs about 7 manifest pulls there"
grep -q "it would stop" "$WORK/err" && bad "a run that fits is not warned about" || ok "a run that fits is not warned about"
limit '{"limit": 100, "remaining": 10, "window": 21600}'
expect "dry run that would not fit" 0 "$BIN" mirror "${IMAGES[@]}" "${COMMON[@]}" --dry-run
has "the dry run says up front that it would stop" "$WORK/err" "3 of 100 left (window 6 h); a real run needs about 7 manifest pulls there: it would stop when the budget is used up"

# ---------------------------------------------------------------- slowing down before a refusal
: >"$WORK/proxy.log"
limit '{"limit": 100, "remaining": 2, "window": 21600}'
expect "a run with 2 pulls left stops, exit 3" 3 "$BIN" mirror "${IMAGES[@]}" "${COMMON[@]}"
has "the images it could not read say why" "$WORK/err" "rate limit is used up (0 of 100 left (window 6 h)): not sent"
has "the summary reports the limit" "$WORK/err" "rate limit of $SRC: 0 of 100 left (window 6 h)"
[ "$(refused)" = 0 ] && ok "the registry never had to refuse (no 429)" || bad "the registry refused $(refused) requests"
copied=$(grep -c '^copied ' "$WORK/out" || true)
[ "$copied" -ge 1 ] && ok "what the budget allowed was copied ($copied images)" || bad "nothing copied with 2 pulls left" "$(cat "$WORK/out")"

# A short window (1 s): wait for it instead of failing.
: >"$WORK/proxy.log"
limit '{"limit": 2, "remaining": 2, "window": 1}'
expect "a short window is waited for" 0 "$BIN" mirror "${IMAGES[@]}" --plain-http "$SRC" --plain-http "$DST" --registry "$DST/short" --no-referrers -v
has "-v says it waits" "$WORK/err" "waiting for the next window"
[ "$(refused)" = 0 ] && ok "short window: the registry never had to refuse" || bad "short window: $(refused) refusals"
for ref in library/small:1.0 library/multi:1.0 apps/web:2.1; do
    got=$(curl -sfI -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
        "http://$DST/v2/short/${ref%%:*}/manifests/${ref##*:}" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')
    want=$(curl -sfI -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
        "http://$TESTBED_PLAIN/v2/${ref%%:*}/manifests/${ref##*:}" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')
    [ -n "$got" ] && [ "$got" = "$want" ] && ok "short window: $ref copied with its digest" || bad "short window: $ref at the destination: '$got'"
done

finish
