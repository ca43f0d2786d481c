// The rule catalogue and what a policy makes of it.
#include <image_secure/base/text.hpp>
#include <image_secure/validate/validate.hpp>

#include <algorithm>
#include <set>

namespace image_secure {

const Catalogue& validate_catalogue() {
    static const Catalogue catalogue{
        "validate",
        {
            {"IS001",
             "yaml-syntax",
             Severity::error,
             true,
             "The document is not valid YAML",
             "Fix the YAML syntax. Duplicate mapping keys count: kubectl rejects them. The other documents of the "
             "file are still checked."},
            {"IS002",
             "missing-required-field",
             Severity::error,
             true,
             "A required field is missing",
             "Every object needs apiVersion, kind and metadata.name (or generateName); every container needs a "
             "name and a non-empty image."},
            {"IS003",
             "invalid-image-reference",
             Severity::error,
             true,
             "The image is not a valid reference",
             "Images follow the docker/distribution grammar the kubelet uses: lowercase repository, a tag of at most "
             "128 word characters, a sha256/384/512 digest of the right length, no template placeholders."},
            {"IS004",
             "image-tag-latest",
             Severity::warning,
             true,
             "The image uses the mutable tag latest",
             "Use a version tag or a digest: ':latest' (or no tag) can change under a running workload."},
            {"IS005",
             "image-not-pinned",
             Severity::info,
             false,
             "The image is not pinned by digest",
             "Pin images with @sha256:... so every node runs the same bytes. Off by default."},
            {"IS006",
             "registry-not-allowed",
             Severity::error,
             true,
             "The image comes from a registry not allowed",
             "Only registries given with --allowed-registry (or allowedRegistries in the policy) may be used."},
            {"IS007",
             "dockerhub-not-official",
             Severity::warning,
             true,
             "The Docker Hub image is neither official nor from a verified publisher",
             "Prefer official images (docker.io/library/...) or verified publishers; add your own namespaces with "
             "verifiedPublishers in the policy."},
            {"IS008",
             "missing-pull-secret",
             Severity::warning,
             true,
             "An image from a private registry has no pull secret",
             "Add imagePullSecrets to the pod spec, or to the ServiceAccount the pod runs as (in the same bundle)."},
            {"IS009",
             "pull-secret-mismatch",
             Severity::error,
             true,
             "A pull secret is unusable or does not cover the image's registry",
             "Pull secrets must be kubernetes.io/dockerconfigjson (or dockercfg) Secrets whose auths keys match the "
             "registry by the kubelet's rules: exact host and port, '*' per host label, path prefixes."},
            {"IS010",
             "heavy-base-image",
             Severity::warning,
             true,
             "The image is a full distribution or language stack",
             "Use a slim, alpine or distroless variant: smaller images have fewer vulnerabilities."},
            {"IS011",
             "state-in-container",
             Severity::warning,
             true,
             "A stateful image keeps its data inside the container",
             "Mount a volume at the image's data directory, or the data is lost when the container restarts."},
            {"IS012",
             "credentials-in-manifest",
             Severity::error,
             true,
             "Credentials are written in the manifest",
             "Keep registry credentials and secrets out of manifests: use Secrets created out of band and valueFrom."},
            {"IS013",
             "unknown-field",
             Severity::warning,
             true,
             "A pod spec or container key is unknown to Kubernetes",
             "Unknown keys are dropped by the API server: a misspelt imagePullSecrets silently loses the pull secret."},
            {"IS014",
             "pull-policy",
             Severity::warning,
             true,
             "The imagePullPolicy does not fit the image's tag",
             "With a mutable tag (latest or none) IfNotPresent and Never keep whatever image a node has; a moved "
             "version tag is not pulled again either. Pin by digest or use Always."},
            {"IS015",
             "image-outside-image-field",
             Severity::info,
             true,
             "An image reference sits outside an image field (args, env, ConfigMap data, annotations)",
             "The workload starts this image itself (a solver, a sidecar, a helper pod), so it must be mirrored too; "
             "rewrite does not change it: point it at the private registry by hand or with the chart's values."},
        }};
    return catalogue;
}

const Catalogue& audit_catalogue() {
    static const Catalogue catalogue{
        "audit",
        {
            {"IS101",
             "shell",
             Severity::error,
             true,
             "The image has a shell in a bin directory",
             "Application images need no shell: build FROM a distroless or scratch base, or delete the shell in the "
             "last stage. An attacker with code execution gets an interactive foothold from it."},
            {"IS102",
             "package-manager",
             Severity::error,
             true,
             "The image has a package manager",
             "Install packages in a build stage and copy the result into a minimal base; a package manager in the "
             "running image lets an attacker install tools."},
            {"IS103",
             "network-tool",
             Severity::warning,
             true,
             "The image has a network tool (curl, wget, nc, ...)",
             "Remove download and network tools from the final image: they fetch the second stage of an attack."},
            {"IS104",
             "editor",
             Severity::warning,
             true,
             "The image has a text editor",
             "Editors belong in debug images, not in the image that runs in production."},
            {"IS105",
             "compiler",
             Severity::warning,
             true,
             "The image has a compiler or build tool",
             "Build in a builder stage (multi-stage Dockerfile) and copy only the artefacts."},
            {"IS106",
             "setuid-setgid",
             Severity::warning,
             true,
             "The image has setuid or setgid files",
             "Drop the bits (chmod u-s,g-s) or the files; with allowPrivilegeEscalation: false they are inert."},
            {"IS107",
             "package-cache",
             Severity::warning,
             true,
             "Package-manager caches were left in the image",
             "Clean caches in the same RUN step that fills them (apt-get clean, rm -rf /var/lib/apt/lists/*, "
             "apk --no-cache, pip --no-cache-dir)."},
            {"IS108",
             "image-too-large",
             Severity::warning,
             true,
             "The compressed image is larger than the policy's maxCompressed",
             "Use a smaller base and multi-stage builds; large images pull slowly and carry more to patch."},
            {"IS109",
             "wasted-bytes",
             Severity::info,
             true,
             "Bytes are shipped in lower layers but overwritten or deleted above",
             "Files deleted or replaced in a later layer still travel with the image: remove them in the step that "
             "creates them."},
            {"IS110",
             "full-distribution-base",
             Severity::warning,
             true,
             "The image is a full distribution: an os-release and a package manager",
             "Use a distroless, scratch or slim base: the evidence-based form of IS010."},
            {"IS111",
             "shell-required-but-absent",
             Severity::error,
             true,
             "The manifest runs a command (sh -c, a probe, a hook) that the image does not contain",
             "The container or its probe fails at run time: use an exec form the image has, or a debug variant."},
            {"IS112",
             "declared-volume-not-mounted",
             Severity::warning,
             true,
             "The image declares a VOLUME the container does not mount",
             "Mount a volume there, or the data lives in the container and is lost with it: the evidence-based form "
             "of IS011."},
            {"IS113",
             "stale-image",
             Severity::info,
             true,
             "The image was built longer ago than the policy's maxAgeDays",
             "Rebuild images regularly so base-image fixes reach production."},
            {"IS114",
             "runs-as-root",
             Severity::info,
             true,
             "The image runs as root and the pod does not say otherwise",
             "Set USER in the image, or runAsNonRoot/runAsUser in the pod's securityContext."},
        }};
    return catalogue;
}

const RuleInfo* find_rule(std::string_view id) {
    const RuleInfo* rule = validate_catalogue().find(id);
    return rule != nullptr ? rule : audit_catalogue().find(id);
}

bool Policy::is_enabled(std::string_view rule) const {
    if (const auto it = enabled.find(std::string(rule)); it != enabled.end()) {
        return it->second;
    }
    const RuleInfo* info = find_rule(rule);
    return info != nullptr && info->enabled;
}

Severity Policy::severity_of(std::string_view rule) const {
    if (const auto it = severity.find(std::string(rule)); it != severity.end()) {
        return it->second;
    }
    const RuleInfo* info = find_rule(rule);
    return info != nullptr ? info->severity : Severity::error;
}

Result<std::string> normalize_allowed_registry(std::string_view entry) {
    std::string s(entry);
    for (const char* scheme : {"https://", "http://"}) {
        if (ascii_lower(s).rfind(scheme, 0) == 0) {
            s.erase(0, std::string_view(scheme).size());
        }
    }
    while (!s.empty() && s.back() == '/') {
        s.pop_back();
    }
    const auto slash = s.find('/');
    const std::string host = ascii_lower(s.substr(0, slash));
    if (host.empty() || s.find_first_of(" \t@?#") != std::string::npos || s.find("://") != std::string::npos) {
        return usage_error("\"" + std::string(entry) + "\" is not a registry HOST[:PORT][/PATH]");
    }
    return host + (slash == std::string::npos ? std::string() : s.substr(slash));
}

Result<int> parse_kubernetes_version(std::string_view text) {
    std::string_view t = text;
    if (!t.empty() && (t.front() == 'v' || t.front() == 'V')) {
        t.remove_prefix(1);
    }
    if (t.size() < 3 || t.substr(0, 2) != "1.") {
        return usage_error("\"" + std::string(text) + "\" is not a Kubernetes version 1.N");
    }
    t.remove_prefix(2);
    t = t.substr(0, t.find('.')); // 1.35.2 is 1.35
    if (t.empty() || t.size() > 3 || !std::all_of(t.begin(), t.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return usage_error("\"" + std::string(text) + "\" is not a Kubernetes version 1.N");
    }
    return std::stoi(std::string(t));
}

} // namespace image_secure
