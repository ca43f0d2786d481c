#!/usr/bin/env bash
# All benchmarks; prints same-run ratios against the peers (machines are shared and noisy).
#   bench/run.sh [BIN]     (needs hyperfine, kubectl with kustomize, python3)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(realpath "${1:-$here/../build/kubectl-image_secure}")
shared=${IMAGE_SECURE_SHARED:-$here/../../shared}
"$here/secret.sh" "$bin"
"$here/ref.sh" "$bin"
"$here/rewrite.sh" "$bin" "$shared"
"$here/validate.sh" "$bin" "$shared"
"$here/keys.sh" "$bin"
"$here/registry.sh" "$bin"
