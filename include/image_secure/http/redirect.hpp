#pragma once

// Following a redirect, as a pure step on values: where the request goes next, and what of
// it may go along. Authorization never leaves its origin; HTTPS never drops to plain HTTP
// unless the caller declared that origin plain.

#include <image_secure/http/transport.hpp>

#include <functional>
#include <string>

namespace image_secure::http {

enum class RedirectStep {
    none,    ///< not a redirect (or one without a usable Location): the response stands
    follow,  ///< `request` now points at the target
    refused, ///< a downgrade to plain HTTP; `error` says so
};

/// 301, 302, 303, 307 and 308.
[[nodiscard]] bool is_redirect(long status);

/// Applies `response`'s redirect to `request` (a 303 becomes a body-less GET; a new origin
/// loses Authorization). `plain_allowed` (may be empty) admits a plain-HTTP target.
[[nodiscard]] RedirectStep apply_redirect(Request& request,
                                          const Response& response,
                                          const std::function<bool(const std::string& url)>& plain_allowed,
                                          std::string& error);

} // namespace image_secure::http
