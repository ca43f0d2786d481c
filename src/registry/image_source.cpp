#include <image_secure/registry/image_source.hpp>

namespace image_secure {

namespace {

constexpr int k_resume_attempts = 5; ///< Range resumes of one blob download

} // namespace

std::vector<Result<ManifestHead>> RegistrySource::head_manifests(const std::vector<ImageLocator>& images) {
    return m_client.head_manifests(images);
}

std::vector<Result<WalkedImage>> RegistrySource::walk(const std::vector<ImageLocator>& images,
                                                      const WalkOptions& options) {
    return walk_images(m_client, images, options);
}

std::vector<Result<ReferrerFindings>> RegistrySource::find_referrers(const std::vector<ReferrerQuery>& queries) {
    return image_secure::find_referrers(m_client, queries, m_support);
}

RegistryCall blob_download(const ImageLocator& image, const std::string& digest, std::shared_ptr<http::BodySink> sink) {
    RegistryCall get;
    get.host = image.host;
    get.path = "/v2/" + image.repository + "/blobs/" + digest;
    get.scopes.add(repository_scope(image.repository, "pull"));
    get.download = std::move(sink);
    get.retry = false; // the transport resumes it instead (a sink cannot take the bytes twice)
    get.resume_attempts = k_resume_attempts;
    return get;
}

Result<std::optional<RegistryCall>>
RegistrySource::blob(const ImageLocator& image, const oci::Descriptor& blob, const std::shared_ptr<http::Pipe>& pipe) {
    return std::optional<RegistryCall>(blob_download(image, blob.digest, pipe));
}

ImageCopy image_copy(WalkedImage&& walked, const std::optional<oci::Platform>& platform) {
    ImageCopy copy;
    copy.top = std::move(*walked.top);
    if (copy.top.parsed.kind != oci::Manifest::Kind::index) {
        return copy;
    }
    if (platform) {
        if (walked.platform_missing) {
            copy.error = Error{ErrorKind::not_found, "no image for platform " + platform->str(), {}};
            copy.step = "select the platform";
            return copy;
        }
        copy.note = "copied " + platform->str() + " only: the digest changes from the index's " + copy.top.digest;
    }
    for (auto& child : walked.children) {
        if (child.manifest.parsed.kind != oci::Manifest::Kind::image) {
            copy.error = input_error("nested indexes are not supported");
            copy.step = "read a child manifest";
            return copy;
        }
        if (platform) {
            copy.top = std::move(child.manifest); // the child becomes what is pushed
        } else {
            copy.children.push_back(std::move(child.manifest));
        }
    }
    return copy;
}

} // namespace image_secure
