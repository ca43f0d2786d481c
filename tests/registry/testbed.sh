#!/usr/bin/env bash
# The project's registry testbed: real Debian `docker-registry` instances on 127.0.0.1.
#
#   plain  http://127.0.0.1:BASE      anonymous, plain HTTP
#   basic  https://127.0.0.1:BASE+1   TLS (own CA) + htpasswd Basic auth
#   token  https://127.0.0.1:BASE+2   TLS + bearer tokens from tests/registry/token_issuer.py
#   issuer https://127.0.0.1:BASE+3/token
#
# Users: pusher:pusher-secret (pull, push, delete), reader:reader-secret (pull only);
# anonymous tokens may pull public/* on the token registry. Images are built by
# build_images.py and pushed with skopeo; their digests land in $DIR/testbed.env.
#
# Usage: testbed.sh start|stop|status|big MIB|fresh NAME PORT   (DIR and BASE from the
#        environment: TESTBED_DIR, TESTBED_PORT_BASE, TESTBED_TOKEN_TTL, TESTBED_TAGS)
# Processes are stopped by the PIDs this script recorded, and only while their command
# line still names $DIR.
set -euo pipefail

DIR=${TESTBED_DIR:-/tmp/image-secure-testbed}
BASE=${TESTBED_PORT_BASE:-5300}
TTL=${TESTBED_TOKEN_TTL:-300}
TAGS=${TESTBED_TAGS:-50}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)
HOST=127.0.0.1
PLAIN=$HOST:$BASE BASIC=$HOST:$((BASE + 1)) TOKEN=$HOST:$((BASE + 2)) ISSUER=$HOST:$((BASE + 3))
DOWN=$HOST:$((BASE + 9))
SERVICE=image-secure-testbed

say() { echo "testbed: $*" >&2; }
fail() { echo "testbed: error: $*" >&2; exit 1; }

ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$DIR/"; }

launch() { # NAME COMMAND... : run detached, remember the PID
    local name=$1
    shift
    setsid "$@" >"$DIR/logs/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/pids/$name"
}

await() { # URL [curl flags]: until something answers
    local url=$1 i
    shift
    for i in $(seq 150); do
        [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$@" "$url" || true)" != 000 ] && return 0
        sleep 0.1
    done
    fail "nothing answers at $url (logs in $DIR/logs)"
}

stop() {
    local f pid
    [ -d "$DIR/pids" ] || return 0
    for f in "$DIR"/pids/*; do
        [ -e "$f" ] || continue
        pid=$(cat "$f")
        if ours "$pid"; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do ours "$pid" || break; sleep 0.1; done
            ! ours "$pid" || kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$f"
    done
}

certificates() {
    local c=$DIR/certs
    mkdir -p "$c"
    ca() { # NAME
        openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 7 -subj "/CN=image-secure testbed $1" \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
            -keyout "$c/$1.key" -out "$c/$1.crt" 2>/dev/null
    }
    leaf() { # NAME EXTENSIONS
        openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=$1" -keyout "$c/$1.key" -out "$c/$1.csr" 2>/dev/null
        printf '%s\n' "$2" >"$c/$1.ext"
        openssl x509 -req -in "$c/$1.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial -days 7 -sha256 \
            -extfile "$c/$1.ext" -out "$c/$1.crt" 2>/dev/null
    }
    ca ca
    ca other-ca # trusted by nobody: the "wrong CA" tests
    leaf server "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
    leaf signer "keyUsage=critical,digitalSignature"
    cat "$c/signer.crt" "$c/ca.crt" >"$c/token-roots.pem"
    local port
    for port in $((BASE + 1)) $((BASE + 2)) $((BASE + 3)); do
        mkdir -p "$DIR/certs.d/$HOST:$port"
        cp "$c/ca.crt" "$DIR/certs.d/$HOST:$port/ca.crt"
    done
}

registry_config() { # NAME ADDRESS TLS AUTH-YAML
    mkdir -p "$DIR/data/$1"
    {
        echo "version: 0.1"
        echo "log: {level: info, accesslog: {disabled: false}}"
        echo "storage: {filesystem: {rootdirectory: $DIR/data/$1}, delete: {enabled: true}, maintenance: {uploadpurging: {enabled: false}}}"
        echo "http:"
        echo "  addr: $2"
        echo "  secret: testbed-$1"
        [ "$3" = tls ] && echo "  tls: {certificate: $DIR/certs/server.crt, key: $DIR/certs/server.key}"
        [ -n "$4" ] && printf 'auth:\n%s\n' "$4"
        echo "health: {storagedriver: {enabled: false}}"
    } >"$DIR/conf/$1.yml"
}

push() { # INSTANCE LAYOUT-REF TARGET [skopeo flags]
    local inst=$1 from=$2 to=$3 dest
    shift 3
    case $inst in
        plain) dest=(--dest-tls-verify=false) ;;
        *) dest=(--dest-creds=pusher:pusher-secret --dest-cert-dir="$DIR/certs.d/$(address "$inst")") ;;
    esac
    skopeo --insecure-policy copy -q "$@" "${dest[@]}" "oci:$from" "docker://$(address "$inst")/$to" \
        >>"$DIR/logs/skopeo.log" 2>&1 || fail "skopeo could not push $to to $inst (see $DIR/logs/skopeo.log)"
}

address() { case $1 in plain) echo "$PLAIN" ;; basic) echo "$BASIC" ;; token) echo "$TOKEN" ;; *) echo "$1" ;; esac; }

fill() { # INSTANCE
    local inst=$1 L=$DIR/oci n
    push "$inst" "$L:small" library/small:1.0
    push "$inst" "$L:small" library/small:latest
    push "$inst" "$L:small" docker/small:1.0 --format v2s2
    push "$inst" "$L:multi" library/multi:1.0 --all
    push "$inst" "$L:multi" docker/multi:1.0 --all --format v2s2
    push "$inst" "$L:web" apps/web:2.1
    if [ "$inst" = token ]; then
        push token "$L:small" public/small:1.0
        push token "$L:multi" public/multi:1.0 --all
    fi
    if [ "$inst" != basic ]; then
        for n in $(seq -f %02g 1 "$TAGS"); do push "$inst" "$L:many-$n" "bench/many:t$n"; done
    fi
}

docker_configs() {
    local auth
    auth=$(printf 'pusher:pusher-secret' | base64 -w0)
    mkdir -p "$DIR/docker-config" "$DIR/docker-config-helper" "$DIR/bin"
    cat >"$DIR/docker-config/config.json" <<JSON
{"auths": {"$BASIC": {"auth": "$auth"}, "https://$TOKEN/v2/": {"username": "reader", "password": "reader-secret"}}}
JSON
    cat >"$DIR/docker-config-helper/config.json" <<JSON
{"auths": {"$PLAIN": {}}, "credHelpers": {"$TOKEN": "testbed"}, "credsStore": "testbed"}
JSON
    # The docker-credential-helpers protocol: the action in argv[1], the server on stdin.
    cat >"$DIR/bin/docker-credential-testbed" <<SH
#!/bin/sh
[ "\$1" = get ] || { echo "unsupported action \$1" >&2; exit 1; }
read -r server || true
echo "\$server" >>"$DIR/logs/credential-helper.log"
case "\$server" in
    *$TOKEN*|*$BASIC*) printf '{"ServerURL":"%s","Username":"pusher","Secret":"pusher-secret"}\n' "\$server" ;;
    *) echo "credentials not found in native keychain"; exit 1 ;;
esac
SH
    chmod +x "$DIR/bin/docker-credential-testbed"
}

digest() { awk -F'\t' -v r="$1" '$1 == r { print $2 }' "$DIR/oci/refs.tsv"; }

start() {
    local t
    for t in docker-registry skopeo htpasswd openssl curl; do
        command -v "$t" >/dev/null || fail "$t is missing: run ci/install-deps.sh"
    done
    if [ -d "$DIR/pids" ]; then stop; fi
    rm -rf "$DIR"
    mkdir -p "$DIR"/{conf,logs,pids,data,bin}
    certificates
    htpasswd -Bbn pusher pusher-secret >"$DIR/conf/htpasswd" 2>/dev/null
    htpasswd -Bbn reader reader-secret >>"$DIR/conf/htpasswd" 2>/dev/null
    registry_config plain "$PLAIN" plain ""
    registry_config basic "$BASIC" tls "  htpasswd: {realm: testbed-basic, path: $DIR/conf/htpasswd}"
    registry_config token "$TOKEN" tls "  token: {realm: https://$ISSUER/token, service: $SERVICE, issuer: testbed-issuer, rootcertbundle: $DIR/certs/token-roots.pem}"
    cat >"$DIR/conf/issuer.json" <<JSON
{"host": "$HOST", "port": $((BASE + 3)), "path": "/token", "service": "$SERVICE", "issuer": "testbed-issuer",
 "ttl": $TTL, "tls_cert": "$DIR/certs/server.crt", "tls_key": "$DIR/certs/server.key",
 "sign_key": "$DIR/certs/signer.key", "sign_cert": "$DIR/certs/signer.crt", "log": "$DIR/logs/tokens.jsonl",
 "public": ["public/"],
 "users": {"pusher": {"password": "pusher-secret", "role": "admin"}, "reader": {"password": "reader-secret", "role": "reader"}}}
JSON
    docker_configs
    launch issuer "$PY" "$HERE/token_issuer.py" "$DIR/conf/issuer.json"
    launch plain docker-registry serve "$DIR/conf/plain.yml"
    launch basic docker-registry serve "$DIR/conf/basic.yml"
    launch token docker-registry serve "$DIR/conf/token.yml"
    await "http://$PLAIN/v2/"
    await "https://$BASIC/v2/" --cacert "$DIR/certs/ca.crt"
    await "https://$TOKEN/v2/" --cacert "$DIR/certs/ca.crt"
    await "https://$ISSUER/token" --cacert "$DIR/certs/ca.crt"
    "$PY" "$HERE/build_images.py" fixtures "$DIR/oci" "$TAGS"
    for t in plain basic token; do fill "$t"; done
    : >"$DIR/logs/tokens.jsonl"
    cat >"$DIR/testbed.env" <<ENV
TESTBED_DIR=$DIR
TESTBED_PLAIN=$PLAIN
TESTBED_BASIC=$BASIC
TESTBED_TOKEN=$TOKEN
TESTBED_ISSUER=$ISSUER
TESTBED_DOWN=$DOWN
TESTBED_CA=$DIR/certs/ca.crt
TESTBED_OTHER_CA=$DIR/certs/other-ca.crt
TESTBED_CERTS_D=$DIR/certs.d
TESTBED_TOKEN_LOG=$DIR/logs/tokens.jsonl
TESTBED_DOCKER_CONFIG=$DIR/docker-config
TESTBED_DOCKER_CONFIG_HELPER=$DIR/docker-config-helper
TESTBED_BIN=$DIR/bin
TESTBED_TAGS=$TAGS
DIGEST_SMALL_OCI=$(digest small)
DIGEST_MULTI_OCI=$(digest multi)
DIGEST_WEB=$(digest web)
DIGEST_MANY_01=$(digest many-01)
ENV
    say "up: plain $PLAIN, basic $BASIC, token $TOKEN (issuer $ISSUER); env in $DIR/testbed.env"
}

fresh() { # NAME PORT [tls]: one more empty registry (benchmarks), anonymous
    local name=$1 port=$2
    rm -rf "$DIR/data/$name"
    registry_config "$name" "$HOST:$port" "${3:-plain}" ""
    launch "$name" docker-registry serve "$DIR/conf/$name.yml"
    if [ "${3:-plain}" = tls ]; then
        mkdir -p "$DIR/certs.d/$HOST:$port"
        cp "$DIR/certs/ca.crt" "$DIR/certs.d/$HOST:$port/ca.crt"
        await "https://$HOST:$port/v2/" --cacert "$DIR/certs/ca.crt"
    else
        await "http://$HOST:$port/v2/"
    fi
}

case ${1:-} in
    start) start ;;
    stop) stop ;;
    status) for f in "$DIR"/pids/*; do [ -e "$f" ] && { ours "$(cat "$f")" && echo "$(basename "$f") running" || echo "$(basename "$f") dead"; }; done ;;
    big)
        "$PY" "$HERE/build_images.py" big "$DIR/oci-big" "${2:-200}"
        push plain "$DIR/oci-big:big" bench/big:1.0
        echo "DIGEST_BIG=$(awk -F'\t' '{ print $2 }' "$DIR/oci-big/refs.tsv")" >>"$DIR/testbed.env" ;;
    fresh) fresh "$2" "$3" "${4:-plain}" ;;
    stop-one) f=$DIR/pids/$2; [ -e "$f" ] && { ! ours "$(cat "$f")" || kill "$(cat "$f")"; rm -f "$f"; } ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
esac
