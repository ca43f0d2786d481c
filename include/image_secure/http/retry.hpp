#pragma once

// When to send a request again: which answers are worth it, and how long to wait first.
// The registry client, the transport's resumed downloads and mirror's blob copies share it.

#include <image_secure/http/transport.hpp>

#include <cstdint>
#include <initializer_list>

namespace image_secure::http {

/// 408, 429 and the 5xx answers a server gives when trying again later may work.
[[nodiscard]] constexpr bool retryable_status(long status) {
    return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

/// Seconds to wait before the next try after `attempt` failed ones (attempt >= 1): 0.25 s
/// doubling per attempt, at least what any response's Retry-After asks (delta-seconds or an
/// HTTP date against `now_epoch`), at most `cap`.
[[nodiscard]] double
retry_delay(int attempt, std::initializer_list<const Response*> responses, std::int64_t now_epoch, double cap);

} // namespace image_secure::http
