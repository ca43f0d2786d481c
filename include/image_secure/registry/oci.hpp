#pragma once

// Image manifests of both families (Docker v2 schema 2 and OCI): parsing, platform
// selection and sizes. Pure functions over the bytes a registry returned.

#include <image_secure/base/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure::oci {

inline constexpr std::string_view k_oci_index = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view k_docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view k_oci_manifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view k_docker_manifest = "application/vnd.docker.distribution.manifest.v2+json";

/// The Accept header value that makes a registry return what the tag really holds.
inline constexpr std::string_view k_accept_all =
    "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";

struct Platform {
    std::string os;
    std::string architecture;
    std::string variant;
    std::string os_version;
    /// "os/arch[/variant]"
    [[nodiscard]] std::string str() const;
};

/// Parses "os/arch[/variant]"; an error names the expected form.
[[nodiscard]] Result<Platform> parse_platform(std::string_view text);

struct Descriptor {
    std::string media_type;
    std::string digest;
    std::int64_t size = 0;
    std::optional<Platform> platform;
    std::vector<std::string> urls; ///< a foreign (non-distributable) layer's download URLs
    std::string artifact_type;     ///< OCI 1.1 (referrers index entries)
    std::vector<std::pair<std::string, std::string>> annotations; ///< string values, in document order
};

/// An image manifest or an index/manifest list.
struct Manifest {
    enum class Kind { image, index } kind = Kind::image;
    std::string media_type;
    Descriptor config;                 ///< image only
    std::vector<Descriptor> layers;    ///< image only
    std::vector<Descriptor> manifests; ///< index only
    std::optional<Descriptor> subject; ///< OCI 1.1: the manifest this one refers to (a signature, an SBOM)
    std::string artifact_type;         ///< OCI 1.1 artifactType ("" when absent)
    std::vector<std::pair<std::string, std::string>> annotations; ///< string values, in document order

    /// config + layers, compressed as stored (image only).
    [[nodiscard]] std::int64_t image_size() const;
};

[[nodiscard]] bool is_index_type(std::string_view media_type);
[[nodiscard]] bool is_manifest_type(std::string_view media_type);

/// Parses a manifest body. `content_type` (parameters ignored) wins when the body has no
/// mediaType; a body whose mediaType disagrees with it is an error; schema 1 is refused.
[[nodiscard]] Result<Manifest> parse_manifest(std::string_view body, std::string_view content_type);

/// The child of an index for `want` (os and architecture must match; a variant given must
/// match, and arm64 without a variant matches v8). nullptr when there is none.
[[nodiscard]] const Descriptor* select_platform(const Manifest& index, const Platform& want);

/// What a config blob says about the image.
struct ImageConfig {
    std::string created;
    std::string os;
    std::string architecture;
    std::string variant;
};

[[nodiscard]] Result<ImageConfig> parse_image_config(std::string_view body);

/// "sha256:" + hex of `bytes`.
[[nodiscard]] std::string sha256_digest(std::string_view bytes);

} // namespace image_secure::oci
