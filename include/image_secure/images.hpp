#pragma once

#include <image_secure/manifest.hpp>
#include <image_secure/mapping.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// One place an image is used.
struct ImageUse {
    std::string file;
    std::size_t line = 0;
    std::size_t column = 0;
    std::string object;    ///< "Kind/name"
    std::string container;
    std::string field;
    std::string value;     ///< the value as written there
};

/// One unique image (by normalised reference) with every place it is used.
struct ImageEntry {
    std::string image; ///< normalised reference, or the raw value when invalid
    bool valid = false;
    std::string error;
    std::string target;  ///< with a mapping: where rewrite points it ("" when it stays)
    std::string outcome; ///< "rewrite", "already-private", "skipped", "no-target", "invalid"
    std::vector<ImageUse> uses;
};

/// A scanned file for listing.
struct ScannedFile {
    std::string display;
    const Manifest* manifest = nullptr;
};

/// Unique images in first-seen order. `config` may be null (no targets).
/// `with_mentions`: also the image-like references outside image fields (args, env, ConfigMap
/// data, annotations), as entries whose outcome is "elsewhere" (`images --all`).
[[nodiscard]] Result<std::vector<ImageEntry>> collect_images(const std::vector<ScannedFile>& files,
                                                             const MappingConfig* config, bool with_mentions = false);

/// One warning per image-like reference outside an image field that is not already on a
/// target registry: the workload starts it, and rewrite leaves it as it is.
[[nodiscard]] std::vector<std::string> mention_warnings(const std::vector<ScannedFile>& files,
                                                        const MappingConfig* config);

[[nodiscard]] std::string render_images_text(const std::vector<ImageEntry>& images, bool with_targets);
[[nodiscard]] std::string render_images_json(const std::vector<ImageEntry>& images, bool with_targets);

} // namespace image_secure
