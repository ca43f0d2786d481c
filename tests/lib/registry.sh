# The common start of the registry end-to-end scripts (source it with the script's arguments,
# BINARY TESTBED_DIR, after setting HERE to the script's directory):
#   BIN, the testbed's variables (testbed.env), WORK (a new directory; IMAGE_SECURE_CACHE_DIR
#   inside it), PY, TB (testbed.sh for this testbed: TB fresh NAME PORT, TB stop-one NAME),
#   the checks of checks.sh, and
#   head_digest HOST:PORT REPO REF   the Docker-Content-Digest of a plain-HTTP HEAD ("" when missing)
BIN=$1
# shellcheck disable=SC1091
source "$2/testbed.env"
WORK=$(mktemp -d)
export IMAGE_SECURE_CACHE_DIR=$WORK/cache
PY=/usr/bin/python3
TB=(env TESTBED_DIR="$TESTBED_DIR" TESTBED_PORT_BASE="${TESTBED_PLAIN##*:}" "$HERE/testbed.sh")
# shellcheck disable=SC1091
source "$HERE/../lib/checks.sh"
ACCEPT='Accept: application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
head_digest() {
    curl -sfI -H "$ACCEPT" "http://$1/v2/$2/manifests/$3" | tr -d '\r' |
        awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }'
}
