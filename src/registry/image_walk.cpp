#include <image_secure/registry/image_walk.hpp>

namespace image_secure {

namespace {

ImageLocator at(const ImageLocator& image, const std::string& digest) {
    ImageLocator l = image;
    l.reference = digest;
    return l;
}

/// Level 3: config blobs of the image manifests fetched (a top image, or fetched children).
void fetch_configs(RegistryClient& client,
                   const std::vector<ImageLocator>& images,
                   std::vector<Result<WalkedImage>>& out,
                   bool all_images) {
    struct Want {
        std::size_t item;
        std::optional<std::size_t> child; ///< none: the top image
    };

    std::vector<Want> wants;
    std::vector<ImageLocator> blobs;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (!out[i] || !out[i]->top) {
            continue;
        }
        WalkedImage& w = *out[i];
        if (w.top->parsed.kind == oci::Manifest::Kind::image && (all_images || w.platform.empty())) {
            wants.push_back({i, std::nullopt});
            blobs.push_back(at(images[i], w.top->parsed.config.digest));
        }
        if (!all_images) {
            continue;
        }
        for (std::size_t c = 0; c < w.children.size(); ++c) {
            if (w.children[c].manifest.parsed.kind == oci::Manifest::Kind::image) {
                wants.push_back({i, c});
                blobs.push_back(at(images[i], w.children[c].manifest.parsed.config.digest));
            }
        }
    }
    auto got = client.get_blobs(blobs);
    for (std::size_t k = 0; k < wants.size(); ++k) {
        auto& slot = out[wants[k].item];
        if (!slot) {
            continue;
        }
        if (!got[k]) {
            slot = got[k].error();
            continue;
        }
        if (wants[k].child) {
            slot->children[*wants[k].child].config = std::move(*got[k]);
        } else {
            slot->top_config = std::move(*got[k]);
        }
    }
}

} // namespace

std::vector<Result<WalkedImage>>
walk_images(RegistryClient& client, const std::vector<ImageLocator>& images, const WalkOptions& options) {
    std::vector<Result<WalkedImage>> out;
    if (options.depth == WalkOptions::Depth::head) {
        for (auto& head : client.head_manifests(images)) {
            if (!head) {
                out.emplace_back(head.error());
                continue;
            }
            WalkedImage w;
            w.head = std::move(*head);
            out.emplace_back(std::move(w));
        }
        return out;
    }
    // Level 1: what each reference points at.
    auto tops = client.get_manifests(images);
    // Level 2: the children asked for.
    std::vector<std::pair<std::size_t, std::string>> children; ///< (item, platform of the descriptor)
    std::vector<ImageLocator> child_locators;
    for (std::size_t i = 0; i < tops.size(); ++i) {
        if (!tops[i]) {
            out.emplace_back(tops[i].error());
            continue;
        }
        WalkedImage w;
        w.head = ManifestHead{tops[i]->digest, tops[i]->media_type, static_cast<std::int64_t>(tops[i]->bytes.size())};
        w.top = std::move(*tops[i]);
        const oci::Manifest& m = w.top->parsed;
        if (m.kind == oci::Manifest::Kind::index && options.depth == WalkOptions::Depth::all) {
            for (const auto& d : m.manifests) {
                children.emplace_back(i, d.platform ? d.platform->str() : std::string());
                child_locators.push_back(at(images[i], d.digest));
            }
        } else if (m.kind == oci::Manifest::Kind::index && options.platform) {
            if (const oci::Descriptor* child = oci::select_platform(m, *options.platform)) {
                w.chosen = *child;
                w.platform = child->platform ? child->platform->str() : std::string();
                if (options.fetch_chosen) {
                    children.emplace_back(i, w.platform);
                    child_locators.push_back(at(images[i], child->digest));
                }
            } else {
                w.platform_missing = true;
            }
        }
        out.emplace_back(std::move(w));
    }
    auto fetched = client.get_manifests(child_locators);
    for (std::size_t k = 0; k < children.size(); ++k) {
        auto& slot = out[children[k].first];
        if (!slot) {
            continue;
        }
        if (!fetched[k]) {
            slot = fetched[k].error();
            continue;
        }
        slot->children.push_back(WalkedChild{std::move(*fetched[k]), children[k].second, std::nullopt});
    }
    // Level 3: configs.
    if (options.configs) {
        fetch_configs(client, images, out, true);
    } else if (options.depth == WalkOptions::Depth::platform && options.platform && options.check_single_platform) {
        fetch_configs(client, images, out, false);
        for (std::size_t i = 0; i < out.size(); ++i) {
            auto& slot = out[i];
            if (!slot || !slot->top_config) {
                continue;
            }
            auto config = oci::parse_image_config(*slot->top_config);
            if (!config) {
                slot = network_error(images[i].str() + ": " + config.error().what);
                continue;
            }
            slot->platform = oci::Platform{config->os, config->architecture, config->variant, {}}.str();
            oci::Manifest one; // the image as a one-entry index, so the matching rules are select_platform's
            one.kind = oci::Manifest::Kind::index;
            oci::Descriptor self;
            self.media_type = slot->head.media_type;
            self.digest = slot->head.digest;
            self.platform = oci::Platform{config->os, config->architecture, config->variant, {}};
            one.manifests.push_back(std::move(self));
            slot->platform_mismatch = oci::select_platform(one, *options.platform) == nullptr;
        }
    }
    return out;
}

} // namespace image_secure
