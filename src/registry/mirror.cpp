#include <image_secure/base/encoding.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/http/retry.hpp>
#include <image_secure/http/url.hpp>
#include <image_secure/registry/image_source.hpp>
#include <image_secure/registry/image_walk.hpp>
#include <image_secure/registry/mirror.hpp>
#include <image_secure/registry/referrers.hpp>
#include <image_secure/rewrite/mapping.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <map>
#include <set>
#include <thread>

namespace image_secure {

namespace {

using Status = MirrorOutcome::Status;

/// One image's copy in progress.
struct Work {
    const MirrorItem* item = nullptr;
    MirrorOutcome out;
    bool active = true;
    FetchedManifest top;
    std::vector<FetchedManifest> children;
    std::string push_reference; ///< tag (or digest) the top manifest is pushed under
    std::vector<oci::Descriptor> blobs;
    bool image_present = false;       ///< the destination has the image: only referrers may be missing
    bool destination_checked = false; ///< probe_present compared it already
    std::vector<Referrer> referrers;  ///< found at the source
    std::vector<bool> referrer_there; ///< ... and already at the destination
};

/// A manifest to PUT at an image's destination repository.
struct ManifestPush {
    std::size_t item = 0;
    const FetchedManifest* manifest = nullptr;
    std::string reference; ///< tag or digest
    const char* step = "push the manifest";
};

/// A blob one destination repository needs.
struct BlobNeed {
    std::string dst_host;
    std::string dst_repo;
    oci::Descriptor blob;
    std::string src_host;
    std::string src_repo;
    std::vector<std::size_t> items; ///< the images that need it
    enum class State { unknown, present, mounted, copied, failed } state = State::unknown;
    std::string upload_location; ///< a session a mount attempt opened
    std::optional<Error> error;
    std::size_t pipe = SIZE_MAX; ///< its stream in the progress list, once it has one
};

constexpr int k_blob_attempts = 4; ///< upload sessions per blob (a pair fails: a new session)

std::string upload_url(const std::string& location, const std::string& digest) {
    return location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + percent_encode(digest);
}

std::string tag_or_latest(const Reference& ref) { return ref.tag.empty() ? std::string("latest") : ref.tag; }

class Mirror {
  public:
    Mirror(RegistryClient& client,
           ImageSource& source,
           const std::vector<MirrorItem>& items,
           const MirrorOptions& options)
        : m_client(client), m_source(source), m_options(options) {
        for (const auto& item : items) {
            Work w;
            w.item = &item;
            m_work.push_back(std::move(w));
        }
        m_progress.images_total = items.size();
    }

    std::vector<MirrorOutcome> run() {
        probe_present();
        fetch_sources();
        check_destinations();
        if (m_options.referrers) {
            find_source_referrers();
            check_destination_referrers();
        }
        settle_present();
        collect_blobs();
        check_blobs();
        if (m_options.dry_run) {
            return finish_plan();
        }
        m_client.set_tick([this] { report(); });
        mount_known();
        copy_missing();
        mount_after_copy();
        push_manifests();
        m_client.set_tick({});
        remember_locations();
        std::vector<MirrorOutcome> out;
        for (auto& w : m_work) {
            out.push_back(std::move(w.out));
        }
        return out;
    }

  private:
    RegistryClient& m_client; ///< the destination (and a registry source)
    ImageSource& m_source;
    const MirrorOptions& m_options;
    std::vector<Work> m_work;
    std::vector<BlobNeed> m_needs;
    std::vector<std::shared_ptr<http::Pipe>> m_pipes;
    MirrorProgress m_progress;

    void done(std::size_t i) {
        ++m_progress.images_done;
        if (m_options.image_done) {
            m_options.image_done(i, m_work[i].out);
        }
    }

    void fail(std::size_t i, const Error& error, const std::string& step) {
        Work& w = m_work[i];
        if (!w.active) {
            return;
        }
        w.active = false;
        w.out.status = Status::failed;
        w.out.error = error;
        w.out.step = step;
        done(i);
    }

    void report() {
        if (!m_options.progress) {
            return;
        }
        std::int64_t streamed = 0;
        for (const auto& p : m_pipes) {
            streamed += p->transferred();
        }
        m_progress.bytes_done = streamed;
        m_options.progress(m_progress);
    }

    [[nodiscard]] const Reference& src(std::size_t i) const { return m_work[i].item->source; }

    [[nodiscard]] const Reference& dst(std::size_t i) const { return m_work[i].item->target; }

    /// HEADs (which no registry counts as pulls) of each source and its destination: equal
    /// digests mean the image is there, and its source manifests are never fetched. (With
    /// --platform the pushed digest is a child's: decided after the walk.)
    void probe_present() {
        if (m_options.platform) {
            return;
        }
        std::vector<ImageLocator> sources;
        std::vector<ImageLocator> targets;
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            sources.push_back(ImageLocator::from(src(i)));
            targets.push_back(ImageLocator{dst(i).domain, dst(i).path, destination_reference(i)});
        }
        auto [from, to] = head_both(sources, targets);
        std::vector<std::size_t> present;
        std::vector<ImageLocator> tops;
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            const auto& source = from[i];
            const auto& target = to[i];
            Work& w = m_work[i];
            if (!source) {
                continue; // the walk reports it, with its step
            }
            if (target) {
                w.destination_checked = true;
                if (target->digest == source->digest) {
                    w.image_present = true;
                    w.out.source_digest = w.out.target_digest = w.top.digest = source->digest;
                    w.push_reference = destination_reference(i);
                    if (oci::is_index_type(target->media_type)) { // its children are needed
                        present.push_back(i);
                        tops.push_back(ImageLocator{dst(i).domain, dst(i).path, source->digest});
                    }
                }
            } else if (target.error().kind == ErrorKind::not_found) {
                w.destination_checked = true;
            }
        }
        if (!m_options.referrers) {
            return;
        }
        // The referrers of an index's children are found by their digests: read the index from
        // the destination, which holds the same bytes (an image's own digest is enough).
        auto fetched = m_client.get_manifests(tops);
        for (std::size_t k = 0; k < present.size(); ++k) {
            if (!fetched[k]) {
                fail(present[k], fetched[k].error(), "read the destination's manifest");
                continue;
            }
            m_work[present[k]].top = std::move(*fetched[k]);
        }
    }

    /// HEADs of the sources and of the destinations: one batch when the source is a registry
    /// behind the same client, which keeps both servers busy at once.
    std::pair<std::vector<Result<ManifestHead>>, std::vector<Result<ManifestHead>>>
    head_both(const std::vector<ImageLocator>& sources, const std::vector<ImageLocator>& targets) {
        if (m_source.client() != &m_client) {
            return {m_source.head_manifests(sources), m_client.head_manifests(targets)};
        }
        std::vector<ImageLocator> all = sources;
        all.insert(all.end(), targets.begin(), targets.end());
        auto got = m_client.head_manifests(all);
        std::vector<Result<ManifestHead>> to(
            std::make_move_iterator(got.begin() + static_cast<std::ptrdiff_t>(sources.size())),
            std::make_move_iterator(got.end()));
        got.erase(got.begin() + static_cast<std::ptrdiff_t>(sources.size()), got.end());
        return {std::move(got), std::move(to)};
    }

    [[nodiscard]] std::string destination_reference(std::size_t i) const {
        return dst(i).tag.empty() && !dst(i).digest.empty() ? dst(i).digest : tag_or_latest(dst(i));
    }

    void fetch_sources() {
        std::vector<std::size_t> walking;
        std::vector<ImageLocator> tops;
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            if (m_work[i].active && !m_work[i].image_present) {
                walking.push_back(i);
                tops.push_back(ImageLocator::from(src(i)));
            }
        }
        WalkOptions walk;
        walk.depth = m_options.platform ? WalkOptions::Depth::platform : WalkOptions::Depth::all;
        walk.platform = m_options.platform;
        auto walked_list = m_source.walk(tops, walk);
        for (std::size_t k = 0; k < walking.size(); ++k) {
            const std::size_t i = walking[k];
            Work& w = m_work[i];
            auto& walked_i = walked_list[k];
            if (!walked_i) {
                const bool top_failed =
                    !walked_i.error().what.empty() && walked_i.error().what.rfind(tops[k].str(), 0) == 0;
                fail(i,
                     walked_i.error(),
                     !m_source.is_registry() ? "read the bundle"
                     : top_failed            ? "read the source manifest"
                                             : "read a child manifest");
                continue;
            }
            const bool index = walked_i->top->parsed.kind == oci::Manifest::Kind::index;
            w.out.source_digest = walked_i->top->digest;
            w.push_reference = destination_reference(i);
            if (index && m_options.platform && !dst(i).digest.empty()) {
                fail(i,
                     usage_error("the target pins the index digest; --platform would push another digest"),
                     "select the platform");
                continue;
            }
            ImageCopy copy = image_copy(std::move(*walked_i), m_options.platform);
            if (copy.error) {
                fail(i, *copy.error, copy.step);
                continue;
            }
            w.top = std::move(copy.top);
            w.children = std::move(copy.children);
            w.out.note = std::move(copy.note);
        }
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            Work& w = m_work[i];
            if (w.active && !dst(i).digest.empty() && dst(i).digest != w.top.digest) {
                fail(i,
                     input_error("the target pins " + dst(i).digest + " but the source is " + w.top.digest),
                     "compare digests");
            }
        }
    }

    void check_destinations() {
        std::vector<std::size_t> which;
        std::vector<ImageLocator> heads;
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            if (m_work[i].active) {
                m_work[i].out.target_digest = m_work[i].top.digest;
            }
            if (m_work[i].active && !m_work[i].destination_checked) {
                which.push_back(i);
                heads.push_back(ImageLocator{dst(i).domain, dst(i).path, m_work[i].push_reference});
            }
        }
        auto got = m_client.head_manifests(heads);
        for (std::size_t k = 0; k < which.size(); ++k) {
            Work& w = m_work[which[k]];
            if (got[k] && got[k]->digest == w.top.digest) {
                w.image_present = true; // up to date, unless a referrer is missing
            } else if (!got[k] && got[k].error().kind != ErrorKind::not_found) {
                fail(which[k], got[k].error(), "check the destination");
            }
        }
    }

    /// The referrers of what each image copies: the index and its children, or with
    /// --platform the chosen child only.
    void find_source_referrers() {
        std::vector<std::size_t> which;
        std::vector<ReferrerQuery> queries;
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            Work& w = m_work[i];
            if (!w.active) {
                continue;
            }
            ReferrerQuery q{src(i).domain, src(i).path, {w.top.digest}};
            // The children by the index's descriptors (an image already there was not walked).
            for (const auto& c : w.top.parsed.manifests) {
                q.subjects.push_back(c.digest);
            }
            which.push_back(i);
            queries.push_back(std::move(q));
        }
        auto found = m_source.find_referrers(queries);
        for (std::size_t k = 0; k < which.size(); ++k) {
            Work& w = m_work[which[k]];
            if (!found[k]) {
                fail(which[k], found[k].error(), "find the referrers (--no-referrers skips them)");
                continue;
            }
            w.referrers = std::move(found[k]->referrers);
            w.out.referrer_notes = std::move(found[k]->skipped);
            if (m_options.platform && !w.out.note.empty()) {
                w.out.note += "; the index's own referrers (its signature) do not apply to it";
            }
        }
    }

    /// Which referrers the destination already has (by digest; cosign's under their tag).
    void check_destination_referrers() {
        std::vector<std::pair<std::size_t, std::size_t>> which;
        std::vector<ImageLocator> heads;
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            Work& w = m_work[i];
            w.referrer_there.assign(w.referrers.size(), false);
            if (!w.active) {
                continue;
            }
            for (std::size_t r = 0; r < w.referrers.size(); ++r) {
                const Referrer& ref = w.referrers[r];
                which.emplace_back(i, r);
                heads.push_back(
                    ImageLocator{dst(i).domain, dst(i).path, ref.tag.empty() ? ref.manifest.digest : ref.tag});
            }
        }
        auto got = m_client.head_manifests(heads);
        for (std::size_t k = 0; k < which.size(); ++k) {
            const auto [i, r] = which[k];
            if (got[k]) {
                m_work[i].referrer_there[r] = got[k]->digest == m_work[i].referrers[r].manifest.digest;
            } else if (got[k].error().kind != ErrorKind::not_found) {
                fail(i, got[k].error(), "check the destination's referrers");
            }
        }
    }

    [[nodiscard]] bool referrers_missing(const Work& w) const {
        return std::find(w.referrer_there.begin(), w.referrer_there.end(), false) != w.referrer_there.end();
    }

    /// An image the destination has, with every referrer, is up to date.
    void settle_present() {
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            Work& w = m_work[i];
            if (w.active && w.image_present && !referrers_missing(w)) {
                w.active = false;
                w.out.status = Status::up_to_date;
                record_referrers(w, ReferrerOutcome::State::present);
                done(i);
            }
        }
    }

    /// The referrers in the outcome: those already there as `present`, the others as `missing`.
    static void record_referrers(Work& w, ReferrerOutcome::State missing) {
        w.out.referrers.clear();
        for (std::size_t r = 0; r < w.referrers.size(); ++r) {
            const Referrer& ref = w.referrers[r];
            const bool there = r < w.referrer_there.size() && w.referrer_there[r];
            w.out.referrers.push_back(ReferrerOutcome{there ? ReferrerOutcome::State::present : missing,
                                                      ref.manifest.digest,
                                                      ref.subject,
                                                      ref.kind(),
                                                      ref.tag});
        }
    }

    void collect_blobs() {
        std::map<std::tuple<std::string, std::string, std::string>, std::size_t> index;
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            Work& w = m_work[i];
            if (!w.active) {
                continue;
            }
            std::vector<const oci::Manifest*> images;
            if (!w.image_present && w.top.parsed.kind == oci::Manifest::Kind::image) {
                images.push_back(&w.top.parsed);
            }
            for (const auto& c : w.children) {
                if (!w.image_present) {
                    images.push_back(&c.parsed);
                }
            }
            for (std::size_t r = 0; r < w.referrers.size(); ++r) {
                if (!w.referrer_there[r]) {
                    images.push_back(&w.referrers[r].manifest.parsed);
                }
            }
            std::set<std::string> seen;
            for (const auto* m : images) {
                std::vector<const oci::Descriptor*> descriptors{&m->config};
                for (const auto& l : m->layers) {
                    descriptors.push_back(&l);
                }
                for (const auto* d : descriptors) {
                    if (!seen.insert(d->digest).second) {
                        continue;
                    }
                    w.blobs.push_back(*d);
                    const auto key = std::make_tuple(ascii_lower(dst(i).domain), dst(i).path, d->digest);
                    auto [it, inserted] = index.emplace(key, m_needs.size());
                    if (inserted) {
                        BlobNeed need;
                        need.dst_host = dst(i).domain;
                        need.dst_repo = dst(i).path;
                        need.blob = *d;
                        need.src_host = src(i).domain;
                        need.src_repo = src(i).path;
                        m_needs.push_back(std::move(need));
                    }
                    m_needs[it->second].items.push_back(i);
                }
            }
        }
    }

    void fail_need(BlobNeed& need, const Error& error, const std::string& step) {
        need.state = BlobNeed::State::failed;
        need.error = error;
        for (const auto i : need.items) {
            fail(i, error, step + " " + need.blob.digest);
        }
    }

    void check_blobs() {
        std::vector<RegistryCall> calls;
        for (const auto& need : m_needs) {
            RegistryCall call;
            call.host = need.dst_host;
            call.method = "HEAD";
            call.path = "/v2/" + need.dst_repo + "/blobs/" + need.blob.digest;
            call.scopes.add(repository_scope(need.dst_repo, "pull,push"));
            calls.push_back(std::move(call));
        }
        auto responses = m_client.send(std::move(calls));
        for (std::size_t k = 0; k < m_needs.size(); ++k) {
            const auto& resp = responses[k];
            if (resp.ok()) {
                m_needs[k].state = BlobNeed::State::present;
            } else if (resp.status != 404) {
                fail_need(
                    m_needs[k], response_error(resp, m_needs[k].dst_host + "/" + m_needs[k].dst_repo), "check blob");
            }
        }
    }

    /// A repository of the same destination registry that has (or will have) the blob.
    [[nodiscard]] std::optional<std::string> mount_source(const BlobNeed& need, bool include_copied) const {
        for (const auto& other : m_needs) {
            const bool has = other.state == BlobNeed::State::present || other.state == BlobNeed::State::mounted
                             || (include_copied && other.state == BlobNeed::State::copied);
            if (has && &other != &need && other.blob.digest == need.blob.digest
                && same_host(other.dst_host, need.dst_host) && other.dst_repo != need.dst_repo) {
                return other.dst_repo;
            }
        }
        if (m_source.is_registry() && same_host(need.src_host, need.dst_host) && need.src_repo != need.dst_repo) {
            return need.src_repo;
        }
        if (m_options.locations != nullptr) {
            const auto host = m_options.locations->find(ascii_lower(need.dst_host));
            if (host != m_options.locations->end()) {
                const auto repos = host->second.find(need.blob.digest);
                if (repos != host->second.end()) {
                    for (const auto& repo : repos->second) {
                        if (repo != need.dst_repo) {
                            return repo; // remembered from an earlier run: the mount proves it
                        }
                    }
                }
            }
        }
        return std::nullopt;
    }

    [[nodiscard]] bool wanted(const BlobNeed& need) const {
        return need.state == BlobNeed::State::unknown
               && std::any_of(need.items.begin(), need.items.end(), [this](std::size_t i) { return m_work[i].active; });
    }

    void mount(bool include_copied) {
        std::vector<std::size_t> which;
        std::vector<RegistryCall> calls;
        for (std::size_t k = 0; k < m_needs.size(); ++k) {
            BlobNeed& need = m_needs[k];
            if (!wanted(need) || !need.upload_location.empty()) {
                continue;
            }
            const auto from = mount_source(need, include_copied);
            if (!from) {
                continue;
            }
            RegistryCall call;
            call.host = need.dst_host;
            call.method = "POST";
            call.path = "/v2/" + need.dst_repo + "/blobs/uploads/?mount=" + percent_encode(need.blob.digest)
                        + "&from=" + percent_encode(*from);
            call.scopes.add(repository_scope(need.dst_repo, "pull,push"));
            call.scopes.add(repository_scope(*from, "pull"));
            which.push_back(k);
            calls.push_back(std::move(call));
        }
        auto responses = m_client.send(std::move(calls));
        for (std::size_t n = 0; n < which.size(); ++n) {
            BlobNeed& need = m_needs[which[n]];
            const auto& resp = responses[n];
            if (resp.status == 201) {
                need.state = BlobNeed::State::mounted;
            } else if (resp.status == 202 && resp.header("location") != nullptr) {
                need.upload_location = *resp.header("location"); // not mounted: upload here instead
            }
            // Anything else (e.g. 401 without pull on the source): the blob is copied instead.
        }
    }

    void mount_known() { mount(false); }

    void mount_after_copy() {
        mount(true);
        copy_missing();
    }

    void copy_missing() {
        // One stream per digest and destination registry; the other repositories mount it.
        std::vector<std::size_t> which;
        std::set<std::pair<std::string, std::string>> streaming;
        for (std::size_t k = 0; k < m_needs.size(); ++k) {
            BlobNeed& need = m_needs[k];
            if (!wanted(need)) {
                continue;
            }
            const auto key = std::make_pair(ascii_lower(need.dst_host), need.blob.digest);
            if (need.upload_location.empty() && !streaming.insert(key).second) {
                continue;
            }
            streaming.insert(key);
            which.push_back(k);
        }
        // A pair that fails on the way (connection lost, 429, 5xx, a stalled server) starts
        // again in a new upload session: the download itself resumes inside the transport,
        // an upload cannot (it is one PUT), so it is the pair that goes again.
        for (int attempt = 1; !which.empty(); ++attempt) {
            open_sessions(which);
            double wait = 0;
            which = stream_pairs(which, attempt < k_blob_attempts, attempt, wait);
            if (!which.empty()) {
                std::this_thread::sleep_for(std::chrono::duration<double>(wait));
            }
        }
    }

    void open_sessions(const std::vector<std::size_t>& which) {
        std::vector<std::size_t> opening;
        std::vector<RegistryCall> posts;
        for (const auto k : which) {
            if (!m_needs[k].upload_location.empty()) {
                continue;
            }
            RegistryCall call;
            call.host = m_needs[k].dst_host;
            call.method = "POST";
            call.path = "/v2/" + m_needs[k].dst_repo + "/blobs/uploads/";
            call.scopes.add(repository_scope(m_needs[k].dst_repo, "pull,push"));
            opening.push_back(k);
            posts.push_back(std::move(call));
        }
        auto opened = m_client.send(std::move(posts));
        for (std::size_t n = 0; n < opening.size(); ++n) {
            BlobNeed& need = m_needs[opening[n]];
            const auto& resp = opened[n];
            if (resp.status != 202 || resp.header("location") == nullptr) {
                fail_need(need, response_error(resp, need.dst_host + "/" + need.dst_repo), "start the upload of");
                continue;
            }
            need.upload_location = *resp.header("location");
        }
    }

    /// Every blob as a pair of transfers joined by a pipe: GET source -> PUT destination (or
    /// a PUT alone, its pipe fed from a bundle's file). Returns the needs to try again
    /// (transient failures, while `may_retry`).
    std::vector<std::size_t>
    stream_pairs(const std::vector<std::size_t>& which, bool may_retry, int attempt, double& wait) {
        std::vector<std::size_t> pairs;
        std::vector<std::size_t> get_at; ///< per pair: its GET's place in `calls`, SIZE_MAX when none
        std::vector<std::size_t> put_at; ///< ... and its PUT's
        std::vector<RegistryCall> calls;
        for (const auto k : which) {
            BlobNeed& need = m_needs[k];
            if (need.state == BlobNeed::State::failed || need.upload_location.empty()) {
                continue;
            }
            const auto size = static_cast<std::size_t>(std::max<std::int64_t>(need.blob.size, 1));
            auto pipe =
                std::make_shared<http::Pipe>(std::min(m_options.pipe_buffer, size), need.blob.digest, need.blob.size);
            if (need.pipe < m_pipes.size()) {
                m_pipes[need.pipe] = pipe; // a retry: count its bytes once
            } else {
                need.pipe = m_pipes.size();
                m_pipes.push_back(pipe);
            }
            if (attempt == 1) {
                m_progress.bytes_planned += need.blob.size;
            }
            auto get = m_source.blob(ImageLocator{need.src_host, need.src_repo, need.blob.digest}, need.blob, pipe);
            if (!get) {
                fail_need(need, get.error(), "read blob");
                continue;
            }
            RegistryCall put;
            put.host = need.dst_host;
            put.method = "PUT";
            put.path = upload_url(need.upload_location, need.blob.digest);
            put.headers.emplace_back("Content-Type: application/octet-stream");
            put.scopes.add(repository_scope(need.dst_repo, "pull,push"));
            put.upload = pipe;
            put.upload_size = need.blob.size;
            put.retry = false;
            pairs.push_back(k);
            get_at.push_back(*get ? calls.size() : SIZE_MAX);
            if (*get) {
                calls.push_back(std::move(**get));
            }
            put_at.push_back(calls.size());
            calls.push_back(std::move(put));
        }
        auto responses = m_client.send(std::move(calls));
        std::vector<std::size_t> again;
        http::Response fed; // the GET of a pipe the source fed: never sent, so it did not fail
        fed.status = 200;
        for (std::size_t n = 0; n < pairs.size(); ++n) {
            BlobNeed& need = m_needs[pairs[n]];
            const bool has_get = get_at[n] != SIZE_MAX;
            const auto& put = responses[put_at[n]];
            const auto& got = has_get ? responses[get_at[n]] : fed;
            need.upload_location.clear();
            const auto& pipe = *m_pipes[need.pipe];
            const bool content_wrong = pipe.content_wrong();
            if (!has_get && pipe.failed()) {
                fail_need(need,
                          Error{m_source.content_error_kind(), pipe.error() + " in " + m_source.name(), {}},
                          "read blob");
                continue;
            }
            if (may_retry && !content_wrong && (transient(got) || transient(put)) && put.status != 201) {
                wait = std::max(
                    wait,
                    http::retry_delay(attempt + 1, {&got, &put}, static_cast<std::int64_t>(std::time(nullptr)), 30.0));
                again.push_back(pairs[n]);
                continue;
            }
            if (!got.ok()) {
                fail_need(need,
                          response_error(got, need.src_host + "/" + need.src_repo + "@" + need.blob.digest),
                          "read blob");
                continue;
            }
            if (put.status != 201) {
                fail_need(need, response_error(put, need.dst_host + "/" + need.dst_repo), "upload blob");
                continue;
            }
            need.state = BlobNeed::State::copied;
        }
        return again;
    }

    static bool transient(const http::Response& r) {
        return (!r.error.empty() && !r.ok()) || http::retryable_status(r.status);
    }

    void push_manifests() {
        // Children (by digest) before the index that lists them, referrers after what they
        // refer to (a registry may check the subject).
        std::vector<ManifestPush> children;
        std::vector<ManifestPush> tops;
        std::vector<ManifestPush> referrers;
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            Work& w = m_work[i];
            if (!w.active) {
                continue;
            }
            if (!w.image_present) {
                for (const auto& c : w.children) {
                    children.push_back({i, &c, c.digest, "push a child manifest"});
                }
                tops.push_back({i, &w.top, w.push_reference, "push the manifest"});
            }
            for (std::size_t r = 0; r < w.referrers.size(); ++r) {
                const Referrer& ref = w.referrers[r];
                if (!w.referrer_there[r]) {
                    referrers.push_back(
                        {i, &ref.manifest, ref.tag.empty() ? ref.manifest.digest : ref.tag, "push a referrer"});
                }
            }
        }
        put_manifests(children);
        put_manifests(tops);
        const auto answers = put_manifests(referrers);
        update_fallback_indexes(referrers, answers);
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            Work& w = m_work[i];
            count_blobs(i);
            if (w.active) {
                w.active = false;
                w.out.status = Status::copied;
                record_referrers(w, ReferrerOutcome::State::copied);
                done(i);
            }
        }
    }

    /// PUTs each manifest; returns the answers (failures have failed their image).
    std::vector<http::Response> put_manifests(const std::vector<ManifestPush>& list) {
        std::vector<RegistryCall> calls;
        for (const auto& push : list) {
            const std::size_t i = push.item;
            RegistryCall call;
            call.host = dst(i).domain;
            call.method = "PUT";
            call.path = "/v2/" + dst(i).path + "/manifests/" + push.reference;
            call.headers.push_back("Content-Type: " + push.manifest->media_type);
            call.body = push.manifest->bytes;
            call.scopes.add(repository_scope(dst(i).path, "pull,push"));
            calls.push_back(std::move(call));
        }
        auto responses = m_client.send(std::move(calls));
        for (std::size_t k = 0; k < list.size(); ++k) {
            const ManifestPush& push = list[k];
            const std::size_t i = push.item;
            const auto& resp = responses[k];
            if (resp.status != 201) {
                fail(i, response_error(resp, dst(i).name()), push.step);
                continue;
            }
            const std::string* digest = resp.header("docker-content-digest");
            if (digest != nullptr && *digest != push.manifest->digest) {
                fail(i,
                     network_error("the destination stored digest " + *digest + ", not " + push.manifest->digest),
                     push.step);
                continue;
            }
            ++m_work[i].out.manifests;
        }
        return responses;
    }

    /// A destination without the referrers API (its PUT answer has no OCI-Subject) keeps the
    /// referrers of a digest in the index under the fallback tag `sha256-<hex>`: read it,
    /// add what was pushed, write it back.
    void update_fallback_indexes(const std::vector<ManifestPush>& pushed, const std::vector<http::Response>& answers) {
        std::map<std::pair<std::size_t, std::string>, std::vector<std::string>> add; // (item, subject) -> descriptors
        for (std::size_t k = 0; k < pushed.size(); ++k) {
            const ManifestPush& push = pushed[k];
            const auto& subject = push.manifest->parsed.subject;
            if (answers[k].status == 201 && subject && answers[k].header("oci-subject") == nullptr
                && m_work[push.item].active) {
                add[{push.item, subject->digest}].push_back(referrer_descriptor(*push.manifest));
            }
        }
        if (add.empty()) {
            return;
        }
        for (auto& [key, descriptors] : add) {
            std::sort(descriptors.begin(), descriptors.end()); // the same index whatever order they came in
        }
        std::vector<ImageLocator> tags;
        for (const auto& [key, descriptors] : add) {
            tags.push_back(ImageLocator{dst(key.first).domain, dst(key.first).path, referrers_tag(key.second)});
        }
        auto existing = m_client.get_manifests(tags);
        std::vector<RegistryCall> calls;
        std::vector<std::size_t> items;
        std::size_t k = 0;
        for (const auto& [key, descriptors] : add) {
            const std::size_t i = key.first;
            auto& now = existing[k];
            const std::string& tag = tags[k++].reference;
            if (!now && now.error().kind != ErrorKind::not_found) {
                fail(i, now.error(), "read the referrers index " + tag);
                continue;
            }
            auto merged =
                merge_referrers_index(now ? std::optional<std::string>(now->bytes) : std::nullopt, descriptors);
            if (!merged) {
                continue;
            }
            RegistryCall call;
            call.host = dst(i).domain;
            call.method = "PUT";
            call.path = "/v2/" + dst(i).path + "/manifests/" + tag;
            call.headers.push_back("Content-Type: " + std::string(oci::k_oci_index));
            call.body = std::move(*merged);
            call.scopes.add(repository_scope(dst(i).path, "pull,push"));
            calls.push_back(std::move(call));
            items.push_back(i);
            m_work[i].out.referrer_notes.push_back("the destination has no referrers API: listed in " + tag);
        }
        auto responses = m_client.send(std::move(calls));
        for (std::size_t n = 0; n < items.size(); ++n) {
            if (responses[n].status != 201) {
                fail(items[n], response_error(responses[n], dst(items[n]).name()), "write the referrers index");
            }
        }
    }

    void count_blobs(std::size_t i) {
        Work& w = m_work[i];
        for (const auto& need : m_needs) {
            if (std::find(need.items.begin(), need.items.end(), i) == need.items.end()) {
                continue;
            }
            const bool first = need.items.front() == i;
            switch (need.state) {
            case BlobNeed::State::present:
                ++w.out.blobs_present;
                break;
            case BlobNeed::State::mounted:
                ++w.out.blobs_mounted;
                break;
            case BlobNeed::State::copied:
                if (first) {
                    ++w.out.blobs_copied;
                    w.out.bytes_copied += need.blob.size;
                } else {
                    ++w.out.blobs_present;
                }
                break;
            case BlobNeed::State::unknown:
            case BlobNeed::State::failed:
                break;
            }
        }
    }

    void remember_locations() {
        if (m_options.locations == nullptr) {
            return;
        }
        constexpr std::size_t k_repos_per_blob = 8;
        for (const auto& need : m_needs) {
            if (need.state != BlobNeed::State::present && need.state != BlobNeed::State::mounted
                && need.state != BlobNeed::State::copied) {
                continue;
            }
            auto& repos = (*m_options.locations)[ascii_lower(need.dst_host)][need.blob.digest];
            repos.erase(std::remove(repos.begin(), repos.end(), need.dst_repo), repos.end());
            repos.insert(repos.begin(), need.dst_repo); // most recent first
            if (repos.size() > k_repos_per_blob) {
                repos.resize(k_repos_per_blob);
            }
        }
    }

    std::vector<MirrorOutcome> finish_plan() {
        std::vector<MirrorOutcome> out;
        for (std::size_t i = 0; i < m_work.size(); ++i) {
            Work& w = m_work[i];
            if (w.active) {
                w.out.status = Status::planned;
                std::set<std::string> counted;
                for (const auto& need : m_needs) {
                    if (std::find(need.items.begin(), need.items.end(), i) == need.items.end()) {
                        continue;
                    }
                    if (need.state == BlobNeed::State::present) {
                        ++w.out.blobs_present;
                    } else if (mount_source(need, false)) {
                        ++w.out.blobs_mounted;
                    } else {
                        ++w.out.blobs_copied;
                        w.out.bytes_planned += need.blob.size;
                    }
                }
                w.out.manifests = w.image_present ? 0 : w.children.size() + 1;
                w.out.manifests +=
                    static_cast<std::size_t>(std::count(w.referrer_there.begin(), w.referrer_there.end(), false));
                record_referrers(w, ReferrerOutcome::State::planned);
            }
            out.push_back(std::move(w.out));
        }
        return out;
    }
};

} // namespace

BlobLocations parse_blob_locations(std::string_view json) {
    BlobLocations out;
    const auto doc = nlohmann::json::parse(json, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
        return out;
    }
    for (const auto& [host, digests] : doc.items()) {
        if (!digests.is_object()) {
            continue;
        }
        for (const auto& [digest, repos] : digests.items()) {
            if (!repos.is_array()) {
                continue;
            }
            for (const auto& repo : repos) {
                if (repo.is_string()) {
                    out[host][digest].push_back(repo.get<std::string>());
                }
            }
        }
    }
    return out;
}

std::string render_blob_locations(const BlobLocations& locations) {
    nlohmann::json doc = nlohmann::json::object();
    for (const auto& [host, digests] : locations) {
        for (const auto& [digest, repos] : digests) {
            doc[host][digest] = repos;
        }
    }
    return doc.dump() + "\n";
}

std::vector<MirrorOutcome>
mirror_images(RegistryClient& client, const std::vector<MirrorItem>& items, const MirrorOptions& options) {
    RegistrySource source(client);
    return mirror_images(client, source, items, options);
}

std::vector<MirrorOutcome> mirror_images(RegistryClient& destination,
                                         ImageSource& source,
                                         const std::vector<MirrorItem>& items,
                                         const MirrorOptions& options) {
    Mirror mirror(destination, source, items, options);
    return mirror.run();
}

} // namespace image_secure
