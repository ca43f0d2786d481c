#pragma once

// The libcurl transport: one multi handle (concurrency, HTTP/2 multiplexing, keep-alive) and
// one share handle (DNS, TLS sessions) per transport; streamed bodies, stall watchdog,
// resumed downloads, redirects followed here (not by libcurl) so Authorization stays home.

#include <image_secure/base/result.hpp>
#include <image_secure/http/transport.hpp>

#include <memory>

namespace image_secure::http {

/// Loads libcurl (once). An Error (kind network) names what is missing: registry commands
/// need libcurl.so.4 (7.77 or newer) unless it is linked in (the release binary); every other command runs without it.
[[nodiscard]] Result<Ok> load_library();

/// A transport on libcurl; load_library() must have succeeded.
[[nodiscard]] std::unique_ptr<Transport> make_curl_transport(TransportOptions options);

} // namespace image_secure::http
