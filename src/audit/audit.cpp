// The audit pipeline. Level by level, each a concurrent batch: manifests and configs (the
// image walk), then every layer blob not in the cache (one GET per digest, however many
// images share it), then per image: summaries in layer order -> tree -> facts -> findings.

#include "fetch.hpp"

#include <image_secure/audit/audit.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/registry/image_walk.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <map>
#include <set>

namespace image_secure::audit {

namespace {

/// One image manifest to audit (a reference, or one platform of an index).
struct Candidate {
    std::size_t target = 0;
    std::string digest;
    std::string platform;
    const oci::Manifest* manifest = nullptr;
    const std::string* config = nullptr;
};

Error image_error(const std::string& ref, const std::string& what) {
    const std::string name = printable(ref, 200);
    // Registry errors already name the reference.
    return Error{ErrorKind::network, what.rfind(name + ": ", 0) == 0 ? what : name + ": " + what, {}};
}

std::string platform_of(const ConfigFacts& c, const std::string& fallback) {
    if (c.os.empty() || c.architecture.empty()) {
        return fallback;
    }
    return oci::Platform{c.os, c.architecture, c.variant, {}}.str();
}

std::string short_digest(const std::string& digest) {
    const auto colon = digest.find(':');
    return colon == std::string::npos ? digest : digest.substr(0, colon + 13);
}

} // namespace

std::string default_cache_dir() {
    const char* xdg = std::getenv("XDG_CACHE_HOME");
    std::string base;
    if (xdg != nullptr && xdg[0] == '/') {
        base = xdg;
    } else if (const char* home = std::getenv("HOME"); home != nullptr && home[0] != '\0') {
        base = std::string(home) + "/.cache";
    } else {
        return {};
    }
    return base + "/kubectl-image_secure/layers";
}

std::vector<AuditResult> run_audit(RegistryClient& client,
                                   const std::vector<AuditTarget>& targets,
                                   const AuditOptions& options,
                                   AuditStats* stats) {
    std::vector<std::pair<std::size_t, AuditResult>> results; ///< (target, result): sorted at the end
    std::vector<ImageLocator> locators;
    for (const auto& t : targets) {
        locators.push_back(t.locator);
    }
    WalkOptions walk;
    walk.depth = options.all_platforms ? WalkOptions::Depth::all : WalkOptions::Depth::platform;
    walk.platform = options.platform;
    walk.fetch_chosen = true;
    walk.configs = true;
    std::atomic<std::int64_t> bytes{0};
    std::size_t images_done = 0;
    std::size_t images_total = targets.size();
    if (options.progress) {
        client.set_tick([&] { options.progress(AuditProgress{images_done, images_total, bytes.load()}); });
    }
    auto walked = walk_images(client, locators, walk);

    // Image manifests to audit, merged by digest (the same image under several names).
    std::vector<Candidate> candidates;
    std::map<std::string, std::size_t> by_digest;
    std::vector<std::vector<std::size_t>> merged; ///< targets per candidate
    const auto add_candidate = [&](Candidate c) {
        const std::string& key = c.digest; // the same image under several names (or an index's child)
        if (const auto it = by_digest.find(key); it != by_digest.end()) {
            merged[it->second].push_back(c.target);
            return;
        }
        by_digest.emplace(key, candidates.size());
        merged.push_back({c.target});
        candidates.push_back(std::move(c));
    };
    for (std::size_t i = 0; i < targets.size(); ++i) {
        const std::string& ref = targets[i].ref;
        if (!walked[i]) {
            results.push_back({i, {ref, std::nullopt, image_error(ref, walked[i].error().message())}});
            continue;
        }
        const WalkedImage& w = *walked[i];
        if (w.top && w.top->parsed.kind == oci::Manifest::Kind::image) {
            if (!w.top_config) {
                results.push_back({i, {ref, std::nullopt, image_error(ref, "the image config could not be read")}});
                continue;
            }
            add_candidate({i, w.top->digest, "", &w.top->parsed, &*w.top_config});
            continue;
        }
        if (w.platform_missing) {
            std::string have;
            for (const auto& d : w.top->parsed.manifests) {
                if (d.platform && d.platform->os != "unknown") {
                    have += (have.empty() ? "" : ", ") + d.platform->str();
                }
            }
            results.push_back({i,
                               {ref,
                                std::nullopt,
                                image_error(ref,
                                            "the index has no " + options.platform.str()
                                                + " image (it has: " + printable(have.empty() ? "none" : have, 300)
                                                + "); use --platform or --all-platforms")}});
            continue;
        }
        std::size_t added = 0;
        for (const auto& child : w.children) {
            if (child.manifest.parsed.kind != oci::Manifest::Kind::image || child.platform.rfind("unknown/", 0) == 0) {
                continue; // attestation manifests and nested indexes are not images to run
            }
            if (!child.config) {
                continue;
            }
            add_candidate({i, child.manifest.digest, child.platform, &child.manifest.parsed, &*child.config});
            ++added;
        }
        if (added == 0) {
            results.push_back({i, {ref, std::nullopt, image_error(ref, "the index holds no runnable image")}});
        }
    }
    images_total = candidates.size() + results.size();

    // Configs, and the layers every candidate needs.
    struct Work {
        AuditedImage image;
        std::optional<Error> error;
        std::vector<std::string> layer_digests; ///< "" for a layer not audited
    };

    std::vector<Work> work(candidates.size());
    LayerCache cache(options.cache_dir);
    std::vector<LayerJob> jobs;
    std::map<std::string, std::size_t> job_of;
    std::map<std::string, SummaryPtr> summaries;
    for (std::size_t k = 0; k < candidates.size(); ++k) {
        const Candidate& c = candidates[k];
        const AuditTarget& t = targets[c.target];
        Work& wk = work[k];
        wk.image.ref = t.ref;
        wk.image.digest = c.digest;
        for (const std::size_t other : merged[k]) {
            const auto& uses = targets[other].uses;
            wk.image.uses.insert(wk.image.uses.end(), uses.begin(), uses.end());
        }
        auto config = parse_config_facts(*c.config);
        if (!config) {
            wk.error = image_error(t.ref, config.error().what);
            continue;
        }
        wk.image.config = std::move(*config);
        wk.image.platform = platform_of(wk.image.config, c.platform);
        for (const auto& l : c.manifest->layers) {
            wk.image.compressed_bytes += l.size;
        }
        if (options.metadata_only) {
            continue;
        }
        if (wk.image.config.diff_ids.size() != c.manifest->layers.size()) {
            wk.error = image_error(t.ref,
                                   "the config lists " + std::to_string(wk.image.config.diff_ids.size())
                                       + " diff_ids for " + std::to_string(c.manifest->layers.size()) + " layers");
            continue;
        }
        for (std::size_t li = 0; li < c.manifest->layers.size(); ++li) {
            const oci::Descriptor& d = c.manifest->layers[li];
            if (!d.urls.empty()) {
                wk.image.notes.push_back("layer " + std::to_string(li) + " (" + short_digest(d.digest)
                                         + ") not audited: foreign layer");
                wk.layer_digests.emplace_back();
                continue;
            }
            if (auto compression = layer::compression_of(d.media_type); !compression) {
                wk.error = image_error(t.ref,
                                       "layer " + std::to_string(li) + " (" + short_digest(d.digest)
                                           + "): " + compression.error().what);
                break;
            }
            wk.layer_digests.push_back(d.digest);
            if (summaries.count(d.digest) != 0 || job_of.count(d.digest) != 0) {
                continue;
            }
            if (auto hit = cache.get(d.digest)) {
                summaries.emplace(d.digest, std::move(hit));
                if (stats != nullptr) {
                    ++stats->layers_cached;
                }
                continue;
            }
            job_of.emplace(d.digest, jobs.size());
            jobs.push_back({t.locator.host, t.locator.repository, d.digest, d.media_type, d.size});
        }
    }

    // Every missing layer, once, in parallel.
    std::map<std::string, Error> layer_errors;
    if (!jobs.empty()) {
        auto fetched = fetch_layers(client, jobs, options.max_uncompressed, bytes);
        for (std::size_t j = 0; j < jobs.size(); ++j) {
            if (!fetched[j]) {
                layer_errors.emplace(jobs[j].digest, fetched[j].error());
                continue;
            }
            cache.put(*fetched[j]);
            summaries.emplace(jobs[j].digest, std::move(*fetched[j]));
        }
        if (stats != nullptr) {
            stats->layers_fetched += jobs.size() - layer_errors.size();
            stats->bytes_fetched += bytes.load();
        }
    }

    // Per image: the tree, facts, findings.
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    for (std::size_t k = 0; k < work.size(); ++k) {
        Work& wk = work[k];
        AuditResult r;
        r.ref = wk.image.ref;
        if (!wk.error && !options.metadata_only) {
            std::vector<const layer::LayerSummary*> layers;
            layer::ImageTree tree;
            std::int64_t uncompressed = 0;
            for (std::size_t li = 0; li < wk.layer_digests.size() && !wk.error; ++li) {
                const std::string& digest = wk.layer_digests[li];
                if (digest.empty()) {
                    layers.push_back(nullptr); // a foreign layer: not audited (see notes)
                    continue;
                }
                if (const auto e = layer_errors.find(digest); e != layer_errors.end()) {
                    wk.error = image_error(wk.image.ref,
                                           "layer " + std::to_string(li) + " (" + short_digest(digest)
                                               + "): " + e->second.message());
                    break;
                }
                const auto& s = summaries.at(digest);
                if (s->diff_id != wk.image.config.diff_ids[li]) {
                    wk.error =
                        image_error(wk.image.ref,
                                    "layer " + std::to_string(li) + " (" + short_digest(digest)
                                        + "): the uncompressed tar hashes to " + s->diff_id
                                        + ", the config's diff_id is " + printable(wk.image.config.diff_ids[li], 80));
                    break;
                }
                uncompressed += s->uncompressed_bytes;
                if (uncompressed > options.max_uncompressed) {
                    wk.error = image_error(wk.image.ref,
                                           "the layers decompress to more than " + human_size(options.max_uncompressed)
                                               + " (--max-uncompressed)");
                    break;
                }
                tree.apply(*s, static_cast<int>(li));
                layers.push_back(s.get());
            }
            if (!wk.error) {
                wk.image.facts = compute_facts(tree, layers, wk.image.config);
                const auto& odd = wk.image.facts->suspicious;
                if (!odd.empty()) {
                    std::string list;
                    for (std::size_t n = 0; n < odd.size() && n < 5; ++n) {
                        list += (n == 0 ? "" : ", ") + odd[n];
                    }
                    wk.image.notes.push_back("ignored " + plural(odd.size(), "member name", "member names")
                                             + " that escape the image root (suspicious): " + list);
                }
                wk.image.findings = evaluate(wk.image, &tree, options.policy, now);
            }
        } else if (!wk.error) {
            wk.image.findings = evaluate(wk.image, nullptr, options.policy, now);
        }
        if (wk.error) {
            r.error = std::move(wk.error);
        } else {
            r.image = std::move(wk.image);
        }
        results.emplace_back(candidates[k].target, std::move(r));
        ++images_done;
    }
    if (options.progress) {
        client.set_tick({});
    }
    std::stable_sort(results.begin(), results.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<AuditResult> out;
    out.reserve(results.size());
    for (auto& [ignored, r] : results) {
        out.push_back(std::move(r));
    }
    return out;
}

} // namespace image_secure::audit
