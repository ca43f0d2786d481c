#include "curl_library.hpp"

#include <image_secure/base/text.hpp>
#include <image_secure/http/url.hpp>

#include <algorithm>
#include <ctime>
#include <memory>

namespace image_secure::http {

namespace {

struct UrlFree {
    void operator()(CURLU* u) const { detail::curl()->curl_url_cleanup(u); }
};

using UrlHandle = std::unique_ptr<CURLU, UrlFree>;

std::string url_part(CURLU* url, CURLUPart part, unsigned flags = 0) {
    const detail::CurlApi* curl = detail::curl();
    char* text = nullptr;
    if (curl->curl_url_get(url, part, &text, flags) != CURLUE_OK || text == nullptr) {
        return {};
    }
    std::string out(text);
    curl->curl_free(text);
    return out;
}

} // namespace

std::string resolve_url(const std::string& base, const std::string& location) {
    const detail::CurlApi* curl = detail::curl();
    if (curl == nullptr) {
        return location;
    }
    const UrlHandle url(curl->curl_url());
    if (!url || curl->curl_url_set(url.get(), CURLUPART_URL, base.c_str(), 0) != CURLUE_OK
        || curl->curl_url_set(url.get(), CURLUPART_URL, location.c_str(), CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        return location;
    }
    return url_part(url.get(), CURLUPART_URL);
}

std::string url_origin(const std::string& url_text) {
    const detail::CurlApi* curl = detail::curl();
    if (curl == nullptr) {
        return {};
    }
    const UrlHandle url(curl->curl_url());
    if (!url || curl->curl_url_set(url.get(), CURLUPART_URL, url_text.c_str(), 0) != CURLUE_OK) {
        return {};
    }
    return ascii_lower(url_part(url.get(), CURLUPART_SCHEME) + "://" + url_part(url.get(), CURLUPART_HOST) + ":"
                       + url_part(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT));
}

std::string redact_url(const std::string& url) { return url.substr(0, url.find_first_of("?#")); }

std::optional<double> parse_retry_after(std::string_view value, std::int64_t now_epoch) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
        value.remove_prefix(1);
    }
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) {
        value.remove_suffix(1);
    }
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        if (value.size() > 9) {
            return 1e9;
        }
        return static_cast<double>(std::stoll(std::string(value)));
    }
    const std::string text(value);
    const detail::CurlApi* curl = detail::curl();
    if (curl == nullptr) {
        return std::nullopt;
    }
    const time_t when = curl->curl_getdate(text.c_str(), nullptr);
    if (when == -1) {
        return std::nullopt;
    }
    return std::max(0.0, static_cast<double>(static_cast<std::int64_t>(when) - now_epoch));
}
} // namespace image_secure::http
