#!/usr/bin/env bash
# Runs the README examples against a built binary and checks their results.
set -euo pipefail
bin=$(realpath "${1:-build/kubectl-image_secure}")
cd "$(dirname "$0")"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "smoke: $*"; exit 1; }
"$bin" --version | grep -q "kubectl-image_secure" || fail "--version"
"$bin" ref -o text nginx | grep -qx "docker.io/library/nginx:latest" || fail "ref"
printf 's3cret\n' | "$bin" secret create regcred --docker-server=registry.example.com \
    --docker-username=robot --password-stdin -n shop > "$tmp/secret.yaml"
grep -q "kubernetes.io/dockerconfigjson" "$tmp/secret.yaml" || fail "secret create"
grep -q "s3cret" "$tmp/secret.yaml" && fail "password in clear text"
"$bin" images -f app/ > "$tmp/images.txt"
[ "$(wc -l < "$tmp/images.txt")" = 5 ] || fail "images: expected 5, got $(cat "$tmp/images.txt")"
"$bin" rewrite -f app/ --registry registry.example.com/mirror --pull-secret regcred > "$tmp/out.yaml"
[ "$(grep -c "registry.example.com/mirror/" "$tmp/out.yaml")" = 5 ] || fail "rewrite: images"
[ "$(grep -c 'regcred' "$tmp/out.yaml")" = 3 ] || fail "rewrite: pull secrets"
grep -q "value: redis:7.2" "$tmp/out.yaml" || fail "rewrite touched an env value"
"$bin" rewrite -f "$tmp/out.yaml" --registry registry.example.com/mirror --pull-secret regcred | cmp -s - "$tmp/out.yaml" || fail "not idempotent"
"$bin" rewrite -f app/ --rules rules.yaml --diff > "$tmp/diff.txt" || [ $? = 1 ] || fail "rewrite --diff"
grep -q "dockerhub-proxy/library/nginx:1.27.2" "$tmp/diff.txt" || fail "rules"
grep -q "acme-robot" "$tmp/diff.txt" || fail "rule pull secrets"
# validate: before the migration the app uses untagged/official images only, so it is clean
# against the default rules (but for the info that CACHE_IMAGE names an image outside an image
# field, IS015) and not against the private-registry policy; after it, clean.
"$bin" validate -f app/ > "$tmp/before.txt" && fail "validate before: IS015 not reported"
[ "$(grep -c . "$tmp/before.txt")" = 1 ] && grep -q "info IS015 image redis:7.2 is named in env CACHE_IMAGE" "$tmp/before.txt" \
    || fail "validate before: unexpected findings: $(cat "$tmp/before.txt")"
"$bin" validate -f app/ --fail-on warning > /dev/null || fail "validate before: more than info"
if "$bin" validate -f app/ --policy policy.yaml > "$tmp/policy.txt"; then fail "policy found nothing"; fi
grep -q "IS006" "$tmp/policy.txt" || fail "policy: no IS006"
"$bin" validate -f "$tmp/out.yaml" --allowed-registry registry.example.com -o sarif --fail-on warning > "$tmp/after.sarif" \
    || fail "validate after rewrite: $(cat "$tmp/after.sarif" | head -20)"
grep -q '"version": "2.1.0"' "$tmp/after.sarif" || fail "sarif"
# onboarding two namespaces: one stream with a Namespace, the Secret and the ServiceAccount each
printf 's3cret\n' | "$bin" onboard shop payments --create-namespace --docker-server=registry.example.com \
    --docker-username=robot --password-stdin > "$tmp/onboard.yaml"
[ "$(grep -c '^kind: Namespace' "$tmp/onboard.yaml")" = 2 ] || fail "onboard: namespaces"
[ "$(grep -c '^kind: Secret' "$tmp/onboard.yaml")" = 2 ] || fail "onboard: secrets"
[ "$(grep -c '^kind: ServiceAccount' "$tmp/onboard.yaml")" = 2 ] || fail "onboard: service accounts"
grep -q "s3cret" "$tmp/onboard.yaml" && fail "onboard: password in clear text"
# the Helm post-renderer gives what rewrite gives
IMAGE_SECURE_BIN=$bin helm/post-renderer.sh --registry registry.example.com/mirror --pull-secret regcred \
    < app/deployment.yaml | cmp -s - "$tmp/out.yaml" || fail "helm post-renderer differs from rewrite"
# the same policy for the cluster: a ValidatingAdmissionPolicy with the policy's rules, and with
# --mutate a MutatingAdmissionPolicy that maps images as the rewrite above did
"$bin" admission --policy policy.yaml --mutate --registry registry.example.com/mirror --pull-secret regcred \
    > "$tmp/admission.yaml" || fail "admission"
[ "$(grep -c '^kind: \(Validating\|Mutating\)AdmissionPolicy$' "$tmp/admission.yaml")" = 2 ] || fail "admission: policies"
grep -q "IS006 registry-not-allowed" "$tmp/admission.yaml" || fail "admission: IS006 from the policy file"
grep -q "'registry.example.com/mirror/' + r.pa" "$tmp/admission.yaml" || fail "admission: the mapping"
# the mirror Job: clean against every rule, and kubectl reads it
"$bin" validate -f mirror-job/job.yaml --fail-on info > /dev/null 2>&1 || fail "mirror job: validate findings"
if command -v kubectl > /dev/null; then
    [ "$(kubectl label --local -f mirror-job/job.yaml checked=yes -o name 2>/dev/null)" = job.batch/mirror ] \
        || fail "mirror job: kubectl cannot read it"
fi
echo "examples: ok"
