// The rule catalogue and policy files.
#include <image_secure/text.hpp>
#include <image_secure/validate.hpp>

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

namespace image_secure {

std::string_view severity_name(Severity severity)
{
    switch (severity) {
    case Severity::info:
        return "info";
    case Severity::warning:
        return "warning";
    case Severity::error:
        return "error";
    }
    return "error";
}

Result<Severity> parse_severity(std::string_view text)
{
    if (text == "error") {
        return Severity::error;
    }
    if (text == "warning") {
        return Severity::warning;
    }
    if (text == "info") {
        return Severity::info;
    }
    return usage_error("severity must be error, warning or info, not \"" + std::string(text) + "\"");
}

const std::vector<RuleInfo>& rule_catalogue()
{
    static const std::vector<RuleInfo> rules = {
        {"IS001", "yaml-syntax", Severity::error, true, "The document is not valid YAML",
         "Fix the YAML syntax. Duplicate mapping keys count: kubectl rejects them. The other documents of the "
         "file are still checked."},
        {"IS002", "missing-required-field", Severity::error, true, "A required field is missing",
         "Every object needs apiVersion, kind and metadata.name (or generateName); every container needs a "
         "name and a non-empty image."},
        {"IS003", "invalid-image-reference", Severity::error, true, "The image is not a valid reference",
         "Images follow the docker/distribution grammar the kubelet uses: lowercase repository, a tag of at most "
         "128 word characters, a sha256/384/512 digest of the right length, no template placeholders."},
        {"IS004", "image-tag-latest", Severity::warning, true, "The image uses the mutable tag latest",
         "Use a version tag or a digest: ':latest' (or no tag) can change under a running workload."},
        {"IS005", "image-not-pinned", Severity::info, false, "The image is not pinned by digest",
         "Pin images with @sha256:... so every node runs the same bytes. Off by default."},
        {"IS006", "registry-not-allowed", Severity::error, true, "The image comes from a registry not allowed",
         "Only registries given with --allowed-registry (or allowedRegistries in the policy) may be used."},
        {"IS007", "dockerhub-not-official", Severity::warning, true,
         "The Docker Hub image is neither official nor from a verified publisher",
         "Prefer official images (docker.io/library/...) or verified publishers; add your own namespaces with "
         "verifiedPublishers in the policy."},
        {"IS008", "missing-pull-secret", Severity::warning, true,
         "An image from a private registry has no pull secret",
         "Add imagePullSecrets to the pod spec, or to the ServiceAccount the pod runs as (in the same bundle)."},
        {"IS009", "pull-secret-mismatch", Severity::error, true,
         "A pull secret is unusable or does not cover the image's registry",
         "Pull secrets must be kubernetes.io/dockerconfigjson (or dockercfg) Secrets whose auths keys match the "
         "registry by the kubelet's rules: exact host and port, '*' per host label, path prefixes."},
        {"IS010", "heavy-base-image", Severity::warning, true, "The image is a full distribution or language stack",
         "Use a slim, alpine or distroless variant: smaller images have fewer vulnerabilities."},
        {"IS011", "state-in-container", Severity::warning, true,
         "A stateful image keeps its data inside the container",
         "Mount a volume at the image's data directory, or the data is lost when the container restarts."},
        {"IS012", "credentials-in-manifest", Severity::error, true, "Credentials are written in the manifest",
         "Keep registry credentials and secrets out of manifests: use Secrets created out of band and valueFrom."},
        {"IS013", "unknown-field", Severity::warning, true, "A pod spec or container key is unknown to Kubernetes",
         "Unknown keys are dropped by the API server: a misspelt imagePullSecrets silently loses the pull secret."},
        {"IS014", "pull-policy", Severity::warning, true, "The imagePullPolicy does not fit the image's tag",
         "With a mutable tag (latest or none) IfNotPresent and Never keep whatever image a node has; a moved "
         "version tag is not pulled again either. Pin by digest or use Always."},
        {"IS015", "image-outside-image-field", Severity::info, true,
         "An image reference sits outside an image field (args, env, ConfigMap data, annotations)",
         "The workload starts this image itself (a solver, a sidecar, a helper pod), so it must be mirrored too; "
         "rewrite does not change it: point it at the private registry by hand or with the chart's values."},
    };
    return rules;
}

const RuleInfo* find_rule(std::string_view id)
{
    for (const auto& info : rule_catalogue()) {
        if (info.id == id) {
            return &info;
        }
    }
    return nullptr;
}

bool Policy::is_enabled(std::string_view rule) const
{
    if (const auto it = enabled.find(std::string(rule)); it != enabled.end()) {
        return it->second;
    }
    const RuleInfo* info = find_rule(rule);
    return info != nullptr && info->enabled;
}

Severity Policy::severity_of(std::string_view rule) const
{
    if (const auto it = severity.find(std::string(rule)); it != severity.end()) {
        return it->second;
    }
    const RuleInfo* info = find_rule(rule);
    return info != nullptr ? info->severity : Severity::error;
}

namespace {

Error policy_error(std::string_view source, const YAML::Node& node, const std::string& what)
{
    const auto mark = node.Mark();
    std::string where(source);
    if (mark.line >= 0) {
        where += ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
    }
    return usage_error(what, where);
}

Result<std::vector<std::string>> strings(std::string_view source, const YAML::Node& node, const std::string& key)
{
    if (!node.IsSequence()) {
        return policy_error(source, node, key + " must be a list");
    }
    std::vector<std::string> out;
    for (const auto& item : node) {
        if (!item.IsScalar()) {
            return policy_error(source, item, key + " must be a list of strings");
        }
        out.push_back(item.Scalar());
    }
    return out;
}

Result<Ok> rule_list(std::string_view source, const YAML::Node& node, const std::string& key, bool value,
                     Policy& policy)
{
    auto ids = strings(source, node, key);
    if (!ids) {
        return ids.error();
    }
    for (const auto& id : *ids) {
        if (find_rule(id) == nullptr) {
            return policy_error(source, node, "unknown rule \"" + id + "\" in " + key);
        }
        policy.enabled[id] = value;
    }
    return Ok{};
}

Result<Policy> parse_policy_node(std::string_view source, const YAML::Node& root)
{
    Policy policy;
    if (root.IsNull()) {
        return policy;
    }
    if (!root.IsMap()) {
        return policy_error(source, root, "a policy file is a mapping");
    }
    static const std::set<std::string> keys = {"apiVersion",  "kind",           "enable",
                                               "disable",     "severity",       "allowedRegistries",
                                               "verifiedPublishers", "publicRegistries", "heavyImages",
                                               "statefulImages", "kubernetesVersion"};
    for (const auto& entry : root) {
        const std::string key = entry.first.Scalar();
        if (keys.count(key) == 0) {
            return policy_error(source, entry.first, "unknown key \"" + key + "\" in the policy file");
        }
        const YAML::Node& value = entry.second;
        if (key == "enable" || key == "disable") {
            if (auto ok = rule_list(source, value, key, key == "enable", policy); !ok) {
                return ok.error();
            }
        } else if (key == "severity") {
            if (!value.IsMap()) {
                return policy_error(source, value, "severity must map rule ids to error, warning or info");
            }
            for (const auto& rule : value) {
                const std::string id = rule.first.Scalar();
                if (find_rule(id) == nullptr) {
                    return policy_error(source, rule.first, "unknown rule \"" + id + "\" in severity");
                }
                auto level = parse_severity(rule.second.Scalar());
                if (!level) {
                    return policy_error(source, rule.second, level.error().what);
                }
                policy.severity[id] = *level;
            }
        } else if (key == "statefulImages") {
            if (!value.IsMap()) {
                return policy_error(source, value, "statefulImages must map image names to data paths");
            }
            for (const auto& image : value) {
                auto paths = strings(source, image.second, "statefulImages." + image.first.Scalar());
                if (!paths) {
                    return paths.error();
                }
                policy.stateful_images[image.first.Scalar()] = std::move(*paths);
            }
        } else if (key == "kubernetesVersion") {
            auto minor = parse_kubernetes_version(value.IsScalar() ? value.Scalar() : std::string());
            if (!minor) {
                return policy_error(source, value, minor.error().what);
            }
            policy.kubernetes_minor = *minor;
        } else if (key != "apiVersion" && key != "kind") {
            auto list = strings(source, value, key);
            if (!list) {
                return list.error();
            }
            if (key == "allowedRegistries") {
                for (auto& allowed : *list) {
                    auto normal = normalize_allowed_registry(allowed);
                    if (!normal) {
                        return policy_error(source, value, normal.error().what);
                    }
                    allowed = std::move(*normal);
                }
                policy.allowed_registries = std::move(*list);
            } else if (key == "verifiedPublishers") {
                policy.verified_publishers = std::move(*list);
            } else if (key == "publicRegistries") {
                policy.public_registries = std::move(*list);
            } else {
                policy.heavy_images = std::move(*list);
            }
        }
    }
    return policy;
}

} // namespace

Result<std::string> normalize_allowed_registry(std::string_view entry)
{
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

Result<int> parse_kubernetes_version(std::string_view text)
{
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

Result<Policy> parse_policy(std::string_view text, std::string_view source)
{
    try {
        return parse_policy_node(source, YAML::Load(std::string(text)));
    } catch (const YAML::Exception& e) {
        return usage_error("invalid policy file: " + e.msg, std::string(source) + ":" + std::to_string(e.mark.line + 1)
                                                                + ":" + std::to_string(e.mark.column + 1));
    }
}

} // namespace image_secure
