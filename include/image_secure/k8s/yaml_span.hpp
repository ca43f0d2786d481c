#pragma once

#include <cstddef>
#include <string_view>

namespace image_secure {

// Byte-level helpers over YAML source text: node properties, block scalar spans and the
// line structure insertion points are placed on (libyaml's marks give the rest).

/// Skips anchors (`&a`), tags (`!t`), spaces and line breaks before a node's content.
[[nodiscard]] std::size_t skip_node_properties(std::string_view text, std::size_t pos);

/// Value span of a scalar that starts at `pos` (after properties).
struct ScalarSpan {
    std::size_t value_begin = 0; ///< inside the quotes
    std::size_t value_end = 0;
    std::size_t end = 0; ///< one past the closing quote / last content byte
    char style = 'p';    ///< 'p' plain, '\'' single, '"' double, '|' block
};

/// `min_indent`: the column the scalar's content must be deeper than (block context).
/// `in_flow`: inside [] or {} (plain scalars stop at , ] }).
[[nodiscard]] ScalarSpan
scalar_span(std::string_view text, std::size_t pos, std::size_t min_indent, bool in_flow, bool is_key);

/// Offset of the start of the line that holds `pos`.
[[nodiscard]] std::size_t line_start(std::string_view text, std::size_t pos);

/// Offset just past the line break of the line holding `pos` (text.size() if none).
[[nodiscard]] std::size_t next_line_start(std::string_view text, std::size_t pos);

/// Number of leading spaces of the line starting at `start`.
[[nodiscard]] std::size_t indent_of(std::string_view text, std::size_t start);

/// True if the line starting at `start` is blank or holds only a comment.
[[nodiscard]] bool is_blank_line(std::string_view text, std::size_t start);
[[nodiscard]] bool is_comment_line(std::string_view text, std::size_t start);

} // namespace image_secure
