#include <image_secure/registry/rate_limit.hpp>

#include <cctype>

namespace image_secure {

namespace {

/// "100;w=21600" -> (100, 21600); "100" -> (100, 0). A list ("100, 5000;w=3600") gives its
/// first member. nullopt when the value does not start with a number.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_value(std::string_view text) {
    while (!text.empty() && text.front() == ' ') {
        text.remove_prefix(1);
    }
    text = text.substr(0, text.find(','));
    std::int64_t number = 0;
    std::size_t i = 0;
    for (; i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0 && i < 15; ++i) {
        number = number * 10 + (text[i] - '0');
    }
    if (i == 0) {
        return std::nullopt;
    }
    std::int64_t window = 0;
    if (const auto w = text.find("w="); w != std::string_view::npos) {
        for (std::size_t k = w + 2;
             k < text.size() && std::isdigit(static_cast<unsigned char>(text[k])) != 0 && k < w + 2 + 12;
             ++k) {
            window = window * 10 + (text[k] - '0');
        }
    }
    return std::make_pair(number, window);
}

std::string duration(std::int64_t seconds) {
    if (seconds >= 3600 && seconds % 3600 == 0) {
        return std::to_string(seconds / 3600) + " h";
    }
    if (seconds >= 60 && seconds % 60 == 0) {
        return std::to_string(seconds / 60) + " min";
    }
    return std::to_string(seconds) + " s";
}

} // namespace

std::string RateLimit::str() const {
    std::string out =
        std::to_string(remaining) + (limit >= 0 ? " of " + std::to_string(limit) : std::string()) + " left";
    if (window > 0) {
        out += " (window " + duration(window) + ")";
    }
    return out;
}

std::optional<RateLimit> rate_limit_of(const http::Response& response) {
    const std::string* remaining = response.header("ratelimit-remaining");
    if (remaining == nullptr) {
        return std::nullopt;
    }
    const auto r = parse_value(*remaining);
    if (!r) {
        return std::nullopt;
    }
    RateLimit out;
    out.remaining = r->first;
    out.window = r->second;
    if (const std::string* limit = response.header("ratelimit-limit")) {
        if (const auto l = parse_value(*limit)) {
            out.limit = l->first;
            out.window = out.window != 0 ? out.window : l->second;
        }
    }
    return out;
}

bool spends_rate_limit(std::string_view method, std::string_view path) {
    return method == "GET" && path.find("/manifests/") != std::string_view::npos;
}

} // namespace image_secure
