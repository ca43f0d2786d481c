#pragma once

// `audit`: references -> manifests and configs (the image walk) -> every layer blob streamed
// once through a LayerReader (in parallel, cached by digest) -> the image tree -> facts ->
// findings. Nothing is written to disk but the optional cache.

#include <image_secure/audit/facts.hpp>
#include <image_secure/findings/finding.hpp>
#include <image_secure/layer/overlay.hpp>
#include <image_secure/registry/registry.hpp>
#include <image_secure/rewrite/images.hpp>
#include <image_secure/validate/validate.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace image_secure::audit {

/// One place a manifest uses the image (audit -f, validate --online).
struct ManifestUse {
    std::string file;
    std::size_t line = 0;
    std::size_t column = 0;
    std::string object;    ///< "Kind/name"
    std::string container; ///< "" outside a container (an image volume, a rules field)
    std::vector<std::string> command;
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::vector<std::string>>> exec_commands;
    std::vector<std::string> mount_paths;
    bool non_root = false; ///< the container or its pod sets runAsNonRoot / a non-zero runAsUser
    std::string ignore;    ///< the object's image-secure.dev/ignore annotation
};

struct AuditTarget {
    std::string ref; ///< as the user or the manifest wrote it (normalised)
    ImageLocator locator;
    std::vector<ManifestUse> uses;
};

struct FindingLocation {
    std::string file;
    std::size_t line = 0;
    std::size_t column = 0;
    std::string object;
};

struct AuditFinding {
    std::string rule;
    Severity severity = Severity::warning;
    std::string message;
    std::vector<std::string> paths;
    int layer = -1;                         ///< the layer that added it (-1: not a layer's doing)
    std::vector<FindingLocation> locations; ///< manifest lines (with -f)
    bool suppressed = false;
    std::string justification;
};

struct AuditedImage {
    std::string ref;
    std::string digest;                ///< the image manifest's digest
    std::string platform;              ///< "os/arch[/variant]"
    std::int64_t compressed_bytes = 0; ///< the layers' descriptor sizes
    ConfigFacts config;
    std::optional<ImageFacts> facts; ///< unless --metadata-only
    std::vector<std::string> notes;  ///< "layer 2 not audited: foreign layer"
    std::vector<AuditFinding> findings;
    std::vector<ManifestUse> uses;
};

struct AuditProgress {
    std::size_t images_done = 0;
    std::size_t images = 0;
    std::int64_t bytes = 0; ///< compressed bytes read so far
};

struct AuditOptions {
    oci::Platform platform{"linux", "amd64", "", ""};
    bool all_platforms = false;
    bool metadata_only = false;
    std::int64_t max_uncompressed = std::int64_t{8} << 30U;
    std::string cache_dir; ///< on-disk layer cache ("" none)
    Policy policy;
    std::function<void(const AuditProgress&)> progress; ///< about 4 times a second
};

/// One image's result, or the Error that kept it from being read completely (never partial facts).
struct AuditResult {
    std::string ref;
    std::optional<AuditedImage> image;
    std::optional<Error> error;
};

struct AuditStats {
    std::size_t layers_fetched = 0;
    std::size_t layers_cached = 0;
    std::int64_t bytes_fetched = 0;
};

/// Audits every target: one result per image (per platform with all_platforms), images with
/// the same digest merged (their uses joined).
[[nodiscard]] std::vector<AuditResult> run_audit(RegistryClient& client,
                                                 const std::vector<AuditTarget>& targets,
                                                 const AuditOptions& options,
                                                 AuditStats* stats = nullptr);

/// The images of scanned manifests as audit targets, one per normalised reference, with every
/// place that uses them (container facts need ScanOptions::validation_facts). An invalid
/// reference is an input Error at its position, or skipped with `skip_invalid` (validate
/// reports it as IS003).
[[nodiscard]] Result<std::vector<AuditTarget>> targets_from_manifests(const std::vector<ScannedFile>& files,
                                                                      bool skip_invalid = false);

/// The default on-disk cache: $XDG_CACHE_HOME/kubectl-image_secure/layers (or ~/.cache/...).
[[nodiscard]] std::string default_cache_dir();

/// The findings of one image (rules IS101-IS114 under `policy`); `tree` is null with
/// --metadata-only. Exposed for tests.
[[nodiscard]] std::vector<AuditFinding>
evaluate(const AuditedImage& image, const layer::ImageTree* tree, const Policy& policy, std::int64_t now);

/// The --fail-on category of a rule ("shell", "package-manager", ... ; "" for none).
[[nodiscard]] std::string_view rule_category(std::string_view rule);

/// Checks a --fail-on list; "none" alone disables failing.
[[nodiscard]] Result<std::vector<std::string>> parse_fail_on(const std::vector<std::string>& items);

} // namespace image_secure::audit
