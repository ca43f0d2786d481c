#!/usr/bin/env bash
# The release check: proves that the static release binaries run on old and new Linux
# userlands and do what the dev build does (issue "portable release"; the method is
# ../shared/spec/portable-release.md §6).
#
#   krew/prove.sh [--amd64 BIN] [--arm64 BIN] [--dev BIN] [--report FILE]
#
# Defaults: build-release/, build-release-arm64/ and build/ binaries. Needs root (chroot),
# debootstrap, qemu-user-static, binutils-aarch64-linux-gnu, hyperfine and the registry
# testbed's tools; krew/deps.sh and ci/install-deps.sh install them. Minimal Debian 11
# (bullseye, glibc 2.31) and Debian 13 (trixie, glibc 2.41) chroots are made with debootstrap
# once and kept in $PROVE_CHROOTS (default /var/tmp/image-secure-chroots). All traffic of the
# binaries goes to 127.0.0.1.
#
# Checks:
#   1. static-pie, no NEEDED, no INTERP, no GLIBC_ symbol versions (file, readelf);
#   2. no object of ours references getaddrinfo/gethostbyname/getnameinfo/getpw*/getgr*/
#      initgroups/getlogin (nm -u): static glibc crashes when such a lookup reaches an NSS
#      module;
#   3. in each chroot, the amd64 binary and the arm64 binary (qemu-user) print what the dev
#      build prints on the host for: --version, secret create, rewrite, validate, registry
#      resolve and mirror against the TLS testbed. The chroot trusts the testbed's CA only
#      through a RHEL-style bundle (/etc/pki/tls/certs/ca-bundle.crt), with no SSL_CERT_*;
#   4. the NSS hazard: trixie with libnss-myhostname installed and listed before dns (hosts
#      and passwd), a loopback DNS stub answering registry.example; registry commands resolve
#      through it, fail cleanly when DNS does not answer, and run as a uid /etc/passwd lacks;
#   5. startup (--version) and secret create: static vs dev build, same run (hyperfine).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
AMD64=$root/build-release/kubectl-image_secure
ARM64=$root/build-release-arm64/kubectl-image_secure
DEV=$root/build/kubectl-image_secure
report=""
while [ $# -gt 0 ]; do
    case $1 in
        --amd64) AMD64=$2; shift 2 ;;
        --arm64) ARM64=$2; shift 2 ;;
        --dev) DEV=$2; shift 2 ;;
        --report) report=$(realpath -m "$2"); shift 2 ;;
        -h|--help) sed -n '2,29p' "$0"; exit 0 ;;
        *) echo "prove.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "prove.sh: needs root (chroot, debootstrap)" >&2; exit 2; }
for b in "$AMD64" "$ARM64" "$DEV"; do
    [ -x "$b" ] || { echo "prove.sh: no binary at $b (krew/package.sh builds the release ones)" >&2; exit 2; }
done
for t in debootstrap qemu-aarch64-static aarch64-linux-gnu-nm readelf file hyperfine docker-registry skopeo; do
    command -v "$t" >/dev/null || { echo "prove.sh: $t is missing (krew/deps.sh, ci/install-deps.sh)" >&2; exit 2; }
done

CHROOTS=${PROVE_CHROOTS:-/var/tmp/image-secure-chroots}
WORK=$(mktemp -d /tmp/image-secure-prove.XXXXXX)
export TESTBED_DIR=$WORK/testbed TESTBED_PORT_BASE=${PROVE_PORT_BASE:-5560} TESTBED_TAGS=1
DNS_PID=""
cleanup() {
    [ -n "$DNS_PID" ] && kill "$DNS_PID" 2>/dev/null
    "$root/tests/registry/testbed.sh" stop 2>/dev/null
    for s in bullseye trixie trixie-nss; do umount "$CHROOTS/$s/proc" 2>/dev/null; done
    rm -rf "$WORK"
}
trap cleanup EXIT
failures=0 checks=0
out=$WORK/report.txt
say() { echo "$*" | tee -a "$out"; }
ok() { checks=$((checks + 1)); say "ok   $1"; }
bad() { checks=$((checks + 1)); failures=$((failures + 1)); say "FAIL $1"; [ -n "${2:-}" ] && say "     $2"; }

# 1 + 2: what the binaries need at run time, and what our objects call.
nss='^(getaddrinfo|gethostbyname2?(_r)?|gethostbyaddr(_r)?|getnameinfo|getpw(nam|uid|ent)(_r)?|getgr(nam|gid|ent)(_r)?|getgrouplist|initgroups|getlogin(_r)?)$'
for arch in amd64 arm64; do
    if [ $arch = amd64 ]; then bin=$AMD64 want="x86-64" nm=nm; else bin=$ARM64 want="ARM aarch64" nm=aarch64-linux-gnu-nm; fi
    desc=$(file -b "$bin")
    case $desc in *"static-pie linked"*"$want"*|*"$want"*"static-pie linked"*) ok "$arch: static-pie ($want)" ;;
        *) bad "$arch: not a static-pie $want binary" "$desc" ;; esac
    if readelf -d "$bin" | grep -q NEEDED; then bad "$arch: NEEDED entries" "$(readelf -d "$bin" | grep NEEDED)"; else ok "$arch: no NEEDED entries"; fi
    if readelf -l "$bin" | grep -q INTERP; then bad "$arch: has a program interpreter"; else ok "$arch: no program interpreter"; fi
    versions=$(readelf -V "$bin" | grep -o 'GLIBC[XX]*_[0-9.]*' | sort -u)
    if [ -z "$versions" ]; then ok "$arch: no GLIBC_/GLIBCXX_ version requirements (glibc floor: none)"; else bad "$arch: symbol versions" "$versions"; fi
    objects=$(find "$(dirname "$bin")/src" -name '*.o' | sort)
    if [ -z "$objects" ]; then
        bad "$arch: no objects of ours next to $bin to check"
    else
        used=$($nm -u $objects 2>/dev/null | awk '{ print $NF }' | sed 's/@.*//' | grep -E "$nss" | sort -u)
        if [ -z "$used" ]; then ok "$arch: our $(wc -w <<<"$objects") objects call no NSS function"; else bad "$arch: our objects call NSS functions" "$used"; fi
    fi
    say "     $arch: $(stat -c %s "$bin") bytes (krew/package.sh's dist/runtime.txt has the stripped size)"
done

# 3: chroots.
mkdir -p "$CHROOTS"
for s in bullseye trixie; do
    if [ ! -x "$CHROOTS/$s/bin/sh" ]; then
        echo "prove.sh: debootstrap --variant=minbase $s (once, kept in $CHROOTS)" >&2
        rm -rf "$CHROOTS/$s.partial"
        debootstrap --variant=minbase "$s" "$CHROOTS/$s.partial" http://deb.debian.org/debian >"$WORK/debootstrap-$s.log" 2>&1 \
            || { tail -5 "$WORK/debootstrap-$s.log" >&2; exit 1; }
        mv "$CHROOTS/$s.partial" "$CHROOTS/$s"
    fi
done
# The NSS chroot: trixie plus libnss-myhostname (the module must be installed to be loaded).
if [ ! -e "$CHROOTS/trixie-nss/usr/lib/x86_64-linux-gnu/libnss_myhostname.so.2" ]; then
    rm -rf "$CHROOTS/trixie-nss"
    cp -a "$CHROOTS/trixie" "$CHROOTS/trixie-nss"
    cp /etc/resolv.conf "$CHROOTS/trixie-nss/etc/resolv.conf"
    chroot "$CHROOTS/trixie-nss" apt-get install -y -qq --no-install-recommends libnss-myhostname >"$WORK/nss-install.log" 2>&1 \
        || { tail -5 "$WORK/nss-install.log" >&2; exit 1; }
fi

"$root/tests/registry/testbed.sh" start >"$WORK/testbed.log" 2>&1 || { cat "$WORK/testbed.log" >&2; exit 1; }
# shellcheck disable=SC1091
source "$TESTBED_DIR/testbed.env"
DEST_PORT=$((TESTBED_PORT_BASE + 8))
"$root/tests/registry/testbed.sh" fresh dest "$DEST_PORT" tls >/dev/null
glibc() { # ROOT -> glibc version of that userland
    local f
    f=$(ls "$1"/lib/x86_64-linux-gnu/libc.so.6 "$1"/usr/lib/x86_64-linux-gnu/libc.so.6 2>/dev/null | head -1)
    strings "$f" | sed -n 's/^GNU C Library (.*) .*version \([0-9]*\.[0-9]*\).*/\1/p' | head -1
}

manifest=$root/examples/app/deployment.yaml
corpus=$root/../shared/corpus/real
[ -d "$corpus" ] && manifest=$(ls "$corpus"/*.yaml | head -1)
# The commands, one per line: NAME<TAB>ARGS (run with $IS = the binary, $IN = inputs dir,
# $TAG = a per-run destination prefix). Input files are copied into each root's /in.
cat >"$WORK/commands" <<EOF
version	--version
secret	secret create regcred --docker-server=registry.example.com --docker-username=robot --password-file=\$IN/password --namespace=team-a
rewrite	rewrite --registry registry.example.com/mirror --pull-secret regcred -f \$IN/manifest.yaml
validate	validate -o json -f \$IN/manifest.yaml
resolve	registry resolve $TESTBED_BASIC/library/small:1.0 $TESTBED_BASIC/library/multi:1.0 --docker-config \$IN/docker-config
mirror	mirror $TESTBED_BASIC/library/multi:1.0 $TESTBED_BASIC/apps/web:2.1 --registry 127.0.0.1:$DEST_PORT/\$TAG --docker-config \$IN/docker-config
EOF
inputs() { # DIR: the inputs, as every run sees them
    mkdir -p "$1/docker-config"
    printf 'not-a-real-password\n' >"$1/password"
    cp "$manifest" "$1/manifest.yaml"
    # Docker config without the testbed's CA: trust must come from the system store.
    cp "$TESTBED_DOCKER_CONFIG/config.json" "$1/docker-config/"
}
normalise() { # the run's own input path, prefix and durations out
    sed -e "s|$WORK/in-host/|/in/|g" -e "s|127.0.0.1:$DEST_PORT/[a-z0-9-]*/|DEST/|g" \
        -e 's/; blobs: .*//' -e 's/ ([^)]*blobs[^)]*)//'
}
run_all() { # LABEL RUNNER... : RUNNER runs "$IS" ARGS with IN and TAG; outputs into $WORK/out/LABEL
    local label=$1 name args
    shift
    mkdir -p "$WORK/out/$label"
    while IFS=$'\t' read -r name args; do
        "$@" "$label" "$args" >"$WORK/out/$label/$name" 2>"$WORK/out/$label/$name.err"
        echo "exit $?" >>"$WORK/out/$label/$name"
        normalise <"$WORK/out/$label/$name" >"$WORK/out/$label/$name.n"
    done <"$WORK/commands"
}
host_dev() { # the reference: dev build on the host, CA through SSL_CERT_FILE
    local in=$WORK/in-host
    [ -d "$in" ] || inputs "$in"
    env -i PATH=/usr/bin:/bin HOME="$WORK" SSL_CERT_FILE="$TESTBED_CA" IMAGE_SECURE_CACHE_DIR="$WORK/cache-$1" \
        IN="$in" TAG="$1" IS="$DEV" /bin/sh -c "\$IS $2"
}
binary_for() { # ARCH -> the command that runs that release binary inside a prepared root
    if [ "$1" = arm64 ]; then echo "/opt/qemu-aarch64-static /opt/kubectl-image_secure-arm64"; else echo /opt/kubectl-image_secure; fi
}
in_chroot() { # ROOT ARCH LABEL ARGS (as CHROOT_USER, default root)
    local r=$1 arch=$2 label=$3 args=$4
    chroot ${CHROOT_USER:+--userspec="$CHROOT_USER"} "$r" /usr/bin/env -i PATH=/usr/bin:/bin HOME="${CHROOT_HOME:-/root}" \
        IMAGE_SECURE_CACHE_DIR="/tmp/cache-$label" IN=/in TAG="$label" IS="$(binary_for "$arch")" /bin/sh -c "\$IS $args"
}
prepare_root() { # ROOT
    local r=$1
    mkdir -p "$r/opt" "$r/proc" "$r/etc/pki/tls/certs"
    mountpoint -q "$r/proc" || mount -t proc proc "$r/proc"
    install -m 0755 "$AMD64" "$r/opt/kubectl-image_secure"
    install -m 0755 "$ARM64" "$r/opt/kubectl-image_secure-arm64"
    install -m 0755 "$(command -v qemu-aarch64-static)" "$r/opt/qemu-aarch64-static"
    rm -rf "$r/in" "$r/tmp"/cache-*
    inputs "$r/in"
    # Like RHEL: the only CA bundle is /etc/pki/tls/certs/ca-bundle.crt, holding the testbed CA.
    cp "$TESTBED_CA" "$r/etc/pki/tls/certs/ca-bundle.crt"
    printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n' >"$r/etc/hosts"
    if [ -e "$r/etc/ssl/certs/ca-certificates.crt" ]; then
        echo "prove.sh: $r has a Debian CA bundle; the RHEL-layout check needs it absent" >&2; exit 1
    fi
}

run_all dev host_dev
for s in bullseye trixie; do
    r=$CHROOTS/$s
    prepare_root "$r"
    say "     $s: glibc $(glibc "$r") (host: $(ldd --version | head -1 | awk '{ print $NF }'))"
    for arch in amd64 arm64; do
        label=$s-$arch
        run_all "$label" in_chroot "$r" "$arch"
        while IFS=$'\t' read -r name _; do
            if cmp -s "$WORK/out/dev/$name.n" "$WORK/out/$label/$name.n"; then
                ok "$label: $name = dev build ($(tail -1 "$WORK/out/$label/$name"))"
            else
                bad "$label: $name differs from the dev build" "$(diff "$WORK/out/dev/$name.n" "$WORK/out/$label/$name.n" | head -8; head -c 400 "$WORK/out/$label/$name.err")"
            fi
        done <"$WORK/commands"
    done
done
# The references are themselves right (independent of our binaries): the digests resolve
# prints are build_images.py's, and mirror's copies exist at the destination with them.
for d in "$DIGEST_SMALL_OCI" "$DIGEST_MULTI_OCI"; do
    grep -q "$d" "$WORK/out/dev/resolve" && ok "resolve printed the testbed's digest ${d:0:19}..." || bad "resolve: no $d" "$(cat "$WORK/out/dev/resolve")"
done
for label in dev bullseye-amd64 trixie-arm64; do
    got=$(curl -sfI --cacert "$TESTBED_CA" -H 'Accept: application/vnd.oci.image.index.v1+json' \
        "https://127.0.0.1:$DEST_PORT/v2/$label/library/multi/manifests/1.0" | tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')
    [ "$got" = "$DIGEST_MULTI_OCI" ] && ok "mirror ($label) left library/multi with the source digest" || bad "mirror ($label): destination digest '$got'"
done
# Without the RHEL bundle nothing trusts the testbed: the CA really came from there. With
# no CA store at all, the error says so.
r=$CHROOTS/bullseye
mv "$r/etc/pki" "$r/etc/pki.off"
in_chroot "$r" amd64 untrusted "registry resolve $TESTBED_BASIC/library/small:1.0 -v --docker-config /in/docker-config" >"$WORK/untrusted" 2>&1
rc=$?
mv "$r/etc/pki.off" "$r/etc/pki"
if [ $rc = 3 ] && grep -q "no system CA certificates found (looked for /etc/ssl/certs/ca-certificates.crt, /etc/pki/tls/certs/ca-bundle.crt" "$WORK/untrusted" \
    && grep -q "^error: .*no system CA certificates found" "$WORK/untrusted"; then
    ok "no CA store: exit 3, -v and the error say none was found and where it looked"
else
    bad "no CA store: exit $rc" "$(head -c 600 "$WORK/untrusted")"
fi
in_chroot "$r" amd64 probe "registry resolve $TESTBED_BASIC/library/small:1.0 -v --docker-config /in/docker-config" >"$WORK/probe" 2>&1
grep -q "TLS CA certificates: bundle /etc/pki/tls/certs/ca-bundle.crt" "$WORK/probe" \
    && ok "-v names the bundle it used (/etc/pki/tls/certs/ca-bundle.crt)" || bad "-v does not name the bundle" "$(head -c 600 "$WORK/probe")"

# 4: the NSS hazard (trixie, module installed and listed first, DNS from a loopback stub).
r=$CHROOTS/trixie-nss
prepare_root "$r"
sed -i -e 's/^hosts:.*/hosts:          files myhostname dns/' -e 's/^passwd:.*/passwd:         files myhostname/' "$r/etc/nsswitch.conf"
echo 'nameserver 127.0.0.1' >"$r/etc/resolv.conf"
python3 "$root/krew/dns_stub.py" 53 >"$WORK/dns.log" 2>&1 &
DNS_PID=$!
sleep 0.5
name=registry.example
# The control: a static program that calls getaddrinfo() itself does crash here, so the
# checks below can fail.
printf '#include <netdb.h>\n#include <stdio.h>\nint main(void) { struct addrinfo *r = 0; int e = getaddrinfo("%s", "80", 0, &r); printf("%%d\\n", e); return e; }\n' \
    "$name" >"$WORK/gai.c"
if gcc -static -o "$r/opt/gai" "$WORK/gai.c" 2>/dev/null; then
    (chroot "$r" /opt/gai >/dev/null 2>&1) 2>/dev/null # bash reports the signal itself: not here
    rc=$?
    if [ $rc -ge 128 ]; then ok "control: a static getaddrinfo() caller dies here (signal $((rc - 128)))"; else bad "control: a static getaddrinfo() caller survived (exit $rc): the NSS checks prove nothing"; fi
else
    bad "control: gcc -static could not build the getaddrinfo probe"
fi
resolve_args="registry resolve $name:$TESTBED_PORT_BASE/library/small:1.0 --plain-http $name:$TESTBED_PORT_BASE"
for arch in amd64 arm64; do
    in_chroot "$r" $arch nss "$resolve_args" >"$WORK/nss" 2>&1
    rc=$?
    if [ $rc = 0 ] && grep -q "$DIGEST_SMALL_OCI" "$WORK/nss"; then
        ok "nss ($arch): hosts 'files myhostname dns': $name resolved through DNS, digest right"
    else
        bad "nss ($arch): exit $rc" "$(head -c 600 "$WORK/nss")"
    fi
    CHROOT_USER=4242:4242 CHROOT_HOME=/tmp in_chroot "$r" $arch uid \
        "secret create s --docker-server=r.example --docker-username=u --password-file=/in/password >/dev/null && \$IS $resolve_args" >"$WORK/nss" 2>&1
    rc=$?
    if [ $rc = 0 ]; then ok "nss ($arch): uid 4242 (not in /etc/passwd, 'passwd: files myhostname'): secret create and resolve work"; else bad "nss ($arch): uid 4242: exit $rc" "$(head -c 600 "$WORK/nss")"; fi
done
echo 'nameserver 127.0.0.2' >"$r/etc/resolv.conf" # nobody answers: the lookup falls through to the module
for arch in amd64 arm64; do
    in_chroot "$r" $arch nss "$resolve_args" >"$WORK/nss" 2>&1
    rc=$?
    if [ $rc = 3 ] && grep -q "Could not resolve host: $name" "$WORK/nss"; then
        ok "nss ($arch): DNS silent: 'Could not resolve host', exit 3 (no SIGABRT/SIGFPE)"
    else
        bad "nss ($arch): DNS silent: exit $rc" "$(head -c 600 "$WORK/nss")"
    fi
done

# 5: startup, same run.
cd "$WORK" || exit 1
printf 'secret\n' >"$WORK/pw"
hyperfine -N -w 5 -r 100 --export-json "$WORK/startup.json" "$DEV --version" "$AMD64 --version" \
    "$DEV secret create s --docker-server=r.example --docker-username=u --password-file=$WORK/pw" \
    "$AMD64 secret create s --docker-server=r.example --docker-username=u --password-file=$WORK/pw" >/dev/null 2>&1
python3 - "$WORK/startup.json" <<'PY' | tee -a "$out"
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ms = [x["mean"] * 1000 for x in r]
print("     startup --version: dev %.1f ms, static %.1f ms (static/dev %.2f)" % (ms[0], ms[1], ms[1] / ms[0]))
print("     secret create:     dev %.1f ms, static %.1f ms (static/dev %.2f)" % (ms[2], ms[3], ms[3] / ms[2]))
PY

say "prove.sh: $checks checks, $failures failed"
if [ -n "$report" ]; then
    mkdir -p "$(dirname "$report")" && cp "$out" "$report" || { echo "prove.sh: cannot write $report" >&2; exit 1; }
fi
[ "$failures" = 0 ]
