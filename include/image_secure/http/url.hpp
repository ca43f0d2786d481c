#pragma once

// URLs (parsed by libcurl's URL API) and the Retry-After header.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace image_secure::http {

/// Resolves `location` against `base` (absolute or relative Location headers).
[[nodiscard]] std::string resolve_url(const std::string& base, const std::string& location);

/// "scheme://host:port" of a URL, lower-cased, with the default port filled in.
[[nodiscard]] std::string url_origin(const std::string& url);

/// The URL without its query string and fragment (safe to log).
[[nodiscard]] std::string redact_url(const std::string& url);

/// Parses a Retry-After value: delta-seconds or an HTTP date; seconds from `now_epoch`.
[[nodiscard]] std::optional<double> parse_retry_after(std::string_view value, std::int64_t now_epoch);

} // namespace image_secure::http
