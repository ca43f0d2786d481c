#pragma once

// How a registry host is reached: scheme (plain HTTP only when declared), API host (Docker
// Hub's aliases), TLS material (CA file, certs.d), and what to say when that fails.
// Private to src/registry/.

#include <image_secure/http/transport.hpp>
#include <image_secure/registry/registry.hpp>

#include <string>

namespace image_secure::registry_detail {

class Endpoints {
  public:
    explicit Endpoints(const RegistryOptions& options) : m_options(options) {}

    /// Was `host` declared plain HTTP (--plain-http)?
    [[nodiscard]] bool plain(const std::string& host) const;
    /// "https://api-host" or "http://api-host".
    [[nodiscard]] std::string base_url(const std::string& host) const;
    /// TLS settings for an API host (or a token realm's host).
    [[nodiscard]] http::TlsOptions tls_for(const std::string& host) const;
    /// Why credentials must not go to this token realm ("" when they may).
    [[nodiscard]] std::string realm_problem(const std::string& realm) const;
    /// What to do about a TLS failure, in the words of our flags ("" when nothing to add).
    [[nodiscard]] std::string transport_hint(const std::string& error, const std::string& host) const;

  private:
    const RegistryOptions& m_options;
};

/// "host[:port]" of a URL.
[[nodiscard]] std::string host_of_url(const std::string& url);

} // namespace image_secure::registry_detail
