#!/bin/sh
# Helm post-renderer: Helm pipes the rendered manifests to stdin and installs what comes out on
# stdout (a failure exits non-zero with nothing on stdout). Every image moves to the private
# registry and gets a pull secret. One script for both Helms:
#   Helm 3: helm install web ./chart --post-renderer ./examples/helm/post-renderer.sh \
#               --post-renderer-args --registry --post-renderer-args r.example.com/mirror
#   Helm 4: helm plugin install ./examples/helm/plugin; helm install ... --post-renderer image-secure
# (examples/helm/post-renderer.sh is a link to this file.) Without arguments it uses
# IMAGE_SECURE_REGISTRY and IMAGE_SECURE_PULL_SECRET; kubectl-image_secure comes from PATH
# (or IMAGE_SECURE_BIN).
set -eu
if [ "$#" -eq 0 ]; then
    set -- --registry "${IMAGE_SECURE_REGISTRY:?set IMAGE_SECURE_REGISTRY or pass --post-renderer-args}"
    if [ -n "${IMAGE_SECURE_PULL_SECRET:-}" ]; then
        set -- "$@" --pull-secret "$IMAGE_SECURE_PULL_SECRET"
    fi
fi
exec "${IMAGE_SECURE_BIN:-kubectl-image_secure}" rewrite -f - "$@"
