#pragma once

// Authentication per registry host: the /v2/ probe that learns the scheme, credentials
// loaded once, Bearer tokens fetched (GET, or OAuth2 POST with a refresh token) and cached
// per scope set until they expire, 401 answers that widen the scopes, and `registry check`.
// Private to src/registry/.

#include "endpoints.hpp"
#include "retry_policy.hpp"
#include "scrubber.hpp"

#include <image_secure/registry/registry.hpp>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace image_secure::registry_detail {

class Authenticator {
  public:
    Authenticator(const RegistryOptions& options,
                  const Endpoints& endpoints,
                  http::Transport& transport,
                  SecretScrubber& scrubber,
                  RetryPolicy& retry);

    /// GET /v2/ on every host not seen yet (concurrently, with retries).
    void probe(const std::vector<std::string>& hosts);
    /// Why calls to `host` cannot be sent ("" when they can): unreachable, or its credentials
    /// could not be loaded. Loads the credentials on first use.
    [[nodiscard]] std::string blocker(const std::string& host);
    /// Fetches one token per host covering every scope its calls need, unless cached.
    void prepare(const std::vector<std::pair<std::string, ScopeSet>>& calls);
    /// The Authorization value for a call to `url` on `host` needing `scopes` ("" for none).
    /// An Error (the token server's refusal) when a token was needed and could not be had.
    [[nodiscard]] Result<std::string>
    authorization(const std::string& host, const std::string& url, const ScopeSet& scopes);
    /// A 401 from a Bearer host: adds the scopes its challenge asks for (dropping tokens it
    /// calls invalid). True when the call should be sent once more.
    bool rescope(const std::string& host, const http::Response& response, ScopeSet& scopes);

    [[nodiscard]] Result<AccessCheck> check(const std::string& host);

    [[nodiscard]] std::size_t token_requests() const { return m_token_requests; }

  private:
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

    HostState& state(const std::string& host);
    void load_credential(const std::string& host, HostState& st);
    const Token* valid_token(HostState& st, const ScopeSet& scopes);
    http::Request token_request(HostState& st, const ScopeSet& scopes, bool oauth);
    void fetch_tokens(const std::vector<std::pair<std::string, ScopeSet>>& wanted);

    [[nodiscard]] bool sends_registry_token(const HostState& st) const {
        return st.credential && !st.credential->registry_token.empty();
    }

    const RegistryOptions& m_options;
    const Endpoints& m_endpoints;
    http::Transport& m_transport;
    SecretScrubber& m_scrubber;
    RetryPolicy& m_retry;
    std::map<std::string, HostState> m_hosts; ///< key: lower-cased API host
    std::size_t m_token_requests = 0;
};

} // namespace image_secure::registry_detail
