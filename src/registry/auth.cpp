#include "auth.hpp"

#include <image_secure/base/encoding.hpp>
#include <image_secure/base/text.hpp>
#include <image_secure/http/retry.hpp>
#include <image_secure/http/url.hpp>
#include <image_secure/registry/registry_auth.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace image_secure::registry_detail {

namespace {

constexpr const char* k_client_id = "kubectl-image-secure";

std::string basic_authorization(const Credential& c) { return "Basic " + base64_encode(c.username + ":" + c.password); }

} // namespace

Authenticator::Authenticator(const RegistryOptions& options,
                             const Endpoints& endpoints,
                             http::Transport& transport,
                             SecretScrubber& scrubber,
                             RetryPolicy& retry)
    : m_options(options), m_endpoints(endpoints), m_transport(transport), m_scrubber(scrubber), m_retry(retry) {}

Authenticator::HostState& Authenticator::state(const std::string& host) { return m_hosts[ascii_lower(api_host(host))]; }

void Authenticator::load_credential(const std::string& host, HostState& st) {
    if (st.credential_loaded) {
        return;
    }
    st.credential_loaded = true;
    if (!m_options.credentials) {
        return;
    }
    auto found = m_options.credentials(host);
    if (!found) {
        st.credential_error = found.error().message();
        return;
    }
    st.credential = std::move(*found);
    if (st.credential) {
        m_scrubber.remember(*st.credential);
    }
}

void Authenticator::probe(const std::vector<std::string>& wanted) {
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
            r.url = m_endpoints.base_url(todo[i]) + "/v2/";
            r.tls = m_endpoints.tls_for(api_host(todo[i]));
            requests.push_back(std::move(r));
        }
        auto responses = m_transport.perform(std::move(requests));
        std::vector<std::size_t> again;
        double wait = 0;
        for (std::size_t k = 0; k < open.size(); ++k) {
            const std::size_t i = open[k];
            const auto& resp = responses[k];
            HostState& st = state(todo[i]);
            if (m_retry.again(resp, static_cast<int>(++attempts[i]))) {
                wait = std::max(wait, m_retry.delay(resp, static_cast<int>(attempts[i])));
                again.push_back(i);
                continue;
            }
            st.probed = true;
            if (!resp.error.empty()) {
                st.probe_error = resp.error + m_endpoints.transport_hint(resp.error, todo[i]);
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
                    st.probe_error = m_endpoints.realm_problem(st.realm);
                } else {
                    st.scheme = "basic";
                }
            } else if (resp.status >= 200 && resp.status < 300) {
                st.scheme = "none";
            } else {
                st.probe_error = "GET /v2/ answered HTTP " + std::to_string(resp.status)
                                 + (resp.header("docker-distribution-api-version") ? "" : " (is this a registry?)");
            }
        }
        if (!again.empty()) {
            m_retry.sleep(wait);
        }
        open = std::move(again);
    }
}

std::string Authenticator::blocker(const std::string& host) {
    HostState& st = state(host);
    if (!st.probe_error.empty()) {
        return "cannot reach " + host + ": " + st.probe_error;
    }
    load_credential(host, st);
    return st.credential_error;
}

void Authenticator::prepare(const std::vector<std::pair<std::string, ScopeSet>>& calls) {
    std::map<std::string, ScopeSet> needed;
    for (const auto& [host, scopes] : calls) {
        HostState& st = state(host);
        if (st.scheme == "bearer" && !sends_registry_token(st) && valid_token(st, scopes) == nullptr) {
            needed[ascii_lower(api_host(host))].add(scopes);
        }
    }
    if (!needed.empty()) {
        fetch_tokens(std::vector<std::pair<std::string, ScopeSet>>(needed.begin(), needed.end()));
    }
}

Result<std::string>
Authenticator::authorization(const std::string& host, const std::string& url, const ScopeSet& scopes) {
    HostState& st = state(host);
    if (http::url_origin(url) != http::url_origin(m_endpoints.base_url(host) + "/")) {
        return std::string(); // an absolute URL elsewhere (upload Location on a CDN): no credentials
    }
    if (st.scheme == "basic" && st.credential && !st.credential->username.empty()) {
        return basic_authorization(*st.credential);
    }
    if (st.scheme != "bearer") {
        return std::string();
    }
    if (sends_registry_token(st)) {
        return "Bearer " + st.credential->registry_token;
    }
    if (const Token* t = valid_token(st, scopes)) {
        return "Bearer " + t->value;
    }
    if (!st.token_rejected.empty()) {
        return Error{ErrorKind::denied, st.token_rejected, {}};
    }
    return std::string();
}

bool Authenticator::rescope(const std::string& host, const http::Response& response, ScopeSet& scopes) {
    HostState& st = state(host);
    if (response.status != 401 || st.scheme != "bearer") {
        return false;
    }
    const std::string* header = response.header("www-authenticate");
    for (const auto& c : parse_challenges(header ? *header : std::string())) {
        if (c.scheme != "bearer") {
            continue;
        }
        for (const auto& s : parse_scopes(c.param("scope"))) {
            scopes.add(s);
        }
        if (c.param("error") == "invalid_token") {
            st.tokens.clear();
        }
    }
    return true;
}

const Authenticator::Token* Authenticator::valid_token(HostState& st, const ScopeSet& scopes) {
    const auto now = m_options.clock();
    st.tokens.erase(
        std::remove_if(st.tokens.begin(), st.tokens.end(), [now](const Token& t) { return t.expires_at <= now; }),
        st.tokens.end());
    for (const auto& t : st.tokens) {
        if (t.scopes.covers(scopes)) {
            return &t;
        }
    }
    return nullptr;
}

http::Request Authenticator::token_request(HostState& st, const ScopeSet& scopes, bool oauth) {
    http::Request r;
    r.tls = m_endpoints.tls_for(host_of_url(st.realm));
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
        r.body = "grant_type=refresh_token&refresh_token=" + percent_encode(refresh) + "&client_id=" + k_client_id
                 + "&access_type=offline";
        if (!st.service.empty()) {
            r.body += "&service=" + percent_encode(st.service);
        }
        if (!scope_text.empty()) {
            r.body += "&scope=" + percent_encode(scope_text);
        }
        return r;
    }
    std::string url = st.realm + (st.realm.find('?') == std::string::npos ? "?" : "&");
    url += "service=" + percent_encode(st.service);
    for (const auto& s : scopes.scopes()) {
        url += "&scope=" + percent_encode(s.str());
    }
    r.url = url;
    if (c != nullptr && !c->username.empty()) {
        r.authorization = basic_authorization(*c);
    }
    return r;
}

// One request per (host, scopes) pair.
void Authenticator::fetch_tokens(const std::vector<std::pair<std::string, ScopeSet>>& wanted) {
    struct Ask {
        std::string host;
        ScopeSet scopes;
        bool oauth = false;
    };

    std::vector<Ask> asks;
    for (const auto& [host, scopes] : wanted) {
        HostState& st = state(host);
        const bool oauth = !st.refresh_token.empty() || (st.credential && !st.credential->identity_token.empty());
        asks.push_back({host, scopes, oauth});
    }
    for (int round = 0; round < m_options.max_attempts && !asks.empty(); ++round) {
        std::vector<http::Request> requests;
        for (auto& a : asks) {
            requests.push_back(token_request(state(a.host), a.scopes, a.oauth));
        }
        m_token_requests += requests.size();
        auto responses = m_transport.perform(std::move(requests));
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
            if (RetryPolicy::transient(resp)) {
                if (round + 1 < m_options.max_attempts) {
                    wait = std::max(wait, m_retry.delay(resp, round + 1));
                    again.push_back(asks[i]);
                } else {
                    st.token_rejected = "token server " + http::redact_url(st.realm) + ": "
                                        + (resp.error.empty() ? "HTTP " + std::to_string(resp.status) : resp.error);
                }
                continue;
            }
            if (resp.status != 200) {
                std::string body = resp.body;
                m_scrubber.scrub(body);
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
            m_scrubber.remember(grant->token);
            if (!grant->refresh_token.empty()) {
                m_scrubber.remember(grant->refresh_token);
                st.refresh_token = grant->refresh_token;
            }
            const std::int64_t margin = std::min<std::int64_t>(30, grant->expires_in / 5);
            st.tokens.push_back(Token{asks[i].scopes, grant->token, m_options.clock() + grant->expires_in - margin});
            st.token_rejected.clear();
        }
        if (!again.empty() && wait > 0) {
            m_retry.sleep(wait);
        }
        asks = std::move(again);
    }
}

Result<AccessCheck> Authenticator::check(const std::string& host) {
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
            result.reason =
                "the registry asks for Basic authentication and no credentials were found for " + host
                + (m_options.credential_sources.empty() ? std::string()
                                                        : " (looked at " + m_options.credential_sources + ")");
            return result;
        }
        http::Request r;
        r.url = m_endpoints.base_url(host) + "/v2/";
        r.tls = m_endpoints.tls_for(api_host(host));
        r.authorization = basic_authorization(*st.credential);
        const auto resp = m_transport.perform_one(std::move(r));
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
    r.url = m_endpoints.base_url(host) + "/v2/";
    r.tls = m_endpoints.tls_for(api_host(host));
    r.authorization = authorization;
    const auto resp = m_transport.perform_one(std::move(r));
    if (!resp.error.empty()) {
        return network_error("cannot reach " + host + ": " + resp.error);
    }
    result.accepted = resp.status == 200;
    if (!result.accepted) {
        result.reason = "the registry refused the token (HTTP " + std::to_string(resp.status) + ")";
    }
    return result;
}

} // namespace image_secure::registry_detail
