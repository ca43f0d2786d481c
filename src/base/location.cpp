#include <image_secure/base/location.hpp>

#include <algorithm>

namespace image_secure {

LineIndex::LineIndex(std::string_view text) {
    m_starts.push_back(0);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n') {
            m_starts.push_back(i + 1);
        }
    }
}

LineCol LineIndex::at(std::size_t offset) const {
    const auto it = std::upper_bound(m_starts.begin(), m_starts.end(), offset);
    const auto line = static_cast<std::size_t>(it - m_starts.begin());
    return {line, offset - m_starts[line - 1] + 1};
}

std::string format_location(std::string_view file, std::size_t line, std::size_t column) {
    std::string out(file);
    if (line > 0) {
        out += ':' + std::to_string(line);
        if (column > 0) {
            out += ':' + std::to_string(column);
        }
    }
    return out;
}

} // namespace image_secure
