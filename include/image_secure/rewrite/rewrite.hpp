#pragma once

#include <image_secure/base/result.hpp>
#include <image_secure/k8s/manifest.hpp>
#include <image_secure/rewrite/mapping.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// Replace `length` bytes at `offset` by `replacement` (length 0: insert).
struct Edit {
    std::size_t offset = 0;
    std::size_t length = 0;
    std::string replacement;
};

/// State shared by the files of one run (flatten collisions are found across files).
struct RewriteState {
    std::map<std::string, std::string> target_sources; ///< target repository → source name
};

/// What a rewrite of one file will do.
struct RewritePlan {
    std::vector<Edit> edits;           ///< sorted, non-overlapping
    std::vector<std::string> warnings; ///< "what (file:line:col)"
    std::size_t images_rewritten = 0;
    std::size_t pull_secrets_added = 0;
};

/// Plans the byte edits for one file: image values and imagePullSecrets entries.
[[nodiscard]] Result<RewritePlan> plan_rewrite(std::string_view text,
                                               std::string_view source,
                                               const Manifest& manifest,
                                               const MappingConfig& config,
                                               RewriteState& state);

/// Applies sorted, non-overlapping edits; every other byte is copied unchanged.
[[nodiscard]] std::string apply_edits(std::string_view text, const std::vector<Edit>& edits);

/// A unified diff (3 lines of context) of the edits, with `a/PATH` and `b/PATH` headers.
[[nodiscard]] std::string unified_diff(std::string_view path, std::string_view text, const std::vector<Edit>& edits);

} // namespace image_secure
