#!/usr/bin/env bash
# End-to-end tests of the registry client against the project's testbed (real Debian
# docker-registry instances, a real token issuer) and a loopback fault server.
# Expected digests come from build_images.py's refs.tsv and from curl, never from the tool.
#
# Usage: registry_e2e.sh BINARY TESTBED_DIR
set -uo pipefail
BIN=$1
# shellcheck disable=SC1091
source "$2/testbed.env"
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
FAULT_PID=
trap '[ -n "$FAULT_PID" ] && kill "$FAULT_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
failures=0 checks=0
ok() { checks=$((checks + 1)); echo "ok   $1"; }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
expect() { # NAME WANT-RC COMMAND... ; stdout in $WORK/out, stderr in $WORK/err
    local name=$1 want=$2 rc
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, want $want" "$(head -c 400 "$WORK/err")"; fi
}
has() { # NAME FILE TEXT
    if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: no '$3' in $(basename "$2")" "$(head -c 400 "$2")"; fi
}
lacks() {
    if grep -qF -- "$3" "$2"; then bad "$1: '$3' must not appear in $(basename "$2")"; else ok "$1"; fi
}
same() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1" "got '$2', want '$3'"; fi; }
ref_digest() { awk -F'\t' -v r="$1" '$1 == r { print $2 }' "$TESTBED_DIR/oci/refs.tsv"; }
ACCEPT='Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
curl_digest() { # plain-registry REPO TAG, via curl HEAD
    curl -sfI -H "$ACCEPT" "http://$TESTBED_PLAIN/v2/$1/manifests/$2" | tr -d '\r' |
        awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}
tokens() { wc -l <"$TESTBED_TOKEN_LOG"; }
TLS=(--certs-dir "$TESTBED_CERTS_D")

# ---------------------------------------------------------------- registry check
expect "check: anonymous plain-HTTP registry" 0 "$BIN" registry check "$TESTBED_PLAIN" --plain-http "$TESTBED_PLAIN"
has "check: says no authentication" "$WORK/out" "no authentication required (none)"
expect "check: http:// URL means plain HTTP" 0 "$BIN" registry check "http://$TESTBED_PLAIN/"
expect "check: plain registry spoken to over TLS fails as network error" 3 "$BIN" registry check "$TESTBED_PLAIN"
expect "check: basic without credentials" 1 "$BIN" registry check "$TESTBED_BASIC" "${TLS[@]}"
echo pusher-secret >"$WORK/pw"
expect "check: basic, right password from a file" 0 "$BIN" registry check "$TESTBED_BASIC" "${TLS[@]}" --docker-username pusher --password-file "$WORK/pw"
has "check: basic says who and how" "$WORK/out" "credentials for pusher accepted (basic)"
expect "check: basic, wrong password" 1 sh -c "echo nope | '$BIN' registry check $TESTBED_BASIC --certs-dir $TESTBED_CERTS_D --docker-username pusher --password-stdin"
lacks "check: the wrong password is never printed" "$WORK/err" "nope"
expect "check: token, right password" 0 sh -c "echo pusher-secret | '$BIN' registry check https://$TESTBED_TOKEN/v2/ --ca-file $TESTBED_CA --docker-username pusher --password-stdin"
has "check: token says who and how" "$WORK/out" "credentials for pusher accepted (token)"
expect "check: token, wrong password" 1 sh -c "echo nope | '$BIN' registry check $TESTBED_TOKEN --ca-file $TESTBED_CA --docker-username pusher --password-stdin"
has "check: token rejection comes from the token server" "$WORK/err" "token server"
expect "check: token, anonymous" 0 "$BIN" registry check "$TESTBED_TOKEN" "${TLS[@]}"
has "check: anonymous token" "$WORK/out" "anonymous access accepted (token)"
expect "check: pull-only user" 0 "$BIN" registry check "$TESTBED_TOKEN" "${TLS[@]}" --docker-username reader --password-file <(printf reader-secret)
expect "check: registry down" 3 "$BIN" registry check "$TESTBED_DOWN"
has "check: down names the registry" "$WORK/err" "cannot reach $TESTBED_DOWN"
expect "check: wrong CA" 3 "$BIN" registry check "$TESTBED_TOKEN" --ca-file "$TESTBED_OTHER_CA" --certs-dir /nonexistent
has "check: wrong CA says why" "$WORK/err" "certificate"
expect "check: system CAs only" 3 "$BIN" registry check "$TESTBED_BASIC" --certs-dir /nonexistent
expect "check: --insecure-skip-tls-verify" 0 "$BIN" registry check "$TESTBED_TOKEN" --insecure-skip-tls-verify --certs-dir /nonexistent
expect "check: docker config auths (username/password entry under a URL key)" 0 "$BIN" registry check "$TESTBED_TOKEN" "${TLS[@]}" --docker-config "$TESTBED_DOCKER_CONFIG"
has "check: config.json user" "$WORK/out" "credentials for reader accepted"
expect "check: docker config auths (auth entry)" 0 env DOCKER_CONFIG="$TESTBED_DOCKER_CONFIG" "$BIN" registry check "$TESTBED_BASIC" "${TLS[@]}"
has "check: \$DOCKER_CONFIG is read" "$WORK/out" "credentials for pusher accepted (basic)"
: >"$TESTBED_DIR/logs/credential-helper.log"
expect "check: credHelpers" 0 env PATH="$TESTBED_BIN:$PATH" "$BIN" registry check "$TESTBED_TOKEN" "${TLS[@]}" --docker-config "$TESTBED_DOCKER_CONFIG_HELPER"
has "check: the helper was asked for the token registry" "$TESTBED_DIR/logs/credential-helper.log" "$TESTBED_TOKEN"
expect "check: credsStore for a host without a credHelpers entry" 0 env PATH="$TESTBED_BIN:$PATH" "$BIN" registry check "$TESTBED_BASIC" "${TLS[@]}" --docker-config "$TESTBED_DOCKER_CONFIG_HELPER"
has "check: the store was asked for the basic registry" "$TESTBED_DIR/logs/credential-helper.log" "$TESTBED_BASIC"
expect "check: a helper that is not installed" 2 "$BIN" registry check "$TESTBED_BASIC" "${TLS[@]}" --docker-config "$TESTBED_DOCKER_CONFIG_HELPER"
has "check: missing helper named" "$WORK/err" "docker-credential-testbed"

# ---------------------------------------------------------------- registry resolve
P=$TESTBED_PLAIN
expect "resolve: both families, index and list" 0 "$BIN" registry resolve "$P/library/small:1.0" "$P/docker/small:1.0" "$P/library/multi:1.0" "$P/docker/multi:1.0" --plain-http "$P"
same "resolve: OCI manifest digest" "$(sed -n 1p "$WORK/out")" "$P/library/small:1.0 $(ref_digest small)"
same "resolve: Docker v2s2 digest" "$(sed -n 2p "$WORK/out")" "$P/docker/small:1.0 $(curl_digest docker/small 1.0)"
same "resolve: OCI index digest (not a child)" "$(sed -n 3p "$WORK/out")" "$P/library/multi:1.0 $(ref_digest multi)"
same "resolve: Docker manifest list digest" "$(sed -n 4p "$WORK/out")" "$P/docker/multi:1.0 $(curl_digest docker/multi 1.0)"
arm=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([m["digest"] for m in d["manifests"] if m["platform"]["architecture"]=="arm64"][0])' "$TESTBED_DIR/oci/blobs/sha256/$(ref_digest multi | cut -d: -f2)")
expect "resolve: --platform picks the child" 0 "$BIN" registry resolve "$P/library/multi:1.0" --plain-http "$P" --platform linux/arm64 -o json
python3 - "$WORK/out" "$arm" <<'PY' && ok "resolve: JSON shape and arm64 child digest" || bad "resolve: JSON shape and arm64 child digest" "$(cat "$WORK/out")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1 and rows[0]["digest"] == sys.argv[2], rows
assert rows[0]["mediaType"] == "application/vnd.oci.image.manifest.v1+json" and rows[0]["platform"] == "linux/arm64/v8"
assert set(rows[0]) >= {"input", "normalized", "digest", "mediaType"}
PY
expect "resolve: a missing tag is reported, the rest still printed" 1 "$BIN" registry resolve "$P/library/small:nope" "$P/library/small:1.0" --plain-http "$P"
has "resolve: missing image named" "$WORK/err" "$P/library/small:nope: not found"
has "resolve: the other image resolved" "$WORK/out" "$(ref_digest small)"
expect "resolve: invalid reference is a usage error" 2 "$BIN" registry resolve "bad//ref" --plain-http "$P"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: "%s/library/small:1.0"}\n  - {name: b, image: "%s/library/multi:1.0"}\n' "$P" "$P" >"$WORK/pod.yaml"
expect "resolve: -f manifests" 0 "$BIN" registry resolve -f "$WORK/pod.yaml" --plain-http "$P"
same "resolve: -f lists each image" "$(wc -l <"$WORK/out")" 2
: >"$TESTBED_TOKEN_LOG"
mapfile -t many < <(for n in $(seq -f %02g 1 "$TESTBED_TAGS"); do echo "$TESTBED_TOKEN/bench/many:t$n"; done)
expect "resolve: $TESTBED_TAGS tags behind bearer auth" 0 sh -c 'echo pusher-secret | "$0" registry resolve "$@"' "$BIN" "${many[@]}" "${TLS[@]}" --docker-username pusher --password-stdin
same "resolve: one line per tag" "$(wc -l <"$WORK/out")" "$TESTBED_TAGS"
same "resolve: t01 digest" "$(sed -n 1p "$WORK/out" | cut -d' ' -f2)" "$(ref_digest many-01)"
same "resolve: one token request for the batch" "$(tokens)" 1
: >"$TESTBED_TOKEN_LOG"
expect "resolve: anonymous token pulls public/*" 0 "$BIN" registry resolve "$TESTBED_TOKEN/public/small:1.0" "${TLS[@]}"
same "resolve: public image digest" "$(cut -d' ' -f2 "$WORK/out")" "$(ref_digest small)"
expect "resolve: anonymous token on a private repository: denied is exit 1" 1 "$BIN" registry resolve "$TESTBED_TOKEN/library/small:1.0" "${TLS[@]}"
has "resolve: unauthorized says so" "$WORK/err" "unauthorized"
# OAuth2: an identity token (refresh token) in config.json; the tool must use the POST flow.
refresh=$(curl -sf --cacert "$TESTBED_CA" -d grant_type=password -d username=pusher -d password=pusher-secret \
    -d client_id=test -d access_type=offline -d service=image-secure-testbed "https://$TESTBED_ISSUER/token" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["refresh_token"])')
mkdir -p "$WORK/oauth"
printf '{"auths": {"%s": {"identitytoken": "%s"}}}\n' "$TESTBED_TOKEN" "$refresh" >"$WORK/oauth/config.json"
: >"$TESTBED_TOKEN_LOG"
expect "resolve: identity token -> OAuth2 refresh_token grant" 0 "$BIN" registry resolve "$TESTBED_TOKEN/library/small:1.0" "${TLS[@]}" --docker-config "$WORK/oauth"
has "resolve: the issuer saw a refresh_token grant" "$TESTBED_TOKEN_LOG" '"oauth": "refresh_token"'
expect "resolve: -v logs requests" 0 sh -c 'echo pusher-secret | "$0" registry resolve "$1" --certs-dir "$2" --docker-username pusher --password-stdin -v' "$BIN" "$TESTBED_TOKEN/library/small:1.0" "$TESTBED_CERTS_D"
has "resolve: -v shows the HEAD" "$WORK/err" "> HEAD https://$TESTBED_TOKEN/v2/library/small/manifests/1.0"
lacks "resolve: -v never shows the password" "$WORK/err" "pusher-secret"
lacks "resolve: -v never shows a token or Basic header" "$WORK/err" "Bearer"
has "resolve: TLS registry spoken to over HTTP/2" "$WORK/err" "HTTP/2"

# ---------------------------------------------------------------- registry inspect
expect "inspect: OCI index" 0 "$BIN" registry inspect "$P/library/multi:1.0" --plain-http "$P" -o json
python3 - "$WORK/out" "$TESTBED_DIR/oci" <<'PY' && ok "inspect: platforms, sizes, layers, created, os" || bad "inspect: platforms, sizes, layers, created, os" "$(cat "$WORK/out")"
import json, sys, os
row = json.load(open(sys.argv[1]))[0]
blob = lambda d: open(os.path.join(sys.argv[2], "blobs", "sha256", d.split(":")[1]), "rb").read()
index = json.loads(blob(row["digest"]))
assert row["mediaType"] == "application/vnd.oci.image.index.v1+json"
want = {}
for m in index["manifests"]:
    man = json.loads(blob(m["digest"]))
    p = m["platform"]
    name = "%s/%s%s" % (p["os"], p["architecture"], "/" + p["variant"] if "variant" in p else "")
    want[name] = (m["digest"], man["config"]["size"] + sum(l["size"] for l in man["layers"]), len(man["layers"]))
got = {p["platform"]: (p["digest"], p["size"], p["layers"]) for p in row["platforms"]}
assert got == want, (got, want)
assert all(p["created"] == "2024-01-02T03:04:05Z" and p["os"] == "linux" for p in row["platforms"])
PY
expect "inspect: Docker v2s2 text" 0 "$BIN" registry inspect "$P/docker/small:1.0" --plain-http "$P"
has "inspect: media type" "$WORK/out" "application/vnd.docker.distribution.manifest.v2+json"
has "inspect: platform from the config" "$WORK/out" "platform:   linux/amd64"

# ---------------------------------------------------------------- secret create --verify, rewrite --pin
expect "secret --verify: accepted" 0 sh -c "echo pusher-secret | '$BIN' secret create regcred --docker-server $TESTBED_BASIC --docker-username pusher --password-stdin --verify --certs-dir $TESTBED_CERTS_D"
has "secret --verify: prints the Secret" "$WORK/out" "kind: Secret"
expect "secret --verify: rejected" 1 sh -c "echo wrong | '$BIN' secret create regcred --docker-server $TESTBED_BASIC --docker-username pusher --password-stdin --verify --certs-dir $TESTBED_CERTS_D"
same "secret --verify: nothing printed when rejected" "$(wc -c <"$WORK/out")" 0
expect "secret --verify: registry down" 3 sh -c "echo pw | '$BIN' secret create regcred --docker-server $TESTBED_DOWN --docker-username u --password-stdin --verify"
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: library/small:1.0 # keep me\n  - name: b\n    image: "bench/many:t07"\n' >"$WORK/pin.yaml"
expect "rewrite --pin: targets resolved in the target registry" 0 "$BIN" rewrite -f "$WORK/pin.yaml" --registry "$TESTBED_TOKEN" --pin "${TLS[@]}" --docker-config "$TESTBED_DOCKER_CONFIG"
has "rewrite --pin: tag and digest, comment kept" "$WORK/out" "    image: $TESTBED_TOKEN/library/small:1.0@$(ref_digest small) # keep me"
has "rewrite --pin: quoted value" "$WORK/out" "    image: \"$TESTBED_TOKEN/bench/many:t07@$(ref_digest many-07)\""
cp "$WORK/out" "$WORK/pinned.yaml"
expect "rewrite --pin: idempotent" 0 "$BIN" rewrite -f "$WORK/pinned.yaml" --registry "$TESTBED_TOKEN" --pin "${TLS[@]}" --docker-config "$TESTBED_DOCKER_CONFIG"
if cmp -s "$WORK/out" "$WORK/pinned.yaml"; then ok "rewrite --pin: second run changes nothing"; else bad "rewrite --pin: second run changed the file"; fi
expect "rewrite --pin: image missing in the target" 3 "$BIN" rewrite -f "$WORK/pin.yaml" --registry "$TESTBED_TOKEN/elsewhere" --pin "${TLS[@]}" --docker-config "$TESTBED_DOCKER_CONFIG"
has "rewrite --pin: names the missing image and says to mirror" "$WORK/err" "$TESTBED_TOKEN/elsewhere/library/small:1.0"
has "rewrite --pin: mirror hint" "$WORK/err" "mirror"
same "rewrite --pin: nothing on stdout on error" "$(wc -c <"$WORK/out")" 0

# ---------------------------------------------------------------- faults: 429, 5xx, redirects
FP=$((${TESTBED_PLAIN##*:} + 7)) RP=$((${TESTBED_PLAIN##*:} + 8))
"$(command -v python3)" "$HERE/fault_server.py" "$FP" "$RP" "$WORK/fault.log" &
FAULT_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$FP/v2/" && break; sleep 0.1; done
F=127.0.0.1:$FP
expect "retry: 429 with Retry-After seconds" 0 "$BIN" registry resolve "$F/throttled:1" --plain-http "$F"
expect "retry: 429 with Retry-After HTTP date" 0 "$BIN" registry resolve "$F/throttled-date:1" --plain-http "$F"
expect "retry: 503 twice" 0 "$BIN" registry resolve "$F/flaky:1" --plain-http "$F"
expect "retry: bounded when the registry stays busy" 3 "$BIN" registry resolve "$F/always-busy:1" --plain-http "$F"
has "retry: the last status is reported" "$WORK/err" "HTTP 503"
python3 - "$WORK/fault.log" <<'PY' && ok "retry: waits honour Retry-After (both forms), attempts bounded" || bad "retry: waits honour Retry-After" "$(cat "$WORK/fault.log")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def times(path): return [r["time"] for r in rows if r["path"] == path and r["method"] == "HEAD"]
t = times("/v2/throttled/manifests/1"); assert len(t) == 2 and t[1] - t[0] >= 0.95, t
t = times("/v2/throttled-date/manifests/1"); assert len(t) == 2 and t[1] - t[0] >= 0.95, t
assert len(times("/v2/flaky/manifests/1")) == 3
assert 2 <= len(times("/v2/always-busy/manifests/1")) <= 6
PY
expect "redirect: blob on another origin" 0 "$BIN" registry inspect "$F/redirected:1" --plain-http "$F" --docker-server "$F" --docker-username u --password-file "$WORK/pw" -o json
has "redirect: config read through the redirect" "$WORK/out" '"created": "2024-05-06T07:08:09Z"'
python3 - "$WORK/fault.log" "$RP" <<'PY' && ok "redirect: Authorization not forwarded to another origin" || bad "redirect: Authorization forwarded" "$(cat "$WORK/fault.log")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
storage = [r for r in rows if r["port"] == int(sys.argv[2])]
api = [r for r in rows if r["port"] != int(sys.argv[2]) and r["path"].startswith("/v2/redirected/")]
assert storage and not any(r["authorization"] for r in storage), storage
assert api and all(r["authorization"] for r in api), api
PY

echo "$checks checks, $failures failed"
[ "$failures" = 0 ]
