#pragma once

// In-source suppression: an object's `image-secure.dev/ignore` annotation names the rules
// whose findings on it are kept but marked suppressed, with an optional reason:
// `IS004,IS007: base image pinned by the vendor`. Shared by every checker.

#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

inline constexpr std::string_view k_ignore_annotation = "image-secure.dev/ignore";

struct Suppression {
    std::vector<std::string> rules; ///< rule ids (IS + three digits), in order
    std::string reason;             ///< the text after them ("" when none)

    [[nodiscard]] bool covers(std::string_view rule) const;
};

/// Reads an annotation value: ids separated by commas or spaces, then `:` and the reason.
[[nodiscard]] Suppression parse_suppression(std::string_view annotation);

} // namespace image_secure
