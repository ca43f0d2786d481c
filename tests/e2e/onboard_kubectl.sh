#!/usr/bin/env bash
# `onboard` against the real kubectl: every document must equal what kubectl prints for
#   kubectl create namespace NS --dry-run=client -o yaml
#   kubectl create secret docker-registry … -n NS --dry-run=client -o yaml | kubectl label --local -f - …
#   kubectl create serviceaccount SA -n NS --dry-run=client -o yaml | kubectl patch --local … imagePullSecrets
# Usage: onboard_kubectl.sh BINARY      (exit 77 = skipped: no kubectl)
set -uo pipefail
BIN=$1
command -v kubectl >/dev/null || exit 77
# Ours prints what this kubectl version prints (1.33 and older: creationTimestamp: null).
IMAGE_SECURE_KUBECTL_VERSION=$(kubectl version --client 2>/dev/null | grep -o 'v1\.[0-9]*' | head -1 | tr -d v)
export IMAGE_SECURE_KUBECTL_VERSION
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
label=image-secure.dev/pull-secret

expected() { # SECRET-NAME APPEND-HASH(yes|no) CREATE-NS(yes|no) SERVER USER PASS NS... -- SA...
    local name=$1 hash=$2 create=$3 server=$4 user=$5 pass=$6 ns sa first=1 secret_name
    shift 6
    local namespaces=() accounts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do namespaces+=("$1"); shift; done
    shift
    accounts=("$@")
    for ns in "${namespaces[@]}"; do
        if [ "$create" = yes ]; then
            [ $first = 1 ] || echo ---
            first=0
            kubectl create namespace "$ns" --dry-run=client -o yaml
        fi
        [ $first = 1 ] || echo ---
        first=0
        local extra=()
        [ "$hash" = yes ] && extra=(--append-hash)
        kubectl create secret docker-registry "$name" --docker-server="$server" --docker-username="$user" \
            --docker-password="$pass" -n "$ns" "${extra[@]}" --dry-run=client -o yaml >"$WORK/secret.yaml"
        secret_name=$(kubectl create secret docker-registry "$name" --docker-server="$server" --docker-username="$user" \
            --docker-password="$pass" -n "$ns" "${extra[@]}" --dry-run=client -o name)
        secret_name=${secret_name#secret/}
        kubectl label --local -f "$WORK/secret.yaml" "$label=$name" -o yaml
        for sa in "${accounts[@]}"; do
            echo ---
            kubectl create serviceaccount "$sa" -n "$ns" --dry-run=client -o yaml >"$WORK/sa.yaml"
            kubectl patch --local -f "$WORK/sa.yaml" --type merge -p "{\"imagePullSecrets\":[{\"name\":\"$secret_name\"}]}" -o yaml
        done
    done
}

check() { # NAME -- expected-args -- onboard-args
    local name=$1
    shift
    local exp=() args=()
    while [ "$1" != "::" ]; do exp+=("$1"); shift; done
    shift
    args=("$@")
    expected "${exp[@]}" >"$WORK/want" 2>"$WORK/kubectl.err" || { echo "FAIL $name: kubectl failed: $(cat "$WORK/kubectl.err")"; failures=$((failures + 1)); return; }
    printf 'p@ss w0rd' | "$BIN" onboard "${args[@]}" --password-stdin >"$WORK/got" 2>"$WORK/err"
    if cmp -s "$WORK/want" "$WORK/got"; then
        echo "ok   $name"
    else
        echo "FAIL $name"
        diff "$WORK/want" "$WORK/got" | head -20
        failures=$((failures + 1))
    fi
}

check "one namespace, default ServiceAccount" \
    regcred no no r.example.com robot 'p@ss w0rd' team-a -- default :: team-a --docker-server r.example.com --docker-username robot
check "two namespaces, created, two ServiceAccounts" \
    regcred no yes r.example.com:5000 robot 'p@ss w0rd' team-a team-b -- default builder :: \
    team-a team-b --create-namespace --docker-server r.example.com:5000 --docker-username robot --service-account default --service-account builder
check "numeric namespace is quoted like kubectl does" \
    pull no yes r.example.com robot 'p@ss w0rd' 123 -- 1sa :: 123 --create-namespace --secret-name pull --service-account 1sa --docker-server r.example.com --docker-username robot
check "--append-hash names the Secret by content; ServiceAccounts follow" \
    regcred yes no r.example.com robot 'p@ss w0rd' team-a team-b -- default :: team-a team-b --append-hash --docker-server r.example.com --docker-username robot

# Bad names: nothing printed, exit 2
for bad in Team_A x- 'a.b' "$(printf 'a%.0s' {1..64})"; do
    "$BIN" onboard ok "$bad" --docker-username u --docker-password p >"$WORK/out" 2>"$WORK/err"
    rc=$?
    if [ $rc = 2 ] && [ ! -s "$WORK/out" ] && grep -q "not a valid namespace name" "$WORK/err"; then
        echo "ok   bad namespace '$bad' refused before printing"
    else
        echo "FAIL bad namespace '$bad': rc=$rc $(cat "$WORK/err")"; failures=$((failures + 1))
    fi
done

# --docker-config: several registries out of a docker config (one through a credential helper)
mkdir -p "$WORK/cfg" "$WORK/bin"
printf '{"auths": {"a.example.com": {"auth": "%s"}}, "credHelpers": {"b.example.com:5000": "fake"}}\n' "$(printf 'alice:a-pass' | base64 -w0)" >"$WORK/cfg/config.json"
printf '#!/bin/sh\nread -r server\nprintf '"'"'{"ServerURL":"%%s","Username":"bob","Secret":"b-pass"}'"'"' "$server"\n' >"$WORK/bin/docker-credential-fake"
chmod +x "$WORK/bin/docker-credential-fake"
PATH="$WORK/bin:$PATH" "$BIN" onboard team-a --docker-config "$WORK/cfg" --docker-server b.example.com:5000 --docker-server a.example.com >"$WORK/got" 2>"$WORK/err"
python3 - "$WORK/got" <<'PY' && echo "ok   --docker-config: entries for each --docker-server, helper resolved, Go map order" || { echo "FAIL --docker-config: $(cat "$WORK/err")"; failures=$((failures + 1)); }
import base64, json, sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
secret = docs[0]
raw = base64.b64decode(secret["data"][".dockerconfigjson"]).decode()
def entry(u, p):  # Go's field order: username, password, email (omitempty), auth
    return '{"username":%s,"password":%s,"auth":%s}' % (json.dumps(u), json.dumps(p), json.dumps(base64.b64encode((u + ":" + p).encode()).decode()))
want = '{"auths":{"a.example.com":%s,"b.example.com:5000":%s}}' % (entry("alice", "a-pass"), entry("bob", "b-pass"))
assert raw == want, raw
assert docs[1]["imagePullSecrets"] == [{"name": "regcred"}]
PY
[ "$failures" = 0 ]
