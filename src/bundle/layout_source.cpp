#include <image_secure/base/text.hpp>
#include <image_secure/bundle/bundle.hpp>

#include <map>
#include <set>

namespace image_secure::bundle {

namespace {

constexpr int k_max_depth = 4; ///< referrers of referrers (as the registry search goes)

bool all_hex(std::string_view s) {
    return !s.empty() && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

/// "docker.io/library/nginx" + tag or digest: the key a ref.name and a locator share.
std::string lookup_key(std::string_view name, std::string_view reference) {
    // A digest has a colon, a tag cannot.
    return std::string(name) + (reference.find(':') != std::string_view::npos ? "@" : ":") + std::string(reference);
}

} // namespace

bool is_referrer_tag(std::string_view tag) {
    constexpr std::string_view prefix = "sha256-";
    if (tag.rfind(prefix, 0) != 0) {
        return false;
    }
    std::string_view hex = tag.substr(prefix.size());
    for (const std::string_view suffix : {".sig", ".att", ".sbom"}) {
        if (hex.size() > suffix.size() && hex.substr(hex.size() - suffix.size()) == suffix) {
            hex.remove_suffix(suffix.size());
            break;
        }
    }
    return hex.size() == 64 && all_hex(hex);
}

std::vector<BundleImage> bundle_images(const Layout& layout, std::vector<std::string>& notes) {
    std::vector<BundleImage> out;
    for (const auto& e : layout.entries()) {
        if (e.ref_name.empty()) {
            continue; // a referrer (found by its subject)
        }
        auto ref = parse_reference(e.ref_name);
        if (!ref || ref->domain.empty() || e.ref_name.find('/') == std::string::npos) {
            notes.push_back("the entry \"" + printable(e.ref_name, 200) + "\" (" + e.descriptor.digest
                            + ") is not a fully qualified image reference; left out");
            continue;
        }
        if (is_referrer_tag(ref->tag) && ref->digest.empty()) {
            continue; // cosign's tags travel with their image
        }
        out.push_back(BundleImage{std::move(*ref), e.ref_name, e.descriptor});
    }
    return out;
}

struct LayoutSource::Impl {
    const Layout& layout;
    std::map<std::string, const LayoutEntry*> by_ref; ///< lookup_key -> entry
    /// Manifests of unnamed entries and referrer tags, parsed once (for subjects).
    std::optional<std::vector<std::pair<const LayoutEntry*, FetchedManifest>>> referrers;
    std::vector<std::string> referrer_problems;

    explicit Impl(const Layout& l) : layout(l) {
        for (const auto& e : layout.entries()) {
            if (e.ref_name.empty()) {
                continue;
            }
            auto ref = parse_reference(e.ref_name);
            if (!ref) {
                continue;
            }
            if (!ref->tag.empty()) {
                by_ref.emplace(lookup_key(ref->name(), ref->tag), &e);
            }
            if (!ref->digest.empty()) {
                by_ref.emplace(lookup_key(ref->name(), ref->digest), &e);
            }
            if (ref->tag.empty() && ref->digest.empty()) {
                by_ref.emplace(lookup_key(ref->name(), "latest"), &e);
            }
        }
    }

    /// The descriptor a locator names: its entry, or for a digest any manifest blob of the layout.
    Result<oci::Descriptor> resolve(const ImageLocator& at) {
        const auto it = by_ref.find(lookup_key(at.host + "/" + at.repository, at.reference));
        if (it != by_ref.end()) {
            return it->second->descriptor;
        }
        if (validate_digest(at.reference)) {
            for (const auto& e : layout.entries()) {
                if (e.descriptor.digest == at.reference) {
                    return e.descriptor;
                }
            }
        }
        return Error{ErrorKind::not_found, at.str() + " is not in " + layout.where().str(), {}};
    }

    Result<FetchedManifest> manifest(const oci::Descriptor& d) {
        auto bytes = layout.read_blob(d.digest);
        if (!bytes) {
            return bytes.error();
        }
        auto parsed = oci::parse_manifest(*bytes, d.media_type);
        if (!parsed) {
            return input_error(layout.where().str() + ": the manifest " + d.digest + ": " + parsed.error().message());
        }
        FetchedManifest m;
        m.bytes = std::move(*bytes);
        m.media_type = !parsed->media_type.empty() ? parsed->media_type : d.media_type;
        m.digest = d.digest;
        m.parsed = std::move(*parsed);
        return m;
    }

    /// Every blob an image manifest lists is in the layout with its size (checked before any
    /// byte is pushed, so a bundle that lacks a layer fails its image up front).
    Result<Ok> check_blobs(const FetchedManifest& m) {
        if (m.parsed.kind != oci::Manifest::Kind::image) {
            return Ok{};
        }
        std::vector<const oci::Descriptor*> all{&m.parsed.config};
        for (const auto& l : m.parsed.layers) {
            all.push_back(&l);
        }
        for (const auto* d : all) {
            const auto file = layout.find_blob(d->digest);
            if (!file) {
                return input_error(layout.where().str() + " lacks the blob " + d->digest + " (of the manifest "
                                   + m.digest + ")");
            }
            if (file->size != d->size) {
                return input_error(layout.where().str() + ": the blob " + d->digest + " has "
                                   + std::to_string(file->size) + " bytes, its descriptor says "
                                   + std::to_string(d->size));
            }
        }
        return Ok{};
    }

    void load_referrers() {
        if (referrers) {
            return;
        }
        referrers.emplace();
        for (const auto& e : layout.entries()) {
            const auto colon = e.ref_name.rfind(':');
            const bool tag = !e.ref_name.empty() && colon != std::string::npos
                             && is_referrer_tag(std::string_view(e.ref_name).substr(colon + 1));
            if (!e.ref_name.empty() && !tag) {
                continue;
            }
            auto m = manifest(e.descriptor);
            if (!m) {
                referrer_problems.push_back(m.error().message());
                continue;
            }
            referrers->emplace_back(&e, std::move(*m));
        }
    }
};

LayoutSource::LayoutSource(const Layout& layout) : m_impl(std::make_unique<Impl>(layout)) {}

LayoutSource::~LayoutSource() = default;

std::string LayoutSource::name() const { return m_impl->layout.where().str(); }

std::vector<Result<ManifestHead>> LayoutSource::head_manifests(const std::vector<ImageLocator>& images) {
    std::vector<Result<ManifestHead>> out;
    for (const auto& at : images) {
        auto d = m_impl->resolve(at);
        if (!d) {
            out.emplace_back(d.error());
            continue;
        }
        out.emplace_back(ManifestHead{d->digest, d->media_type, d->size});
    }
    return out;
}

std::vector<Result<WalkedImage>> LayoutSource::walk(const std::vector<ImageLocator>& images,
                                                    const WalkOptions& options) {
    std::vector<Result<WalkedImage>> out;
    for (const auto& at : images) {
        auto d = m_impl->resolve(at);
        if (!d) {
            out.emplace_back(d.error());
            continue;
        }
        auto top = m_impl->manifest(*d);
        if (!top) {
            out.emplace_back(top.error());
            continue;
        }
        WalkedImage w;
        w.head = ManifestHead{d->digest, top->media_type, d->size};
        std::optional<Error> problem;
        if (top->parsed.kind == oci::Manifest::Kind::index && options.depth != WalkOptions::Depth::head) {
            std::vector<const oci::Descriptor*> wanted;
            if (options.depth == WalkOptions::Depth::platform && options.platform) {
                const auto* chosen = oci::select_platform(top->parsed, *options.platform);
                w.platform_missing = chosen == nullptr;
                if (chosen != nullptr) {
                    w.chosen = *chosen;
                    wanted.push_back(chosen);
                }
            } else {
                for (const auto& c : top->parsed.manifests) {
                    wanted.push_back(&c);
                }
            }
            for (const auto* c : wanted) {
                auto child = m_impl->manifest(*c);
                if (!child) {
                    problem = child.error();
                    break;
                }
                if (auto ok = m_impl->check_blobs(*child); !ok) {
                    problem = ok.error();
                    break;
                }
                w.children.push_back(
                    WalkedChild{std::move(*child), c->platform ? c->platform->str() : std::string(), std::nullopt});
            }
        } else if (auto ok = m_impl->check_blobs(*top); !ok) {
            problem = ok.error();
        }
        if (problem) {
            out.emplace_back(*problem);
            continue;
        }
        w.top = std::move(*top);
        out.emplace_back(std::move(w));
    }
    return out;
}

std::vector<Result<ReferrerFindings>> LayoutSource::find_referrers(const std::vector<ReferrerQuery>& queries) {
    m_impl->load_referrers();
    std::vector<Result<ReferrerFindings>> out;
    for (const auto& q : queries) {
        ReferrerFindings found;
        if (out.empty()) { // said once, not for every image: their subjects are unknown
            found.skipped = m_impl->referrer_problems;
        }
        std::optional<Error> problem;
        std::set<std::string> seen;
        std::vector<std::string> level = q.subjects;
        const std::string name = q.host + "/" + q.repository;
        for (int depth = 0; depth < k_max_depth && !level.empty(); ++depth) {
            std::vector<std::string> next;
            for (const auto& subject : level) {
                for (const auto& [entry, m] : *m_impl->referrers) {
                    Referrer r;
                    if (entry->ref_name.empty()) {
                        if (!m.parsed.subject || m.parsed.subject->digest != subject) {
                            continue;
                        }
                        r.via = Referrer::Via::api;
                    } else {
                        const std::string prefix = name + ":" + referrers_tag(subject);
                        if (entry->ref_name.rfind(prefix, 0) != 0 || entry->ref_name.size() == prefix.size()) {
                            continue; // another repository's, or the bare fallback tag
                        }
                        r.via = Referrer::Via::cosign_tag;
                        r.tag = entry->ref_name.substr(name.size() + 1);
                    }
                    if (!seen.insert(m.digest + r.tag).second) {
                        continue;
                    }
                    r.subject = subject;
                    r.manifest = m;
                    if (m.parsed.kind == oci::Manifest::Kind::index) {
                        found.skipped.push_back("the referrer " + m.digest + " is an index; not copied");
                        continue;
                    }
                    if (auto ok = m_impl->check_blobs(m); !ok) {
                        problem = ok.error();
                        continue;
                    }
                    next.push_back(m.digest);
                    found.referrers.push_back(std::move(r));
                }
            }
            level = std::move(next);
        }
        if (problem) {
            out.emplace_back(*problem);
        } else {
            out.emplace_back(std::move(found));
        }
    }
    return out;
}

Result<std::optional<RegistryCall>> LayoutSource::blob(const ImageLocator& /*image*/,
                                                       const oci::Descriptor& blob,
                                                       const std::shared_ptr<http::Pipe>& pipe) {
    const auto file = m_impl->layout.find_blob(blob.digest);
    if (!file) {
        return input_error(name() + " lacks the blob " + blob.digest);
    }
    auto reader = std::make_shared<BlobReader>(*file);
    pipe->set_producer([reader](char* out, std::size_t n, std::string& why) { return reader->read(out, n, why); });
    return std::optional<RegistryCall>();
}

} // namespace image_secure::bundle
