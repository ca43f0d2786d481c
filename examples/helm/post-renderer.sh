#!/bin/sh
# Helm post-renderer: Helm pipes the rendered manifests to stdin and installs what comes
# out on stdout. Every image moves to the private registry and gets a pull secret.
#   helm install web ./chart --post-renderer ./post-renderer.sh \
#       --post-renderer-args --registry --post-renderer-args r.example.com/mirror \
#       --post-renderer-args --pull-secret --post-renderer-args regcred
# Without arguments it uses IMAGE_SECURE_REGISTRY and IMAGE_SECURE_PULL_SECRET.
set -eu
if [ "$#" -eq 0 ]; then
    set -- --registry "${IMAGE_SECURE_REGISTRY:?set IMAGE_SECURE_REGISTRY or pass --post-renderer-args}"
    if [ -n "${IMAGE_SECURE_PULL_SECRET:-}" ]; then
        set -- "$@" --pull-secret "$IMAGE_SECURE_PULL_SECRET"
    fi
fi
exec "${IMAGE_SECURE_BIN:-kubectl-image_secure}" rewrite -f - "$@"
