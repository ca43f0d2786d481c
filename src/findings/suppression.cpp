#include <image_secure/findings/suppression.hpp>

#include <algorithm>

namespace image_secure {

bool Suppression::covers(std::string_view rule) const {
    return std::find(rules.begin(), rules.end(), rule) != rules.end();
}

Suppression parse_suppression(std::string_view text) {
    Suppression out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ',' || text[i] == ' ')) {
            ++i;
        }
        std::size_t j = i;
        while (j < text.size() && text[j] != ',' && text[j] != ' ' && text[j] != ':') {
            ++j;
        }
        const std::string_view id = text.substr(i, j - i);
        const bool is_rule = id.size() == 5 && id.substr(0, 2) == "IS"
                             && std::all_of(id.begin() + 2, id.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (!is_rule) {
            break;
        }
        out.rules.emplace_back(id);
        i = j;
    }
    std::string_view reason = text.substr(std::min(i, text.size()));
    while (!reason.empty() && (reason.front() == ':' || reason.front() == ' ' || reason.front() == '-')) {
        reason.remove_prefix(1);
    }
    out.reason = std::string(reason);
    return out;
}

} // namespace image_secure
