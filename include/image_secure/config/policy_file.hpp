#pragma once

// validate's policy file (--policy), read with yaml-cpp.

#include <image_secure/base/result.hpp>
#include <image_secure/validate/validate.hpp>

#include <string_view>

namespace image_secure {

/// Parses a policy file; unknown keys are an error naming the key (exit 2).
[[nodiscard]] Result<Policy> parse_policy(std::string_view text, std::string_view source);

} // namespace image_secure
