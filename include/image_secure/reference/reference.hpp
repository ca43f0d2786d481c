#pragma once

#include <image_secure/base/result.hpp>

#include <string>
#include <string_view>

namespace image_secure {

/// Docker Hub by its names: the one references normalise to, the index's alias, and the host
/// its API answers on. Every comparison with Docker Hub goes through these.
inline constexpr std::string_view k_docker_hub = "docker.io";
inline constexpr std::string_view k_docker_hub_index = "index.docker.io";
inline constexpr std::string_view k_docker_hub_api = "registry-1.docker.io";

/// Is `host` one of Docker Hub's names (any case)?
[[nodiscard]] bool is_docker_hub_host(std::string_view host);

/// Registry hosts compare without regard to case ("Quay.IO" is quay.io).
[[nodiscard]] bool same_host(std::string_view a, std::string_view b);

/// A container image reference, normalised like distribution/reference v0.6.0
/// `ParseNormalizedNamed` (what kubelet and containerd use).
struct Reference {
    std::string domain; ///< "docker.io", "quay.io", "localhost:5000", "" (when the host is not a valid host)
    std::string path;   ///< "library/nginx"
    std::string tag;    ///< "1.25" or "" when absent
    std::string digest; ///< "sha256:..." or "" when absent

    /// domain/path (just path when the domain is empty).
    [[nodiscard]] std::string name() const;
    /// The short form Docker prints: no docker.io/, no library/ for one-component paths.
    [[nodiscard]] std::string familiar() const;
    /// name[:tag][@digest], with ":latest" only when there is neither tag nor digest.
    [[nodiscard]] std::string normalized() const;
    /// name[:tag][@digest] exactly as parsed, with no default tag.
    [[nodiscard]] std::string str() const;

    /// True for Docker Hub images (domain docker.io).
    [[nodiscard]] bool is_docker_hub() const { return domain == "docker.io"; }
};

/// `name` + ":tag" (if any) + "@digest" (if any): how every reference string is assembled.
[[nodiscard]] std::string with_tag_and_digest(std::string name, std::string_view tag, std::string_view digest);

/// Parses and normalises an image reference. Errors use the Go library's wording.
[[nodiscard]] Result<Reference> parse_reference(std::string_view text);

/// Validates a digest ("sha256:<64 lowercase hex>", sha384, sha512) like go-digest.
[[nodiscard]] Result<Ok> validate_digest(std::string_view digest);

/// True if `text` matches the distribution `domain` grammar (host[:port], IPv6 in brackets).
[[nodiscard]] bool is_valid_domain(std::string_view text);

/// True if `text` matches the distribution `path` grammar (lowercase components).
[[nodiscard]] bool is_valid_path(std::string_view text);

/// True if `text` is a valid tag ([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}).
[[nodiscard]] bool is_valid_tag(std::string_view text);

/// Maximum length of the path part (v0.6.0 counts only the path).
inline constexpr std::size_t k_max_path_length = 255;

} // namespace image_secure
