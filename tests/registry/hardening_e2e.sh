#!/usr/bin/env bash
# Hostile and faulty servers against the registry client (issue: hardening).
#  - hostile_server.py: a token realm over plain HTTP, error bodies that echo the credentials
#    and carry terminal escapes, a server that stalls, an HTTPS -> HTTP redirect.
#  - fault_proxy.py in front of the testbed's real registries: 429/503/resets/outages/corruption
#    on the blob path, for mirror; results checked with curl against the source digests.
#  - per-host --insecure-skip-tls-verify, password files, credential helpers that hang or leak.
# Usage: hardening_e2e.sh BINARY TESTBED_DIR
set -uo pipefail
BIN=$1
# shellcheck disable=SC1091
source "$2/testbed.env"
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
export IMAGE_SECURE_CACHE_DIR=$WORK/cache
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT
failures=0 checks=0
ok() { checks=$((checks + 1)); echo "ok   $1"; }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
expect() { # NAME WANT-RC COMMAND... ; stdout in $WORK/out, stderr in $WORK/err
    local name=$1 want=$2 rc
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
    rc=$?
    if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, want $want" "$(head -c 500 "$WORK/err" | cat -v)"; fi
}
has() { if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: no '$3' in $(basename "$2")" "$(head -c 500 "$2" | cat -v)"; fi; }
lacks() { if grep -qaF -- "$3" "$2"; then bad "$1: '$3' must not appear in $(basename "$2")" "$(grep -aF -- "$3" "$2" | head -c 300 | cat -v)"; else ok "$1"; fi; }
no_escapes() { if LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$2"; then bad "$1: control characters in $(basename "$2")" "$(cat -v "$2" | head -c 300)"; else ok "$1"; fi; }
same() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }
PY=$(command -v python3)
BASE=$((${TESTBED_PLAIN##*:} + 20))
await_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened"; exit 1; }

# ---------------------------------------------------------------- hostile registries
"$PY" "$HERE/hostile_server.py" "$BASE" "$TESTBED_DIR/certs/server.crt" "$TESTBED_DIR/certs/server.key" "$WORK/hostile.log" &
PIDS+=($!)
for p in 0 1 2 3 4 5; do await_port $((BASE + p)); done
CLEAR=127.0.0.1:$BASE SINK=127.0.0.1:$((BASE + 1)) ECHO_BASIC=127.0.0.1:$((BASE + 2)) ECHO_TOKEN=127.0.0.1:$((BASE + 3))
STALL=127.0.0.1:$((BASE + 4)) DOWNGRADE=127.0.0.1:$((BASE + 5))
PASSWORD='hunter2-S3CRET-pw'
B64=$(printf 'robot:%s' "$PASSWORD" | base64 -w0)
printf '%s' "$PASSWORD" >"$WORK/pw"
chmod 600 "$WORK/pw"
CREDS=(--docker-username robot --password-file "$WORK/pw" --ca-file "$TESTBED_CA")
sink_hits() { grep -c '"role": "sink"' "$WORK/hostile.log"; }

# 1. A token realm over plain HTTP never gets the credentials.
expect "cleartext realm: registry check refuses" 3 "$BIN" registry check "$CLEAR" "${CREDS[@]}"
has "cleartext realm: says why" "$WORK/err" "is plain HTTP: refusing to send credentials in cleartext"
expect "cleartext realm: registry resolve refuses" 3 "$BIN" registry resolve "$CLEAR/x:1" "${CREDS[@]}" --docker-server "$CLEAR"
same "cleartext realm: nothing reached the plain-HTTP realm" "$(sink_hits)" 0
expect "cleartext realm: declared plain, the user's choice is honoured" 1 "$BIN" registry check "$CLEAR" "${CREDS[@]}" --plain-http "$SINK"
same "cleartext realm: declared plain, the realm was asked" "$(sink_hits)" 1

# 2. Error bodies that echo the Authorization header: nothing secret, nothing raw reaches us.
: >"$WORK/echo.out"
: >"$WORK/echo.err"
for server in "$ECHO_BASIC" "$ECHO_TOKEN"; do
    for repo in s401 s403 s400 s500 raw; do
        "$BIN" registry inspect "$server/$repo:1" "${CREDS[@]}" --docker-server "$server" >>"$WORK/echo.out" 2>>"$WORK/echo.err"
        rc1=$?
        "$BIN" mirror "$server/$repo:1" --registry "$TESTBED_PLAIN/echo" --plain-http "$TESTBED_PLAIN" "${CREDS[@]}" \
            --docker-server "$server" >>"$WORK/echo.out" 2>>"$WORK/echo.err"
        rc2=$?
        "$BIN" mirror "$server/$repo:1" --registry "$TESTBED_PLAIN/echo" --plain-http "$TESTBED_PLAIN" "${CREDS[@]}" \
            --docker-server "$server" -o json >>"$WORK/echo.out" 2>>"$WORK/echo.err"
        rc3=$?
        if [ "$rc1" != 0 ] && [ "$rc2" != 0 ] && [ "$rc3" != 0 ]; then ok "echo $server $repo: all three fail"; else bad "echo $server $repo: exits $rc1 $rc2 $rc3"; fi
    done
done
lacks "echo: the password never printed" "$WORK/echo.err" "$PASSWORD"
lacks "echo: the password never in stdout" "$WORK/echo.out" "$PASSWORD"
lacks "echo: the Basic credential never printed" "$WORK/echo.err" "$B64"
lacks "echo: the Basic credential never in stdout (json)" "$WORK/echo.out" "$B64"
for token in $(grep -o '"issued": \[[^]]*\]' "$WORK/hostile.log" | grep -o '"[a-z]*-[0-9a-f]*"' | tr -d '"'); do
    lacks "echo: token ${token:0:8}… never printed" "$WORK/echo.err" "$token"
    lacks "echo: token ${token:0:8}… never in stdout" "$WORK/echo.out" "$token"
done
has "echo: the error codes survive" "$WORK/echo.err" "DENIED"
has "echo: the scrubbing is visible" "$WORK/echo.err" "[redacted]"
no_escapes "echo: no terminal escapes on stderr" "$WORK/echo.err"
no_escapes "echo: no terminal escapes on stdout" "$WORK/echo.out"

# 3. A server that stalls: a progress timeout, one more try, a clear error.
start=$(date +%s)
expect "stall: gives up" 3 env IMAGE_SECURE_STALL_TIMEOUT=2 timeout 60 "$BIN" registry inspect "$STALL/x:1" --plain-http "$STALL"
has "stall: says the server stalled" "$WORK/err" "the server stalled"
elapsed=$(($(date +%s) - start))
[ "$elapsed" -lt 30 ] && ok "stall: bounded (${elapsed} s)" || bad "stall: took ${elapsed} s"

# 4. HTTPS -> HTTP redirect: refused, nothing sent to the plain origin.
before=$(sink_hits)
expect "downgrade: registry inspect refuses" 3 "$BIN" registry inspect "$DOWNGRADE/x:1" --ca-file "$TESTBED_CA"
has "downgrade: says why" "$WORK/err" "refusing to follow a redirect from HTTPS to plain HTTP"
same "downgrade: the plain origin saw nothing" "$(sink_hits)" "$before"

# ---------------------------------------------------------------- TLS per host
expect "insecure: without a CA the basic registry fails" 3 "$BIN" registry check "$TESTBED_BASIC" --docker-username pusher --password-file <(printf pusher-secret)
expect "insecure: named host skips verification" 0 "$BIN" registry check "$TESTBED_BASIC" --docker-username pusher --password-file <(printf pusher-secret) --insecure-skip-tls-verify="$TESTBED_BASIC"
lacks "insecure: named host, no warning" "$WORK/err" "warning"
expect "insecure: another host named, still verified" 3 "$BIN" registry check "$TESTBED_BASIC" --docker-username pusher --password-file <(printf pusher-secret) --insecure-skip-tls-verify=127.0.0.1:1
expect "insecure: the bare flag still works" 0 "$BIN" registry check "$TESTBED_BASIC" --docker-username pusher --password-file <(printf pusher-secret) --insecure-skip-tls-verify
has "insecure: the bare flag warns" "$WORK/err" "warning: --insecure-skip-tls-verify without a host"
expect "insecure: =false is kubectl's bool" 3 "$BIN" registry check "$TESTBED_BASIC" --docker-username pusher --password-file <(printf pusher-secret) --insecure-skip-tls-verify=false

# ---------------------------------------------------------------- password files, helpers
printf 'pusher-secret' >"$WORK/open-pw"
chmod 644 "$WORK/open-pw"
expect "password file readable by others: works" 0 "$BIN" registry check "$TESTBED_BASIC" --certs-dir "$TESTBED_CERTS_D" --docker-username pusher --password-file "$WORK/open-pw"
has "password file readable by others: warned" "$WORK/err" "can be read by other users (mode 0644)"
expect "password file /dev/zero: refused quickly" 2 timeout 20 "$BIN" secret create s --docker-username u --password-file /dev/zero
has "password file /dev/zero: says why" "$WORK/err" "that is not a password"
mkdir -p "$WORK/bin" "$WORK/hang-config" "$WORK/leak-config"
printf '#!/bin/sh\nsleep 60\n' >"$WORK/bin/docker-credential-hang"
printf '#!/bin/sh\necho "SECRET-FROM-HELPER-42"\nexit 3\n' >"$WORK/bin/docker-credential-leak"
chmod +x "$WORK/bin/docker-credential-hang" "$WORK/bin/docker-credential-leak"
printf '{"credHelpers": {"%s": "hang"}}\n' "$TESTBED_BASIC" >"$WORK/hang-config/config.json"
printf '{"credHelpers": {"%s": "leak"}}\n' "$TESTBED_BASIC" >"$WORK/leak-config/config.json"
start=$(date +%s)
expect "helper that hangs: timed out" 2 env PATH="$WORK/bin:$PATH" IMAGE_SECURE_HELPER_TIMEOUT=1 timeout 30 "$BIN" registry check "$TESTBED_BASIC" --certs-dir "$TESTBED_CERTS_D" --docker-config "$WORK/hang-config"
has "helper that hangs: says so" "$WORK/err" "did not answer within 1 s"
elapsed=$(($(date +%s) - start))
[ "$elapsed" -lt 10 ] && ok "helper that hangs: bounded (${elapsed} s)" || bad "helper that hangs: took ${elapsed} s"
expect "helper that fails: an error" 2 env PATH="$WORK/bin:$PATH" "$BIN" registry check "$TESTBED_BASIC" --certs-dir "$TESTBED_CERTS_D" --docker-config "$WORK/leak-config"
lacks "helper that fails: its output is never shown" "$WORK/err" "SECRET-FROM-HELPER-42"
has "helper that fails: exit status named" "$WORK/err" "exit status 3"

# ---------------------------------------------------------------- faults on the blob path (mirror)
TB=(env TESTBED_DIR="$TESTBED_DIR" TESTBED_PORT_BASE="${TESTBED_PLAIN##*:}" "$HERE/testbed.sh")
if [ -z "${DIGEST_BIG:-}" ]; then
    "${TB[@]}" big 48 >/dev/null
    # shellcheck disable=SC1091
    source "$TESTBED_DIR/testbed.env"
fi
SRC_PROXY=127.0.0.1:$((BASE + 10)) DST_PORT=$((BASE + 11)) DST_PROXY=127.0.0.1:$((BASE + 12))
"${TB[@]}" stop-one hardening-dst >/dev/null 2>&1
"${TB[@]}" fresh hardening-dst "$DST_PORT" >/dev/null
DST=127.0.0.1:$DST_PORT
"$PY" "$HERE/fault_proxy.py" $((BASE + 10)) "$TESTBED_PLAIN" "$WORK/src-proxy.log" &
PIDS+=($!)
"$PY" "$HERE/fault_proxy.py" $((BASE + 12)) "$DST" "$WORK/dst-proxy.log" &
PIDS+=($!)
await_port $((BASE + 10))
await_port $((BASE + 12))
plan() { curl -sf -X PUT --data-binary "$2" "http://$1/__plan" >/dev/null; }
ACCEPT='Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
dst_digest() { curl -sfI -H "$ACCEPT" "http://$DST/v2/$1/manifests/$2" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'; }
blobs_complete() { # REPO: every layer and the config of the copied manifest are at the destination
    local repo=$1 d missing=0
    for d in $(curl -sf -H "$ACCEPT" "http://$DST/v2/$repo/manifests/1.0" | grep -o 'sha256:[0-9a-f]\{64\}' | sort -u); do
        curl -sfI "http://$DST/v2/$repo/blobs/$d" >/dev/null || missing=$((missing + 1))
    done
    echo "$missing"
}
PLAINS=(--plain-http "$SRC_PROXY" --plain-http "$DST_PROXY" --plain-http "$DST")
fault_case() { # NAME PROXY PLAN DEST-HOST [mirror flags]
    local name=$1 proxy=$2 rules=$3 dest=$4 repo
    shift 4
    repo=f$checks
    # A fresh destination and no blob-location cache: every blob must really travel.
    "${TB[@]}" stop-one hardening-dst >/dev/null 2>&1
    "${TB[@]}" fresh hardening-dst "$DST_PORT" >/dev/null
    rm -rf "$IMAGE_SECURE_CACHE_DIR"
    plan "$proxy" "$rules"
    expect "fault $name: mirror completes" 0 timeout 300 "$BIN" mirror "$SRC_PROXY/bench/big:1.0" --registry "$dest/$repo" "${PLAINS[@]}" "$@"
    same "fault $name: the copy has the source digest" "$(dst_digest "$repo/bench/big" 1.0)" "$DIGEST_BIG"
    same "fault $name: every blob arrived" "$(blobs_complete "$repo/bench/big")" 0
    plan "$proxy" "[]"
}
fault_case "blob GET 503 twice" "$SRC_PROXY" '[{"method":"GET","path":"/blobs/sha256:","action":"status","status":503,"times":2}]' "$DST"
fault_case "blob GET 429 Retry-After" "$SRC_PROXY" '[{"method":"GET","path":"/blobs/sha256:","action":"status","status":429,"retry_after":"1","times":1}]' "$DST"
fault_case "blob GET reset mid-body, twice" "$SRC_PROXY" '[{"method":"GET","path":"/blobs/sha256:","action":"reset","after":300000,"times":2}]' "$DST"
has "fault reset: the proxy did cut the downloads" "$WORK/src-proxy.log" '"rule": "reset"'
has "fault reset: the downloads resumed with Range" "$WORK/src-proxy.log" '"range": "bytes='
fault_case "0.5 s outage of the source" "$SRC_PROXY" '[{"method":"GET","path":"/blobs/sha256:","action":"outage","seconds":0.5,"times":1}]' "$DST"
fault_case "upload PUT 503" "$DST_PROXY" '[{"method":"PUT","path":"/blobs/uploads/","action":"status","status":503,"times":1}]' "$DST_PROXY"
fault_case "upload PUT connection reset" "$DST_PROXY" '[{"method":"PUT","path":"/blobs/uploads/","action":"reset_request","times":1}]' "$DST_PROXY"
fault_case "--concurrency 1 (a 48 MiB image)" "$SRC_PROXY" '[]' "$DST" --concurrency 1
"${TB[@]}" stop-one hardening-dst >/dev/null 2>&1
"${TB[@]}" fresh hardening-dst "$DST_PORT" >/dev/null
rm -rf "$IMAGE_SECURE_CACHE_DIR"
plan "$SRC_PROXY" '[{"method":"GET","path":"/blobs/sha256:","action":"corrupt","at":5000,"times":99}]'
expect "fault corrupt blob: fails" 3 timeout 120 "$BIN" mirror "$SRC_PROXY/bench/big:1.0" --registry "$DST/corrupt" "${PLAINS[@]}"
has "fault corrupt blob: the digest check says so" "$WORK/err" "does not match digest"
same "fault corrupt blob: nothing was tagged" "$(dst_digest corrupt/bench/big 1.0)" ""
plan "$SRC_PROXY" "[]"
"${TB[@]}" stop-one hardening-dst >/dev/null 2>&1

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
