#pragma once

// What refers to a manifest: signatures, attestations, SBOMs. Found the three ways registries
// and tools keep them: the OCI 1.1 referrers API (GET /v2/<name>/referrers/<digest>), its
// fallback tag (`sha256-<hex>` holding an index of referrers) when the API is missing, and
// cosign's tags (`sha256-<hex>.sig`, `.att`, `.sbom`). mirror copies what this finds.

#include <image_secure/base/result.hpp>
#include <image_secure/registry/registry.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// One manifest that refers to another.
struct Referrer {
    enum class Via {
        api,        ///< listed by the referrers API (it has a `subject`)
        tag_schema, ///< listed by the `sha256-<hex>` fallback index (it has a `subject`)
        cosign_tag, ///< cosign's tag; pushed under the same tag
    } via = Via::api;
    std::string subject; ///< the digest it refers to
    std::string tag;     ///< Via::cosign_tag: "sha256-<hex>.sig" (…) ; else ""
    FetchedManifest manifest;

    /// For listings: "cosign signature", "application/vnd.cncf.notary.signature", ...
    [[nodiscard]] std::string kind() const;
};

/// The images whose referrers are wanted: one repository, the digests of its manifests
/// (an index and its children, or one child).
struct ReferrerQuery {
    std::string host;
    std::string repository;
    std::vector<std::string> subjects;
};

/// What a query found: the referrers (and theirs, recursively, a few levels deep), and what was
/// left out (a referrer of a kind that cannot be copied), one line each.
struct ReferrerFindings {
    std::vector<Referrer> referrers;
    std::vector<std::string> skipped;
};

/// Registry hosts (lower case) -> does it answer the referrers API? Learned from the first
/// answer; later queries to a host without it go straight to the fallback tag.
using ReferrersSupport = std::map<std::string, bool>;

/// Finds the referrers of every query (batched per step). A request that fails for another
/// reason than "not there" fails its query.
[[nodiscard]] std::vector<Result<ReferrerFindings>>
find_referrers(RegistryClient& client, const std::vector<ReferrerQuery>& queries, ReferrersSupport& support);

/// "sha256-<hex>": the OCI 1.1 referrers fallback tag of a digest.
[[nodiscard]] std::string referrers_tag(std::string_view digest);

/// The descriptor of a referrer as a referrers index lists it (mediaType, digest, size,
/// artifactType, annotations), as JSON text.
[[nodiscard]] std::string referrer_descriptor(const FetchedManifest& manifest);

/// The fallback index with `add` (descriptor JSON from referrer_descriptor) merged into
/// `existing` (the index the tag holds now, if any); nullopt when every one is already listed.
/// A damaged existing index is replaced.
[[nodiscard]] std::optional<std::string> merge_referrers_index(const std::optional<std::string>& existing,
                                                               const std::vector<std::string>& add);

} // namespace image_secure
