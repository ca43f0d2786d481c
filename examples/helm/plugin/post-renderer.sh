#!/bin/sh
# The Helm 4 plugin's command: the same contract as the Helm 3 script beside the plugin folder
# (manifests on stdin, rewritten manifests on stdout, a failure exit with nothing on stdout).
# Arguments come from --post-renderer-args; without any, IMAGE_SECURE_REGISTRY and
# IMAGE_SECURE_PULL_SECRET are used. The plugin finds kubectl-image_secure on PATH (or
# IMAGE_SECURE_BIN), like kubectl finds the plugin.
set -eu
if [ "$#" -eq 0 ]; then
    set -- --registry "${IMAGE_SECURE_REGISTRY:?set IMAGE_SECURE_REGISTRY or pass --post-renderer-args}"
    if [ -n "${IMAGE_SECURE_PULL_SECRET:-}" ]; then
        set -- "$@" --pull-secret "$IMAGE_SECURE_PULL_SECRET"
    fi
fi
exec "${IMAGE_SECURE_BIN:-kubectl-image_secure}" rewrite -f - "$@"
