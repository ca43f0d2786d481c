#pragma once

#include <string>
#include <string_view>

namespace image_secure {

/// Appends `s` as a JSON string literal with Go `encoding/json` escaping:
/// HTML-safe (<, >, & as \u003c...), U+2028/U+2029 escaped, \b \f \n \r \t short,
/// other control bytes as \u00xx, and each invalid UTF-8 byte as \ufffd.
void append_json_string(std::string& out, std::string_view s);

/// Returns `s` as a quoted JSON string (see append_json_string).
[[nodiscard]] std::string json_string(std::string_view s);

/// Replaces each invalid UTF-8 byte by U+FFFD, like Go's encoder does.
[[nodiscard]] std::string to_valid_utf8(std::string_view s);

} // namespace image_secure
