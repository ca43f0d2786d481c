#include <image_secure/base/text.hpp>
#include <image_secure/bundle/bundle.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <set>

namespace image_secure::bundle {

namespace {

using Status = MirrorOutcome::Status;

/// One image on its way into the layout.
struct Entry {
    Reference source;
    MirrorOutcome out;
    bool active = true;
    std::vector<FetchedManifest> manifests; ///< top first, then children
    std::vector<Referrer> referrers;
    std::size_t written = 0; ///< manifests and blobs written for it (0: it was all there)
};

/// A blob some images need, once.
struct Need {
    oci::Descriptor blob;
    std::string host;
    std::string repository;
    std::vector<std::size_t> items;
    bool present = false;
    std::shared_ptr<http::BodySink> sink;
};

oci::Descriptor descriptor_of(const FetchedManifest& m) {
    oci::Descriptor d;
    d.media_type = m.media_type;
    d.digest = m.digest;
    d.size = static_cast<std::int64_t>(m.bytes.size());
    return d;
}

/// The descriptor of a manifest as index.json lists it.
std::string manifest_descriptor(const FetchedManifest& m) {
    nlohmann::json d;
    d["mediaType"] = m.media_type;
    d["digest"] = m.digest;
    d["size"] = m.bytes.size();
    return d.dump();
}

class BundleWriter {
  public:
    BundleWriter(RegistryClient& client,
                 const std::vector<Reference>& sources,
                 LayoutWriter* writer,
                 const Layout* existing,
                 const MirrorOptions& options)
        : m_client(client), m_source(client), m_writer(writer), m_existing(existing), m_options(options) {
        for (const auto& s : sources) {
            Entry e;
            e.source = s;
            m_entries.push_back(std::move(e));
        }
        m_progress.images_total = sources.size();
    }

    std::vector<MirrorOutcome> run() {
        walk();
        if (m_options.referrers) {
            referrers();
        }
        collect();
        if (m_options.dry_run) {
            return plan();
        }
        m_client.set_tick([this] { report(); });
        download();
        m_client.set_tick({});
        write_manifests();
        std::vector<MirrorOutcome> out;
        for (auto& e : m_entries) {
            out.push_back(std::move(e.out));
        }
        return out;
    }

  private:
    RegistryClient& m_client;
    RegistrySource m_source;
    LayoutWriter* m_writer;
    const Layout* m_existing;
    const MirrorOptions& m_options;
    std::vector<Entry> m_entries;
    std::vector<Need> m_needs;
    MirrorProgress m_progress;

    void done(std::size_t i) {
        ++m_progress.images_done;
        if (m_options.image_done) {
            m_options.image_done(i, m_entries[i].out);
        }
    }

    void fail(std::size_t i, const Error& error, const std::string& step) {
        Entry& e = m_entries[i];
        if (!e.active) {
            return;
        }
        e.active = false;
        e.out.status = Status::failed;
        e.out.error = error;
        e.out.step = step;
        done(i);
    }

    void report() {
        if (!m_options.progress) {
            return;
        }
        std::int64_t bytes = 0;
        for (const auto& n : m_needs) {
            bytes += n.sink ? n.sink->transferred() : 0;
        }
        m_progress.bytes_done = bytes;
        m_options.progress(m_progress);
    }

    [[nodiscard]] bool has(const oci::Descriptor& d) const {
        if (m_writer != nullptr) {
            return m_writer->has_blob(d);
        }
        if (m_existing != nullptr) {
            const auto file = m_existing->find_blob(d.digest);
            return file && file->size == d.size;
        }
        return false;
    }

    void walk() {
        std::vector<ImageLocator> tops;
        for (const auto& e : m_entries) {
            tops.push_back(ImageLocator::from(e.source));
        }
        WalkOptions walk;
        walk.depth = m_options.platform ? WalkOptions::Depth::platform : WalkOptions::Depth::all;
        walk.platform = m_options.platform;
        auto walked = m_source.walk(tops, walk);
        for (std::size_t i = 0; i < m_entries.size(); ++i) {
            Entry& e = m_entries[i];
            if (!walked[i]) {
                fail(i, walked[i].error(), "read the source manifest");
                continue;
            }
            e.out.source_digest = walked[i]->top->digest;
            ImageCopy copy = image_copy(std::move(*walked[i]), m_options.platform);
            if (copy.error) {
                fail(i, *copy.error, copy.step);
                continue;
            }
            e.out.target_digest = copy.top.digest;
            e.out.note = std::move(copy.note);
            e.manifests.push_back(std::move(copy.top));
            for (auto& c : copy.children) {
                e.manifests.push_back(std::move(c));
            }
        }
    }

    void referrers() {
        std::vector<std::size_t> which;
        std::vector<ReferrerQuery> queries;
        for (std::size_t i = 0; i < m_entries.size(); ++i) {
            Entry& e = m_entries[i];
            if (!e.active) {
                continue;
            }
            ReferrerQuery q{e.source.domain, e.source.path, {}};
            for (const auto& m : e.manifests) {
                q.subjects.push_back(m.digest);
            }
            which.push_back(i);
            queries.push_back(std::move(q));
        }
        auto found = m_source.find_referrers(queries);
        for (std::size_t k = 0; k < which.size(); ++k) {
            Entry& e = m_entries[which[k]];
            if (!found[k]) {
                fail(which[k], found[k].error(), "find the referrers (--no-referrers skips them)");
                continue;
            }
            e.referrers = std::move(found[k]->referrers);
            e.out.referrer_notes = std::move(found[k]->skipped);
            if (m_options.platform && !e.out.note.empty()) {
                e.out.note += "; the index's own referrers (its signature) do not apply to it";
            }
        }
    }

    void collect() {
        std::map<std::string, std::size_t> index;
        for (std::size_t i = 0; i < m_entries.size(); ++i) {
            Entry& e = m_entries[i];
            if (!e.active) {
                continue;
            }
            std::vector<const oci::Manifest*> images;
            for (const auto& m : e.manifests) {
                images.push_back(&m.parsed);
            }
            for (const auto& r : e.referrers) {
                images.push_back(&r.manifest.parsed);
            }
            std::set<std::string> seen;
            for (const auto* m : images) {
                if (m->kind != oci::Manifest::Kind::image) {
                    continue;
                }
                std::vector<const oci::Descriptor*> all{&m->config};
                for (const auto& l : m->layers) {
                    all.push_back(&l);
                }
                for (const auto* d : all) {
                    if (!seen.insert(d->digest).second) {
                        continue;
                    }
                    auto [it, inserted] = index.emplace(d->digest, m_needs.size());
                    if (inserted) {
                        Need need;
                        need.blob = *d;
                        need.host = e.source.domain;
                        need.repository = e.source.path;
                        need.present = has(*d);
                        m_needs.push_back(std::move(need));
                    }
                    m_needs[it->second].items.push_back(i);
                }
            }
        }
    }

    /// Blob and byte counts of image i (a blob shared by several is counted for the first).
    void count(std::size_t i, bool planned) {
        MirrorOutcome& o = m_entries[i].out;
        for (const auto& n : m_needs) {
            if (std::find(n.items.begin(), n.items.end(), i) == n.items.end()) {
                continue;
            }
            if (n.present || n.items.front() != i) {
                ++o.blobs_present;
            } else {
                ++o.blobs_copied;
                (planned ? o.bytes_planned : o.bytes_copied) += n.blob.size;
            }
        }
    }

    void record_referrers(Entry& e, ReferrerOutcome::State state) {
        for (const auto& r : e.referrers) {
            const bool there = has(descriptor_of(r.manifest));
            e.out.referrers.push_back(ReferrerOutcome{
                there ? ReferrerOutcome::State::present : state, r.manifest.digest, r.subject, r.kind(), r.tag});
        }
    }

    std::vector<MirrorOutcome> plan() {
        std::vector<MirrorOutcome> out;
        for (std::size_t i = 0; i < m_entries.size(); ++i) {
            Entry& e = m_entries[i];
            if (e.active) {
                e.out.status = Status::planned;
                count(i, true);
                e.out.manifests = e.manifests.size() + e.referrers.size();
                record_referrers(e, ReferrerOutcome::State::planned);
            }
            out.push_back(std::move(e.out));
        }
        return out;
    }

    void download() {
        std::vector<std::size_t> which;
        std::vector<RegistryCall> calls;
        for (std::size_t k = 0; k < m_needs.size(); ++k) {
            Need& n = m_needs[k];
            const bool wanted =
                std::any_of(n.items.begin(), n.items.end(), [this](std::size_t i) { return m_entries[i].active; });
            if (n.present || !wanted) {
                continue;
            }
            n.sink = m_writer->blob_sink(n.blob);
            m_progress.bytes_planned += n.blob.size;
            which.push_back(k);
            calls.push_back(blob_download(ImageLocator{n.host, n.repository, n.blob.digest}, n.blob.digest, n.sink));
        }
        auto responses = m_client.send(std::move(calls));
        for (std::size_t k = 0; k < which.size(); ++k) {
            Need& n = m_needs[which[k]];
            const auto& resp = responses[k];
            std::optional<Error> error;
            if (!resp.ok()) {
                error = response_error(resp, n.host + "/" + n.repository + "@" + n.blob.digest);
            } else if (n.sink->failed()) {
                error = network_error(n.sink->error(), n.host + "/" + n.repository + "@" + n.blob.digest);
            }
            if (error) {
                for (const auto i : n.items) {
                    fail(i, *error, "read blob " + n.blob.digest);
                }
                continue;
            }
            for (const auto i : n.items) {
                ++m_entries[i].written;
            }
        }
    }

    void write_manifests() {
        for (std::size_t i = 0; i < m_entries.size(); ++i) {
            Entry& e = m_entries[i];
            if (!e.active) {
                continue;
            }
            std::vector<const FetchedManifest*> all;
            for (const auto& m : e.manifests) {
                all.push_back(&m);
            }
            for (const auto& r : e.referrers) {
                all.push_back(&r.manifest);
            }
            record_referrers(e, ReferrerOutcome::State::copied); // before they are written: which were there
            std::optional<Error> error;
            for (const auto* m : all) {
                if (m_writer->has_blob(descriptor_of(*m))) {
                    continue;
                }
                if (auto put = m_writer->put_blob(m->digest, m->bytes); !put) {
                    error = put.error();
                    break;
                }
                ++e.written;
                ++e.out.manifests;
            }
            if (error) {
                fail(i, *error, "write the manifest");
                continue;
            }
            // A new or changed entry is a change too (the same image under another name).
            e.written += m_writer->add_entry(manifest_descriptor(e.manifests.front()), e.source.normalized()) ? 1U : 0U;
            for (const auto& r : e.referrers) {
                // Under cosign's tag as any tagged manifest; by subject as a referrers index lists it.
                const bool changed =
                    r.tag.empty() ? m_writer->add_entry(referrer_descriptor(r.manifest), {})
                                  : m_writer->add_entry(manifest_descriptor(r.manifest), e.source.name() + ":" + r.tag);
                e.written += changed ? 1U : 0U;
            }
        }
        auto committed = m_writer->commit();
        for (std::size_t i = 0; i < m_entries.size(); ++i) {
            Entry& e = m_entries[i];
            if (!e.active) {
                continue;
            }
            if (!committed) {
                fail(i, committed.error(), "write index.json");
                continue;
            }
            e.active = false;
            count(i, false);
            e.out.status = e.written == 0 ? Status::up_to_date : Status::copied;
            done(i);
        }
    }
};

} // namespace

std::vector<MirrorOutcome> write_bundle(RegistryClient& client,
                                        const std::vector<Reference>& sources,
                                        LayoutWriter* writer,
                                        const Layout* existing,
                                        const MirrorOptions& options) {
    BundleWriter w(client, sources, writer, existing, options);
    return w.run();
}

} // namespace image_secure::bundle
