#!/usr/bin/env bash
# kubectl and krew integration: plugin discovery and completion through the real kubectl,
# the krew manifest against krew's rules (offline: krew cannot be installed here), the
# release-bot template, and the packaging script's archives (reproducible, installable).
# Usage: plugin.sh BINARY CMAKE_VERSION
set -uo pipefail
BIN=$(realpath "$1")
VERSION=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2"; failures=$((failures + 1)); }
mkdir -p "$WORK/bin"
ln -s "$BIN" "$WORK/bin/kubectl-image_secure"
ln -s kubectl-image_secure "$WORK/bin/kubectl_complete-image_secure"
export PATH="$WORK/bin:$PATH"

# ---------------------------------------------------------------- kubectl
if command -v kubectl >/dev/null; then
    out=$(kubectl plugin list 2>&1); rc=$?
    if [ $rc = 0 ] && grep -q "$WORK/bin/kubectl-image_secure" <<<"$out"; then ok "kubectl plugin list finds it, no warnings"; else bad "kubectl plugin list (rc=$rc)" "$out"; fi
    same_version="kubectl-image_secure $VERSION"
    [ "$(kubectl image-secure --version)" = "$same_version" ] && ok "kubectl image-secure --version = CMake version" || bad "--version" "$(kubectl image-secure --version)"
    [ "$(kubectl image-secure secret create --version)" = "$same_version" ] && ok "--version on a subcommand" || bad "--version on a subcommand"
    a=$(printf 's3cr3t\n' | kubectl image-secure secret create x --docker-username u --password-stdin -n ns --kubectl-version "$(kubectl version --client | grep -o 'v1\.[0-9]*' | head -1 | tr -d v)")
    b=$(kubectl create secret docker-registry x --docker-username u --docker-password s3cr3t -n ns --dry-run=client -o yaml)
    [ "$a" = "$b" ] && ok "stdin reaches the plugin through kubectl (--password-stdin)" || bad "--password-stdin through kubectl"
    kubectl image-secure rewrite -f - --registry r.example.com --context prod </dev/null >"$WORK/out" 2>"$WORK/err"; rc=$?
    if [ $rc = 2 ] && grep -q "never talks to a cluster" "$WORK/err"; then ok "cluster flag --context refused (exit 2)"; else bad "cluster flag: rc=$rc" "$(cat "$WORK/err")"; fi
    for flag in --kubeconfig=/x -A --token=t; do
        "$BIN" images -f - "$flag" </dev/null >/dev/null 2>&1
        [ $? = 2 ] && ok "cluster flag $flag refused" || bad "cluster flag $flag accepted"
    done
    complete_via_kubectl() { kubectl __complete image-secure "$@" 2>/dev/null; }
    out=$(complete_via_kubectl re)
    if grep -q '^rewrite' <<<"$out" && grep -q '^ref' <<<"$out" && grep -q '^registry' <<<"$out" && ! grep -q '^validate' <<<"$out" && [ "$(tail -1 <<<"$out")" = ":4" ]; then
        ok "completion: subcommands filtered by prefix, directive last"
    else bad "completion of 're'" "$out"; fi
    out=$(complete_via_kubectl rewrite --path-mode "")
    [ "$(printf '%s\n' keep flatten host :4)" = "$out" ] && ok "completion: --path-mode values" || bad "completion --path-mode" "$out"
    out=$(complete_via_kubectl validate -o s)
    [ "$(printf '%s\n' sarif :4)" = "$out" ] && ok "completion: -o values of validate" || bad "completion -o" "$out"
    out=$(complete_via_kubectl mirror --all)
    grep -q '^--all-platforms' <<<"$out" && ok "completion: flags of a subcommand" || bad "completion of flags" "$out"
    out=$(complete_via_kubectl rewrite -f "")
    [ "$(tail -1 <<<"$out")" = ":0" ] && ok "completion: -f completes files" || bad "completion -f" "$out"
    out=$(complete_via_kubectl registry "")
    for sub in check resolve inspect; do grep -q "^$sub	" <<<"$out" || bad "completion: registry $sub missing" "$out"; done
    ok "completion: registry subcommands with descriptions"
else
    echo "skip kubectl checks: kubectl not installed"
fi

# ---------------------------------------------------------------- libcurl is loaded only by registry commands
IMAGE_SECURE_LIBCURL=/nonexistent/libcurl.so.4 "$BIN" registry check 127.0.0.1:1 >"$WORK/out" 2>"$WORK/err"; rc=$?
if [ $rc = 3 ] && grep -q "registry commands need libcurl" "$WORK/err"; then ok "without libcurl: registry commands say what is missing (exit 3)"; else bad "without libcurl: rc=$rc" "$(cat "$WORK/err")"; fi
if IMAGE_SECURE_LIBCURL=/nonexistent/libcurl.so.4 "$BIN" rewrite -f - --registry r.example.com <<<'image: x' >/dev/null 2>&1; then ok "without libcurl: other commands work"; else bad "without libcurl: rewrite failed"; fi
if readelf -d "$BIN" | grep -q 'libcurl'; then bad "the binary links libcurl (it must dlopen it)"; else ok "libcurl is not a link-time dependency"; fi

# ---------------------------------------------------------------- --help of every command has examples
help_ok=1
for cmd in "" "ref" "secret" "secret create" "rewrite" "images" "validate" "registry" "registry check" \
    "registry resolve" "registry inspect" "mirror" "onboard" "krm"; do
    # shellcheck disable=SC2086
    if "$BIN" $cmd --help | grep -q "Examples:"; then :; else bad "--help of '$cmd' has no examples"; help_ok=0; fi
done
[ $help_ok = 1 ] && ok "every --help has examples"

# ---------------------------------------------------------------- krew manifest, offline
python3 - "$ROOT" "$VERSION" <<'PY' && ok "plugin.yaml follows krew's rules and the CMake version" || bad "plugin.yaml checks"
import re, sys, yaml
root, version = sys.argv[1], sys.argv[2]
doc = yaml.safe_load(open(root + "/plugin.yaml"))
assert doc["apiVersion"] == "krew.googlecontainertools.github.com/v1alpha2" and doc["kind"] == "Plugin"
name = doc["metadata"]["name"]
assert name == "image-secure" and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name) and not name.startswith("kube")
spec = doc["spec"]
assert re.fullmatch(r"v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", spec["version"]) and spec["version"] == "v" + version, spec["version"]
assert "\n" not in spec["shortDescription"] and len(spec["shortDescription"]) <= 50
assert all(len(l) <= 80 for l in spec["description"].splitlines())
seen = set()
for p in spec["platforms"]:
    labels = p["selector"]["matchLabels"]
    assert set(p["selector"]) == {"matchLabels"} and set(labels) == {"os", "arch"}, p["selector"]
    pair = (labels["os"], labels["arch"])
    assert pair not in seen, pair
    seen.add(pair)
    want = "/releases/download/%s/kubectl-image_secure_%s_%s_%s.tar.gz" % (spec["version"], spec["version"], *pair)
    assert p["uri"].startswith("https://") and p["uri"].endswith(want), p["uri"]
    assert re.fullmatch(r"[a-f0-9]{64}", p["sha256"])
    assert p["bin"] == "kubectl-image_secure"
    assert {"from": "LICENSE", "to": "."} in p["files"] and {"from": "kubectl-image_secure", "to": "."} in p["files"]
assert seen == {("linux", "amd64"), ("linux", "arm64")}, seen  # what krew/package.sh builds
# The release-bot template renders to the same manifest.
tpl = open(root + "/krew/krew-release-bot.yaml").read()
tag = spec["version"]
def render(m):
    url = m.group(1).replace("{{ .TagName }}", tag)
    return 'uri: %s\n    sha256: "%s"' % (url, "0" * 64)
rendered = re.sub(r'\{\{addURIAndSha "([^"]+)" \.TagName \}\}', render, tpl).replace("{{ .TagName }}", tag)
assert yaml.safe_load(rendered) == doc, "krew-release-bot.yaml differs from plugin.yaml"
PY

# ---------------------------------------------------------------- packaging: archives, checksums, an emulated krew install
# (The arm64 archive needs a cross build: krew/package.sh without arguments, proven by
# krew/prove.sh. Here: the amd64 one, --partial.)
if DIST_DIR=$WORK/dist1 SOURCE_DATE_EPOCH=1700000000 "$ROOT/krew/package.sh" --partial --bin linux/amd64="$BIN" \
    >"$WORK/package.log" 2>&1 &&
    DIST_DIR=$WORK/dist2 SOURCE_DATE_EPOCH=1700000000 "$ROOT/krew/package.sh" --partial --bin linux/amd64="$BIN" \
        >>"$WORK/package.log" 2>&1; then
    cmp -s "$WORK/dist1/SHA256SUMS" "$WORK/dist2/SHA256SUMS" && ok "archives are reproducible" || bad "archives differ between two runs"
    python3 - "$WORK/dist1" "$WORK/install" <<'PY' && ok "dist/image-secure.yaml installs like krew would (sha256, files, bin, LICENSE)" || bad "emulated krew install"
import hashlib, os, re, shutil, sys, tarfile, yaml
dist, root = sys.argv[1], sys.argv[2]
doc = yaml.safe_load(open(dist + "/image-secure.yaml"))
assert len(doc["spec"]["platforms"]) == 1
for p in doc["spec"]["platforms"]:
    archive = os.path.join(dist, p["uri"].rsplit("/", 1)[1])
    assert hashlib.sha256(open(archive, "rb").read()).hexdigest() == p["sha256"], archive
    with tarfile.open(archive) as t:
        names = sorted(t.getnames())
        assert names == ["LICENSE", "README.md", "kubectl-image_secure"], names
        assert all(m.uid == 0 and m.gid == 0 for m in t.getmembers())
        dest = os.path.join(root, "%(os)s-%(arch)s" % p["selector"]["matchLabels"])
        t.extractall(dest + ".tmp")
    os.makedirs(dest)
    for f in p["files"]:                      # krew copies only what `files` names
        shutil.copy2(os.path.join(dest + ".tmp", f["from"]), os.path.join(dest, f["to"], f["from"]))
    assert os.access(os.path.join(dest, p["bin"]), os.X_OK)
    assert os.path.exists(os.path.join(dest, "LICENSE"))
    assert not os.path.exists(os.path.join(dest, "README.md"))
PY
    "$WORK/install/linux-amd64/kubectl-image_secure" --version | grep -qx "kubectl-image_secure $VERSION" && ok "installed binary runs" || bad "installed binary"
else
    bad "krew/package.sh failed" "$(cat "$WORK/package.log")"
fi
DIST_DIR=$WORK/dist3 "$ROOT/krew/package.sh" --bin linux/amd64="$BIN" >"$WORK/p3.log" 2>&1
[ $? != 0 ] && grep -q "no binary for linux/arm64" "$WORK/p3.log" && ok "package.sh refuses a release with missing platforms" || bad "package.sh with missing platforms"
DIST_DIR=$WORK/dist4 "$ROOT/krew/package.sh" --bin linux/amd64="$BIN" --bin linux/arm64="$BIN" >"$WORK/p4.log" 2>&1
[ $? != 0 ] && grep -q "is not a linux/arm64 binary (ELF machine: Advanced Micro Devices X86-64)" "$WORK/p4.log" \
    && ok "package.sh refuses an amd64 binary as the arm64 one" || bad "package.sh with a binary of the wrong architecture" "$(cat "$WORK/p4.log")"
[ "$failures" = 0 ]
