#!/usr/bin/env bash
# The pipelines users run the plugin in: the real kpt (`kpt fn eval --exec`) and Helm's
# post-renderer protocol (stdin -> stdout through examples/helm/post-renderer.sh).
# Usage: pipelines.sh BINARY
set -uo pipefail
BIN=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; [ -n "${2:-}" ] && echo "$2"; failures=$((failures + 1)); }
KPT=$(command -v kpt || echo /usr/lib/google-cloud-sdk/bin/kpt)

mkdir -p "$WORK/app"
cat >"$WORK/app/deploy.yaml" <<'YAML'
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # keep this comment
  annotations:
    team: blue
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27 # pinned by ops
      - name: side
        image: "quay.io/prometheus/node-exporter:v1.8.2"
YAML
cat >"$WORK/want.yaml" <<'YAML'
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # keep this comment
  annotations:
    team: blue
spec:
  template:
    spec:
      containers:
      - name: web
        image: registry.example.com/mirror/library/nginx:1.27 # pinned by ops
      - name: side
        image: "registry.example.com/mirror/prometheus/node-exporter:v1.8.2"
      imagePullSecrets:
      - name: regcred
YAML
if [ -x "$KPT" ]; then
    if "$KPT" fn eval "$WORK/app" --exec "$BIN krm" --fn-config "$ROOT/examples/kpt/image-secure-fn.yaml" >"$WORK/kpt.log" 2>&1; then
        if cmp -s "$WORK/want.yaml" "$WORK/app/deploy.yaml"; then ok "kpt fn eval --exec: images moved, comments and quoting kept"
        else bad "kpt fn eval --exec output" "$(diff "$WORK/want.yaml" "$WORK/app/deploy.yaml")"; fi
    else
        bad "kpt fn eval --exec failed" "$(cat "$WORK/kpt.log")"
    fi
    cp "$WORK/want.yaml" "$WORK/app/deploy.yaml"
    "$KPT" fn eval "$WORK/app" --exec "$BIN krm" --fn-config "$ROOT/examples/kpt/image-secure-fn.yaml" >"$WORK/kpt.log" 2>&1
    if cmp -s "$WORK/want.yaml" "$WORK/app/deploy.yaml"; then ok "kpt: a second run changes nothing"; else bad "kpt: second run changed the file"; fi
else
    echo "skip kpt: not installed"
fi

# Helm post-renderer: what `helm template` emits (Source comments, --- separators) on stdin.
cat >"$WORK/rendered.yaml" <<'YAML'
---
# Source: web/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: "docker.io/bitnami/nginx:1.27.0"
YAML
cat >"$WORK/rendered.want" <<'YAML'
---
# Source: web/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
---
# Source: web/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: "registry.example.com/mirror/bitnami/nginx:1.27.0"
      imagePullSecrets:
        - name: regcred
YAML
IMAGE_SECURE_BIN=$BIN "$ROOT/examples/helm/post-renderer.sh" --registry registry.example.com/mirror --pull-secret regcred <"$WORK/rendered.yaml" >"$WORK/rendered.got" 2>"$WORK/err"
if cmp -s "$WORK/rendered.want" "$WORK/rendered.got"; then ok "Helm post-renderer with --post-renderer-args"; else bad "Helm post-renderer" "$(diff "$WORK/rendered.want" "$WORK/rendered.got"; cat "$WORK/err")"; fi
IMAGE_SECURE_BIN=$BIN IMAGE_SECURE_REGISTRY=registry.example.com/mirror IMAGE_SECURE_PULL_SECRET=regcred \
    "$ROOT/examples/helm/post-renderer.sh" <"$WORK/rendered.yaml" >"$WORK/rendered.got" 2>"$WORK/err"
if cmp -s "$WORK/rendered.want" "$WORK/rendered.got"; then ok "Helm post-renderer from the environment"; else bad "Helm post-renderer (env)" "$(cat "$WORK/err")"; fi
printf 'spec:\n  containers:\n  - image: [\n' | IMAGE_SECURE_BIN=$BIN "$ROOT/examples/helm/post-renderer.sh" --registry r.example.com >"$WORK/out" 2>"$WORK/err"
rc=$?
if [ "$rc" = 2 ] && [ ! -s "$WORK/out" ]; then ok "post-renderer: broken input fails with nothing on stdout"; else bad "post-renderer broken input: rc=$rc"; fi
# Helm 4: the postrenderer/v1 plugin. No helm binary here: its contract is checked as Helm 4
# reads it (plugin.yaml: apiVersion v1, type postrenderer/v1, subprocess runtime, the command
# with ${HELM_PLUGIN_DIR} expanded) and then run with the same streams as the Helm 3 script.
PLUGIN=$ROOT/examples/helm/plugin
command=$(python3 - "$PLUGIN/plugin.yaml" <<'PY'
import sys, yaml
p = yaml.safe_load(open(sys.argv[1]))
assert p["apiVersion"] == "v1" and p["type"] == "postrenderer/v1" and p["runtime"] == "subprocess", p
assert p["name"] == "image-secure" and p["version"]
cmds = p["runtimeConfig"]["platformCommand"]
assert len(cmds) == 1 and not cmds[0].get("os") and not cmds[0].get("args"), cmds
print(cmds[0]["command"])
PY
) && ok "Helm 4 plugin.yaml has the postrenderer/v1 shape" || bad "Helm 4 plugin.yaml"
command=${command//\$\{HELM_PLUGIN_DIR\}/$PLUGIN}
[ -x "$command" ] && ok "Helm 4 plugin command exists and is executable" || bad "plugin command $command"
mkdir -p "$WORK/path"
ln -sf "$BIN" "$WORK/path/kubectl-image_secure"
HELM_PLUGIN_DIR=$PLUGIN PATH="$WORK/path:$PATH" "$command" --registry registry.example.com/mirror --pull-secret regcred \
    <"$WORK/rendered.yaml" >"$WORK/rendered.got" 2>"$WORK/err"
if cmp -s "$WORK/rendered.want" "$WORK/rendered.got"; then ok "Helm 4 plugin with --post-renderer-args (binary from PATH)"; else bad "Helm 4 plugin" "$(cat "$WORK/err")"; fi
HELM_PLUGIN_DIR=$PLUGIN PATH="$WORK/path:$PATH" IMAGE_SECURE_REGISTRY=registry.example.com/mirror IMAGE_SECURE_PULL_SECRET=regcred \
    "$command" <"$WORK/rendered.yaml" >"$WORK/rendered.got" 2>"$WORK/err"
if cmp -s "$WORK/rendered.want" "$WORK/rendered.got"; then ok "Helm 4 plugin from the environment"; else bad "Helm 4 plugin (env)" "$(cat "$WORK/err")"; fi
printf 'spec:\n  containers:\n  - image: [\n' | HELM_PLUGIN_DIR=$PLUGIN PATH="$WORK/path:$PATH" "$command" --registry r.example.com >"$WORK/out" 2>"$WORK/err"
rc=$?
if [ "$rc" = 2 ] && [ ! -s "$WORK/out" ]; then ok "Helm 4 plugin: broken input fails with nothing on stdout"; else bad "Helm 4 plugin broken input: rc=$rc"; fi
[ "$failures" = 0 ]
