#!/usr/bin/env bash
# Installs dependencies, builds, and runs the main job on the shipped examples.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/install-deps.sh
cmake --preset dev > /dev/null
cmake --build --preset dev -j"$(nproc)"
bin=build/kubectl-image_secure
echo "== images used by examples/app"
$bin images -f examples/app --registry registry.example.com/mirror
echo "== rewrite examples/app (diff)"
$bin rewrite -f examples/app --registry registry.example.com/mirror --pull-secret regcred --diff || [ $? = 1 ] # 1: there are changes
echo "== validate examples/app against the private-registry policy (findings exit 1)"
$bin validate -f examples/app --policy examples/policy.yaml || true
echo "== the pull secret (password from stdin)"
printf 'example-password\n' | $bin secret create regcred --docker-server=registry.example.com \
    --docker-username=robot --password-stdin -n shop
echo "== references"
$bin ref -o text nginx quay.io/prometheus/node-exporter:v1.8.2 localhost:5000
echo "== onboard two namespaces (one stream for kubectl apply -f -)"
printf 'example-password\n' | $bin onboard shop payments --create-namespace \
    --docker-server=registry.example.com --docker-username=robot --password-stdin
echo "== the KRM function on a ResourceList"
printf 'apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: p}\n  spec:\n    containers:\n    - {name: a, image: nginx:1.27}\nfunctionConfig:\n  data: {registry: registry.example.com/mirror, pull-secrets: regcred}\n' | $bin krm
