#pragma once

// Registry rate limits as registries announce them: `RateLimit-Limit: 100;w=21600` and
// `RateLimit-Remaining: 76;w=21600` (Docker Hub, and the IETF RateLimit header fields draft),
// on manifest responses. Docker Hub counts manifest GETs ("pulls"); HEADs are free.

#include <image_secure/http/transport.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace image_secure {

struct RateLimit {
    std::int64_t limit = -1;     ///< requests per window, -1 when not announced
    std::int64_t remaining = -1; ///< left in the current window, -1 when not announced
    std::int64_t window = 0;     ///< seconds (the `w=` parameter), 0 when not given

    [[nodiscard]] bool known() const { return remaining >= 0; }

    /// "76 of 100 left (window 6 h)", "3 left".
    [[nodiscard]] std::string str() const;
};

/// The announced limit of a response, nullopt when it has no RateLimit-Remaining (or it is not
/// a number).
[[nodiscard]] std::optional<RateLimit> rate_limit_of(const http::Response& response);

/// Does this request spend the budget? GETs of manifests (Docker Hub's pull).
[[nodiscard]] bool spends_rate_limit(std::string_view method, std::string_view path);

} // namespace image_secure
