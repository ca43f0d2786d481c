#pragma once

// The pieces of registry authentication that are pure text: WWW-Authenticate challenges,
// token scopes, token responses. spec/registry.md §2–§4.

#include <image_secure/base/result.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// One challenge: the scheme lower-cased, parameter names lower-cased.
struct Challenge {
    std::string scheme;
    std::map<std::string, std::string> params;

    [[nodiscard]] std::string param(const std::string& name) const;
};

/// Parses a WWW-Authenticate value (RFC 7235): several comma-separated challenges,
/// quoted strings with commas and backslash escapes, token68 values, any case.
[[nodiscard]] std::vector<Challenge> parse_challenges(std::string_view header);

/// A token scope "type[(class)]:name:action,action". The name may contain ':'.
struct Scope {
    std::string type; ///< "repository", "registry"
    std::string name; ///< "library/nginx", "localhost:5000/foo", "catalog"
    std::set<std::string> actions;

    [[nodiscard]] std::string str() const; ///< actions sorted, comma-separated
    bool operator<(const Scope& other) const;
    bool operator==(const Scope& other) const = default;
};

/// Parses one scope (splitting the actions at the last ':'); false when malformed.
[[nodiscard]] bool parse_scope(std::string_view text, Scope& out);

/// Parses a space-separated list of scopes, skipping malformed ones.
[[nodiscard]] std::vector<Scope> parse_scopes(std::string_view text);

/// A set of scopes with the actions of the same (type, name) merged.
class ScopeSet {
  public:
    void add(const Scope& scope);
    void add(const ScopeSet& other);
    /// True when every action of `other` is in this set.
    [[nodiscard]] bool covers(const ScopeSet& other) const;

    [[nodiscard]] bool empty() const { return m_scopes.empty(); }

    /// Scopes in a stable order (by type and name).
    [[nodiscard]] std::vector<Scope> scopes() const;
    /// The canonical text (space-separated) — a cache key.
    [[nodiscard]] std::string key() const;

  private:
    std::map<std::pair<std::string, std::string>, std::set<std::string>> m_scopes;
};

/// A token endpoint's answer.
struct TokenGrant {
    std::string token;
    std::string refresh_token;
    std::int64_t expires_in = 60; ///< seconds (spec default 60 when absent)
};

/// Parses a token response body: `token` or `access_token` (either; equal when both).
[[nodiscard]] Result<TokenGrant> parse_token_response(std::string_view body);

} // namespace image_secure
