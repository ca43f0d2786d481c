#include "scrubber.hpp"

#include <image_secure/base/encoding.hpp>

#include <algorithm>

namespace image_secure::registry_detail {

void SecretScrubber::remember(const std::string& secret) {
    for (std::string s : {secret, percent_encode(secret)}) {
        if (!s.empty() && std::find(m_secrets.begin(), m_secrets.end(), s) == m_secrets.end()) {
            m_secrets.push_back(std::move(s));
        }
    }
    std::stable_sort(m_secrets.begin(), m_secrets.end(), [](const std::string& a, const std::string& b) {
        return a.size() > b.size();
    });
}

void SecretScrubber::remember(const Credential& c) {
    remember(c.password);
    remember(c.identity_token);
    remember(c.registry_token);
    if (!c.username.empty() && !c.password.empty()) {
        remember(c.username + ":" + c.password);
        remember(base64_encode(c.username + ":" + c.password));
    }
}

void SecretScrubber::scrub(std::string& text) const {
    static constexpr std::string_view k_mark = "[redacted]";
    for (const auto& s : m_secrets) {
        for (auto at = text.find(s); at != std::string::npos; at = text.find(s, at)) {
            text.replace(at, s.size(), k_mark);
            at += k_mark.size();
        }
    }
}

void SecretScrubber::scrub(http::Response& r) const {
    if (!r.ok()) {
        scrub(r.body);
        for (auto& header : r.headers) {
            scrub(header.second);
        }
    }
    scrub(r.error);
}

} // namespace image_secure::registry_detail
