#pragma once

// Bundles for air gaps: `mirror --to oci:DIR` writes images (whole indexes), their referrers
// and their source references into an OCI layout; `mirror --from oci:DIR` pushes a layout
// into a registry through the mirror, the layout being the source (LayoutSource).

#include <image_secure/bundle/layout.hpp>
#include <image_secure/reference/reference.hpp>
#include <image_secure/registry/image_source.hpp>
#include <image_secure/registry/mirror.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace image_secure::bundle {

/// One image of a layout: an index.json entry whose ref.name is an image reference (cosign's
/// `sha256-<hex>.sig` tags and fallback tags are referrers, not images).
struct BundleImage {
    Reference reference; ///< parsed from ref.name
    std::string ref_name;
    oci::Descriptor descriptor;
};

/// The images of a layout, in index order. Entries whose ref.name is not a fully qualified
/// reference are left out with a note each.
[[nodiscard]] std::vector<BundleImage> bundle_images(const Layout& layout, std::vector<std::string>& notes);

/// Is `tag` one that holds referrers (`sha256-<hex>`, or cosign's `.sig`/`.att`/`.sbom` of it)?
[[nodiscard]] bool is_referrer_tag(std::string_view tag);

/// A layout as the source of a mirror: references are looked up by ref.name (or digest),
/// referrers by their subject (unnamed entries) and cosign tags, blobs are fed to the upload
/// pipes from the files, checked against their digests on the way.
class LayoutSource final : public ImageSource {
  public:
    explicit LayoutSource(const Layout& layout);
    ~LayoutSource() override;
    LayoutSource(const LayoutSource&) = delete;
    LayoutSource& operator=(const LayoutSource&) = delete;

    std::vector<Result<ManifestHead>> head_manifests(const std::vector<ImageLocator>& images) override;
    std::vector<Result<WalkedImage>> walk(const std::vector<ImageLocator>& images, const WalkOptions& options) override;
    std::vector<Result<ReferrerFindings>> find_referrers(const std::vector<ReferrerQuery>& queries) override;
    Result<std::optional<RegistryCall>>
    blob(const ImageLocator& image, const oci::Descriptor& blob, const std::shared_ptr<http::Pipe>& pipe) override;

    [[nodiscard]] bool is_registry() const override { return false; }

    [[nodiscard]] ErrorKind content_error_kind() const override { return ErrorKind::input; }

    [[nodiscard]] std::string name() const override;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// Writes every source image (the whole index, or with options.platform the chosen child) and,
/// unless options.referrers is off, its referrers into `writer`, each image under its fully
/// qualified source reference. Blobs already in the layout are kept; the rest stream from the
/// registry to files, checked. With options.dry_run nothing is written: `existing` (the
/// layout as it is, if any) says what is there already and `writer` may be null.
[[nodiscard]] std::vector<MirrorOutcome> write_bundle(RegistryClient& client,
                                                      const std::vector<Reference>& sources,
                                                      LayoutWriter* writer,
                                                      const Layout* existing,
                                                      const MirrorOptions& options);

} // namespace image_secure::bundle
