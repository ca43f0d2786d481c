#pragma once

// Copies images between registries with the registry client: whole indexes (digests kept),
// blobs skipped when present, mounted across repositories of the destination, otherwise
// streamed source -> destination through a bounded buffer with the digest checked.

#include <image_secure/base/result.hpp>
#include <image_secure/reference/reference.hpp>
#include <image_secure/registry/oci.hpp>
#include <image_secure/registry/registry.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// One image to copy: where from, where to (the reference rewrite writes).
struct MirrorItem {
    Reference source;
    Reference target;
};

struct MirrorProgress {
    std::size_t images_total = 0;
    std::size_t images_done = 0;
    std::int64_t bytes_done = 0;    ///< blob bytes streamed so far
    std::int64_t bytes_planned = 0; ///< blob bytes that need streaming
};

/// Where blobs are known to live: destination host (lower case) -> digest -> repositories.
/// Lets a later run mount a layer from a repository an earlier run filled.
using BlobLocations = std::map<std::string, std::map<std::string, std::vector<std::string>>>;

/// Reads/writes the locations as JSON (unknown or damaged content reads as empty).
[[nodiscard]] BlobLocations parse_blob_locations(std::string_view json);
[[nodiscard]] std::string render_blob_locations(const BlobLocations& locations);

/// What happened to one referrer (signature, attestation, SBOM) of an image.
struct ReferrerOutcome {
    enum class State { copied, present, planned } state = State::planned;
    std::string digest;
    std::string subject; ///< the manifest it refers to
    std::string kind;    ///< "cosign signature", an artifactType, ...
    std::string tag;     ///< cosign's tag, "" when it is kept by digest
};

/// What happened to one image.
struct MirrorOutcome {
    enum class Status { copied, up_to_date, planned, failed } status = Status::failed;
    std::string source_digest; ///< of what the source reference points at
    std::string target_digest; ///< what the destination now holds (or would)
    std::size_t manifests = 0; ///< manifests pushed (children + top)
    std::size_t blobs_copied = 0;
    std::size_t blobs_mounted = 0;
    std::size_t blobs_present = 0;
    std::int64_t bytes_copied = 0;
    std::int64_t bytes_planned = 0;
    std::string note; ///< e.g. "one platform of an index: the digest changes"
    std::string step; ///< the step that failed
    std::optional<Error> error;
    std::vector<ReferrerOutcome> referrers;  ///< what refers to the copied manifests
    std::vector<std::string> referrer_notes; ///< referrers left out, fallback indexes written

    /// Blob bytes copied, or to be copied in a dry run.
    [[nodiscard]] std::int64_t bytes() const { return status == Status::planned ? bytes_planned : bytes_copied; }
};

struct MirrorOptions {
    BlobLocations* locations = nullptr;    ///< read for mount candidates, updated after the run
    std::optional<oci::Platform> platform; ///< copy one child instead of the whole index
    bool dry_run = false;
    /// Also copy what refers to each copied manifest (OCI referrers API or its fallback tag,
    /// cosign's .sig/.att/.sbom tags), keeping digests; at a destination without the
    /// referrers API the fallback tag index is kept up to date.
    bool referrers = true;
    std::size_t pipe_buffer = 4U << 20U; ///< bytes held per blob in flight
    /// Called now and then while copying (from the transfer loop).
    std::function<void(const MirrorProgress&)> progress;
    /// Called when an image is finished (copied, up to date or failed), with its outcome.
    std::function<void(std::size_t item, const MirrorOutcome& outcome)> image_done;
};

class ImageSource;

/// Copies every item. Items sharing blobs copy each blob once; the others mount it.
[[nodiscard]] std::vector<MirrorOutcome>
mirror_images(RegistryClient& client, const std::vector<MirrorItem>& items, const MirrorOptions& options);

/// The same from another source (a bundle): item sources are looked up there, the targets
/// are written through `destination`.
[[nodiscard]] std::vector<MirrorOutcome> mirror_images(RegistryClient& destination,
                                                       ImageSource& source,
                                                       const std::vector<MirrorItem>& items,
                                                       const MirrorOptions& options);

} // namespace image_secure
