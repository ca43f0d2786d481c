#include <image_secure/base/text.hpp>
#include <image_secure/registry/referrers.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <set>

namespace image_secure {

namespace {

using nlohmann::json;

constexpr int k_max_depth = 4;   ///< referrers of referrers of ... (a signature on an SBOM)
constexpr int k_max_pages = 100; ///< of one listing (tags or referrers)
constexpr const char* k_cosign_suffixes[] = {".sig", ".att", ".sbom"};

/// The next page of a listing (Link: <...>; rel="next"), same registry only.
std::string next_page(const http::Response& resp) {
    const std::string* link = resp.header("link");
    if (link == nullptr || link->find("rel=\"next\"") == std::string::npos) {
        return {};
    }
    const auto open = link->find('<');
    const auto close = link->find('>', open == std::string::npos ? 0 : open);
    if (open == std::string::npos || close == std::string::npos) {
        return {};
    }
    std::string target = link->substr(open + 1, close - open - 1);
    return target.rfind("/v2/", 0) == 0 ? target : std::string();
}

/// Every tag of each repository (nullopt when the registry does not list them: then each
/// candidate tag is asked for directly).
std::vector<std::optional<std::set<std::string>>> list_tags(RegistryClient& client,
                                                            const std::vector<ReferrerQuery>& queries) {
    std::vector<std::optional<std::set<std::string>>> tags(queries.size(), std::set<std::string>{});
    // One listing per repository, however many images of it the run copies.
    std::map<std::pair<std::string, std::string>, std::size_t> first;
    std::vector<std::pair<std::size_t, std::string>> pending;
    for (std::size_t q = 0; q < queries.size(); ++q) {
        if (first.emplace(std::make_pair(ascii_lower(queries[q].host), queries[q].repository), q).second) {
            pending.emplace_back(q, "/v2/" + queries[q].repository + "/tags/list?n=1000");
        }
    }
    for (int page = 0; !pending.empty(); ++page) {
        std::vector<RegistryCall> calls;
        for (const auto& [q, path] : pending) {
            RegistryCall call;
            call.host = queries[q].host;
            call.path = path;
            call.scopes.add(repository_scope(queries[q].repository, "pull"));
            calls.push_back(std::move(call));
        }
        auto responses = client.send(std::move(calls));
        std::vector<std::pair<std::size_t, std::string>> next;
        for (std::size_t k = 0; k < pending.size(); ++k) {
            const std::size_t q = pending[k].first;
            const json doc = responses[k].ok() ? json::parse(responses[k].body, nullptr, false) : json();
            const auto list = doc.is_object() ? doc.find("tags") : doc.end();
            if (!responses[k].ok() || !doc.is_object()
                || (list != doc.end() && !list->is_array() && !list->is_null())) {
                tags[q].reset();
                continue;
            }
            if (list != doc.end() && list->is_array()) {
                for (const auto& t : *list) {
                    if (t.is_string()) {
                        tags[q]->insert(t.get<std::string>());
                    }
                }
            }
            if (std::string more = next_page(responses[k]); !more.empty()) {
                if (page + 1 >= k_max_pages) {
                    tags[q].reset(); // too many to list: ask for each tag instead
                } else {
                    next.emplace_back(q, std::move(more));
                }
            }
        }
        pending = std::move(next);
    }
    for (std::size_t q = 0; q < queries.size(); ++q) {
        const std::size_t listed = first.at(std::make_pair(ascii_lower(queries[q].host), queries[q].repository));
        if (listed != q) {
            tags[q] = tags[listed];
        }
    }
    return tags;
}

bool copyable(const oci::Descriptor& d) { return d.media_type.empty() || oci::is_manifest_type(d.media_type); }

struct QueryState {
    ReferrerFindings found;
    std::set<std::string> visited;                      ///< digests whose referrers were asked for
    std::set<std::pair<std::string, std::string>> have; ///< (digest, tag) found so far
    std::vector<std::string> frontier;                  ///< to ask about at this depth
    std::vector<std::string> no_api;                    ///< ... through the fallback tag
    std::optional<std::set<std::string>> tags;          ///< the repository's tags, when listed
    std::optional<Error> error;
};

/// A descriptor a referrers listing gave: which query, which subject, how it was listed.
struct Listed {
    std::size_t query;
    std::string subject;
    oci::Descriptor descriptor;
    Referrer::Via via;
};

class Finder {
  public:
    Finder(RegistryClient& client, const std::vector<ReferrerQuery>& queries, ReferrersSupport& support)
        : m_client(client), m_queries(queries), m_support(support), m_states(queries.size()) {}

    std::vector<Result<ReferrerFindings>> run() {
        const auto tags = list_tags(m_client, m_queries);
        for (std::size_t q = 0; q < m_queries.size(); ++q) {
            m_states[q].tags = tags[q];
            for (const auto& d : m_queries[q].subjects) {
                if (m_states[q].visited.insert(d).second) {
                    m_states[q].frontier.push_back(d);
                }
            }
        }
        for (int depth = 0; depth < k_max_depth; ++depth) {
            std::vector<Listed> listed;
            ask_api(listed);
            ask_fallback_tags(listed);
            std::vector<std::vector<std::string>> next(m_states.size());
            fetch_listed(listed, next);
            fetch_cosign_tags(next);
            bool more = false;
            for (std::size_t q = 0; q < m_states.size(); ++q) {
                m_states[q].frontier = m_states[q].error ? std::vector<std::string>{} : std::move(next[q]);
                m_states[q].no_api.clear();
                more = more || !m_states[q].frontier.empty();
            }
            if (!more) {
                break;
            }
        }
        std::vector<Result<ReferrerFindings>> out;
        for (auto& s : m_states) {
            if (s.error) {
                out.emplace_back(*s.error);
            } else {
                out.emplace_back(std::move(s.found));
            }
        }
        return out;
    }

  private:
    RegistryClient& m_client;
    const std::vector<ReferrerQuery>& m_queries;
    ReferrersSupport& m_support;
    std::vector<QueryState> m_states;

    [[nodiscard]] std::string host_key(std::size_t q) const { return ascii_lower(m_queries[q].host); }

    [[nodiscard]] std::optional<bool> api(std::size_t q) const {
        const auto it = m_support.find(host_key(q));
        return it == m_support.end() ? std::nullopt : std::optional<bool>(it->second);
    }

    /// GET of the referrers API (`path`: the first page, or the next one) for query `q`.
    [[nodiscard]] RegistryCall referrers_call(std::size_t q, std::string path) const {
        RegistryCall call;
        call.host = m_queries[q].host;
        call.path = std::move(path);
        call.headers.push_back("Accept: " + std::string(oci::k_oci_index));
        call.scopes.add(repository_scope(m_queries[q].repository, "pull"));
        return call;
    }

    /// An answer that says nothing about the API: no connection, refused, limited, broken.
    static bool undecided(const http::Response& resp) {
        return !resp.error.empty() || resp.status == 401 || resp.status == 403 || resp.status == 429
               || resp.status >= 500;
    }

    /// The index an answer holds; an error for anything else (no API on that host).
    static Result<oci::Manifest> referrers_index(const http::Response& resp) {
        auto index = resp.ok() ? oci::parse_manifest(resp.body, oci::k_oci_index)
                               : Result<oci::Manifest>(input_error("no index"));
        if (index && index->kind != oci::Manifest::Kind::index) {
            return input_error("not an index");
        }
        return index;
    }

    void fail(std::size_t q, Error error) {
        if (!m_states[q].error) {
            m_states[q].error = std::move(error);
        }
    }

    /// Is `tag` possibly there? (Always, when the repository's tags could not be listed.)
    [[nodiscard]] bool may_have(std::size_t q, const std::string& tag) const {
        return !m_states[q].tags || m_states[q].tags->count(tag) > 0;
    }

    /// GET /v2/<name>/referrers/<digest> for each subject on a host that has (or may have)
    /// the API, following pages. A host that answers with anything but an index has none:
    /// its subjects go to the fallback tag.
    void ask_api(std::vector<Listed>& listed) {
        learn_api_support();

        struct Pending {
            std::size_t q;
            std::string subject;
            std::string path;
        };

        std::vector<Pending> pending;
        for (std::size_t q = 0; q < m_states.size(); ++q) {
            for (const auto& d : m_states[q].frontier) {
                if (api(q) == false) {
                    m_states[q].no_api.push_back(d);
                } else {
                    pending.push_back({q, d, "/v2/" + m_queries[q].repository + "/referrers/" + d});
                }
            }
        }
        for (int page = 0; !pending.empty() && page < k_max_pages; ++page) {
            std::vector<RegistryCall> calls;
            for (const auto& p : pending) {
                calls.push_back(referrers_call(p.q, p.path));
            }
            auto responses = m_client.send(std::move(calls));
            std::vector<Pending> next;
            for (std::size_t k = 0; k < pending.size(); ++k) {
                const auto& p = pending[k];
                const auto& resp = responses[k];
                if (undecided(resp)) {
                    fail(p.q, response_error(resp, "referrers of " + m_queries[p.q].repository + "@" + p.subject));
                    continue;
                }
                auto index = referrers_index(resp);
                if (!index) {
                    if (api(p.q) != true) { // a host that has the API answers 404 for an unknown subject
                        m_support[host_key(p.q)] = false;
                        m_states[p.q].no_api.push_back(p.subject);
                    }
                    continue;
                }
                m_support[host_key(p.q)] = true;
                for (auto& d : index->manifests) {
                    listed.push_back({p.q, p.subject, std::move(d), Referrer::Via::api});
                }
                if (std::string more = next_page(resp); !more.empty()) {
                    next.push_back({p.q, p.subject, std::move(more)});
                }
            }
            pending = std::move(next);
        }
    }

    /// One referrers call per host whose support is not known yet, so that a registry
    /// without the API is not asked once per manifest.
    void learn_api_support() {
        std::vector<std::size_t> which;
        std::vector<RegistryCall> calls;
        std::set<std::string> asked;
        for (std::size_t q = 0; q < m_states.size(); ++q) {
            if (m_states[q].frontier.empty() || api(q).has_value() || !asked.insert(host_key(q)).second) {
                continue;
            }
            which.push_back(q);
            calls.push_back(
                referrers_call(q, "/v2/" + m_queries[q].repository + "/referrers/" + m_states[q].frontier.front()));
        }
        auto responses = m_client.send(std::move(calls));
        for (std::size_t k = 0; k < which.size(); ++k) {
            if (!undecided(responses[k])) { // undecided: the batch asks again and reports the failure
                m_support[host_key(which[k])] = referrers_index(responses[k]).has_value();
            }
        }
    }

    /// The referrers tag schema: `sha256-<hex>` holds an index of the referrers.
    void ask_fallback_tags(std::vector<Listed>& listed) {
        std::vector<std::pair<std::size_t, std::string>> which;
        std::vector<ImageLocator> tags;
        for (std::size_t q = 0; q < m_states.size(); ++q) {
            for (const auto& d : m_states[q].no_api) {
                const std::string tag = referrers_tag(d);
                if (!m_states[q].error && may_have(q, tag)) {
                    which.emplace_back(q, d);
                    tags.push_back(ImageLocator{m_queries[q].host, m_queries[q].repository, tag});
                }
            }
        }
        auto got = m_client.get_manifests(tags);
        for (std::size_t k = 0; k < which.size(); ++k) {
            const auto& [q, subject] = which[k];
            if (!got[k]) {
                if (got[k].error().kind != ErrorKind::not_found) {
                    fail(q, got[k].error());
                }
                continue;
            }
            if (got[k]->parsed.kind != oci::Manifest::Kind::index) {
                continue; // a tag of that name that is not a referrers index: not ours to read
            }
            for (auto& d : got[k]->parsed.manifests) {
                listed.push_back({q, subject, std::move(d), Referrer::Via::tag_schema});
            }
        }
    }

    /// GET each listed referrer by digest.
    void fetch_listed(const std::vector<Listed>& listed, std::vector<std::vector<std::string>>& next) {
        std::vector<const Listed*> which;
        std::vector<ImageLocator> wanted;
        std::set<std::pair<std::size_t, std::string>> asked;
        for (const auto& l : listed) {
            QueryState& s = m_states[l.query];
            if (s.error || s.have.count({l.descriptor.digest, ""}) > 0
                || !asked.emplace(l.query, l.descriptor.digest).second) {
                continue;
            }
            if (!copyable(l.descriptor)) {
                s.found.skipped.push_back("referrer " + l.descriptor.digest + " of " + l.subject + " is a "
                                          + printable(l.descriptor.media_type, 120) + ": not copied");
                continue;
            }
            which.push_back(&l);
            wanted.push_back(ImageLocator{m_queries[l.query].host, m_queries[l.query].repository, l.descriptor.digest});
        }
        auto got = m_client.get_manifests(wanted);
        for (std::size_t k = 0; k < which.size(); ++k) {
            const Listed& l = *which[k];
            QueryState& s = m_states[l.query];
            if (!got[k]) {
                if (got[k].error().kind == ErrorKind::not_found) {
                    s.found.skipped.push_back("referrer " + l.descriptor.digest + " of " + l.subject
                                              + " is listed but not in the repository: not copied");
                } else {
                    fail(l.query, got[k].error());
                }
                continue;
            }
            s.have.emplace(got[k]->digest, "");
            if (s.visited.insert(got[k]->digest).second) {
                next[l.query].push_back(got[k]->digest);
            }
            s.found.referrers.push_back(Referrer{l.via, l.subject, {}, std::move(*got[k])});
        }
    }

    /// cosign keeps signatures, attestations and SBOMs under tags named after the digest.
    void fetch_cosign_tags(std::vector<std::vector<std::string>>& next) {
        std::vector<std::pair<std::size_t, std::string>> which; // query, subject
        std::vector<ImageLocator> wanted;
        for (std::size_t q = 0; q < m_states.size(); ++q) {
            if (m_states[q].error) {
                continue;
            }
            for (const auto& d : m_states[q].frontier) {
                for (const char* suffix : k_cosign_suffixes) {
                    const std::string tag = referrers_tag(d) + suffix;
                    if (may_have(q, tag)) {
                        which.emplace_back(q, d);
                        wanted.push_back(ImageLocator{m_queries[q].host, m_queries[q].repository, tag});
                    }
                }
            }
        }
        auto got = m_client.get_manifests(wanted);
        for (std::size_t k = 0; k < which.size(); ++k) {
            const auto& [q, subject] = which[k];
            QueryState& s = m_states[q];
            if (!got[k]) {
                if (got[k].error().kind != ErrorKind::not_found) {
                    fail(q, got[k].error());
                }
                continue;
            }
            if (got[k]->parsed.kind != oci::Manifest::Kind::image) {
                s.found.skipped.push_back("cosign tag " + wanted[k].reference + " holds an index: not copied");
                continue;
            }
            if (!s.have.emplace(got[k]->digest, wanted[k].reference).second) {
                continue;
            }
            if (s.visited.insert(got[k]->digest).second) {
                next[q].push_back(got[k]->digest);
            }
            s.found.referrers.push_back(
                Referrer{Referrer::Via::cosign_tag, subject, wanted[k].reference, std::move(*got[k])});
        }
    }
};

} // namespace

std::string Referrer::kind() const {
    if (via == Via::cosign_tag) {
        if (tag.size() > 4 && tag.compare(tag.size() - 4, 4, ".sig") == 0) {
            return "cosign signature";
        }
        if (tag.size() > 4 && tag.compare(tag.size() - 4, 4, ".att") == 0) {
            return "cosign attestation";
        }
        return "cosign SBOM";
    }
    if (!manifest.parsed.artifact_type.empty()) {
        return manifest.parsed.artifact_type;
    }
    return manifest.parsed.config.media_type.empty() ? std::string("referrer") : manifest.parsed.config.media_type;
}

std::vector<Result<ReferrerFindings>>
find_referrers(RegistryClient& client, const std::vector<ReferrerQuery>& queries, ReferrersSupport& support) {
    Finder finder(client, queries, support);
    return finder.run();
}

std::string referrer_descriptor(const FetchedManifest& manifest) {
    json d = json::object();
    d["mediaType"] = manifest.media_type;
    d["digest"] = manifest.digest;
    d["size"] = manifest.bytes.size();
    // OCI 1.1: artifactType, else the config's media type.
    std::string type = manifest.parsed.artifact_type;
    if (type.empty()) {
        type = manifest.parsed.config.media_type;
    }
    if (!type.empty()) {
        d["artifactType"] = type;
    }
    if (!manifest.parsed.annotations.empty()) {
        json a = json::object();
        for (const auto& [key, value] : manifest.parsed.annotations) {
            a[key] = value;
        }
        d["annotations"] = std::move(a);
    }
    return d.dump();
}

std::optional<std::string> merge_referrers_index(const std::optional<std::string>& existing,
                                                 const std::vector<std::string>& add) {
    json index = existing ? json::parse(*existing, nullptr, false) : json();
    if (!index.is_object() || !index.contains("manifests") || !index["manifests"].is_array()) {
        index = json{{"schemaVersion", 2}, {"mediaType", oci::k_oci_index}, {"manifests", json::array()}};
    }
    std::set<std::string> listed;
    for (const auto& d : index["manifests"]) {
        if (d.is_object() && d.contains("digest") && d["digest"].is_string()) {
            listed.insert(d["digest"].get<std::string>());
        }
    }
    bool changed = !existing.has_value();
    for (const auto& text : add) {
        json d = json::parse(text, nullptr, false);
        if (!d.is_object() || !d.contains("digest") || !d["digest"].is_string()) {
            continue;
        }
        if (listed.insert(d["digest"].get<std::string>()).second) {
            index["manifests"].push_back(std::move(d));
            changed = true;
        }
    }
    if (!changed) {
        return std::nullopt;
    }
    return index.dump();
}

std::string referrers_tag(std::string_view digest) {
    std::string tag(digest);
    const auto colon = tag.find(':');
    if (colon != std::string::npos) {
        tag[colon] = '-';
    }
    return tag;
}

} // namespace image_secure
