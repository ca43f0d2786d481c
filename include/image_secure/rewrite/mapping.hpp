#pragma once

#include <image_secure/base/result.hpp>
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/reference/reference.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// How a source repository path is laid out under the target registry.
enum class PathMode { keep, flatten, host };

[[nodiscard]] Result<PathMode> parse_path_mode(std::string_view text);

/// `--registry HOST[:PORT][/PREFIX]`.
struct RegistryTarget {
    std::string host;   ///< host[:port]
    std::string prefix; ///< "" or "apps/team"

    [[nodiscard]] std::string str() const { return prefix.empty() ? host : host + "/" + prefix; }
};

[[nodiscard]] Result<RegistryTarget> parse_registry_target(std::string_view text);

class RegexMatcher; // RE2, kept out of this header

/// One rule of a rules file (spec/rewrite.md "Rules file format").
struct Rule {
    std::size_t number = 0; ///< 1-based, for messages
    enum class Match { registry, name, regex } match = Match::registry;
    std::string pattern;
    std::shared_ptr<const RegexMatcher> regex;
    std::optional<RegistryTarget> registry;
    std::optional<PathMode> path_mode;
    std::string new_name;
    std::string replace;
    std::string new_tag;
    std::string digest;
    bool skip = false;
    std::vector<std::string> pull_secrets;
};

/// A parsed rules file.
struct RuleSet {
    std::optional<RegistryTarget> registry;
    std::optional<PathMode> path_mode;
    std::vector<std::string> pull_secrets;
    std::vector<Rule> rules;
    std::vector<FieldSpec> fields;
};

/// Compiles a `match: {regex: ...}` pattern (RE2 syntax); an invalid one is a usage error.
[[nodiscard]] Result<std::shared_ptr<const RegexMatcher>> compile_regex(const std::string& pattern);

/// The effective configuration of a rewrite: flags over rules-file defaults.
struct MappingConfig {
    std::optional<RegistryTarget> registry;
    PathMode path_mode = PathMode::keep;
    std::vector<std::string> pull_secrets; ///< added to every pod spec, in order
    const RuleSet* rules = nullptr;
    /// `rewrite --pin`: digest of each target, keyed by its normalised reference. A target
    /// (or an image already on a target host) found here is written as ref@digest.
    const std::map<std::string, std::string>* pins = nullptr;
    /// `mirror REF --registry HOST/PREFIX` with REF on HOST but outside PREFIX: promote it
    /// (map it like a foreign image) instead of calling it already private.
    bool promote_within_registry = false;
};

/// What happens to one image.
struct MappedImage {
    enum class Outcome { rewritten, already_private, skipped, no_target, not_a_reference } outcome = Outcome::no_target;
    std::string target;            ///< the new reference when rewritten
    std::string source_repository; ///< the image's normalised name (when a reference)
    std::string target_repository; ///< the target's name (when rewritten)
    std::size_t rule = 0;          ///< 1-based rule number, 0 when defaults applied (or none)
    std::string note;              ///< why not rewritten, for warnings
};

/// Every host a rewrite can write to, lower-cased, each once: the registry, each rule's
/// registry, newName's host and the literal host of a replace pattern. Images already on one
/// of them are never moved again (idempotence).
[[nodiscard]] std::vector<std::string> target_hosts(const MappingConfig& config);

/// Maps one image value. An invalid result (a rule producing a bad reference) is an Error.
[[nodiscard]] Result<MappedImage> map_image(std::string_view value, const MappingConfig& config);

} // namespace image_secure
