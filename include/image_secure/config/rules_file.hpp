#pragma once

// The rules file of rewrite/images/mirror (--rules), read with yaml-cpp.

#include <image_secure/base/result.hpp>
#include <image_secure/rewrite/mapping.hpp>

#include <string_view>

namespace image_secure {

/// Parses a rules file; errors name `source`, the key and the line.
[[nodiscard]] Result<RuleSet> parse_rules(std::string_view text, std::string_view source);

} // namespace image_secure
