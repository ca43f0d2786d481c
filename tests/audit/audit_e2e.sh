#!/usr/bin/env bash
# audit end to end against the real docker-registry testbed. The test images are built and
# pushed by build_audit_images.py (every tar format, gzip members, zstd frames, whiteouts,
# hard links, dpkg status.d, an rpm database written by Debian's rpm); every fact the audit
# reports is compared with derive_facts.py, which extracts the same layers with GNU tar and
# measures the tree with lstat/readlink/dpkg-query/rpm. Expected errors and locations are
# written here by hand.
#
# Usage: audit_e2e.sh BINARY TESTBED_DIR
set -uo pipefail
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
# shellcheck disable=SC1091
source "$2/testbed.env"
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
PROXY_PID=
trap '[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
# shellcheck source=../lib/checks.sh
source "$HERE/../lib/checks.sh"
R=$TESTBED_PLAIN
NET=(--plain-http "$R")
export HOME=$WORK/home XDG_CACHE_HOME=$WORK/xdg
mkdir -p "$HOME"

python3 "$HERE/build_audit_images.py" "$R" "$WORK/images" >/dev/null || { echo "FAIL building the test images"; exit 1; }

# --- every fact against the independent derivation
for name in debianish alpineish distroless rpmish shared-07; do
    ref=$R/$name:1
    [ "${name#shared-}" != "$name" ] && ref=$R/shared:${name#shared-}
    python3 "$HERE/derive_facts.py" "$WORK/images" "$name" >"$WORK/derived.json" || bad "derive $name"
    "$BIN" audit "${NET[@]}" --no-cache -o json "$ref" >"$WORK/audit.json" 2>"$WORK/err"
    if python3 "$HERE/compare_facts.py" "$WORK/audit.json" "$WORK/derived.json" "$ref" >"$WORK/diff"; then
        ok "$name: every fact equals the GNU tar extraction"
    else
        bad "$name: facts differ from the GNU tar extraction" "$(cat "$WORK/diff")"
    fi
done
# The JSON contract: the keys of spec/audit.md §8, in one object per image.
"$BIN" audit "${NET[@]}" --no-cache -o json "$R/debianish:1" >"$WORK/one.json"
keys=$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))[0]; print(" ".join(k for k in ["ref","digest","platform","os","compressed_bytes","uncompressed_bytes","content_bytes","wasted_bytes","files","dirs","symlinks","user","path","volumes","created","layers","shells","package_managers","network_tools","editors","compilers","setuid","setgid","package_caches","package_dbs","findings"] if k not in o)); l=o["layers"][1]; print(l["created_by"], l["whiteouts"], l["opaque_dirs"], l["entries"])' "$WORK/one.json")
same "JSON has every contract key; layer 1 names its step, whiteouts, opaque dirs, members" "$keys" "
RUN apt-get purge apt && rm -rf /var/lib/apt/lists/* 1 1 7"
digest=$(awk -F'\t' '$1 == "debianish" { print $3 }' "$WORK/images/refs.tsv")
same "the digest is the one the registry stored" "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["digest"])' "$WORK/one.json")" "$digest"

# --- text output, exit codes, --fail-on
expect "debianish fails on shell,package-manager" 1 "$BIN" audit "${NET[@]}" --no-cache "$R/debianish:1"
has "text names the shell once by resolved path" "$WORK/out" "IS101 the image has a shell: /usr/bin/bash, /usr/bin/dash, /usr/bin/sh (layer 0: /bin/sh -c #(nop) ADD file:rootfs in /)"
lacks "a whited-out apt is gone" "$WORK/out" "/usr/bin/apt,"
lacks "a dangling alternative is not an editor" "$WORK/out" "nano"
expect "distroless passes" 0 "$BIN" audit "${NET[@]}" --no-cache "$R/distroless:1"
has "distroless: dpkg status.d" "$WORK/out" "packages: dpkg /var/lib/dpkg/status.d (2 packages)"
expect "--fail-on none" 0 "$BIN" audit "${NET[@]}" --no-cache --fail-on none "$R/debianish:1"
expect "--fail-on age fails on a 2024 image" 1 "$BIN" audit "${NET[@]}" --no-cache --fail-on=age "$R/distroless:1"
expect "--fail-on unknown" 2 "$BIN" audit "${NET[@]}" --no-cache --fail-on shells "$R/distroless:1"
expect "-q prints nothing" 1 "$BIN" audit "${NET[@]}" --no-cache -q "$R/debianish:1"
same "-q: no stdout" "$(wc -c <"$WORK/out")" 0
# A hard-linked /bin/ash survives the whiteout of /bin/busybox: still a shell, and no bytes wasted.
expect "alpineish (zstd, PAX) audits" 1 "$BIN" audit "${NET[@]}" --no-cache "$R/alpineish:1"
has "hard link keeps the shell" "$WORK/out" "IS101 the image has a shell: /bin/ash (layer 0"
has "apk behind /lib -> usr/lib" "$WORK/out" "packages: apk /usr/lib/apk/db/installed (3 packages)"

# --- platforms
expect "--all-platforms: one object per platform" 1 "$BIN" audit "${NET[@]}" --no-cache --all-platforms -o json "$R/multi:1"
same "platforms" "$(python3 -c 'import json,sys; print(" ".join(o["platform"] for o in json.load(open(sys.argv[1]))))' "$WORK/out")" "linux/amd64 linux/arm64/v8"
expect "--platform that is not there" 3 "$BIN" audit "${NET[@]}" --no-cache --platform linux/s390x "$R/multi:1"
has "names the platforms there are" "$WORK/err" "the index has no linux/s390x image (it has: linux/amd64, linux/arm64/v8)"

# --- broken layers: one line naming image and layer, exit 3, nothing printed for them
check_broken() { # NAME TEXT [flags]
    local name=$1 text=$2
    shift 2
    expect "$name: exit 3" 3 "$BIN" audit "${NET[@]}" --no-cache "$@" "$R/$name:1"
    has "$name: says why" "$WORK/err" "error: $R/$name:1: layer 0 (sha256:"
    has "$name: the reason" "$WORK/err" "$text"
    same "$name: one stderr line" "$(wc -l <"$WORK/err")" 1
    same "$name: no partial result" "$(wc -c <"$WORK/out")" 0
}
check_broken truncated-tar "the tar stream is truncated"
check_broken corrupt-gzip "gzip: incorrect data check"
check_broken gzip-trailer "bytes after the last gzip member are not a gzip header"
check_broken diffid-mismatch "the config's diff_id is sha256:0000"
check_broken mislabelled "not a zstd stream"
check_broken bomb "decompresses to more than" --max-uncompressed 10MiB
expect "a good and a bad image: exit 3, the good one printed" 3 "$BIN" audit "${NET[@]}" --no-cache -o json "$R/distroless:1" "$R/corrupt-gzip:1"
same "only the good image in the JSON" "$(python3 -c 'import json,sys; print([o["ref"] for o in json.load(open(sys.argv[1]))])' "$WORK/out")" "['$R/distroless:1']"

# --- hostile names: escaped on the terminal, traversal ignored and reported, loops bounded
expect "hostile image" 0 "$BIN" audit "${NET[@]}" --no-cache "$R/hostile:1"
has "escape sequence escaped" "$WORK/out" 'usr/bin/evil\e[2Jname'
if grep -q $'\x1b' "$WORK/out"; then bad "a raw ESC reached the output"; else ok "no raw ESC in the output"; fi
has "traversal reported" "$WORK/out" "ignored 1 member name that escape the image root (suspicious): ../../../etc/evil"

# --- with -f: locations, IS111, IS112, suppression, SARIF
cat >"$WORK/deploy.yaml" <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: app
          image: $R/distroless:1
          command: ["sh", "-c", "exec /app/server"]
          readinessProbe:
            exec:
              command: ["/app/server", "--ready"]
        - name: probe
          image: "$R/distroless:1"
          livenessProbe:
            exec:
              command: ["cat", "/tmp/ok"]
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  annotations:
    image-secure.dev/ignore: "IS104: vi stays for debugging"
spec:
  template:
    spec:
      containers:
        - name: db
          image: $R/debianish:1
YAML
(cd "$WORK" && "$BIN" audit "${NET[@]}" --no-cache --fail-on command -f deploy.yaml >out 2>err)
same "-f: IS111 fails with --fail-on command" "$?" 1
has "IS111 sh -c" "$WORK/out" 'IS111 container app: its command runs "sh -c exec /app/server" but the image has no sh (it fails at run time)'
has "IS111 at the image line" "$WORK/out" "at deploy.yaml:10:18 (Deployment/web)"
has "IS111 for a probe's bare command" "$WORK/out" 'IS111 container probe: its livenessProbe runs "cat /tmp/ok" but the image has no cat'
lacks "an exec probe the image has is fine" "$WORK/out" "--ready"
has "IS112 at the db line" "$WORK/out" "IS112 container db: the image declares VOLUME /var/lib/data but no volume is mounted there"
has "db findings at line 32" "$WORK/out" "at deploy.yaml:32:18 (StatefulSet/db)"
lacks "IS104 suppressed by the annotation" "$WORK/out" "IS104"
(cd "$WORK" && "$BIN" audit "${NET[@]}" --no-cache -f deploy.yaml -o sarif >sarif.json 2>err)
same "SARIF: one result per finding and location (IS111 x2 at lines 10 and 16... )" \
    "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]["results"]; print(sorted({(x["ruleId"], x["locations"][0]["physicalLocation"]["region"]["startLine"]) for x in r if x["ruleId"] in ("IS111","IS112","IS113")}))' "$WORK/sarif.json")" \
    "[('IS111', 10), ('IS111', 16), ('IS112', 32), ('IS113', 10), ('IS113', 16), ('IS113', 32)]"

# --- validate --online: the same rules at the image: lines, inside validate's report
(cd "$WORK" && "$BIN" validate --online "${NET[@]}" --no-cache -f deploy.yaml -o json >vout 2>verr)
same "validate --online exit" "$?" 1
has "validate --online has IS101 at the db image" "$WORK/vout" '"rule": "IS101"'
(cd "$WORK" && "$BIN" validate --online --metadata-only "${NET[@]}" --no-cache -f deploy.yaml -o json >vout 2>verr)
lacks "--metadata-only reads no layer: no IS101" "$WORK/vout" '"rule": "IS101"'
has "--metadata-only still sees the declared volume" "$WORK/vout" '"rule": "IS112"'

# --- policy audit: section
cat >"$WORK/policy.yaml" <<'YAML'
audit:
  maxAgeDays: 100000
  allow:
    - image: "*alpineish*"
      paths: ["/bin/ash"]
      rules: [IS101]
YAML
expect "policy: an allowed shell" 1 "$BIN" audit "${NET[@]}" --no-cache --policy "$WORK/policy.yaml" "$R/alpineish:1"
lacks "allowed path not reported" "$WORK/out" "IS101"
lacks "maxAgeDays" "$WORK/out" "IS113"
printf 'audit:\n  maxCompressed: lots\n' >"$WORK/bad-policy.yaml"
expect "policy: a bad size" 2 "$BIN" audit "${NET[@]}" --no-cache --policy "$WORK/bad-policy.yaml" "$R/alpineish:1"
has "names the position" "$WORK/err" "bad-policy.yaml:2:"

# --- the layer cache: warm runs fetch no blob; 50 images share one base layer fetch
cache=$WORK/cache
expect "cold run" 1 "$BIN" audit "${NET[@]}" --cache-dir "$cache" -v "$R/debianish:1"
same "cold run GETs both layers" "$(grep -c '> GET .*/blobs/sha256:' "$WORK/err")" 3
expect "warm run" 1 "$BIN" audit "${NET[@]}" --cache-dir "$cache" -v "$R/debianish:1"
same "warm run GETs only the config blob" "$(grep -c '> GET .*/blobs/sha256:' "$WORK/err")" 1
same "cache files are 0600" "$(stat -c %a "$cache"/* | sort -u)" 600
for f in "$cache"/*; do printf 'garbage' >"$f"; done
expect "a corrupt cache entry is refetched" 1 "$BIN" audit "${NET[@]}" --cache-dir "$cache" -v "$R/debianish:1"
same "corrupt entries: both layers fetched again" "$(grep -c '> GET .*/blobs/sha256:' "$WORK/err")" 3
refs=()
for n in $(seq -w 1 50); do refs+=("$R/shared:$n"); done
base=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["layers"][0]["digest"])' "$WORK/one.json")
expect "50 images over one base" 1 "$BIN" audit "${NET[@]}" --no-cache -v -o json "${refs[@]}"
same "the shared base layer is fetched once" "$(grep -c "> GET .*/blobs/$base" "$WORK/err")" 1
same "50 results" "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$WORK/out")" 50
expect "default cache under XDG_CACHE_HOME" 1 "$BIN" audit "${NET[@]}" "$R/alpineish:1"
same "default cache dir" "$(ls "$XDG_CACHE_HOME/kubectl-image_secure/layers" | wc -l)" 2

# --- --no-cache writes no file anywhere (strace), even with a read-only TMPDIR
mkdir -p "$WORK/ro" && chmod 555 "$WORK/ro"
if command -v strace >/dev/null; then
    # (LeakSanitizer cannot stop the world under ptrace: an ASan build runs without it here.)
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 TMPDIR=$WORK/ro strace -f -qq -o "$WORK/trace" -e trace=open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,link,linkat,symlink,symlinkat \
        "$BIN" audit "${NET[@]}" --no-cache "$R/debianish:1" "$R/alpineish:1" >"$WORK/out" 2>"$WORK/err"
    same "--no-cache under strace: exit" "$?" 1
    writes=$(grep -E 'O_WRONLY|O_RDWR|O_CREAT|creat\(|mkdir|rename|link\(|linkat|symlink' "$WORK/trace" | grep -v ' = -1 ' | grep -vE '"/dev/(null|tty|pts/[0-9]+)"' || true)
    same "--no-cache: no file opened for writing, created, renamed or linked" "$writes" ""
else
    bad "strace is not installed (ci/install-deps.sh)"
fi

# --- a fault proxy in front of the registry: a dropped blob transfer resumes once with Range
# (the decoder state is in memory); dropped twice, or corrupted, it is an error.
PROXY=127.0.0.1:$((${R##*:} + 33))
python3 "$HERE/../registry/fault_proxy.py" "${PROXY##*:}" "$R" "$WORK/proxy.log" 2>"$WORK/proxy.err" &
PROXY_PID=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://$PROXY/v2/" && break; sleep 0.1; done
plan() { curl -sf -X PUT --data-binary "$1" "http://$PROXY/__plan" >/dev/null; }
noise_layer=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$R/v2/noise/manifests/1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"][0]["digest"])')
plan '[{"method": "GET", "path": "/blobs/'"$noise_layer"'", "action": "reset", "after": 1500000, "times": 1}]'
: >"$WORK/proxy.log"
expect "a blob cut once is resumed" 0 "$BIN" audit --plain-http "$PROXY" --no-cache "$PROXY/noise:1"
has "resumed with Range after the bytes it had" "$WORK/proxy.log" '"range": "bytes='
has "the resumed layer is read to the end" "$WORK/out" "3.1 MB content"
plan '[{"method": "GET", "path": "/blobs/'"$noise_layer"'", "action": "reset", "after": 1500000, "times": 2}]'
expect "a blob cut twice is an error" 3 "$BIN" audit --plain-http "$PROXY" --no-cache "$PROXY/noise:1"
has "cut twice: names the layer" "$WORK/err" "error: $PROXY/noise:1: layer 0 (sha256:"
same "cut twice: nothing printed" "$(wc -c <"$WORK/out")" 0
plan '[{"method": "GET", "path": "/blobs/'"$noise_layer"'", "action": "corrupt", "at": 30000, "times": 1}]'
expect "a corrupted blob is an error" 3 "$BIN" audit --plain-http "$PROXY" --no-cache "$PROXY/noise:1"
has "corrupted: names the layer" "$WORK/err" "error: $PROXY/noise:1: layer 0 (sha256:"
kill "$PROXY_PID" 2>/dev/null
PROXY_PID=

# --- TLS + basic auth, credentials from a password on stdin and from the docker config.
# (debianish: skopeo 1.9 does not recognise a zstd stream that starts with a skippable frame and
# would gzip it again; its gzip layers are copied as they are.)
if skopeo --insecure-policy copy -q --src-tls-verify=false --dest-creds pusher:pusher-secret \
    --dest-cert-dir "$TESTBED_CERTS_D/$TESTBED_BASIC" "docker://$R/debianish:1" "docker://$TESTBED_BASIC/audit/debianish:1" \
    >"$WORK/skopeo.log" 2>&1; then
    expect "TLS + basic auth (--password-stdin)" 1 "$BIN" audit --no-cache --certs-dir "$TESTBED_CERTS_D" \
        --docker-username reader --password-stdin "$TESTBED_BASIC/audit/debianish:1" <<<"reader-secret"
    has "TLS + basic: the shell" "$WORK/out" "IS101 the image has a shell: /usr/bin/bash"
    expect "TLS + basic auth (docker config)" 1 "$BIN" audit --no-cache --ca-file "$TESTBED_CA" \
        --docker-config "$TESTBED_DOCKER_CONFIG" "$TESTBED_BASIC/audit/debianish:1"
    expect "wrong password: the image cannot be read" 3 "$BIN" audit --no-cache --certs-dir "$TESTBED_CERTS_D" \
        --docker-username reader --password-stdin "$TESTBED_BASIC/audit/debianish:1" <<<"wrong"
    has "wrong password: says so once" "$WORK/err" "error: $TESTBED_BASIC/audit/debianish:1: unauthorized"
    lacks "the password is never printed" "$WORK/err" "wrong"
    expect "untrusted certificate" 3 "$BIN" audit --no-cache "$TESTBED_BASIC/audit/debianish:1"
else
    bad "skopeo could not copy to the basic registry" "$(cat "$WORK/skopeo.log")"
fi
# Bearer tokens from the testbed's issuer, credentials from a docker credential helper.
if skopeo --insecure-policy copy -q --src-tls-verify=false --dest-creds pusher:pusher-secret \
    --dest-cert-dir "$TESTBED_CERTS_D/$TESTBED_TOKEN" "docker://$R/distroless:1" "docker://$TESTBED_TOKEN/audit/distroless:1" \
    >"$WORK/skopeo.log" 2>&1; then
    expect "TLS + bearer token (credential helper)" 0 env PATH="$TESTBED_BIN:$PATH" "$BIN" audit --no-cache \
        --certs-dir "$TESTBED_CERTS_D" --docker-config "$TESTBED_DOCKER_CONFIG_HELPER" "$TESTBED_TOKEN/audit/distroless:1"
    has "bearer: the image was read" "$WORK/out" "packages: dpkg /var/lib/dpkg/status.d (2 packages)"
else
    bad "skopeo could not copy to the token registry" "$(cat "$WORK/skopeo.log")"
fi
finish
