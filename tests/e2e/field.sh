#!/usr/bin/env bash
# What a first-time user trips over, offline: every expectation here is written by hand from
# the issue, kubectl's behaviour or the SARIF/JUnit specs, not from the tool's output.
# Usage: field.sh BINARY SHARED_DIR
set -u
bin=$(realpath "$1")
shared=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && echo "     $(printf '%s' "$2" | head -c 400)"; }
run() { "$bin" "$@" >out 2>err </dev/null; rc=$?; }
want() { # NAME RC FILE TEXT
    if [ "$rc" = "$2" ] && grep -qF -- "$4" "$3"; then ok; else bad "$1 (exit $rc, want $2; '$4' in $3)" "$(cat "$3")"; fi
}
pod() { printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  containers:\n  - name: a\n    image: %s\n' "$1" "$2"; }

# validate with nothing to check: exit 2, like kubectl's "no objects passed".
mkdir -p only-subdirs/a empty
pod p nginx:1 >only-subdirs/a/p.yaml
run validate -f only-subdirs
want "validate: a folder of folders without -R" 2 err "no Kubernetes objects found in only-subdirs (directories are read one level deep: add -R"
run validate -f empty
want "validate: an empty folder" 2 err "no Kubernetes objects found in empty"
echo hello >hello.yaml
run validate -f hello.yaml
want "validate: a text file" 2 err "no Kubernetes objects found in hello.yaml"
"$bin" validate -f - </dev/null >out 2>err; rc=$?
want "validate: empty stdin" 2 err "no Kubernetes objects found in standard input"
run validate -f only-subdirs -R
want "validate: with -R it reads them" 0 err "validated 1 object in 1 file (1 image): 0 errors, 0 warnings, 0 info"

# JUnit counts failing test cases; one failure element per case with all its findings.
{ pod a 'nginx'; echo ---; pod b 'Bad'; echo ---; pod c 'nginx:1.27'; } >three.yaml
run validate -f three.yaml -o junit
[ "$rc" = 1 ] && ok || bad "junit: exit $rc"
grep -q '<testsuites name="kubectl image-secure validate" tests="3" failures="2">' out && ok || bad "junit: counts" "$(head -3 out)"
[ "$(grep -c '<failure ' out)" = 2 ] && ok || bad "junit: one failure element per failing case" "$(grep -c '<failure ' out)"
python3 - out <<'PY' && ok || bad "junit: the failure lists every finding of its case"
import sys, xml.etree.ElementTree as ET
cases = {c.get("name"): c for c in ET.parse(sys.argv[1]).getroot().iter("testcase")}
f = cases["Pod/a"].find("failure")
assert f is not None and "IS004" in f.text and "IS002" not in f.text, f.text
assert cases["Pod/c"].find("failure") is None
PY

# SARIF: %SRCROOT% is the working directory, so relative URIs resolve to the real files.
mkdir -p sub
pod s nginx >sub/s.yaml
run validate -f sub/s.yaml -o sarif
python3 - out "$tmp" <<'PY' && ok || bad "sarif: %SRCROOT% + uri resolves to the file"
import json, os, sys, urllib.parse, urllib.request
run = json.load(open(sys.argv[1]))["runs"][0]
root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
assert root.startswith("file:///") and root.endswith("/"), root
uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
path = urllib.request.url2pathname(urllib.parse.urlparse(urllib.parse.urljoin(root, uri)).path)
assert os.path.samefile(path, os.path.join(sys.argv[2], "sub/s.yaml")), (root, uri, path)
PY
pod s nginx | "$bin" validate -f - -o sarif >out 2>/dev/null
grep -q '"uri": "-"' out && ok || bad "sarif: stdin is '-' as everywhere else"
pod s nginx | "$bin" validate -f - >out 2>/dev/null
grep -q '^-:8:5: ' out && ok || bad "text: stdin is '-'" "$(cat out)"

# IS012: names that say where a secret is are not secrets (metallb); literal ones still are.
cat >env.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: e
spec:
  containers:
  - name: a
    image: nginx:1.27
    env:
    - name: METALLB_ML_SECRET_NAME
      value: memberlist
    - name: METALLB_ML_SECRET_KEY_PATH
      value: /etc/ml_secret_key
    - name: DB_PASSWORD
      value: hunter2
EOF
run validate -f env.yaml
[ "$(grep -c IS012 out)" = 1 ] && grep -q "env DB_PASSWORD" out && ok || bad "IS012: only the real secret" "$(grep IS012 out)"
if [ -n "$shared" ] && [ -d "$shared/corpus/real" ]; then
    errors=$("$bin" validate -f "$shared/corpus/real" -o json 2>/dev/null | python3 -c 'import json,sys; print(sum(1 for f in json.load(sys.stdin) if f["severity"] == "error"))')
    [ "$errors" = 0 ] && ok || bad "corpus: error-level findings left: $errors"
fi

# IS001: a tab that breaks indentation is on its own line (kubectl: line 6).
printf 'apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: a\n\t  image: x\n' >tab.yaml
run validate -f tab.yaml
want "IS001: tab line" 1 out "tab.yaml:6:1: error IS001 found a tab character that violates indentation"

# --allowed-registry: URLs normalised, near misses named, nonsense refused.
pod n r.example.com/mirro/nginx:1 >near.yaml
run validate -f near.yaml --allowed-registry https://r.example.com/mirror/
want "IS006: names the near miss" 1 out "nearest allowed entry: r.example.com/mirror (the image has r.example.com/mirro)"
pod n r.example.com/mirror/nginx:1 >allowed.yaml
run validate -f allowed.yaml --allowed-registry https://R.example.com/mirror/
grep -q IS006 out && bad "IS006: https:// and case are normalised" "$(cat out)" || ok
run validate -f allowed.yaml --allowed-registry 'not a registry'
want "IS006: nonsense refused" 2 err "is not a registry HOST[:PORT][/PATH]"

# IS008 and KEP-2535: an error from 1.35 on.
pod k r.example.com/team/api:1 >private.yaml
run validate -f private.yaml --kubernetes-version 1.35
want "IS008: error on 1.35" 1 out "error IS008"
grep -q "re-checks pull credentials" out && ok || bad "IS008: says why" "$(cat out)"
run validate -f private.yaml --kubernetes-version 1.34
want "IS008: warning on 1.34" 1 out "warning IS008"

# kubectl conventions.
run valdiate
want "typo suggests the command" 2 err 'unknown command "valdiate" for "kubectl image-secure"; did you mean "validate"?'
run help validate
want "help CMD" 0 out "Usage: kubectl image-secure validate"
run version
want "version" 0 out "kubectl-image_secure "
run version -o json
python3 -c 'import json,sys; assert json.load(open("out"))["version"]' && ok || bad "version -o json" "$(cat out)"
run validate -f x.yaml --bogus
want "errors point at the subcommand's help" 2 err "(see 'kubectl image-secure validate --help')"
pod d nginx:1 >d.yaml
run rewrite -f d.yaml --registry r.io --diff
want "rewrite --diff: exit 1 with changes" 1 out "+    image: r.io/library/nginx:1"
run rewrite -f d.yaml --registry r.io --dry-run
want "rewrite --dry-run is a no-op" 0 out "image: r.io/library/nginx:1"
run rewrite -f d.yaml --registry r.io --dry-run=client --in-place
[ "$rc" = 0 ] && grep -q "r.io" d.yaml && ok || bad "rewrite --dry-run=client --in-place still writes (kubectl's client dry run)"
pod d nginx:1 >d.yaml
"$bin" rewrite -f d.yaml --registry r.io --diff >/dev/null; pod d r.io/library/nginx:1 >d2.yaml
run rewrite -f d2.yaml --registry r.io --diff
[ "$rc" = 0 ] && [ ! -s out ] && ok || bad "rewrite --diff: exit 0 without changes"

# Colour: --color=always/never, NO_COLOR only when non-empty.
pod c nginx >c.yaml
run validate -f c.yaml --color=always
grep -q $'\e\\[' out && ok || bad "--color=always colours"
run validate -f c.yaml --color
grep -q $'\e\\[' out && ok || bad "--color alone means always"
run validate -f c.yaml --color=never
grep -q $'\e' out && bad "--color=never" || ok
run validate -f c.yaml --color=sometimes
[ "$rc" = 2 ] && ok || bad "--color=sometimes refused"

# onboard -f: the namespaces the workloads use.
cat >apps.yaml <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: payments
spec:
  template:
    spec:
      containers:
      - name: a
        image: nginx:1
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: ignored
EOF
run onboard -f apps.yaml --docker-username u --docker-password p
[ "$rc" = 0 ] && [ "$(grep -c '^kind: Secret' out)" = 2 ] && grep -q 'namespace: shop' out && grep -q 'namespace: payments' out \
    && ! grep -q 'namespace: ignored' out && ok || bad "onboard -f" "$(grep -E 'kind|namespace' out)"

# secret create prints what current kubectl prints; older ones on request.
run secret create s --docker-username u --docker-password p
grep -q creationTimestamp out && bad "1.34+: no creationTimestamp" || ok
run secret create s --docker-username u --docker-password p --kubectl-version 1.33
grep -q '  creationTimestamp: null' out && ok || bad "--kubectl-version 1.33"
IMAGE_SECURE_KUBECTL_VERSION=1.27 "$bin" secret create s --docker-username u --docker-password p -o json >out
grep -q '"creationTimestamp": null' out && ok || bad "IMAGE_SECURE_KUBECTL_VERSION=1.27"
run secret create s --docker-username u --docker-password p --kubectl-version 2.0
want "--kubectl-version 2.0 refused" 2 err "is not a kubectl version 1.N"

# Images outside image fields: found, listed by images --all, warned about, never rewritten.
cat >elsewhere.yaml <<'EOF2'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cert-manager
spec:
  template:
    spec:
      containers:
      - name: controller
        image: quay.io/jetstack/cert-manager-controller:v1.19.4
        args:
        - --v=2
        - --acme-http01-solver-image=quay.io/jetstack/cert-manager-acmesolver:v1.19.4
        env:
        - name: HELPER_IMAGE
          value: busybox:1.36
        - name: LOG_DIR
          value: /var/log/app
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-path-config
data:
  helperPod.yaml: |-
    apiVersion: v1
    kind: Pod
    spec:
      containers:
      - name: helper-pod
        image: docker.io/library/busybox
  note: "see https://example.com/docs/page for details, version 1.2"
EOF2
run images -f elsewhere.yaml --all
want "images --all: the solver in args" 0 out "quay.io/jetstack/cert-manager-acmesolver:v1.19.4	(outside an image field: args)"
grep -qF "docker.io/library/busybox:1.36	(outside an image field: env HELPER_IMAGE)" out && ok || bad "images --all: env value named *IMAGE" "$(cat out)"
grep -qF "docker.io/library/busybox:latest	(outside an image field: data helperPod.yaml)" out && ok || bad "images --all: ConfigMap helper pod" "$(cat out)"
[ "$(wc -l <out)" = 4 ] && ok || bad "images --all: nothing else (no URLs, no paths)" "$(cat out)"
run images -f elsewhere.yaml -o json --all
python3 - out <<'PY' && ok || bad "images --all -o json: location of the solver"
import json, sys
e = [x for x in json.load(open(sys.argv[1])) if x["image"].endswith("acmesolver:v1.19.4")][0]
assert e["outcome"] == "elsewhere", e
u = e["locations"][0]
assert (u["line"], u["column"], u["object"], u["field"]) == (13, 11, "Deployment/cert-manager", "args"), u
PY
run images -f elsewhere.yaml
want "images: a warning per reference" 0 err "warning: image quay.io/jetstack/cert-manager-acmesolver:v1.19.4 is named in args of Deployment/cert-manager, outside an image field: not rewritten, mirror it too (elsewhere.yaml:13:11)"
[ "$(wc -l <out)" = 1 ] && ok || bad "images: lists image fields only without --all"
run rewrite -f elsewhere.yaml --registry r.io
want "rewrite: warns" 0 err "quay.io/jetstack/cert-manager-acmesolver:v1.19.4 is named in args"
grep -qF -- "--acme-http01-solver-image=quay.io/jetstack/cert-manager-acmesolver:v1.19.4" out && ok || bad "rewrite: never rewrites args"
run validate -f elsewhere.yaml
want "validate: IS015 info at the arg" 1 out "elsewhere.yaml:13:11: info IS015 image quay.io/jetstack/cert-manager-acmesolver:v1.19.4 is named in args"
[ "$(grep -c IS015 out)" = 3 ] && ok || bad "validate: three IS015" "$(grep IS015 out)"

# krm --help and the README agree: kubectl's built-in kustomize cannot run exec functions.
run krm --help
grep -q "kubectl kustomize --enable" out && bad "krm --help suggests kubectl kustomize --enable-exec" || ok
grep -q "image-secure-krm" out && ok || bad "krm --help: the image-secure-krm link"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
