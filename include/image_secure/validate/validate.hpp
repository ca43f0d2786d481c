#pragma once

#include <image_secure/base/result.hpp>
#include <image_secure/findings/finding.hpp>
#include <image_secure/k8s/manifest.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// validate's catalogue: IS001 … IS015, in order (findings/finding.hpp).
[[nodiscard]] const Catalogue& validate_catalogue();
/// audit's rules (IS101-IS114): one policy file and one id space with validate's.
[[nodiscard]] const Catalogue& audit_catalogue();

/// The catalogue entry of `id`, or nullptr for an unknown id.
[[nodiscard]] const RuleInfo* find_rule(std::string_view id);

/// What validate checks and how strictly (`--policy FILE` plus flags).
/// An exception of the `audit:` section: images matching `image` (a glob on the reference
/// as written) may have `paths` (globs; empty: any) for `rules` (empty: any rule).
struct AuditAllow {
    std::string image;
    std::vector<std::string> paths;
    std::vector<std::string> rules;
};

/// The policy file's `audit:` section.
struct AuditPolicy {
    std::int64_t max_compressed = std::int64_t{1} << 30U; ///< IS108 above this (maxCompressed)
    std::int64_t max_wasted = std::int64_t{100} << 20U;   ///< IS109 above this (maxWastedBytes)
    int max_age_days = 365;                               ///< IS113 older than this (maxAgeDays)
    std::vector<AuditAllow> allow;
};

struct Policy {
    std::map<std::string, bool> enabled;      ///< overrides of RuleInfo::enabled
    std::map<std::string, Severity> severity; ///< overrides of RuleInfo::severity
    std::vector<std::string> allowed_registries;
    std::vector<std::string> verified_publishers;                    ///< added to the built-in list
    std::optional<std::vector<std::string>> public_registries;       ///< replaces the default list
    std::optional<std::vector<std::string>> heavy_images;            ///< replaces the default list
    std::map<std::string, std::vector<std::string>> stateful_images; ///< added/replaced per image
    int kubernetes_minor = 0; ///< the cluster's 1.N (--kubernetes-version, kubernetesVersion); 0: unknown
    AuditPolicy audit;        ///< the `audit:` section (audit, validate --online)

    [[nodiscard]] bool is_enabled(std::string_view rule) const;
    [[nodiscard]] Severity severity_of(std::string_view rule) const;
};

/// An allowed-registry entry as validate compares it: `https://r.io/mirror/` -> `r.io/mirror`
/// (scheme and trailing slashes dropped, host lower-cased). Not a registry: a usage error.
[[nodiscard]] Result<std::string> normalize_allowed_registry(std::string_view entry);

/// The registries IS008 counts as public: the policy's list, else the built-in one.
[[nodiscard]] std::vector<std::string> public_registries_of(const Policy& policy);

/// The Docker Hub namespaces IS007 accepts besides library/: built-in plus the policy's,
/// sorted, each once.
[[nodiscard]] std::vector<std::string> verified_publishers_of(const Policy& policy);

/// The official Docker Hub images IS010 calls heavy: the policy's list, else the built-in one.
[[nodiscard]] std::vector<std::string> heavy_images_of(const Policy& policy);

/// IS011's stateful official images and their data directories: built-in, then the policy's.
[[nodiscard]] std::map<std::string, std::vector<std::string>> stateful_images_of(const Policy& policy);

/// Does a volume mounted at `mount` hold `path`? (`/data` covers `/data/db`, not `/data2`;
/// trailing slashes are ignored.) IS011 and audit's IS112 ask it.
[[nodiscard]] bool path_covers(std::string_view mount, std::string_view path);

/// "1.35" -> 35 (Kubernetes 1.x minor version); anything else is a usage error.
[[nodiscard]] Result<int> parse_kubernetes_version(std::string_view text);

/// A scanned file of the bundle (scan with validation_facts and collect_errors).
struct BundleFile {
    std::string display;
    const Manifest* manifest = nullptr;
};

/// Checks every file; cross-document facts (Secrets, ServiceAccounts) come from the whole
/// bundle. Findings are ordered by file (input order), line, column, rule.
[[nodiscard]] std::vector<Finding> validate_bundle(const std::vector<BundleFile>& files, const Policy& policy);

/// Does a docker config `auths` key cover the repository `repo` (normalised, no tag)?
/// The kubelet's rules (spec/secret.md §9), without the index.docker.io fallback.
[[nodiscard]] bool auths_key_matches(std::string_view key, std::string_view repo);

/// Do these `auths` keys give the kubelet credentials for `repo`, fallback included?
[[nodiscard]] bool auths_cover(const std::vector<std::string>& keys, std::string_view repo);

/// Why a pull Secret is unusable ("" when usable); fills the `auths` keys when usable.
[[nodiscard]] std::string pull_secret_problem(const SecretFact& secret, std::vector<std::string>& auths_keys);

/// The closest known name within edit distance 2 (or a case-insensitive match), or "".
[[nodiscard]] std::string did_you_mean(std::string_view name, const std::vector<std::string_view>& known);

} // namespace image_secure
