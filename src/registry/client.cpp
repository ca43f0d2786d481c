#include "auth.hpp"
#include "endpoints.hpp"
#include "retry_policy.hpp"
#include "scrubber.hpp"

#include <image_secure/base/encoding.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/http/curl_transport.hpp>
#include <image_secure/http/url.hpp>
#include <image_secure/registry/rate_limit.hpp>
#include <image_secure/registry/registry.hpp>
#include <image_secure/rewrite/mapping.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

namespace image_secure {

Scope repository_scope(const std::string& repository, const std::string& actions) {
    Scope s;
    s.type = "repository";
    s.name = repository;
    std::string_view rest = actions;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        s.actions.emplace(rest.substr(0, comma));
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 1);
    }
    return s;
}

std::string api_host(const std::string& host) {
    return is_docker_hub_host(host) ? std::string(k_docker_hub_api) : host;
}

ImageLocator ImageLocator::from(const Reference& ref) {
    ImageLocator l;
    l.host = ref.domain;
    l.repository = ref.path;
    l.reference = !ref.digest.empty() ? ref.digest : (ref.tag.empty() ? std::string("latest") : ref.tag);
    return l;
}

std::string ImageLocator::str() const {
    const bool digest = reference.find(':') != std::string::npos;
    return host + "/" + repository + (digest ? "@" : ":") + reference;
}

namespace {

/// Server text we show is cut to this many bytes.
constexpr std::size_t k_server_text_cap = 160;

/// An error code as the distribution spec spells them (UPPER_SNAKE), else "ERROR".
std::string error_code(const std::string& code) {
    const bool valid = !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
    return valid ? code : std::string("ERROR");
}

} // namespace

std::string registry_error_text(const std::string& body) {
    const auto doc = nlohmann::json::parse(body, nullptr, false);
    std::string out;
    if (!doc.is_discarded() && doc.is_object()) {
        if (const auto errors = doc.find("errors"); errors != doc.end() && errors->is_array()) {
            for (const auto& e : *errors) {
                if (!e.is_object()) {
                    continue;
                }
                if (out.size() > 512) {
                    break;
                }
                out += out.empty() ? "" : "; ";
                out += error_code(e.value("code", std::string()));
                if (const auto m = e.find("message");
                    m != e.end() && m->is_string() && !m->get<std::string>().empty()) {
                    out += ": " + printable(m->get<std::string>(), k_server_text_cap);
                }
            }
        } else if (const auto details = doc.find("details"); details != doc.end() && details->is_string()) {
            out = printable(details->get<std::string>(), k_server_text_cap);
        }
    }
    return out;
}

Error response_error(const http::Response& response, const std::string& what) {
    if (!response.error.empty()) {
        return network_error(what + ": " + response.error);
    }
    std::string detail = registry_error_text(response.body);
    if (detail.empty() && !response.body.empty() && response.body.size() < 200
        && response.body.find('\n') == std::string::npos && response.body.front() != '<') {
        detail = printable(response.body, k_server_text_cap);
    }
    const std::string suffix = detail.empty() ? std::string() : " (" + detail + ")";
    if (response.status == 404) {
        return Error{ErrorKind::not_found, what + ": not found" + suffix, {}};
    }
    if (response.status == 401) {
        return Error{ErrorKind::denied, what + ": unauthorized" + suffix, {}};
    }
    if (response.status == 403) {
        return Error{ErrorKind::denied, what + ": access denied" + suffix, {}};
    }
    return network_error(what + ": the registry answered HTTP " + std::to_string(response.status) + suffix);
}

namespace {

http::TransportOptions transport_options(const RegistryOptions& options,
                                         std::function<bool(const std::string&)> plain_allowed) {
    http::TransportOptions t;
    t.plain_allowed = std::move(plain_allowed);
    t.stall_seconds = options.stall_seconds;
    t.max_retry_after = options.max_retry_after;
    t.concurrency = options.concurrency;
    t.user_agent = "kubectl-image_secure";
    t.log = options.log;
    return t;
}

} // namespace

struct RegistryClient::Impl {
    RegistryOptions options;
    registry_detail::Endpoints endpoints{options};
    registry_detail::SecretScrubber scrubber;
    registry_detail::RetryPolicy retry{options};
    std::unique_ptr<http::Transport> transport;
    registry_detail::Authenticator auth;
    std::map<std::string, RateLimit> limits;    ///< lower-case host -> what it last announced
    std::map<std::string, std::int64_t> budget; ///< lower-case host -> manifest GETs still allowed

    static RegistryOptions with_defaults(RegistryOptions o) {
        if (!o.clock) {
            o.clock = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
        }
        if (!o.sleep) {
            o.sleep = [](double seconds) { std::this_thread::sleep_for(std::chrono::duration<double>(seconds)); };
        }
        return o;
    }

    explicit Impl(RegistryOptions opts)
        : options(with_defaults(std::move(opts))),
          transport((options.transport ? options.transport
                                       : http::TransportFactory(http::make_curl_transport))(transport_options(
              options, [this](const std::string& url) { return endpoints.plain(registry_detail::host_of_url(url)); }))),
          auth(options, endpoints, *transport, scrubber, retry) {}

    /// A call that will not be sent must not leave its partner waiting on a pipe.
    static void release_pipes(const RegistryCall& call) {
        if (call.download) {
            call.download->fail("the download was not sent");
        }
        if (call.upload) {
            call.upload->close_reader();
        }
    }

    struct Pending {
        std::size_t index = 0;
        RegistryCall call;
        int attempts = 0;
        bool auth_retried = false;
    };

    /// Keeps a call that would spend a rate limit the registry says is used up: with a short
    /// window (up to a minute) it waits for the window, else it is not sent and
    /// fails with what the registry announced, so a run stops before the registry refuses.
    bool within_budget(Pending& p,
                       std::vector<http::Response>& out,
                       std::vector<Pending>& held,
                       std::set<std::string>& waiting,
                       double& hold) {
        const std::string host = ascii_lower(p.call.host);
        const auto it = limits.find(host);
        const auto left = budget.find(host);
        if (it == limits.end() || !it->second.known() || left == budget.end()) {
            return true;
        }
        if (left->second > 0) {
            --left->second; // spent on sending; the answers say what is really left
            return true;
        }
        const RateLimit& limit = it->second;
        constexpr std::int64_t k_longest_wait = 60; // seconds: per-minute limits are waited out
        if (limit.window > 0 && limit.window <= k_longest_wait) {
            hold = std::max(hold, static_cast<double>(limit.window));
            if (options.log) {
                options.log("rate limit of " + p.call.host + ": " + limit.str() + "; waiting for the next window");
            }
            waiting.insert(host);
            held.push_back(std::move(p));
            return false;
        }
        out[p.index].error = p.call.host + "'s rate limit is used up (" + limit.str()
                             + "): not sent, so the registry does not start refusing; run again after the window, "
                               "log in for a higher limit, or split the run (--shard)";
        release_pipes(p.call);
        return false;
    }

    /// The answers of one batch come back in any order: the lowest remaining count of a host
    /// is its budget now.
    static void
    collect_rate_limit(std::map<std::string, RateLimit>& batch, const std::string& host, const http::Response& resp) {
        const auto limit = rate_limit_of(resp);
        if (!limit) {
            return;
        }
        auto [it, fresh] = batch.emplace(ascii_lower(host), *limit);
        if (!fresh && limit->remaining < it->second.remaining) {
            it->second = *limit;
        }
    }

    void note_rate_limits(const std::map<std::string, RateLimit>& batch) {
        for (const auto& [host, limit] : batch) {
            RateLimit& known = limits[host];
            const bool changed = known.remaining != limit.remaining || known.limit != limit.limit;
            known = limit;
            budget[host] = limit.remaining;
            if (changed && options.log) {
                options.log("rate limit of " + host + ": " + known.str());
            }
        }
    }

    /// The HTTP request for a call (URL, TLS, body); Authorization is the authenticator's.
    http::Request request_for(const RegistryCall& call) const {
        http::Request r;
        r.method = call.method;
        const std::string base = endpoints.base_url(call.host);
        r.url = call.path.rfind("http", 0) == 0 ? call.path : http::resolve_url(base + "/", call.path);
        r.headers = call.headers;
        r.body = call.body;
        r.upload = call.upload;
        r.upload_size = call.upload_size;
        r.download = call.download;
        r.max_body = call.max_body;
        r.resume_attempts = call.resume_attempts;
        r.tls = endpoints.tls_for(api_host(call.host));
        return r;
    }

    std::vector<http::Response> send(std::vector<RegistryCall> calls) {
        std::vector<http::Response> out(calls.size());
        std::vector<Pending> pending;
        for (std::size_t i = 0; i < calls.size(); ++i) {
            pending.push_back(Pending{i, std::move(calls[i]), 0, false});
        }
        while (!pending.empty()) {
            std::vector<std::string> hosts_wanted;
            for (const auto& p : pending) {
                hosts_wanted.push_back(p.call.host);
            }
            auth.probe(hosts_wanted);
            // Calls to hosts that cannot be reached, or whose credentials cannot be had, end here.
            std::vector<Pending> ready;
            std::vector<std::pair<std::string, ScopeSet>> scopes;
            for (auto& p : pending) {
                if (std::string why = auth.blocker(p.call.host); !why.empty()) {
                    out[p.index].error = std::move(why);
                    release_pipes(p.call);
                    continue;
                }
                scopes.emplace_back(p.call.host, p.call.scopes);
                ready.push_back(std::move(p));
            }
            auth.prepare(scopes);
            std::vector<http::Request> requests;
            std::vector<Pending> sent;
            std::vector<Pending> held; // a short rate-limit window: sent once it has passed
            std::set<std::string> waiting;
            double hold = 0;
            for (auto& p : ready) {
                if (spends_rate_limit(p.call.method, p.call.path) && !within_budget(p, out, held, waiting, hold)) {
                    continue;
                }
                http::Request r = request_for(p.call);
                auto authorization = auth.authorization(p.call.host, r.url, p.call.scopes);
                if (!authorization) {
                    out[p.index].status = 401;
                    out[p.index].body = R"({"errors":[{"code":"UNAUTHORIZED","message":)"
                                        + nlohmann::json(authorization.error().what).dump() + "}]}";
                    release_pipes(p.call);
                    continue;
                }
                r.authorization = std::move(*authorization);
                requests.push_back(std::move(r));
                sent.push_back(std::move(p));
            }
            auto responses = transport->perform(std::move(requests));
            std::vector<Pending> again;
            double wait = 0;
            std::map<std::string, RateLimit> announced;
            for (std::size_t k = 0; k < sent.size(); ++k) {
                Pending& p = sent[k];
                http::Response& resp = responses[k];
                if (p.call.retry && registry_detail::RetryPolicy::transient(resp) && retry.again(resp, ++p.attempts)) {
                    wait = std::max(wait, retry.delay(resp, p.attempts));
                    again.push_back(std::move(p));
                    continue;
                }
                if (p.call.retry && !p.auth_retried && auth.rescope(p.call.host, resp, p.call.scopes)) {
                    p.auth_retried = true;
                    again.push_back(std::move(p));
                    continue;
                }
                scrubber.scrub(resp);
                collect_rate_limit(announced, p.call.host, resp);
                out[p.index] = std::move(resp);
            }
            note_rate_limits(announced);
            for (auto& p : held) {
                again.push_back(std::move(p));
            }
            wait = std::max(wait, hold);
            if (!again.empty() && wait > 0) {
                retry.sleep(wait);
            }
            for (const auto& host : waiting) { // the window has passed: a new budget (unknown: send)
                if (limits[host].limit > 0) {
                    budget[host] = limits[host].limit;
                } else {
                    budget.erase(host);
                }
            }
            pending = std::move(again);
        }
        return out;
    }
};

RegistryClient::RegistryClient(RegistryOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}

RegistryClient::~RegistryClient() = default;

std::map<std::string, RateLimit> RegistryClient::rate_limits() const { return m_impl->limits; }

std::vector<http::Response> RegistryClient::send(std::vector<RegistryCall> calls) {
    return m_impl->send(std::move(calls));
}

http::Response RegistryClient::send_one(RegistryCall call) {
    std::vector<RegistryCall> one;
    one.push_back(std::move(call));
    return std::move(m_impl->send(std::move(one)).front());
}

Result<AccessCheck> RegistryClient::check(const std::string& host) { return m_impl->auth.check(host); }

Result<PullCheck> RegistryClient::check_pull(const std::string& host, const std::string& repository) {
    RegistryCall call;
    call.host = host;
    call.path = "/v2/" + repository + "/tags/list?n=1";
    call.scopes.add(repository_scope(repository, "pull"));
    const auto resp = send_one(std::move(call));
    if (!resp.error.empty()) {
        return network_error("cannot reach " + host + ": " + resp.error);
    }
    PullCheck check;
    check.status = resp.status;
    check.verdict = resp.status == 200                         ? PullCheck::Verdict::may_pull
                    : resp.status == 404                       ? PullCheck::Verdict::missing
                    : resp.status == 401 || resp.status == 403 ? PullCheck::Verdict::no_access
                                                               : PullCheck::Verdict::other;
    if (check.verdict != PullCheck::Verdict::may_pull) {
        check.detail = registry_error_text(resp.body);
    }
    return check;
}

std::string RegistryClient::base_url(const std::string& host) const { return m_impl->endpoints.base_url(host); }

void RegistryClient::set_tick(std::function<void()> tick) { m_impl->transport->set_tick(std::move(tick)); }

std::size_t RegistryClient::token_requests() const { return m_impl->auth.token_requests(); }

namespace {

RegistryCall manifest_call(const ImageLocator& image, const char* method) {
    RegistryCall call;
    call.host = image.host;
    call.method = method;
    call.path = "/v2/" + image.repository + "/manifests/" + image.reference;
    call.headers.push_back("Accept: " + std::string(oci::k_accept_all));
    call.scopes.add(repository_scope(image.repository, "pull"));
    return call;
}

std::string content_type_of(const http::Response& resp) {
    const std::string* ct = resp.header("content-type");
    if (ct == nullptr) {
        return {};
    }
    return ct->substr(0, ct->find(';'));
}

} // namespace

std::vector<Result<ManifestHead>> RegistryClient::head_manifests(const std::vector<ImageLocator>& images) {
    std::vector<RegistryCall> calls;
    for (const auto& image : images) {
        calls.push_back(manifest_call(image, "HEAD"));
    }
    auto responses = send(std::move(calls));
    std::vector<Result<ManifestHead>> out;
    std::vector<std::size_t> need_get;
    for (std::size_t i = 0; i < images.size(); ++i) {
        const auto& resp = responses[i];
        if (!resp.ok()) {
            out.emplace_back(response_error(resp, images[i].str()));
            continue;
        }
        ManifestHead head;
        head.media_type = content_type_of(resp);
        if (const std::string* d = resp.header("docker-content-digest")) {
            head.digest = *d;
        }
        if (const std::string* len = resp.header("content-length")) {
            head.size = std::strtoll(len->c_str(), nullptr, 10);
        }
        if (head.digest.empty() || !validate_digest(head.digest)) {
            need_get.push_back(i); // no digest on HEAD: GET and hash
        }
        out.emplace_back(std::move(head));
    }
    if (!need_get.empty()) {
        std::vector<ImageLocator> again;
        for (const auto i : need_get) {
            again.push_back(images[i]);
        }
        auto fetched = get_manifests(again);
        for (std::size_t k = 0; k < need_get.size(); ++k) {
            if (!fetched[k]) {
                out[need_get[k]] = fetched[k].error();
                continue;
            }
            out[need_get[k]] = ManifestHead{
                fetched[k]->digest, fetched[k]->media_type, static_cast<std::int64_t>(fetched[k]->bytes.size())};
        }
    }
    return out;
}

std::vector<Result<FetchedManifest>> RegistryClient::get_manifests(const std::vector<ImageLocator>& images) {
    std::vector<RegistryCall> calls;
    for (const auto& image : images) {
        calls.push_back(manifest_call(image, "GET"));
    }
    auto responses = send(std::move(calls));
    std::vector<Result<FetchedManifest>> out;
    for (std::size_t i = 0; i < images.size(); ++i) {
        auto& resp = responses[i];
        if (!resp.ok()) {
            out.emplace_back(response_error(resp, images[i].str()));
            continue;
        }
        FetchedManifest m;
        m.bytes = std::move(resp.body);
        m.media_type = content_type_of(resp);
        const std::string actual = oci::sha256_digest(m.bytes);
        const bool by_digest = images[i].reference.find(':') != std::string::npos;
        const std::string* announced = resp.header("docker-content-digest");
        const std::string expected = by_digest ? images[i].reference : announced ? *announced : std::string();
        if (!expected.empty() && expected.rfind("sha256:", 0) == 0 && expected != actual) {
            out.emplace_back(network_error(images[i].str() + ": the manifest does not match its digest " + expected
                                           + " (got " + actual + ")"));
            continue;
        }
        m.digest = expected.rfind("sha256:", 0) == 0 || expected.empty() ? actual : expected;
        auto parsed = oci::parse_manifest(m.bytes, m.media_type);
        if (!parsed) {
            out.emplace_back(network_error(images[i].str() + ": " + parsed.error().what));
            continue;
        }
        if (m.media_type.empty()) {
            m.media_type = parsed->media_type;
        }
        m.parsed = std::move(*parsed);
        out.emplace_back(std::move(m));
    }
    return out;
}

std::vector<Result<std::string>> RegistryClient::get_blobs(const std::vector<ImageLocator>& blobs) {
    std::vector<RegistryCall> calls;
    for (const auto& blob : blobs) {
        RegistryCall call;
        call.host = blob.host;
        call.path = "/v2/" + blob.repository + "/blobs/" + blob.reference;
        call.scopes.add(repository_scope(blob.repository, "pull"));
        calls.push_back(std::move(call));
    }
    auto responses = send(std::move(calls));
    std::vector<Result<std::string>> out;
    for (std::size_t i = 0; i < blobs.size(); ++i) {
        auto& resp = responses[i];
        if (!resp.ok()) {
            out.emplace_back(response_error(resp, "blob " + blobs[i].repository + "@" + blobs[i].reference));
            continue;
        }
        if (blobs[i].reference.rfind("sha256:", 0) == 0 && oci::sha256_digest(resp.body) != blobs[i].reference) {
            out.emplace_back(network_error("blob " + blobs[i].reference + " does not match its digest"));
            continue;
        }
        out.emplace_back(std::move(resp.body));
    }
    return out;
}

} // namespace image_secure
