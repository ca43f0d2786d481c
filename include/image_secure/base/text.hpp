#pragma once

// Text for people: UTF-8, ASCII case, terminal-safe printing, sizes and plurals.

#include <image_secure/base/result.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace image_secure {

/// One decoded UTF-8 character; `valid` is false for a malformed or overlong sequence
/// (then `length` is 1, like Go's utf8.DecodeRuneInString).
struct Utf8Char {
    std::uint32_t code = 0;
    std::size_t length = 1;
    bool valid = false;
};

/// Decodes the UTF-8 character that starts at byte `i` of `s`.
[[nodiscard]] Utf8Char decode_utf8(std::string_view s, std::size_t i);

/// `s` with A–Z lowered; other bytes unchanged (no locale, no Unicode folding).
[[nodiscard]] std::string ascii_lower(std::string_view s);

/// Appends the UTF-8 encoding of `code`.
void append_utf8(std::string& out, std::uint32_t code);

/// `s` made safe to print on one terminal line: control characters (C0, DEL, C1), invalid
/// UTF-8 and bidirectional overrides are escaped (`\e`, `\n`, `\x00`, `\u202e`), and text
/// beyond `cap` bytes is cut with "…(N bytes)". Everything untrusted that we print (manifest
/// values, registry answers) goes through this.
[[nodiscard]] std::string printable(std::string_view s, std::size_t cap = 256);

/// `text` (lines ending in '\n') with each line made printable and capped at `line_cap`
/// bytes: the last guard before stderr.
[[nodiscard]] std::string printable_lines(std::string_view text, std::size_t line_cap = 4096);

/// A byte count as people read it, in SI units like docker and skopeo print them: "512 B",
/// "3.2 kB", "48.1 MB".
[[nodiscard]] std::string human_size(std::int64_t bytes);

/// "8GiB", "500MiB", "2GB", "1048576" -> bytes (binary Ki/Mi/Gi/Ti, decimal k/K/M/G/T with an
/// optional "B"); an Error names the accepted forms.
[[nodiscard]] Result<std::int64_t> parse_byte_size(std::string_view text);

/// "1 image", "2 images": `count` and the word for one or for several.
[[nodiscard]] std::string plural(std::size_t count, std::string_view one, std::string_view many);

} // namespace image_secure
