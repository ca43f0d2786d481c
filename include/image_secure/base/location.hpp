#pragma once

// Positions in input files: byte offsets to line:column, and the one way we print them.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// Line/column, both 1-based; the column counts bytes.
struct LineCol {
    std::size_t line = 1;
    std::size_t column = 1;
};

/// Maps byte offsets to line/column; built once per text, O(log n) per lookup.
class LineIndex {
  public:
    explicit LineIndex(std::string_view text);
    [[nodiscard]] LineCol at(std::size_t offset) const;

  private:
    std::vector<std::size_t> m_starts;
};

/// "file:line:col" ("file:line" without a column, "file" without a line): how every message,
/// report and error names a place in an input.
[[nodiscard]] std::string format_location(std::string_view file, std::size_t line, std::size_t column = 0);

} // namespace image_secure
