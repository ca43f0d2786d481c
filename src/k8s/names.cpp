#include <image_secure/k8s/names.hpp>

#include <algorithm>

namespace image_secure {

namespace {

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool label_chars(std::string_view s) {
    return !s.empty() && alnum(s.front()) && alnum(s.back())
           && std::all_of(s.begin(), s.end(), [](char c) { return alnum(c) || c == '-'; });
}

} // namespace

bool is_dns_label(std::string_view s) { return s.size() <= 63 && label_chars(s); }

bool is_dns_subdomain(std::string_view s) {
    if (s.empty() || s.size() > 253) {
        return false;
    }
    for (std::size_t start = 0;;) {
        const auto dot = s.find('.', start);
        if (!label_chars(s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start))) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        start = dot + 1;
    }
}

} // namespace image_secure
