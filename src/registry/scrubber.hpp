#pragma once

// Server text can echo what we sent (error bodies that quote headers, redirect targets with
// tokens): every credential and token of the run is cut out of what a failed response
// carries back. Private to src/registry/.

#include <image_secure/http/transport.hpp>
#include <image_secure/registry/credentials.hpp>

#include <string>
#include <vector>

namespace image_secure::registry_detail {

class SecretScrubber {
  public:
    /// Remembers `secret` and its URL-encoded form ("" is ignored).
    void remember(const std::string& secret);
    /// The password, tokens, "user:pass" and its base64 of a credential.
    void remember(const Credential& credential);
    /// Replaces every remembered secret in `text` with "[redacted]".
    void scrub(std::string& text) const;
    /// A failed response's body and headers, and any response's error text.
    void scrub(http::Response& response) const;

  private:
    std::vector<std::string> m_secrets; ///< longest first, so a secret inside another goes whole
};

} // namespace image_secure::registry_detail
