#pragma once

// `admission`: validate's rules and rewrite's mapping as Kubernetes-enforced CEL policies
// (ValidatingAdmissionPolicy, MutatingAdmissionPolicy and their bindings). Takes the same
// Policy and MappingConfig the CLI builds for validate and rewrite; returns one YAML stream.

#include <image_secure/base/result.hpp>
#include <image_secure/findings/finding.hpp>
#include <image_secure/rewrite/mapping.hpp>
#include <image_secure/validate/validate.hpp>

#include <string>
#include <utility>
#include <vector>

namespace image_secure {

/// The oldest Kubernetes minor with ValidatingAdmissionPolicy v1, and with
/// MutatingAdmissionPolicy (v1beta1; v1 from k_map_v1_minor).
inline constexpr int k_vap_min_minor = 30;
inline constexpr int k_map_min_minor = 34;
inline constexpr int k_map_v1_minor = 36;

struct AdmissionOptions {
    Policy policy;                                                     ///< rules, lists, severities
    Severity fail_on = Severity::warning;                              ///< rules at or above are enforced
    std::vector<std::string> actions = {"Deny"};                       ///< validationActions
    std::vector<std::pair<std::string, std::string>> namespace_labels; ///< binding matchLabels
    std::vector<std::string> exclude_namespaces = {"kube-system"};     ///< binding NotIn
    int kubernetes_minor = k_map_min_minor;
    std::string name = "image-secure"; ///< the policies' and bindings' metadata.name
    bool mutate = false;
    const MappingConfig* mapping = nullptr; ///< with mutate: how images are mapped
    std::string source;                     ///< names the policy file in the header, "" for none
};

/// Why a rule stays in CI: the rule id and the reason (for the stream's header and --help).
struct CiOnlyRule {
    std::string id;
    std::string reason;
};

/// The rules of validate's catalogue that the generated policy cannot decide.
[[nodiscard]] std::vector<CiOnlyRule> ci_only_rules();

/// The YAML stream: a comment header, the ValidatingAdmissionPolicy and its binding, and with
/// `mutate` the MutatingAdmissionPolicy and its binding. Usage errors: versions out of range,
/// a mapping that CEL cannot express (regex capture groups), no target with `mutate`.
[[nodiscard]] Result<std::string> generate_admission(const AdmissionOptions& options);

} // namespace image_secure
