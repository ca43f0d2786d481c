#include "cli/policy_flags.hpp"

#include <image_secure/base/io.hpp>
#include <image_secure/config/policy_file.hpp>

namespace image_secure::cli {

Result<Policy> load_policy(const std::string& file,
                           const std::vector<std::string>& allowed_registries,
                           const std::string& kubernetes_version) {
    Policy policy;
    if (!file.empty()) {
        auto text = read_file(file);
        if (!text) {
            return text.error();
        }
        auto parsed = parse_policy(*text, file);
        if (!parsed) {
            return parsed.error();
        }
        policy = std::move(*parsed);
    }
    for (const auto& entry : allowed_registries) {
        auto normal = normalize_allowed_registry(entry);
        if (!normal) {
            return usage_error(normal.error().what, "--allowed-registry");
        }
        policy.allowed_registries.push_back(std::move(*normal));
    }
    if (!kubernetes_version.empty()) {
        auto minor = parse_kubernetes_version(kubernetes_version);
        if (!minor) {
            return usage_error(minor.error().what, "--kubernetes-version");
        }
        policy.kubernetes_minor = *minor;
    }
    return policy;
}

} // namespace image_secure::cli
