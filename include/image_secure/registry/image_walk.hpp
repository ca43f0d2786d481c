#pragma once

// The one walk from references to what they hold: tag or digest -> manifest or index ->
// the children asked for -> config blobs. `registry resolve`, `registry inspect`, `mirror`
// and `rewrite --pin` all go through it; each level is one concurrent batch.

#include <image_secure/base/result.hpp>
#include <image_secure/registry/oci.hpp>
#include <image_secure/registry/registry.hpp>

#include <optional>
#include <string>
#include <vector>

namespace image_secure {

struct WalkOptions {
    enum class Depth {
        head,     ///< HEAD only: digest, media type, size (no pull counted)
        platform, ///< the manifest; for an index, the child for `platform`
        all,      ///< the manifest and, for an index, every child
    } depth = Depth::head;
    std::optional<oci::Platform> platform; ///< Depth::platform
    bool fetch_chosen = true;              ///< Depth::platform: GET the chosen child (else its descriptor only)
    bool check_single_platform = false;    ///< Depth::platform: a single image's config must name `platform`
    bool configs = false;                  ///< GET the config blob of every image manifest fetched
};

/// An index child that was fetched.
struct WalkedChild {
    FetchedManifest manifest;
    std::string platform;              ///< "os/arch[/variant]" from the index's descriptor ("" if none)
    std::optional<std::string> config; ///< the config blob (WalkOptions::configs, image manifests)
};

/// What one reference holds.
struct WalkedImage {
    ManifestHead head;                     ///< what the reference points at
    std::optional<FetchedManifest> top;    ///< unless Depth::head
    std::optional<std::string> top_config; ///< a top-level image's config (configs or check_single_platform)
    std::optional<oci::Descriptor> chosen; ///< Depth::platform, an index: the child for the platform
    bool platform_missing = false;         ///< Depth::platform: an index without that platform
    bool platform_mismatch = false;        ///< check_single_platform: a single image of another platform
    std::string platform;                  ///< the chosen child's, or a checked single image's platform
    std::vector<WalkedChild> children;     ///< fetched children, in index order
};

/// Walks every reference (batched per level). A failed request fails its reference with the
/// registry's error; a platform that is not there is not an error (see the flags above).
[[nodiscard]] std::vector<Result<WalkedImage>>
walk_images(RegistryClient& client, const std::vector<ImageLocator>& images, const WalkOptions& options);

} // namespace image_secure
