#pragma once

#include "cli/app.hpp"

#include <image_secure/base/io.hpp>
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/rewrite/mapping.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace image_secure::cli {

/// Flags shared by every command that reads manifests and maps images (rewrite, images,
/// and later mirror): one place, so they mean the same everywhere.
struct ManifestFlags {
    std::vector<std::string> files;
    bool recursive = false;
    std::string registry;
    std::string path_mode;
    std::string rules_file;
    std::string rules_text;   ///< an inline rules file (KRM functionConfig); wins over rules_file
    std::string rules_source; ///< names rules_text in messages
    std::vector<std::string> pull_secrets;
    unsigned jobs = 0;
};

void add_manifest_flags(CLI::App& cmd, ManifestFlags& flags, bool with_pull_secrets);

/// The rules file (if any) and the mapping built from flags over its defaults.
struct LoadedMapping {
    std::unique_ptr<RuleSet> rules;
    MappingConfig config;
    bool has_target = false;
};

[[nodiscard]] Result<LoadedMapping> load_mapping(const ManifestFlags& flags);

/// How rewrite, images and mirror scan: --jobs, and the rules' extra image fields.
[[nodiscard]] ScanOptions mapping_scan_options(const ManifestFlags& flags, const LoadedMapping& mapping);

/// Reads and scans every input (files, directories, "-").
struct ScannedInput {
    InputFile file;
    Manifest manifest;
};

[[nodiscard]] Result<std::vector<ScannedInput>>
read_and_scan(const ManifestFlags& flags, const ScanOptions& options, Io& io);

} // namespace image_secure::cli
