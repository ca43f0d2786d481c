#pragma once

// What audit and validate --online share: the flags that say how images are audited, and the
// run itself (client, progress line, cache), so both commands mean the same by them.

#include "cli/app.hpp"
#include "cli/registry_flags.hpp"

#include <image_secure/audit/audit.hpp>

#include <string>
#include <vector>

namespace image_secure::cli {

struct AuditFlags {
    RegistryFlags registry;
    std::string platform;
    bool all_platforms = false;
    bool metadata_only = false;
    std::string max_uncompressed = "8GiB";
    bool no_cache = false;
    std::string cache_dir;
    bool quiet = false;
};

/// --platform, --all-platforms, --metadata-only, --max-uncompressed, --no-cache, --cache-dir
/// and every registry connection and credential flag.
void add_audit_flags(CLI::App& cmd, AuditFlags& flags);

/// The audit of `targets` under `flags` and `policy`: results in target order. Image errors are
/// results too (the caller prints them and exits 3).
[[nodiscard]] Result<std::vector<audit::AuditResult>>
audit_targets(const std::vector<audit::AuditTarget>& targets, const AuditFlags& flags, const Policy& policy, Io& io);

} // namespace image_secure::cli
