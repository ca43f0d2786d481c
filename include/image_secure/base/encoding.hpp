#pragma once

// Byte encodings: base64 (as Go's encoding/base64 and the kubelet use it), hex and
// percent-encoding. One of each.

#include <string>
#include <string_view>

namespace image_secure {

/// Standard (padded) base64.
[[nodiscard]] std::string base64_encode(std::string_view bytes);

/// Decodes standard base64 (padded when len%4==0, else raw), like the kubelet does.
/// Returns false on bad input.
[[nodiscard]] bool base64_decode(std::string_view text, std::string& out);

/// Lower-case hex of every byte.
[[nodiscard]] std::string hex_encode(std::string_view bytes);

/// Which bytes percent_encode keeps as they are.
enum class PercentSet {
    unreserved, ///< RFC 3986 unreserved (A-Z a-z 0-9 - . _ ~): query components, form bodies
    uri_path,   ///< printable ASCII but % # ? [ ] ": a relative URI reference (SARIF artifact URIs)
};

/// `text` with every byte outside `keep` written as %XX (upper-case hex).
[[nodiscard]] std::string percent_encode(std::string_view text, PercentSet keep = PercentSet::unreserved);

} // namespace image_secure
