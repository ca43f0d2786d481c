#pragma once

#include <image_secure/k8s/manifest.hpp>
#include <image_secure/rewrite/mapping.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// One place an image is used.
struct ImageUse {
    std::string file;
    std::size_t line = 0;
    std::size_t column = 0;
    std::string object; ///< "Kind/name"
    std::string container;
    std::string field;
    std::string value; ///< the value as written there
};

/// What rewrite does with an image (or would, under the mapping given).
enum class ImageOutcome {
    rewrite,         ///< pointed at its target
    already_private, ///< already on a target registry
    skipped,         ///< a rule says leave it
    no_target,       ///< no rule or --registry applies
    invalid,         ///< not an image reference
    elsewhere,       ///< a reference outside an image field (images --all): never rewritten
};

/// The spelling in `images` output and JSON: "rewrite", "already-private", "skipped",
/// "no-target", "invalid", "elsewhere".
[[nodiscard]] std::string_view outcome_name(ImageOutcome outcome);

/// The same for a sentence ("not copied (already on the target registry)").
[[nodiscard]] std::string_view outcome_phrase(ImageOutcome outcome);

/// What rewrite does with `value` under `config`.
[[nodiscard]] ImageOutcome outcome_of(const MappedImage& mapped);

/// One unique image (by normalised reference) with every place it is used.
struct ImageEntry {
    std::string image; ///< normalised reference, or the raw value when invalid
    bool valid = false;
    std::string error;
    std::string target; ///< with a mapping: where rewrite points it ("" when it stays)
    ImageOutcome outcome = ImageOutcome::no_target;
    std::vector<ImageUse> uses;
};

/// A scanned file for listing.
struct ScannedFile {
    std::string display;
    const Manifest* manifest = nullptr;
};

/// The scanned inputs as `collect_images` takes them.
template <class Inputs> [[nodiscard]] std::vector<ScannedFile> scanned_files(const Inputs& inputs) {
    std::vector<ScannedFile> files;
    files.reserve(inputs.size());
    for (const auto& input : inputs) {
        files.push_back({input.file.display, &input.manifest});
    }
    return files;
}

/// Unique images in first-seen order. `config` may be null (no targets).
/// `with_mentions`: also the image-like references outside image fields (args, env, ConfigMap
/// data, annotations), as entries whose outcome is "elsewhere" (`images --all`).
[[nodiscard]] Result<std::vector<ImageEntry>>
collect_images(const std::vector<ScannedFile>& files, const MappingConfig* config, bool with_mentions = false);

/// One warning per image-like reference outside an image field that is not already on a
/// target registry: the workload starts it, and rewrite leaves it as it is.
[[nodiscard]] std::vector<std::string> mention_warnings(const std::vector<ScannedFile>& files,
                                                        const MappingConfig* config);

[[nodiscard]] std::string render_images_text(const std::vector<ImageEntry>& images, bool with_targets);
[[nodiscard]] std::string render_images_json(const std::vector<ImageEntry>& images, bool with_targets);

} // namespace image_secure
