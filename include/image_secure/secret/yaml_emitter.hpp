#pragma once

#include <image_secure/base/result.hpp>

#include <string>
#include <string_view>

namespace image_secure {

/// Writes block-style YAML exactly as Go's yaml.v2 emitter does (the library behind
/// `kubectl -o yaml`): the same scalar style choice (plain/'single'/"double"/literal),
/// the same folding at column 80 and the same escapes. Only what Secrets need: nested
/// block mappings with string or null values.
class YamlV2Writer {
  public:
    /// Starts `key:` in a block mapping whose keys sit at column `indent`.
    void key(std::string_view key, int indent);
    /// Writes the value of the last key (a string, quoted as yaml.v2 would).
    void string_value(std::string_view value);
    /// Writes `null` as the value of the last key.
    void null_value();

    /// The YAML text written so far.
    [[nodiscard]] const std::string& text() const { return m_out; }

  private:
    void write_scalar(std::string_view value, bool simple_key);
    void put(char c);
    void put_break();
    void write_char(std::string_view value, std::size_t& i);
    void write_break(std::string_view value, std::size_t& i);
    void write_indent();
    void write_indicator(std::string_view indicator, bool need_whitespace, bool is_whitespace, bool is_indention);
    void write_plain(std::string_view value, bool allow_breaks);
    void write_single_quoted(std::string_view value, bool allow_breaks);
    void write_double_quoted(std::string_view value, bool allow_breaks);
    void write_literal(std::string_view value);

    std::string m_out;
    int m_column = 0;
    int m_indent = 0;
    bool m_whitespace = true;
    bool m_indention = true;
};

/// What a string becomes after Go's JSON encoder and the YAML parser read it back
/// (kubectl's JSON→YAML pipeline): invalid UTF-8 becomes U+FFFD, raw NEL line breaks fold,
/// and the control characters the YAML reader refuses are an error.
[[nodiscard]] Result<std::string> yaml_v2_roundtrip_string(std::string_view s);

/// True when yaml.v2 would quote `s` because plain it would read as a non-string
/// (null, bool, int, float, timestamp, base-60 float).
[[nodiscard]] bool yaml_v2_resolves_to_non_string(std::string_view s);

} // namespace image_secure
