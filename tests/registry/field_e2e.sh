#!/usr/bin/env bash
# What a first-time user trips over, against the real registries of the testbed: --pin checks
# pinned targets, check SERVER/REPO, --platform on a single-platform image, promotion between
# prefixes of one registry, errors that say what to do, exit 1 for refusals and 3 for networks.
# Usage: field_e2e.sh BINARY TESTBED_DIR
set -uo pipefail
BIN=$1
# shellcheck disable=SC1091
source "$2/testbed.env"
WORK=$(mktemp -d)
export IMAGE_SECURE_CACHE_DIR=$WORK/cache
trap 'rm -rf "$WORK"' EXIT
failures=0 checks=0
ok() { checks=$((checks + 1)); echo "ok   $1"; }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $2"; }
expect() {
    local name=$1 want=$2 rc
    shift 2
    "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
    rc=$?
    if [ "$rc" = "$want" ]; then ok "$name (exit $rc)"; else bad "$name: exit $rc, want $want" "$(head -c 500 "$WORK/err")"; fi
}
has() { if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1: no '$3' in $(basename "$2")" "$(head -c 500 "$2")"; fi; }
P=$TESTBED_PLAIN
TLS=(--certs-dir "$TESTBED_CERTS_D")
ACCEPT='Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
head_digest() { curl -sfI -H "$ACCEPT" "http://$P/v2/$1/manifests/$2" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'; }

# rewrite --pin: a target already pinned by a digest the target registry lacks fails the run.
small=$(head_digest library/small 1.0)
cat >"$WORK/pinned.yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: a
    image: docker.io/library/small:1.0@$small
  - name: b
    image: docker.io/library/small:1.0@sha256:0000000000000000000000000000000000000000000000000000000000000000
YAML
expect "--pin: a pinned target missing from the registry fails" 3 "$BIN" rewrite -f "$WORK/pinned.yaml" --registry "$P" --pin --plain-http "$P"
has "--pin: names the missing image" "$WORK/err" "sha256:0000000000000000000000000000000000000000000000000000000000000000"
sed -i '/name: b/,$d' "$WORK/pinned.yaml"
expect "--pin: a pinned target that exists passes" 0 "$BIN" rewrite -f "$WORK/pinned.yaml" --registry "$P" --pin --plain-http "$P"
has "--pin: the pinned target is written" "$WORK/out" "image: $P/library/small:1.0@$small"

# registry check SERVER/REPO: the repository's pull access, not just the login.
expect "check REPO: anonymous on a private repository is refused" 1 "$BIN" registry check "$TESTBED_TOKEN/library/small" "${TLS[@]}"
has "check REPO: says so" "$WORK/err" "no pull access to this repository"
expect "check REPO: anonymous on a public repository" 0 "$BIN" registry check "$TESTBED_TOKEN/public/small" "${TLS[@]}"
has "check REPO: says pull" "$WORK/out" "anonymous access may pull (token)"
expect "check REPO: a reader may pull" 0 "$BIN" registry check "$TESTBED_TOKEN/library/small" "${TLS[@]}" --docker-username reader --password-file <(printf reader-secret)
expect "check: the bare server still checks the login" 0 "$BIN" registry check "$TESTBED_TOKEN" "${TLS[@]}"

# resolve --platform on a single-platform image.
expect "resolve --platform: another platform is not an answer" 1 "$BIN" registry resolve "$P/library/small:1.0" --plain-http "$P" --platform linux/s390x
has "resolve --platform: says which platform it is" "$WORK/err" "a single-platform image for linux/amd64, not linux/s390x"
expect "resolve --platform: the right platform resolves" 0 "$BIN" registry resolve "$P/library/small:1.0" --plain-http "$P" --platform linux/amd64
has "resolve --platform: the digest" "$WORK/out" "$small"

# mirror within one registry: promotion between prefixes.
expect "mirror: promote to a prefix of the same registry" 0 "$BIN" mirror "$P/apps/web:2.1" --registry "$P/promoted$$" --plain-http "$P"
[ "$(head_digest promoted$$/apps/web 2.1)" = "$(head_digest apps/web 2.1)" ] && ok "promoted$$ copy has the digest" || bad "promoted$$ copy digest"
has "promotion mounts, copies nothing" "$WORK/out" "0 blobs copied"
expect "mirror: a missing source in the same registry is not found" 1 "$BIN" mirror "$P/apps/nope:9" --registry "$P/promoted$$" --plain-http "$P"
has "mirror: says not found, not 'already on the target registry'" "$WORK/err" "not found"

# Errors that say what to do.
expect "plain HTTP spoken over TLS" 3 "$BIN" registry check "$P"
has "plain HTTP: the hint" "$WORK/err" "this registry speaks plain HTTP; pass --plain-http $P"
expect "unknown CA" 3 "$BIN" registry check "$TESTBED_BASIC" --certs-dir "$WORK/none"
has "unknown CA: names the flags" "$WORK/err" "give it with --ca-file FILE or --certs-dir DIR (DIR/$TESTBED_BASIC/ca.crt)"
has "unknown CA: names where it looked" "$WORK/err" "looked for $WORK/none/$TESTBED_BASIC/ca.crt"
expect "no credentials" 1 env -u DOCKER_CONFIG HOME="$WORK" "$BIN" registry check "$TESTBED_BASIC" "${TLS[@]}"
has "no credentials: where it looked" "$WORK/err" "looked at no --docker-username, no docker config"
expect "refused credentials: exit 1" 1 "$BIN" registry inspect "$TESTBED_BASIC/library/small:1.0" "${TLS[@]}" --docker-username pusher --password-file <(printf wrong)
expect "network error: exit 3" 3 "$BIN" registry inspect "$TESTBED_DOWN/library/small:1.0"

echo "$((checks - failures)) passed, $failures failed"
[ "$failures" = 0 ]
