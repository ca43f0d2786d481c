#include <image_secure/registry.hpp>

#include <image_secure/mapping.hpp>
#include <image_secure/text.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>
#include <thread>

namespace image_secure {

namespace {

constexpr const char* k_client_id = "kubectl-image-secure";

using http::retryable_status;

std::string host_of_url(const std::string& url)
{
    auto rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
    return rest.substr(0, rest.find_first_of("/?#"));
}

struct Token {
    ScopeSet scopes;
    std::string value;
    std::int64_t expires_at = 0;
};

struct HostState {
    bool probed = false;
    std::string scheme; ///< "none", "basic", "bearer"
    std::string realm;
    std::string service;
    std::string probe_error;
    bool credential_loaded = false;
    std::optional<Credential> credential;
    std::string credential_error;
    std::string refresh_token; ///< learned from an OAuth2 answer
    std::vector<Token> tokens;
    std::string token_rejected; ///< the token server said no (message)
};

} // namespace

Scope repository_scope(const std::string& repository, const std::string& actions)
{
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

std::string api_host(const std::string& host)
{
    const std::string lower = ascii_lower(host);
    if (lower == "docker.io" || lower == "index.docker.io") {
        return "registry-1.docker.io";
    }
    return host;
}

ImageLocator ImageLocator::from(const Reference& ref)
{
    ImageLocator l;
    l.host = ref.domain;
    l.repository = ref.path;
    l.reference = !ref.digest.empty() ? ref.digest : (ref.tag.empty() ? std::string("latest") : ref.tag);
    return l;
}

std::string ImageLocator::str() const
{
    const bool digest = reference.find(':') != std::string::npos;
    return host + "/" + repository + (digest ? "@" : ":") + reference;
}

namespace {

/// Server text we show is cut to this many bytes.
constexpr std::size_t k_server_text_cap = 160;

/// An error code as the distribution spec spells them (UPPER_SNAKE), else "ERROR".
std::string error_code(const std::string& code)
{
    const bool valid = !code.empty() && code.size() <= 64 && std::all_of(code.begin(), code.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    });
    return valid ? code : std::string("ERROR");
}

} // namespace

std::string registry_error_text(const std::string& body)
{
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
                if (const auto m = e.find("message"); m != e.end() && m->is_string() && !m->get<std::string>().empty()) {
                    out += ": " + printable(m->get<std::string>(), k_server_text_cap);
                }
            }
        } else if (const auto details = doc.find("details"); details != doc.end() && details->is_string()) {
            out = printable(details->get<std::string>(), k_server_text_cap);
        }
    }
    return out;
}

Error response_error(const http::Response& response, const std::string& what)
{
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
                                         std::function<bool(const std::string&)> plain_allowed)
{
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
    http::Transport transport;
    std::map<std::string, HostState> hosts; ///< key: lower-cased API host (also realms' hosts)
    std::size_t token_count = 0;
    std::mt19937 random{std::random_device{}()};
    std::vector<std::string> secrets; ///< every credential and token of this run, longest first

    /// Server text can echo what we sent; whatever we know to be secret is cut out of it.
    void remember_secret(const std::string& secret)
    {
        for (std::string s : {secret, http::url_encode(secret)}) {
            if (!s.empty() && std::find(secrets.begin(), secrets.end(), s) == secrets.end()) {
                secrets.push_back(std::move(s));
            }
        }
        std::stable_sort(secrets.begin(), secrets.end(),
                         [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
    }

    void remember_credential(const Credential& c)
    {
        remember_secret(c.password);
        remember_secret(c.identity_token);
        remember_secret(c.registry_token);
        if (!c.username.empty() && !c.password.empty()) {
            remember_secret(c.username + ":" + c.password);
            remember_secret(base64_encode(c.username + ":" + c.password));
        }
    }

    void scrub(std::string& text) const
    {
        for (const auto& s : secrets) {
            for (auto at = text.find(s); at != std::string::npos; at = text.find(s, at)) {
                text.replace(at, s.size(), "[redacted]");
                at += 10;
            }
        }
    }

    /// What a failed response carries back to the caller (bodies, headers, errors) is scrubbed.
    void scrub(http::Response& r) const
    {
        if (!r.ok()) {
            scrub(r.body);
            for (auto& header : r.headers) {
                scrub(header.second);
            }
        }
        scrub(r.error);
    }

    explicit Impl(RegistryOptions opts)
        : options(std::move(opts)),
          transport(transport_options(options, [this](const std::string& url) { return plain(host_of_url(url)); }))
    {
        if (!options.clock) {
            options.clock = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
        }
        if (!options.sleep) {
            options.sleep = [](double seconds) {
                std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
            };
        }
    }

    [[nodiscard]] bool plain(const std::string& host) const
    {
        return std::any_of(options.plain_http.begin(), options.plain_http.end(),
                           [&host](const std::string& h) { return same_host(h, host); });
    }

    [[nodiscard]] std::string base_url(const std::string& host) const
    {
        return (plain(host) ? "http://" : "https://") + api_host(host);
    }

    [[nodiscard]] http::TlsOptions tls_for(const std::string& host) const
    {
        namespace fs = std::filesystem;
        http::TlsOptions tls;
        tls.verify = !options.insecure_skip_tls_verify
                     && std::none_of(options.insecure_hosts.begin(), options.insecure_hosts.end(),
                                     [&host](const std::string& h) { return same_host(h, host); });
        tls.ca_file = options.ca_file;
        for (const auto& dir : options.certs_dirs) {
            std::error_code ec;
            const fs::path base = fs::path(dir) / host;
            if (tls.ca_file.empty() && fs::exists(base / "ca.crt", ec)) {
                tls.ca_file = (base / "ca.crt").string();
            }
            if (fs::exists(base / "client.cert", ec) && fs::exists(base / "client.key", ec)) {
                tls.client_cert = (base / "client.cert").string();
                tls.client_key = (base / "client.key").string();
            }
        }
        return tls;
    }

    HostState& state(const std::string& host) { return hosts[ascii_lower(api_host(host))]; }

    void load_credential(const std::string& host, HostState& st)
    {
        if (st.credential_loaded) {
            return;
        }
        st.credential_loaded = true;
        if (!options.credentials) {
            return;
        }
        auto found = options.credentials(host);
        if (!found) {
            st.credential_error = found.error().message();
            return;
        }
        st.credential = std::move(*found);
        if (st.credential) {
            remember_credential(*st.credential);
        }
    }

    static std::string basic_header(const Credential& c)
    {
        return "Basic " + base64_encode(c.username + ":" + c.password);
    }

    /// GET /v2/ on every host not seen yet: learns the auth scheme.
    void probe(const std::vector<std::string>& wanted)
    {
        std::vector<std::string> todo;
        for (const auto& host : wanted) {
            if (!state(host).probed && std::find(todo.begin(), todo.end(), host) == todo.end()) {
                todo.push_back(host);
            }
        }
        if (todo.empty()) {
            return;
        }
        std::vector<std::size_t> attempts(todo.size(), 0);
        std::vector<std::size_t> open(todo.size());
        for (std::size_t i = 0; i < todo.size(); ++i) {
            open[i] = i;
        }
        while (!open.empty()) {
            std::vector<http::Request> requests;
            for (const auto i : open) {
                http::Request r;
                r.url = base_url(todo[i]) + "/v2/";
                r.tls = tls_for(api_host(todo[i]));
                requests.push_back(std::move(r));
            }
            auto responses = transport.perform(std::move(requests));
            std::vector<std::size_t> again;
            double wait = 0;
            for (std::size_t k = 0; k < open.size(); ++k) {
                const std::size_t i = open[k];
                const auto& resp = responses[k];
                HostState& st = state(todo[i]);
                if ((!resp.error.empty() || retryable_status(resp.status)) && !(resp.stalled && attempts[i] >= 1)
                    && static_cast<int>(++attempts[i]) < options.max_attempts) {
                    wait = std::max(wait, delay_for(resp, static_cast<int>(attempts[i])));
                    again.push_back(i);
                    continue;
                }
                st.probed = true;
                if (!resp.error.empty()) {
                    st.probe_error = resp.error + transport_hint(resp.error, todo[i]);
                    continue;
                }
                if (resp.status == 401) {
                    const std::string* header = resp.header("www-authenticate");
                    const auto challenges = parse_challenges(header ? *header : std::string());
                    const auto bearer = std::find_if(challenges.begin(), challenges.end(), [](const Challenge& c) {
                        return c.scheme == "bearer" && !c.param("realm").empty();
                    });
                    if (bearer != challenges.end()) {
                        st.scheme = "bearer";
                        st.realm = bearer->param("realm");
                        st.service = bearer->param("service");
                        st.probe_error = realm_problem(st.realm);
                    } else {
                        st.scheme = "basic";
                    }
                } else if (resp.status >= 200 && resp.status < 300) {
                    st.scheme = "none";
                } else {
                    st.probe_error = "GET /v2/ answered HTTP " + std::to_string(resp.status)
                                     + (resp.header("docker-distribution-api-version") ? ""
                                                                                      : " (is this a registry?)");
                }
            }
            if (!again.empty()) {
                options.sleep(wait);
            }
            open = std::move(again);
        }
    }

    /// Credentials go to a token realm only over HTTPS, or over plain HTTP to an origin the
    /// user declared plain (--plain-http HOST:PORT): never in cleartext by a server's say-so.
    [[nodiscard]] std::string realm_problem(const std::string& realm) const
    {
        const auto sep = realm.find("://");
        const std::string scheme = ascii_lower(realm.substr(0, sep == std::string::npos ? 0 : sep));
        if (scheme == "https") {
            return {};
        }
        if (scheme == "http" && plain(host_of_url(realm))) {
            return {};
        }
        if (scheme == "http") {
            return "its token server " + printable(http::redact_url(realm), 200)
                   + " is plain HTTP: refusing to send credentials in cleartext (if that is intended, declare "
                     "the origin with --plain-http "
                   + printable(host_of_url(realm), 100) + ")";
        }
        return "its token realm \"" + printable(realm, 200) + "\" is not an https:// URL";
    }

    /// What to do about a TLS failure, in the words of our flags.
    [[nodiscard]] std::string transport_hint(const std::string& error, const std::string& host) const
    {
        const std::string lower = ascii_lower(error);
        const std::string h = api_host(host);
        if (lower.find("wrong version number") != std::string::npos
            || lower.find("packet length too long") != std::string::npos) {
            return ": this registry speaks plain HTTP; pass --plain-http " + h;
        }
        if (lower.find("certificate") != std::string::npos
            && (lower.find("issuer") != std::string::npos || lower.find("self-signed") != std::string::npos
                || lower.find("self signed") != std::string::npos || lower.find("verify") != std::string::npos)) {
            std::string looked;
            for (const auto& dir : options.certs_dirs) {
                looked += (looked.empty() ? "" : ", ") + dir + "/" + h + "/ca.crt";
            }
            return ": the registry's certificate is not signed by a CA we trust; give it with --ca-file FILE or "
                   "--certs-dir DIR (DIR/"
                   + h + "/ca.crt)" + (looked.empty() ? std::string() : "; looked for " + looked);
        }
        return {};
    }

    double delay_for(const http::Response& resp, int attempt)
    {
        double base = 0.25 * std::pow(2.0, attempt - 1);
        if (const std::string* after = resp.header("retry-after")) {
            if (auto seconds = http::parse_retry_after(*after, options.clock())) {
                base = std::max(base, *seconds);
            }
        }
        base = std::min(base, options.max_retry_after);
        std::uniform_real_distribution<double> jitter(0.0, 0.1 * base);
        return base + jitter(random);
    }

    const Token* valid_token(HostState& st, const ScopeSet& scopes)
    {
        const auto now = options.clock();
        st.tokens.erase(std::remove_if(st.tokens.begin(), st.tokens.end(),
                                       [now](const Token& t) { return t.expires_at <= now; }),
                        st.tokens.end());
        for (const auto& t : st.tokens) {
            if (t.scopes.covers(scopes)) {
                return &t;
            }
        }
        return nullptr;
    }

    http::Request token_request(HostState& st, const ScopeSet& scopes, bool oauth)
    {
        http::Request r;
        r.tls = tls_for(host_of_url(st.realm));
        r.max_body = 1U << 20U;
        const Credential* c = st.credential ? &*st.credential : nullptr;
        std::string scope_text;
        for (const auto& s : scopes.scopes()) {
            scope_text += scope_text.empty() ? "" : " ";
            scope_text += s.str();
        }
        const std::string refresh = !st.refresh_token.empty() ? st.refresh_token
                                    : c != nullptr            ? c->identity_token
                                                              : std::string();
        if (oauth && !refresh.empty()) {
            r.method = "POST";
            r.url = st.realm;
            r.headers.emplace_back("Content-Type: application/x-www-form-urlencoded");
            r.body = "grant_type=refresh_token&refresh_token=" + http::url_encode(refresh)
                     + "&client_id=" + k_client_id + "&access_type=offline";
            if (!st.service.empty()) {
                r.body += "&service=" + http::url_encode(st.service);
            }
            if (!scope_text.empty()) {
                r.body += "&scope=" + http::url_encode(scope_text);
            }
            return r;
        }
        std::string url = st.realm + (st.realm.find('?') == std::string::npos ? "?" : "&");
        url += "service=" + http::url_encode(st.service);
        for (const auto& s : scopes.scopes()) {
            url += "&scope=" + http::url_encode(s.str());
        }
        r.url = url;
        if (c != nullptr && !c->username.empty()) {
            r.authorization = basic_header(*c);
        }
        return r;
    }

    /// Gets tokens for the (host, scopes) pairs that have none; one request per pair.
    void fetch_tokens(const std::vector<std::pair<std::string, ScopeSet>>& wanted)
    {
        struct Ask {
            std::string host;
            ScopeSet scopes;
            bool oauth = false;
        };
        std::vector<Ask> asks;
        for (const auto& [host, scopes] : wanted) {
            HostState& st = state(host);
            const bool oauth = !st.refresh_token.empty()
                               || (st.credential && !st.credential->identity_token.empty());
            asks.push_back({host, scopes, oauth});
        }
        for (int round = 0; round < options.max_attempts && !asks.empty(); ++round) {
            std::vector<http::Request> requests;
            for (auto& a : asks) {
                requests.push_back(token_request(state(a.host), a.scopes, a.oauth));
            }
            token_count += requests.size();
            auto responses = transport.perform(std::move(requests));
            std::vector<Ask> again;
            double wait = 0;
            for (std::size_t i = 0; i < asks.size(); ++i) {
                HostState& st = state(asks[i].host);
                const auto& resp = responses[i];
                if (asks[i].oauth && (resp.status == 404 || resp.status == 405)) {
                    asks[i].oauth = false; // the issuer has no OAuth2 endpoint: use GET
                    again.push_back(asks[i]);
                    continue;
                }
                if (!resp.error.empty() || retryable_status(resp.status)) {
                    if (round + 1 < options.max_attempts) {
                        wait = std::max(wait, delay_for(resp, round + 1));
                        again.push_back(asks[i]);
                    } else {
                        st.token_rejected = "token server " + http::redact_url(st.realm) + ": "
                                            + (resp.error.empty() ? "HTTP " + std::to_string(resp.status)
                                                                  : resp.error);
                    }
                    continue;
                }
                if (resp.status != 200) {
                    std::string body = resp.body;
                    scrub(body);
                    std::string detail = registry_error_text(body);
                    st.token_rejected = "the token server " + http::redact_url(st.realm) + " rejected the "
                                        + (st.credential ? "credentials" : "anonymous request") + " (HTTP "
                                        + std::to_string(resp.status) + (detail.empty() ? "" : ", " + detail) + ")";
                    continue;
                }
                auto grant = parse_token_response(resp.body);
                if (!grant) {
                    st.token_rejected = grant.error().what;
                    continue;
                }
                remember_secret(grant->token);
                if (!grant->refresh_token.empty()) {
                    remember_secret(grant->refresh_token);
                    st.refresh_token = grant->refresh_token;
                }
                const std::int64_t margin = std::min<std::int64_t>(30, grant->expires_in / 5);
                st.tokens.push_back(Token{asks[i].scopes, grant->token,
                                          options.clock() + grant->expires_in - margin});
                st.token_rejected.clear();
            }
            if (!again.empty() && wait > 0) {
                options.sleep(wait);
            }
            asks = std::move(again);
        }
    }

    /// A call that will not be sent must not leave its partner waiting on a pipe.
    static void release_pipes(const RegistryCall& call)
    {
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

    std::vector<http::Response> send(std::vector<RegistryCall> calls)
    {
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
            probe(hosts_wanted);
            // Calls to hosts that cannot be reached, or whose credentials cannot be had, end here.
            std::vector<Pending> ready;
            for (auto& p : pending) {
                HostState& st = state(p.call.host);
                if (!st.probe_error.empty()) {
                    out[p.index].error = "cannot reach " + p.call.host + ": " + st.probe_error;
                    release_pipes(p.call);
                    continue;
                }
                load_credential(p.call.host, st);
                if (!st.credential_error.empty()) {
                    out[p.index].error = st.credential_error;
                    release_pipes(p.call);
                    continue;
                }
                ready.push_back(std::move(p));
            }
            // One token per host covering every scope its calls need (unless one is cached).
            std::map<std::string, ScopeSet> needed;
            for (const auto& p : ready) {
                HostState& st = state(p.call.host);
                if (st.scheme == "bearer" && !(st.credential && !st.credential->registry_token.empty())
                    && valid_token(st, p.call.scopes) == nullptr) {
                    needed[ascii_lower(api_host(p.call.host))].add(p.call.scopes);
                }
            }
            if (!needed.empty()) {
                std::vector<std::pair<std::string, ScopeSet>> asks(needed.begin(), needed.end());
                fetch_tokens(asks);
            }
            std::vector<http::Request> requests;
            std::vector<Pending> sent;
            for (auto& p : ready) {
                HostState& st = state(p.call.host);
                http::Request r;
                r.method = p.call.method;
                const std::string base = base_url(p.call.host);
                r.url = p.call.path.rfind("http", 0) == 0 ? p.call.path : http::resolve_url(base + "/", p.call.path);
                r.headers = p.call.headers;
                r.body = p.call.body;
                r.upload = p.call.upload;
                r.upload_size = p.call.upload_size;
                r.download = p.call.download;
                r.max_body = p.call.max_body;
                r.resume_attempts = p.call.resume_attempts;
                r.tls = tls_for(api_host(p.call.host));
                const bool same_origin = http::url_origin(r.url) == http::url_origin(base + "/");
                if (same_origin && st.scheme == "basic" && st.credential && !st.credential->username.empty()) {
                    r.authorization = basic_header(*st.credential);
                } else if (same_origin && st.scheme == "bearer") {
                    if (st.credential && !st.credential->registry_token.empty()) {
                        r.authorization = "Bearer " + st.credential->registry_token;
                    } else if (const Token* t = valid_token(st, p.call.scopes)) {
                        r.authorization = "Bearer " + t->value;
                    } else if (!st.token_rejected.empty()) {
                        out[p.index].status = 401;
                        out[p.index].body = R"({"errors":[{"code":"UNAUTHORIZED","message":)"
                                            + nlohmann::json(st.token_rejected).dump() + "}]}";
                        release_pipes(p.call);
                        continue;
                    }
                }
                requests.push_back(std::move(r));
                sent.push_back(std::move(p));
            }
            auto responses = transport.perform(std::move(requests));
            std::vector<Pending> again;
            double wait = 0;
            for (std::size_t k = 0; k < sent.size(); ++k) {
                Pending& p = sent[k];
                http::Response& resp = responses[k];
                HostState& st = state(p.call.host);
                // A stalled server gets one more chance, not max_attempts × stall_seconds.
                const bool transient = (!resp.error.empty() || retryable_status(resp.status))
                                       && !(resp.stalled && p.attempts >= 1);
                if (transient && p.call.retry && ++p.attempts < options.max_attempts) {
                    wait = std::max(wait, delay_for(resp, p.attempts));
                    again.push_back(std::move(p));
                    continue;
                }
                if (resp.status == 401 && st.scheme == "bearer" && !p.auth_retried && p.call.retry) {
                    const std::string* header = resp.header("www-authenticate");
                    for (const auto& c : parse_challenges(header ? *header : std::string())) {
                        if (c.scheme != "bearer") {
                            continue;
                        }
                        for (const auto& s : parse_scopes(c.param("scope"))) {
                            p.call.scopes.add(s);
                        }
                        if (c.param("error") == "invalid_token") {
                            st.tokens.clear();
                        }
                    }
                    p.auth_retried = true;
                    again.push_back(std::move(p));
                    continue;
                }
                scrub(resp);
                out[p.index] = std::move(resp);
            }
            if (!again.empty() && wait > 0) {
                options.sleep(wait);
            }
            pending = std::move(again);
        }
        return out;
    }

    Result<AccessCheck> check(const std::string& host)
    {
        probe({host});
        HostState& st = state(host);
        if (!st.probe_error.empty()) {
            return network_error("cannot reach " + host + ": " + st.probe_error);
        }
        load_credential(host, st);
        if (!st.credential_error.empty()) {
            return input_error(st.credential_error);
        }
        AccessCheck result;
        result.username = st.credential ? st.credential->username : std::string();
        if (st.scheme == "none") {
            result.accepted = true;
            result.scheme = "none";
            return result;
        }
        if (st.scheme == "basic") {
            result.scheme = "basic";
            if (!st.credential || st.credential->username.empty()) {
                result.reason = "the registry asks for Basic authentication and no credentials were found for "
                                + host + (options.credential_sources.empty() ? std::string()
                                                                           : " (looked at " + options.credential_sources + ")");
                return result;
            }
            http::Request r;
            r.url = base_url(host) + "/v2/";
            r.tls = tls_for(api_host(host));
            r.authorization = basic_header(*st.credential);
            const auto resp = transport.perform_one(std::move(r));
            if (!resp.error.empty()) {
                return network_error("cannot reach " + host + ": " + resp.error);
            }
            result.accepted = resp.status == 200;
            if (!result.accepted) {
                result.reason = "the registry answered HTTP " + std::to_string(resp.status);
            }
            return result;
        }
        result.scheme = "token";
        if (st.credential && !st.credential->identity_token.empty() && result.username.empty()) {
            result.username = "(identity token)";
        }
        std::string authorization;
        if (st.credential && !st.credential->registry_token.empty()) {
            authorization = "Bearer " + st.credential->registry_token;
        } else {
            fetch_tokens({{host, ScopeSet{}}});
            const Token* t = valid_token(st, ScopeSet{});
            if (t == nullptr) {
                if (st.token_rejected.find("token server " + http::redact_url(st.realm) + ":") == 0) {
                    return network_error(st.token_rejected);
                }
                result.reason = st.token_rejected;
                return result;
            }
            authorization = "Bearer " + t->value;
        }
        http::Request r;
        r.url = base_url(host) + "/v2/";
        r.tls = tls_for(api_host(host));
        r.authorization = authorization;
        const auto resp = transport.perform_one(std::move(r));
        if (!resp.error.empty()) {
            return network_error("cannot reach " + host + ": " + resp.error);
        }
        result.accepted = resp.status == 200;
        if (!result.accepted) {
            result.reason = "the registry refused the token (HTTP " + std::to_string(resp.status) + ")";
        }
        return result;
    }
};

RegistryClient::RegistryClient(RegistryOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}

RegistryClient::~RegistryClient() = default;

std::vector<http::Response> RegistryClient::send(std::vector<RegistryCall> calls)
{
    return m_impl->send(std::move(calls));
}

http::Response RegistryClient::send_one(RegistryCall call)
{
    std::vector<RegistryCall> one;
    one.push_back(std::move(call));
    return std::move(m_impl->send(std::move(one)).front());
}

Result<AccessCheck> RegistryClient::check(const std::string& host)
{
    return m_impl->check(host);
}

std::string RegistryClient::base_url(const std::string& host) const
{
    return m_impl->base_url(host);
}

void RegistryClient::set_tick(std::function<void()> tick)
{
    m_impl->transport.set_tick(std::move(tick));
}

std::size_t RegistryClient::token_requests() const
{
    return m_impl->token_count;
}

namespace {

RegistryCall manifest_call(const ImageLocator& image, const char* method)
{
    RegistryCall call;
    call.host = image.host;
    call.method = method;
    call.path = "/v2/" + image.repository + "/manifests/" + image.reference;
    call.headers.push_back("Accept: " + std::string(oci::k_accept_all));
    call.scopes.add(repository_scope(image.repository, "pull"));
    return call;
}

std::string content_type_of(const http::Response& resp)
{
    const std::string* ct = resp.header("content-type");
    if (ct == nullptr) {
        return {};
    }
    return ct->substr(0, ct->find(';'));
}

} // namespace

std::vector<Result<ManifestHead>> RegistryClient::head_manifests(const std::vector<ImageLocator>& images)
{
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
            out[need_get[k]] = ManifestHead{fetched[k]->digest, fetched[k]->media_type,
                                            static_cast<std::int64_t>(fetched[k]->bytes.size())};
        }
    }
    return out;
}

std::vector<Result<FetchedManifest>> RegistryClient::get_manifests(const std::vector<ImageLocator>& images)
{
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
            out.emplace_back(network_error(images[i].str() + ": the manifest does not match its digest "
                                           + expected + " (got " + actual + ")"));
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

std::vector<Result<std::string>> RegistryClient::get_blobs(const std::vector<ImageLocator>& blobs)
{
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
