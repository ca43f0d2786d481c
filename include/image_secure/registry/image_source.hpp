#pragma once

// Where mirror reads images from: a registry (the client), or an OCI image layout bundle
// (bundle/layout_source.hpp). The four things a copy needs from its source: does a reference
// exist (HEAD), its manifests (the walk), what refers to them, and each blob's bytes.

#include <image_secure/base/result.hpp>
#include <image_secure/http/pipe.hpp>
#include <image_secure/registry/image_walk.hpp>
#include <image_secure/registry/referrers.hpp>
#include <image_secure/registry/registry.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace image_secure {

class ImageSource {
  public:
    virtual ~ImageSource() = default;
    ImageSource() = default;
    ImageSource(const ImageSource&) = delete;
    ImageSource& operator=(const ImageSource&) = delete;

    virtual std::vector<Result<ManifestHead>> head_manifests(const std::vector<ImageLocator>& images) = 0;
    virtual std::vector<Result<WalkedImage>> walk(const std::vector<ImageLocator>& images,
                                                  const WalkOptions& options) = 0;
    virtual std::vector<Result<ReferrerFindings>> find_referrers(const std::vector<ReferrerQuery>& queries) = 0;
    /// Streams one blob of `image`'s repository into `pipe`: the GET to send beside the upload,
    /// or nullopt when the source fed the pipe itself (Pipe::set_producer). An Error: the
    /// source cannot give it (missing from a bundle).
    virtual Result<std::optional<RegistryCall>>
    blob(const ImageLocator& image, const oci::Descriptor& blob, const std::shared_ptr<http::Pipe>& pipe) = 0;
    /// A registry: the destination may mount from its repositories when it is the same host.
    [[nodiscard]] virtual bool is_registry() const = 0;
    /// Bad bytes from this source: a network error from a registry, an input error from a file.
    [[nodiscard]] virtual ErrorKind content_error_kind() const = 0;
    /// For messages: "the source registry", "oci:DIR".
    [[nodiscard]] virtual std::string name() const = 0;

    /// The client behind a registry source (nullptr for others): calls to it may share a batch.
    [[nodiscard]] virtual RegistryClient* client() { return nullptr; }
};

/// A registry through the client (which also talks to the destination).
class RegistrySource final : public ImageSource {
  public:
    explicit RegistrySource(RegistryClient& client) : m_client(client) {}

    std::vector<Result<ManifestHead>> head_manifests(const std::vector<ImageLocator>& images) override;
    std::vector<Result<WalkedImage>> walk(const std::vector<ImageLocator>& images, const WalkOptions& options) override;
    std::vector<Result<ReferrerFindings>> find_referrers(const std::vector<ReferrerQuery>& queries) override;
    Result<std::optional<RegistryCall>>
    blob(const ImageLocator& image, const oci::Descriptor& blob, const std::shared_ptr<http::Pipe>& pipe) override;

    [[nodiscard]] bool is_registry() const override { return true; }

    [[nodiscard]] ErrorKind content_error_kind() const override { return ErrorKind::network; }

    [[nodiscard]] std::string name() const override { return "the source registry"; }

    [[nodiscard]] RegistryClient* client() override { return &m_client; }

  private:
    RegistryClient& m_client;
    ReferrersSupport m_support;
};

/// The GET of one blob of `image`'s repository into `sink`, resumed with Range when cut.
[[nodiscard]] RegistryCall
blob_download(const ImageLocator& image, const std::string& digest, std::shared_ptr<http::BodySink> sink);

/// What one image copy takes from its walk: the manifest pushed under the tag, the children
/// pushed by digest before it, and a note (one platform of an index). `step` names what failed.
struct ImageCopy {
    FetchedManifest top;
    std::vector<FetchedManifest> children;
    std::string note;
    std::optional<Error> error;
    std::string step;
};

/// The copy of a walked image: the whole index, or with `platform` the chosen child (an
/// index without it, or a nested index, is an error with its step).
[[nodiscard]] ImageCopy image_copy(WalkedImage&& walked, const std::optional<oci::Platform>& platform);

} // namespace image_secure
